// What the main window tells the user about state they cannot see otherwise: a failed autosave (a warning in
// the chat panel and the status bar, gone after the next successful save) and, after a cancelled model
// load, the model that is really loaded (the Model tab, title and status line go back to it).
#include "tests/support/test_models.h"

#include "ui/charts/performance_panel.h"
#include "ui/chat/chat_workspace.h"
#include "ui/chat/model_card.h"
#include "ui/chat/sampling_panel.h"
#include "ui/generation_controller.h"
#include "ui/main_window.h"
#include "ui/model_panel.h"
#include "ui/opened_model.h"

#include <QCheckBox>
#include <QDir>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSemaphore>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <memory>

using namespace wb::ui;

namespace {

const char kStories[] = "stories260K.gguf";
const char kTinyLlama[] = "llama-2-tiny-random.gguf";
constexpr int kTimeoutMs = 60'000;

// Holds the generation thread at the first load progress report until release() (or the timeout).
struct LoadGate {
    QSemaphore reached;
    QSemaphore go;
    std::atomic<int> calls{0};
    void install(GenerationController& controller) {
        controller.setLoadProgressHook([this](double) {
            if (calls.fetch_add(1) == 0) {
                reached.release();
                go.tryAcquire(1, kTimeoutMs);
            }
        });
    }
    bool waitReached() { return reached.tryAcquire(1, kTimeoutMs); }
    void release() { go.release(); }
};

QString shownPath(const MainWindow& window) {
    const OpenedModelPtr model = window.modelPanel()->model();
    return model ? QString::fromStdString(model->info.path) : QString();
}

} // namespace

class AppStateTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dataDir_;
    std::unique_ptr<MainWindow> window_;

    ChatWorkspace* chat() const { return window_->chatWorkspace(); }
    GenerationController* generation() const { return chat()->generation(); }
    bool waitForModel() {
        return QTest::qWaitFor([this] { return generation()->hasModel() && !generation()->isLoading(); },
                               kTimeoutMs);
    }
    void openWindow() {
        window_ = std::make_unique<MainWindow>();
        window_->setPersistWindowState(false);
        window_->show();
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dataDir_.isValid());
        qputenv("WB_SETTINGS_DIR", dataDir_.filePath(QStringLiteral("settings")).toUtf8());
        qputenv("XDG_CACHE_HOME", dataDir_.filePath(QStringLiteral("cache")).toUtf8());
    }
    void cleanup() {
        if (window_) generation()->setLoadProgressHook({});
        window_.reset();
        QDir(ChatWorkspace::autosavePath()).removeRecursively();
        QFile::remove(ChatWorkspace::autosavePath());
    }

    // A directory where the autosave file goes makes every save fail (also for root, unlike permissions).
    void failedAutosaveIsShownUntilASaveSucceeds() {
        openWindow();
        QLabel* warning = chat()->autosaveWarning();
        QVERIFY(warning != nullptr);
        QVERIFY(warning->isHidden());
        QVERIFY(QDir().mkpath(ChatWorkspace::autosavePath()));

        chat()->setSystemPrompt(QStringLiteral("Be brief.")); // autosaves at once
        const QString error = chat()->lastAutosaveError();
        QVERIFY(!error.isEmpty());
        QVERIFY(warning->isVisibleTo(chat())); // the Chat tab need not be the current one
        QVERIFY2(warning->text().contains(error), qPrintable(warning->text()));
        QVERIFY(warning->text().contains(QStringLiteral("not saved")));
        QVERIFY2(window_->statusBar()->currentMessage().contains(error),
                 qPrintable(window_->statusBar()->currentMessage()));

        // Fixed (the user freed the path): the next save clears the warning and the status message.
        QVERIFY(QDir(ChatWorkspace::autosavePath()).removeRecursively());
        chat()->setSystemPrompt(QStringLiteral("Be very brief."));
        QVERIFY(chat()->lastAutosaveError().isEmpty());
        QVERIFY(warning->isHidden());
        QVERIFY(window_->statusBar()->currentMessage().isEmpty());
        QVERIFY(QFileInfo(ChatWorkspace::autosavePath()).isFile());
    }

    // A conversation file that cannot be read when the window opens is reported the same way.
    void unreadableAutosaveIsShownAtStart() {
        QVERIFY(QDir().mkpath(QFileInfo(ChatWorkspace::autosavePath()).absolutePath()));
        QFile file(ChatWorkspace::autosavePath());
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{ not json");
        file.close();
        openWindow();
        QVERIFY(!chat()->lastAutosaveError().isEmpty());
        QVERIFY(chat()->autosaveWarning()->isVisibleTo(chat()));
        QVERIFY(window_->statusBar()->currentMessage().contains(chat()->lastAutosaveError()));
    }

    // Opening a second model and cancelling its load: the Model tab showed the new file's header while it
    // loaded; afterwards it shows the model the chat went back to, and the window says so.
    void cancelledLoadShowsTheModelStillLoaded() {
        WB_REQUIRE_MODEL(kStories, stories);
        WB_REQUIRE_MODEL(kTinyLlama, tiny);
        openWindow();
        window_->openModelFile(stories);
        QVERIFY(waitForModel());
        const QString storiesPath = shownPath(*window_);
        QVERIFY(storiesPath.endsWith(QStringLiteral("stories260K.gguf")));
        const QString storiesTitle = window_->windowTitle();

        LoadGate gate;
        gate.install(*generation());
        QSignalSpy cancelled(generation(), &GenerationController::loadCancelled);
        window_->openModelFile(tiny);
        QVERIFY(gate.waitReached());
        QVERIFY(shownPath(*window_).endsWith(QStringLiteral("llama-2-tiny-random.gguf"))); // header parsed
        QTest::mouseClick(chat()->modelCard()->cancelLoadButton(), Qt::LeftButton);
        gate.release();
        QVERIFY(cancelled.wait(kTimeoutMs));
        QCOMPARE(cancelled.at(0).at(1).toBool(), true);
        QCOMPARE(generation()->model()->path, storiesPath);

        QCOMPARE(shownPath(*window_), storiesPath);
        QVERIFY(window_->modelPanel()->summaryText().size() > 0);
        QCOMPARE(window_->windowTitle(), storiesTitle);
        QVERIFY(window_->windowTitle().contains(QStringLiteral("stories260K.gguf")));
        QVERIFY(!window_->isShowingStartPage());
        QVERIFY(window_->statusBar()->currentMessage().contains(QStringLiteral("cancelled")));
    }

    // Cancelling the first load: nothing is loaded, so the window goes back to the start page.
    void cancelledFirstLoadShowsNoModel() {
        WB_REQUIRE_MODEL(kStories, stories);
        openWindow();
        LoadGate gate;
        gate.install(*generation());
        QSignalSpy cancelled(generation(), &GenerationController::loadCancelled);
        window_->openModelFile(stories);
        QVERIFY(gate.waitReached());
        QVERIFY(!window_->isShowingStartPage());
        chat()->stop(); // Esc
        gate.release();
        QVERIFY(cancelled.wait(kTimeoutMs));
        QCOMPARE(cancelled.at(0).at(1).toBool(), false);
        QVERIFY(!generation()->hasModel());
        QVERIFY(window_->isShowingStartPage());
        QVERIFY(window_->modelPanel()->model() == nullptr);
        QVERIFY(!window_->windowTitle().contains(QStringLiteral("stories260K")));

        // The same file opens normally afterwards.
        generation()->setLoadProgressHook({});
        window_->openModelFile(stories);
        QVERIFY(waitForModel());
        QVERIFY(shownPath(*window_).endsWith(QStringLiteral("stories260K.gguf")));
        QVERIFY(!window_->isShowingStartPage());
    }

    // File › Close model while a second model loads: the load stops (it does not read the whole file
    // first), nothing stays loaded, and the window shows the start page.
    void closeModelDuringALoadCancelsIt() {
        WB_REQUIRE_MODEL(kStories, stories);
        WB_REQUIRE_MODEL(kTinyLlama, tiny);
        openWindow();
        window_->openModelFile(stories);
        QVERIFY(waitForModel());
        LoadGate gate;
        gate.install(*generation());
        QSignalSpy cancelled(generation(), &GenerationController::loadCancelled);
        QSignalSpy unloaded(generation(), &GenerationController::modelUnloaded);
        window_->openModelFile(tiny);
        QVERIFY(gate.waitReached());
        window_->closeModel();
        gate.release();
        QVERIFY(unloaded.wait(kTimeoutMs));
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(gate.calls.load(), 1); // stopped at the report during which Close was chosen
        QVERIFY(!generation()->hasModel());
        QVERIFY(!generation()->isLoading());
        QVERIFY(window_->isShowingStartPage());
        QVERIFY(window_->modelPanel()->model() == nullptr);
    }

    // With "Live performance charts" off, the Performance tab says why the run is not charted instead of
    // inviting the user to run a generation; with them on, it counts the run's passes.
    void performanceTabSaysWhenChartsAreOff() {
        WB_REQUIRE_MODEL(kStories, stories);
        openWindow();
        window_->openModelFile(stories);
        QVERIFY(waitForModel());
        auto* status = window_->performancePanel()->findChild<QLabel*>(QStringLiteral("performanceStatus"));
        QVERIFY(status != nullptr);
        SamplingPanel* sampling = chat()->samplingPanel();
        sampling->maxTokensBox()->setValue(8);
        for (const bool charts : {false, true}) {
            sampling->telemetryBox()->setChecked(charts);
            QSignalSpy done(chat(), &ChatWorkspace::generationDone);
            chat()->input()->setPlainText(QStringLiteral("Once upon a time"));
            QVERIFY(chat()->send());
            QVERIFY(done.wait(kTimeoutMs));
            window_->workspaces()->setCurrentWidget(window_->performancePanel());
            QTest::qWait(2 * wb::ui::charts::PerformancePanel::kRefreshIntervalMs);
            window_->performancePanel()->refreshNow();
            if (charts) {
                QVERIFY2(status->text().contains(QStringLiteral("passes")), qPrintable(status->text()));
            } else {
                QVERIFY2(status->text().contains(QStringLiteral("not charted")), qPrintable(status->text()));
            }
            window_->workspaces()->setCurrentIndex(0);
        }
    }
};

QTEST_MAIN(AppStateTest)
#include "test_app_state.moc"
