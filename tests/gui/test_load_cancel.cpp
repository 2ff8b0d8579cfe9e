// Cancelling a model load: the engine's Model::load with a cancel flag (nothing stays mapped), and the
// Chat workspace's Cancel button and Esc, which stop the load on the generation thread and go back to the
// model loaded before (or to none). The loads are held at their first progress report by the worker's test
// hook, so the cancel always lands in the middle of a load, whatever the machine's speed.
#include "tests/support/test_models.h"

#include "engine/model/model.h"
#include "ui/chat/chat_workspace.h"
#include "ui/chat/model_card.h"
#include "ui/chat/sampling_panel.h"
#include "ui/generation_controller.h"

#include <QAction>
#include <QFile>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSemaphore>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QtTest>

#include <atomic>
#include <memory>
#include <vector>

using namespace wb::ui;

namespace {

const char kStories[] = "stories260K.gguf";
const char kTinyLlama[] = "llama-2-tiny-random.gguf";
constexpr int kTimeoutMs = 60'000;

// Lines of /proc/self/maps that map `path` (a model file left mapped would show here).
int mappingsOf(const QString& path) {
    QFile maps(QStringLiteral("/proc/self/maps"));
    if (!maps.open(QIODevice::ReadOnly)) return -1;
    const QByteArray canonical = QFileInfo(path).canonicalFilePath().toUtf8();
    int count = 0;
    for (const QByteArray& line : maps.readAll().split('\n'))
        if (line.endsWith(canonical)) ++count;
    return count;
}

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

} // namespace

class LoadCancelTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dataDir_;

    static bool waitForModel(ChatWorkspace& chat) {
        return QTest::qWaitFor(
            [&] { return chat.generation()->hasModel() && !chat.generation()->isLoading(); }, kTimeoutMs);
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dataDir_.isValid());
        qputenv("WB_SETTINGS_DIR", dataDir_.filePath(QStringLiteral("settings")).toUtf8());
        qputenv("XDG_CACHE_HOME", dataDir_.filePath(QStringLiteral("cache")).toUtf8());
    }

    // The engine: a flag raised by the first progress report stops the load with LoadCancelledError, the
    // progress is not called again, and the file is no longer mapped.
    void engineLoadCancelledOnFirstProgress() {
        WB_REQUIRE_MODEL(kStories, path);
        QCOMPARE(mappingsOf(path), 0);
        std::atomic<bool> cancel{false};
        int calls = 0;
        wb::LoadOptions options;
        options.readIntoMemory = true;
        options.cancel = &cancel;
        options.progress = [&](double) {
            ++calls;
            QVERIFY(mappingsOf(path) > 0); // mapped while loading
            cancel.store(true);
        };
        QVERIFY_THROWS_EXCEPTION(wb::LoadCancelledError, wb::Model::load(path.toStdString(), options));
        QCOMPARE(calls, 1);
        QCOMPARE(mappingsOf(path), 0);
        // A flag already raised: nothing is opened at all.
        calls = 0;
        QVERIFY_THROWS_EXCEPTION(wb::LoadCancelledError, wb::Model::load(path.toStdString(), options));
        QCOMPARE(calls, 0);
        // A copy into 2 MiB pages reports while it reads, so the flag stops it there, at the first chunk.
        cancel.store(false);
        options.placement = wb::FilePlacement::HugePageCopy;
        options.progress = [&](double) {
            ++calls;
            cancel.store(true);
        };
        QVERIFY_THROWS_EXCEPTION(wb::LoadCancelledError, wb::Model::load(path.toStdString(), options));
        QCOMPARE(calls, 1);
    }

    // Without a cancel the progress rises to 1 and the model is the one a plain load gives, mapped or copied.
    void engineLoadReportsProgress() {
        WB_REQUIRE_MODEL(kStories, path);
        const auto plain = wb::Model::load(path.toStdString());
        for (const auto placement : {wb::FilePlacement::Mapped, wb::FilePlacement::HugePageCopy}) {
            std::atomic<bool> cancel{false};
            std::vector<double> seen;
            wb::LoadOptions options;
            options.readIntoMemory = true;
            options.placement = placement;
            options.cancel = &cancel;
            options.progress = [&](double fraction) { seen.push_back(fraction); };
            const auto model = wb::Model::load(path.toStdString(), options);
            QCOMPARE(model->file().placement(), placement);
            QVERIFY(seen.size() >= 2);
            QCOMPARE(seen.back(), 1.0);
            if (placement == wb::FilePlacement::Mapped) QCOMPARE(seen.front(), 0.0);
            QVERIFY(std::is_sorted(seen.begin(), seen.end()));
            QCOMPARE(model->config().blockCount, plain->config().blockCount);
            QCOMPARE(model->weightBytes(), plain->weightBytes());
        }
    }

    // Cancel (the button) while another model loads: the previous model comes back, usable, and the
    // cancelled file is no longer mapped.
    void cancelButtonRestoresPreviousModel() {
        WB_REQUIRE_MODEL(kStories, stories);
        WB_REQUIRE_MODEL(kTinyLlama, tiny);
        ChatWorkspace chat;
        chat.show();
        GenerationController& generation = *chat.generation();
        chat.loadModel(stories);
        QVERIFY(waitForModel(chat));
        QCOMPARE(generation.model()->path, stories);
        QVERIFY(chat.modelCard()->cancelLoadButton()->isHidden());

        LoadGate gate;
        gate.install(generation);
        QSignalSpy cancelled(&generation, &GenerationController::loadCancelled);
        chat.loadModel(tiny);
        QVERIFY(generation.canCancelLoad());
        QVERIFY(gate.waitReached());
        QPushButton* cancel = chat.modelCard()->cancelLoadButton();
        QVERIFY(cancel->isVisible());
        QVERIFY(cancel->isEnabled());
        QVERIFY(chat.modelCard()->progressBar()->isVisible());
        QVERIFY(!chat.sendButton()->isEnabled());
        QTest::mouseClick(cancel, Qt::LeftButton);
        gate.release();
        QVERIFY(cancelled.wait(kTimeoutMs));
        QCOMPARE(cancelled.at(0).at(0).toString(), tiny);
        QCOMPARE(cancelled.at(0).at(1).toBool(), true);
        QCOMPARE(gate.calls.load(), 1); // the load stopped at the report after which Cancel was pressed
        QVERIFY(!generation.isLoading());
        QVERIFY(generation.hasModel());
        QCOMPARE(generation.model()->path, stories);
        QVERIFY(chat.modelCard()->text().contains(QStringLiteral("stories260K.gguf")));
        QVERIFY(chat.modelCard()->cancelLoadButton()->isHidden());
        QCOMPARE(mappingsOf(tiny), 0);
        QVERIFY(mappingsOf(stories) > 0);

        // The restored model generates.
        generation.setLoadProgressHook({});
        QVERIFY(chat.samplingPanel()->applyPreset(QStringLiteral("Precise (greedy)")));
        chat.samplingPanel()->maxTokensBox()->setValue(8);
        chat.setMode(PromptMode::Raw);
        QSignalSpy done(&chat, &ChatWorkspace::generationDone);
        chat.input()->setPlainText(QStringLiteral("Once upon a time"));
        QVERIFY(chat.send());
        QVERIFY(done.wait(kTimeoutMs));
        QCOMPARE(chat.conversation().messages.back().stats.generatedTokens, 8);

        // A load after the cancel goes through as usual.
        chat.loadModel(tiny);
        QVERIFY(waitForModel(chat));
        QCOMPARE(generation.model()->path, tiny);
        QCOMPARE(mappingsOf(stories), 0); // the previous model is released once the new one is in
    }

    // Esc with no model loaded before: back to "No model loaded", nothing mapped; repeated cancels leave
    // nothing behind.
    void escCancelsFirstLoad() {
        WB_REQUIRE_MODEL(kStories, stories);
        ChatWorkspace chat;
        chat.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chat));
        chat.activateWindow();
        GenerationController& generation = *chat.generation();
        QVERIFY(!generation.hasModel());
        QVERIFY(!chat.stopAction()->isEnabled());
        for (int round = 0; round < 5; ++round) {
            LoadGate gate;
            gate.install(generation);
            QSignalSpy cancelled(&generation, &GenerationController::loadCancelled);
            chat.loadModel(stories);
            QVERIFY(gate.waitReached());
            QVERIFY(chat.stopAction()->isEnabled());
            QCOMPARE(chat.stopAction()->shortcut(), QKeySequence(Qt::Key_Escape));
            if (round == 0)
                QTest::keyClick(&chat, Qt::Key_Escape);
            else
                chat.stopAction()->trigger();
            gate.release();
            QVERIFY(cancelled.wait(kTimeoutMs));
            QCOMPARE(cancelled.at(0).at(1).toBool(), false);
            QVERIFY(!generation.hasModel());
            QVERIFY(!generation.isLoading());
            QVERIFY(chat.modelCard()->text().contains(QStringLiteral("cancelled")));
            QVERIFY(chat.modelCard()->progressBar()->isHidden());
            QVERIFY(!chat.stopAction()->isEnabled());
            QCOMPARE(mappingsOf(stories), 0);
            generation.setLoadProgressHook({});
        }
        // And then it loads.
        chat.loadModel(stories);
        QVERIFY(waitForModel(chat));
        QVERIFY(mappingsOf(stories) > 0);
    }
};

QTEST_MAIN(LoadCancelTest)
#include "test_load_cancel.moc"
