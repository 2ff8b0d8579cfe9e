// The desktop app, driven offscreen: start page, opening a model the way the command line does, the
// tensor table, error handling for bad files, recent files in a temporary settings folder, drag and drop,
// --screenshot through the real executable, the LPU Simulator tab following the open model (and closing
// the window during a long simulation), and File › Export trace… after a real generation.
#include "tests/support/test_models.h"

#include "engine/gguf/gguf_file.h"
#include "ui/about_dialog.h"
#include "ui/app_launcher.h"
#include "ui/app_settings.h"
#include "ui/charts/performance_panel.h"
#include "ui/chat/chat_workspace.h"
#include "ui/chat/sampling_panel.h"
#include "ui/generation_controller.h"
#include "ui/main_window.h"
#include "ui/model_panel.h"
#include "ui/recent_files.h"
#include "ui/start_page.h"
#include "ui/tensor_table_model.h"
#ifdef WB_HAVE_SIMVIEWS
#include "visualizer/core/model_arch.h"
#include "visualizer/widgets/simulation_runner.h"
#include "visualizer/widgets/simulator_panel.h"
#endif

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDropEvent>
#include <QElapsedTimer>
#include <QFile>
#include <QFileDialog>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QUrl>
#include <QtTest>

#include <algorithm>
#include <memory>
#include <set>

using namespace wb::ui;

namespace {

const char kStories[] = "stories260K.gguf";

// Opens the model through the command-line path: parse the arguments, then launch().
void launchWithArguments(MainWindow& window, const QStringList& arguments) {
    const ParsedCommandLine parsed =
        parseCommandLine(QStringList{QStringLiteral("inference-workbench")} + arguments);
    QVERIFY2(parsed.options.has_value(), qPrintable(parsed.output));
    launch(window, *parsed.options);
}

QString writeFile(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size()) return {};
    return path;
}

QAction* menuAction(const MainWindow& window, const char* menuName, const QString& text) {
    auto* menu = window.findChild<QMenu*>(QString::fromLatin1(menuName));
    if (menu == nullptr) return nullptr;
    for (QAction* action : menu->actions())
        if (action->text() == text) return action;
    return nullptr;
}

QMessageBox* errorDialog(const MainWindow& window) {
    return window.findChild<QMessageBox*>(QStringLiteral("openErrorDialog"));
}

void dismissErrorDialog(MainWindow& window) {
    if (auto* box = errorDialog(window)) {
        box->close();
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    }
}

} // namespace

class GuiTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir settingsDir_;
    QTemporaryDir scratch_;

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(settingsDir_.isValid());
        QVERIFY(scratch_.isValid());
        QStandardPaths::setTestModeEnabled(true);
        qputenv("WB_SETTINGS_DIR", settingsDir_.path().toLocal8Bit());
        QVERIFY(appSettingsLocation().startsWith(settingsDir_.path()));
    }

    void init() {
        // Every test starts with empty settings.
        QFile::remove(appSettingsLocation());
    }

    void startPageShownWithoutModel() {
        MainWindow window;
        launchWithArguments(window, {});
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.isShowingStartPage());
        QVERIFY(window.startPage()->isVisible());
        QVERIFY(!window.modelPanel()->isVisible());
        const QString guidance = window.startPage()->guidanceText();
        QVERIFY2(guidance.contains(QStringLiteral("Open model")), qPrintable(guidance));
        QVERIFY(guidance.contains(QStringLiteral("Drag a .gguf file")));
        QVERIFY(guidance.contains(QStringLiteral("Where to get GGUF files")));
        QVERIFY(guidance.contains(QStringLiteral("What you will see")));
        QVERIFY(window.recentFiles()->paths().isEmpty());
    }

    void commandLineRejectsBadUsage() {
        const ParsedCommandLine twoModels = parseCommandLine({"inference-workbench", "a.gguf", "b.gguf"});
        QVERIFY(!twoModels.options);
        QCOMPARE(twoModels.exitCode, 2);
        const ParsedCommandLine unknown = parseCommandLine({"inference-workbench", "--no-such-flag"});
        QVERIFY(!unknown.options);
        QCOMPARE(unknown.exitCode, 2);
        QVERIFY(unknown.output.contains(QStringLiteral("no-such-flag")));
        const ParsedCommandLine shot =
            parseCommandLine({"inference-workbench", "m.gguf", "--screenshot", "x.png"});
        QVERIFY(shot.options);
        QCOMPARE(shot.options->modelPath, QStringLiteral("m.gguf"));
        QCOMPARE(shot.options->screenshotPath, QStringLiteral("x.png"));
    }

    void opensModelFromCommandLine() {
        WB_REQUIRE_MODEL(kStories, path);
        const auto file = wb::gguf::GgufFile::open(path.toStdString());
        QCOMPARE(file.tensors().size(), std::size_t{48});

        MainWindow window;
        launchWithArguments(window, {path});
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.lastError().isEmpty());
        QVERIFY(!window.isShowingStartPage());
        QVERIFY(window.modelPanel()->isVisible());
        QVERIFY(window.windowTitle().contains(QStringLiteral("stories260K.gguf")));

        ModelPanel* panel = window.modelPanel();
        QCOMPARE(panel->tensorTabTitle(), QStringLiteral("Tensors (48)"));
        QVERIFY2(panel->summaryText().contains(QStringLiteral("48 tensors")),
                 qPrintable(panel->summaryText()));
        QVERIFY(panel->summaryText().startsWith(QStringLiteral("llama")));
        QCOMPARE(panel->tensorProxy()->rowCount(), 48);

        // Sort by bytes, largest first, as a user clicking the header twice would.
        panel->tensorView()->sortByColumn(TensorTableModel::kBytes, Qt::DescendingOrder);
        std::vector<quint64> shown;
        std::set<QString> names;
        for (int row = 0; row < panel->tensorProxy()->rowCount(); ++row) {
            shown.push_back(panel->tensorProxy()
                                ->index(row, TensorTableModel::kBytes)
                                .data(TensorTableModel::kSortRole)
                                .toULongLong());
            names.insert(panel->tensorProxy()->index(row, TensorTableModel::kName).data().toString());
        }
        QVERIFY(std::is_sorted(shown.rbegin(), shown.rend()));
        QCOMPARE(names.size(), std::size_t{48});
        quint64 largest = 0;
        for (const auto& tensor : file.tensors())
            largest = std::max<quint64>(largest, tensor.byteSize);
        QCOMPARE(shown.front(), largest);
        QCOMPARE(largest, quint64{64 * 512 * 4}); // token_embd / output: [64, 512] F32
        QCOMPARE(shown.back(), quint64{64 * 4});  // a norm vector: [64] F32
        const QString top = panel->tensorProxy()->index(0, TensorTableModel::kName).data().toString();
        QVERIFY2(top == QStringLiteral("token_embd.weight") || top == QStringLiteral("output.weight"),
                 qPrintable(top));
        // Displayed text is human-formatted; the sort role keeps the exact number.
        QCOMPARE(panel->tensorProxy()->index(0, TensorTableModel::kShape).data().toString(),
                 QStringLiteral("[64, 512]"));
        QCOMPARE(panel->tensorProxy()->index(0, TensorTableModel::kType).data().toString(),
                 QString::fromStdString(std::string(wb::ggmlTypeName(wb::GgmlType::F32))));

        // The name filter narrows the table.
        panel->tensorProxy()->setFilterFixedString(QStringLiteral("blk.0."));
        QCOMPARE(panel->tensorProxy()->rowCount(), 9);
    }

    void truncatedFileShowsErrorAndWindowSurvives() {
        WB_REQUIRE_MODEL(kStories, path);
        QFile source(path);
        QVERIFY(source.open(QIODevice::ReadOnly));
        const QByteArray whole = source.readAll();
        // Cut inside the metadata (the vocabulary array), so the parser runs off the end of the file.
        const QString truncated =
            writeFile(scratch_.filePath(QStringLiteral("truncated.gguf")), whole.left(4000));
        QVERIFY(!truncated.isEmpty());
        QString expected;
        try {
            (void)wb::gguf::GgufFile::open(truncated.toStdString());
            QFAIL("the truncated file parsed");
        } catch (const wb::gguf::GgufError& error) {
            expected = QString::fromStdString(error.what());
        }
        QVERIFY(expected.contains(QStringLiteral("at byte")));

        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy failures(&window, &MainWindow::openFailed);
        window.openModelFile(truncated);
        QCOMPARE(failures.count(), 1);
        QCOMPARE(window.lastError(), expected);
        QMessageBox* box = errorDialog(window);
        QVERIFY(box != nullptr);
        QVERIFY(box->isVisible());
        QCOMPARE(box->informativeText(), expected);
        QVERIFY(window.isVisible());
        QVERIFY(window.isShowingStartPage());
        QVERIFY(!window.recentFiles()->paths().contains(truncated)); // failures are not remembered
        dismissErrorDialog(window);

        // Still working: the real model opens afterwards and a second bad file keeps it on screen.
        window.openModelFile(path);
        QVERIFY(window.lastError().isEmpty());
        QCOMPARE(window.modelPanel()->tensorProxy()->rowCount(), 48);
        window.openModelFile(truncated);
        QCOMPARE(window.lastError(), expected);
        QVERIFY(!window.isShowingStartPage());
        QCOMPARE(window.modelPanel()->tensorProxy()->rowCount(), 48);
        dismissErrorDialog(window);
    }

    void badFilesWithoutModelsNeverCrash() {
        MainWindow window;
        window.show();
        const QString notGguf = writeFile(scratch_.filePath(QStringLiteral("text.gguf")),
                                          QByteArray("this is not a model file at all"));
        window.openModelFile(notGguf);
        QVERIFY2(window.lastError().contains(QStringLiteral("magic")), qPrintable(window.lastError()));
        dismissErrorDialog(window);
        const QString empty = writeFile(scratch_.filePath(QStringLiteral("empty.gguf")), QByteArray());
        window.openModelFile(empty);
        QVERIFY(!window.lastError().isEmpty());
        dismissErrorDialog(window);
        window.openModelFile(scratch_.filePath(QStringLiteral("missing.gguf")));
        QVERIFY2(window.lastError().contains(QStringLiteral("no such file")), qPrintable(window.lastError()));
        dismissErrorDialog(window);
        window.openModelFile(scratch_.path()); // a folder
        QVERIFY(!window.lastError().isEmpty());
        dismissErrorDialog(window);
        QVERIFY(window.isShowingStartPage());
        QVERIFY(window.isVisible());
    }

    void recentFilesUpdatedAndPersisted() {
        WB_REQUIRE_MODEL(kStories, path);
        const QString copy = scratch_.filePath(QStringLiteral("copy of stories.gguf"));
        QFile::remove(copy);
        QVERIFY(QFile::copy(path, copy));
        {
            MainWindow window;
            launchWithArguments(window, {path});
            window.openModelFile(copy);
            const QStringList recent = window.recentFiles()->paths();
            QCOMPARE(recent.size(), 2);
            QCOMPARE(recent.at(0), QFileInfo(copy).absoluteFilePath());
            QCOMPARE(recent.at(1), QFileInfo(path).absoluteFilePath());
            // The File › Recent models menu lists them newest first.
            QStringList menuPaths;
            for (QAction* action : window.recentMenu()->actions())
                if (!action->data().toString().isEmpty()) menuPaths << action->data().toString();
            QCOMPARE(menuPaths, recent);
            window.close();
        }
        // Stored in the temporary settings file, read back by a fresh settings object and a new window.
        QSettings stored(appSettingsLocation(), QSettings::IniFormat);
        QCOMPARE(stored.value(settings_keys::kRecentModels).toStringList().value(0),
                 QFileInfo(copy).absoluteFilePath());
        QVERIFY(stored.contains(settings_keys::kWindowGeometry));
        MainWindow again;
        QCOMPARE(again.recentFiles()->paths().size(), 2);
        // Reopening moves an entry to the front instead of duplicating it; a deleted file drops out.
        again.openModelFile(path);
        QCOMPARE(again.recentFiles()->paths().size(), 2);
        QCOMPARE(again.recentFiles()->paths().at(0), QFileInfo(path).absoluteFilePath());
        QVERIFY(QFile::remove(copy));
        again.openModelFile(copy);
        dismissErrorDialog(again);
        QCOMPARE(again.recentFiles()->paths(), QStringList{QFileInfo(path).absoluteFilePath()});
    }

    void recentListKeepsAtMostTenEntries() {
        RecentFiles recent;
        for (int k = 0; k < 14; ++k)
            recent.add(scratch_.filePath(QStringLiteral("m%1.gguf").arg(k)));
        QCOMPARE(recent.paths().size(), RecentFiles::kMaxEntries);
        QCOMPARE(recent.paths().front(), scratch_.filePath(QStringLiteral("m13.gguf")));
        RecentFiles reread;
        QCOMPARE(reread.paths(), recent.paths());
        recent.clear();
        QVERIFY(RecentFiles().paths().isEmpty());
    }

    void dropOpensGgufAndIgnoresOtherFiles() {
        WB_REQUIRE_MODEL(kStories, path);
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        QMimeData text;
        text.setUrls({QUrl::fromLocalFile(scratch_.filePath(QStringLiteral("notes.txt")))});
        QDragEnterEvent enterText(QPoint(10, 10), Qt::CopyAction, &text, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &enterText);
        QVERIFY(!enterText.isAccepted());

        QMimeData model;
        model.setUrls({QUrl::fromLocalFile(path)});
        QDragEnterEvent enterModel(QPoint(10, 10), Qt::CopyAction, &model, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &enterModel);
        QVERIFY(enterModel.isAccepted());
        QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &model, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &drop);
        QVERIFY(!window.isShowingStartPage());
        QCOMPARE(window.modelPanel()->tensorProxy()->rowCount(), 48);
    }

    void aboutNamesVersionAndLicenses() {
        const QString about = aboutHtml();
        QVERIFY(about.contains(applicationVersion()));
        QVERIFY(!applicationVersion().isEmpty());
        for (const char* expected : {"GPL-3.0-or-later", "QCustomPlot — GPL-3.0", "LGPL-3.0",
                                     "oneTBB — Apache-2.0", "Eigen — MPL-2.0", "nlohmann-json — MIT"})
            QVERIFY2(about.contains(QString::fromUtf8(expected)), expected);
    }

    void workspaceTabsAcceptNewPanels() {
        MainWindow window;
        const int before = window.workspaces()->count(); // Model, Performance (ui/charts)
        QCOMPARE(window.workspaces()->tabText(0), QStringLiteral("Model"));
        const int index =
            window.addWorkspace(new QLabel(QStringLiteral("chat goes here")), QStringLiteral("Chat"));
        QCOMPARE(index, before);
        QCOMPARE(window.workspaces()->tabText(index), QStringLiteral("Chat"));
    }

    void workspaceTabsAndViewMenu() {
        MainWindow window;
        window.setPersistWindowState(false);
        QTabWidget* tabs = window.workspaces();
        QStringList titles;
        for (int k = 0; k < tabs->count(); ++k)
            titles << tabs->tabText(k);
        QStringList expected{QStringLiteral("Model"), QStringLiteral("Chat"), QStringLiteral("Performance")};
#ifdef WB_HAVE_SIMVIEWS
        expected << QStringLiteral("LPU Simulator");
        QCOMPARE(tabs->indexOf(window.simulatorPanel()), 3);
#endif
        QCOMPARE(titles, expected);
        // No workspace forces a wide window (the simulator panel scrolls inside its tab instead).
        QVERIFY2(window.minimumSizeHint().width() <= 1024,
                 qPrintable(QString::number(window.minimumSizeHint().width())));
        // View › <tab> (Ctrl+1…) switches to each workspace.
        for (int k = tabs->count() - 1; k >= 0; --k) {
            QAction* action = menuAction(window, "viewMenu", titles[k]);
            QVERIFY2(action != nullptr, qPrintable(titles[k]));
            QCOMPARE(action->shortcut(), QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + k)));
            action->trigger();
            QCOMPARE(tabs->currentIndex(), k);
        }
    }

    void simulatorTabFollowsOpenModel() {
#ifndef WB_HAVE_SIMVIEWS
        QSKIP("built without the simulator views (wb_simviews)");
#else
        WB_REQUIRE_MODEL(kStories, path);
        MainWindow window;
        window.setPersistWindowState(false);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        wb::simviews::SimulatorPanel* panel = window.simulatorPanel();
        QVERIFY(panel != nullptr);
        QVERIFY(panel->modelFile().isEmpty());
        const auto before = panel->currentRequest();
        QCOMPARE(before.modelPresetOrPath, std::string("llama-2-70b"));
        // A hidden tab does not simulate (it would take the cores from the engine).
        QTest::qWait(100);
        QCOMPARE(panel->runner()->completedRuns() + panel->runner()->jobsInFlight(), 0);

        window.openModelFile(path);
        QVERIFY(window.lastError().isEmpty());
        QCOMPARE(QFileInfo(panel->modelFile()).canonicalFilePath(), QFileInfo(path).canonicalFilePath());
        const auto request = panel->currentRequest();
        QCOMPARE(request.modelPresetOrPath, panel->modelFile().toStdString());
        QCOMPARE(request.options.chips, 0); // the planner sizes the deployment to this model

        QAction* show = menuAction(window, "viewMenu", QStringLiteral("LPU Simulator"));
        QVERIFY(show != nullptr);
        show->trigger();
        QCOMPARE(window.workspaces()->currentWidget(), panel);
        QTRY_VERIFY_WITH_TIMEOUT(!panel->simulationPending(), 60000);
        QVERIFY2(panel->errorText().isEmpty(), qPrintable(panel->errorText()));
        QVERIFY(panel->result() != nullptr);
        const auto arch = wb::sim::resolveModel(path.toStdString());
        QCOMPARE(panel->result()->model.layers, arch.layers);
        QCOMPARE(panel->result()->model.hidden, arch.hidden);
        QCOMPARE(panel->result()->summary.chips, panel->result()->lpu->plan.minimumChips);

        // Closing the model returns to the preset and chip count in use before.
        window.closeModel();
        QVERIFY(panel->modelFile().isEmpty());
        const auto after = panel->currentRequest();
        QCOMPARE(after.modelPresetOrPath, before.modelPresetOrPath);
        QCOMPARE(after.options.chips, before.options.chips);
        QTRY_VERIFY_WITH_TIMEOUT(!panel->simulationPending(), 60000);
        QVERIFY2(panel->errorText().isEmpty(), qPrintable(panel->errorText()));
        QCOMPARE(panel->result()->model.name, wb::sim::modelPreset("llama-2-70b").name);
        QCOMPARE(panel->result()->summary.chips, before.options.chips);
#endif
    }

    void closingDuringLongSimulationDoesNotHang() {
#ifndef WB_HAVE_SIMVIEWS
        QSKIP("built without the simulator views (wb_simviews)");
#else
        auto window = std::make_unique<MainWindow>();
        window->setPersistWindowState(false);
        window->show();
        wb::simviews::SimulatorPanel* panel = window->simulatorPanel();
        window->workspaces()->setCurrentWidget(panel);
        // Llama-3.1-405B, 32k context, 8 users on the planner's chips: about half a second unloaded.
        panel->setModelPreset(QStringLiteral("llama-3.1-405b"));
        panel->setChips(0);
        panel->setContext(32768);
        panel->setBatch(8);
        panel->simulateNow();
        QVERIFY(panel->runner()->busy());
        QTest::qWait(50);
        QVERIFY(window->close());
        QVERIFY(!panel->runner()->busy()); // cancelled by the close, nothing more will be shown
        QElapsedTimer clock;
        clock.start();
        window.reset(); // a hang here would hit the test's timeout
        qInfo("window destroyed %lld ms after close during a simulation",
              static_cast<long long>(clock.elapsed()));
#endif
    }

    void exportTraceAfterGeneration() {
        WB_REQUIRE_MODEL(kStories, path);
        MainWindow window;
        window.setPersistWindowState(false);
        window.show();
        QAction* exportAction = window.exportTraceAction();
        QVERIFY(exportAction != nullptr);
        QCOMPARE(menuAction(window, "fileMenu", exportAction->text()), exportAction);
        QVERIFY(!exportAction->isEnabled()); // no run yet
        window.openModelFile(path);
        ChatWorkspace* chat = window.chatWorkspace();
        GenerationController* generation = chat->generation();
        QTRY_VERIFY_WITH_TIMEOUT(generation->hasModel() && !generation->isLoading(), 20000);
        QVERIFY(!exportAction->isEnabled()); // a loaded model is not a run

        chat->modeBox()->setCurrentIndex(chat->modeBox()->findData(int(PromptMode::Raw)));
        chat->setMode(PromptMode::Raw);
        chat->samplingPanel()->maxTokensBox()->setValue(8);
        QSignalSpy done(chat, &ChatWorkspace::generationDone);
        chat->input()->setPlainText(QStringLiteral("Once upon a time"));
        QTest::mouseClick(chat->sendButton(), Qt::LeftButton);
        QVERIFY(done.count() > 0 || done.wait(60000));
        const auto& aggregator = window.performancePanel()->aggregator();
        QVERIFY(aggregator.passCount() > 0);
        QVERIFY(exportAction->isEnabled());

        const QString out = scratch_.filePath(QStringLiteral("menu-trace.json"));
        QFile::remove(out);
        exportAction->trigger();
        auto* dialog = window.findChild<QFileDialog*>(QStringLiteral("exportTraceDialog"));
        QVERIFY(dialog != nullptr);
        QVERIFY(dialog->isVisible());
        dialog->selectFile(out);
        static_cast<QDialog*>(dialog)->accept(); // what the Save button does
        QVERIFY(QFileInfo::exists(out));

        QFile file(out);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        QJsonParseError error{};
        const QJsonDocument document = QJsonDocument::fromJson(bytes, &error);
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        const QJsonArray events = document.object().value(QStringLiteral("traceEvents")).toArray();
        QVERIFY(!events.isEmpty());
        qsizetype tokens = 0;
        int maxLayer = -1;
        for (const QJsonValue& value : events) {
            const QJsonObject event = value.toObject();
            if (event.value(QStringLiteral("ph")).toString() != QStringLiteral("X")) continue;
            const QString category = event.value(QStringLiteral("cat")).toString();
            if (category == QStringLiteral("token")) ++tokens;
            if (category == QStringLiteral("layer"))
                maxLayer =
                    std::max(maxLayer, event.value(QStringLiteral("args")).toObject().value("layer").toInt());
        }
        QCOMPARE(tokens, static_cast<qsizetype>(aggregator.passCount())); // one span per pass of the run
        QCOMPARE(maxLayer + 1, aggregator.layerCount());
        QCOMPARE(aggregator.layerCount(), 5); // stories260K

        // The same writer as the Performance panel's Export button: the same bytes.
        const QString viaPanel = scratch_.filePath(QStringLiteral("panel-trace.json"));
        QVERIFY(window.performancePanel()->exportChromeTrace(viaPanel));
        QFile panelFile(viaPanel);
        QVERIFY(panelFile.open(QIODevice::ReadOnly));
        QCOMPARE(panelFile.readAll(), bytes);

        // An unwritable path is reported, not silently ignored.
        QVERIFY(!window.exportTrace(scratch_.filePath(QStringLiteral("no/such/folder/trace.json"))));
        auto* box = window.findChild<QMessageBox*>();
        QVERIFY(box != nullptr);
        box->close();
    }

    void screenshotOptionWritesPng_data() {
        QTest::addColumn<bool>("withModel");
        QTest::newRow("start page") << false;
        QTest::newRow("stories260K") << true;
    }

    void screenshotOptionWritesPng() {
        QFETCH(bool, withModel);
        QStringList arguments;
        if (withModel) {
            WB_REQUIRE_MODEL(kStories, path);
            arguments << path;
        }
        const QString png = scratch_.filePath(QStringLiteral("shot-%1.png").arg(withModel));
        QFile::remove(png);
        arguments << QStringLiteral("--screenshot") << png;

        QProcess process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        environment.insert(QStringLiteral("WB_SETTINGS_DIR"),
                           scratch_.filePath(QStringLiteral("shot-settings")));
        process.setProcessEnvironment(environment);
        process.start(QStringLiteral(WB_GUI_EXECUTABLE), arguments);
        QVERIFY(process.waitForFinished(60'000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());

        QFile file(png);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.read(8), QByteArray("\x89PNG\r\n\x1a\n", 8));
        file.close();
        QImage image(png);
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), QSize(1280, 800));
        // A blank or single-colour grab would mean nothing was drawn (e.g. missing fonts).
        std::set<QRgb> colours;
        for (int y = 0; y < image.height(); y += 4)
            for (int x = 0; x < image.width(); x += 4)
                colours.insert(image.pixel(x, y));
        QVERIFY2(colours.size() > 20, qPrintable(QString::number(colours.size())));
    }

    void screenshotOfBrokenModelFailsCleanly() {
        const QString bad = writeFile(scratch_.filePath(QStringLiteral("bad.gguf")), QByteArray("GGUF"));
        const QString png = scratch_.filePath(QStringLiteral("bad.png"));
        QProcess process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        environment.insert(QStringLiteral("WB_SETTINGS_DIR"),
                           scratch_.filePath(QStringLiteral("shot-settings")));
        process.setProcessEnvironment(environment);
        process.start(QStringLiteral(WB_GUI_EXECUTABLE), {bad, QStringLiteral("--screenshot"), png});
        QVERIFY(process.waitForFinished(60'000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit); // no crash
        QCOMPARE(process.exitCode(), 1);
        QVERIFY(process.readAllStandardError().contains("invalid GGUF"));
        QVERIFY(QImage(png).width() > 0); // the window (start page) is still captured
    }
};

QTEST_MAIN(GuiTest)
#include "test_gui.moc"
