// The desktop app's chat path, driven offscreen the way a user drives it: buttons, keys, the sampling
// panel. Checks the greedy transcript against llama.cpp's reference, Stop, autosave (also a failed write),
// per-message statistics, exports, presets, each control group, and how long the GUI thread ever stalls
// during a generation (a 10 ms watchdog timer measuring the largest gap between its ticks).
#include "tests/support/test_models.h"

#include "engine/model/inference_context.h"
#include "engine/model/kv_memory.h"
#include "engine/model/model.h"
#include "ui/app_launcher.h"
#include "ui/charts/performance_panel.h"
#include "ui/chat/chat_workspace.h"
#include "ui/chat/conversation.h"
#include "ui/chat/model_card.h"
#include "ui/chat/sampling_panel.h"
#include "ui/demo_model.h"
#include "ui/generation_controller.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QSemaphore>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QThread>
#include <QtTest>

#include <algorithm>
#include <csignal>
#include <memory>
#include <sys/resource.h>
#include <vector>

using namespace wb::ui;

namespace {

const char kStories[] = "stories260K.gguf";
constexpr int kLoadTimeoutMs = 20000;
constexpr int kGenerationTimeoutMs = 60000;

QJsonObject readReference(const QString& name) {
    QFile file(QDir(wb::test::referenceDir()).filePath(name));
    if (!file.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

// Largest gap between the ticks of a 10 ms timer on the GUI thread while it runs.
class StallWatchdog : public QObject {
public:
    StallWatchdog() {
        timer_.setInterval(10);
        timer_.setTimerType(Qt::PreciseTimer);
        QObject::connect(&timer_, &QTimer::timeout, this, [this] {
            const qint64 now = clock_.nsecsElapsed();
            maxGapNs_ = std::max(maxGapNs_, now - lastNs_);
            lastNs_ = now;
            ++ticks_;
        });
    }
    void start() {
        clock_.start();
        lastNs_ = 0;
        maxGapNs_ = 0;
        ticks_ = 0;
        timer_.start();
    }
    void stop() {
        timer_.stop();
        const qint64 now = clock_.nsecsElapsed();
        maxGapNs_ = std::max(maxGapNs_, now - lastNs_);
    }
    double maxGapMs() const { return double(maxGapNs_) / 1e6; }
    double elapsedMs() const { return double(clock_.nsecsElapsed()) / 1e6; }
    int ticks() const { return ticks_; }

private:
    QTimer timer_;
    QElapsedTimer clock_;
    qint64 lastNs_ = 0;
    qint64 maxGapNs_ = 0;
    int ticks_ = 0;
};

} // namespace

class AppTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dataDir_;
    std::unique_ptr<MainWindow> window_;

    ChatWorkspace* chat() const { return window_->chatWorkspace(); }
    SamplingPanel* sampling() const { return chat()->samplingPanel(); }

    // A fresh window with `model` loaded for generation (empty: no model).
    bool openWindow(const QString& model) {
        window_ = std::make_unique<MainWindow>();
        window_->setPersistWindowState(false);
        window_->show();
        if (model.isEmpty()) return true;
        window_->openModelFile(model);
        return waitForModel();
    }
    bool waitForModel() {
        GenerationController* generation = chat()->generation();
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < kLoadTimeoutMs) {
            QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
            if (generation->hasModel() && !generation->isLoading()) return true;
        }
        return false;
    }
    // Presses Send with `text` in the box and waits for the reply; returns the new last message.
    bool sendAndWait(const QString& text) {
        QSignalSpy done(chat(), &ChatWorkspace::generationDone);
        chat()->input()->setPlainText(text);
        QTest::mouseClick(chat()->sendButton(), Qt::LeftButton);
        return done.count() > 0 || done.wait(kGenerationTimeoutMs);
    }
    const ConversationMessage& lastMessage() const { return chat()->conversation().messages.back(); }
    void useGreedyRaw(int maxTokens) {
        QVERIFY(sampling()->applyPreset(QStringLiteral("Precise (greedy)")));
        sampling()->maxTokensBox()->setValue(maxTokens);
        chat()->modeBox()->setCurrentIndex(chat()->modeBox()->findData(int(PromptMode::Raw)));
        chat()->setMode(PromptMode::Raw);
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dataDir_.isValid());
        qputenv("WB_SETTINGS_DIR", dataDir_.filePath(QStringLiteral("settings")).toUtf8());
        qputenv("XDG_CACHE_HOME", dataDir_.filePath(QStringLiteral("cache")).toUtf8());
        QStandardPaths::setTestModeEnabled(false);
    }

    void init() {
        QFile::remove(ChatWorkspace::autosavePath()); // every test starts with an empty conversation
    }

    void cleanup() { window_.reset(); }

    // The issue's acceptance check: greedy raw completion through the UI equals llama.cpp's greedy text.
    void greedyTranscriptMatchesReference() {
        WB_REQUIRE_MODEL(kStories, model);
        const QJsonObject reference = readReference(QStringLiteral("stories260K.greedy.p1.json"));
        QVERIFY(!reference.isEmpty());
        QVERIFY(openWindow(model));
        useGreedyRaw(reference.value("n_predict").toInt());
        const QString prompt = reference.value("prompt").toString();
        QVERIFY(sendAndWait(prompt));
        const QString expected = reference.value("greedy_text").toString();
        QCOMPARE(lastMessage().role, QStringLiteral("completion"));
        QCOMPARE(lastMessage().content, expected);
        QVERIFY2(chat()->transcriptText().startsWith(prompt + expected),
                 qPrintable(chat()->transcriptText()));

        // Per-message statistics, kept with the message and shown under it.
        const MessageStats& stats = lastMessage().stats;
        QVERIFY(stats.valid);
        QCOMPARE(stats.promptTokens, reference.value("prompt_ids").toArray().size());
        QCOMPARE(stats.generatedTokens, 64);
        QCOMPARE(stats.stopReason, QStringLiteral("max_tokens"));
        QVERIFY(stats.promptTokensPerSecond > 0);
        QVERIFY(stats.genTokensPerSecond > 0);
        QVERIFY(stats.ttftMs > 0 && stats.ttftMs <= stats.totalMs);
        QCOMPARE(stats.contextUsed, stats.promptTokens + 64);
        QVERIFY(chat()->transcriptText().contains(QStringLiteral("stop: max tokens")));
        QCOMPARE(chat()->contextGauge()->value(), stats.contextUsed);
        QCOMPARE(chat()->contextGauge()->maximum(), stats.contextSize);
    }

    // Esc stops a long generation within one token: the time from Stop to the end is at most about one
    // token's latency plus event-loop delivery, and the reason says "cancelled".
    void stopEndsWithinOneToken() {
        const QString demo = demoModelPath();
        QVERIFY(openWindow({}));
        QSignalSpy ready(chat()->generation(), &GenerationController::demoReady);
        QTest::mouseClick(chat()->modelCard()->demoButton(), Qt::LeftButton);
        QVERIFY(ready.count() > 0 || ready.wait(kLoadTimeoutMs));
        QVERIFY(waitForModel());
        chat()->setMode(PromptMode::Raw);
        sampling()->maxTokensBox()->setValue(-1); // until the context is full: seconds, unless stopped
        QSignalSpy chunks(chat()->generation(), &GenerationController::textAppended);
        QSignalSpy done(chat(), &ChatWorkspace::generationDone);
        chat()->input()->setPlainText(QStringLiteral("hello"));
        QTest::keyClick(chat()->input(), Qt::Key_Return, Qt::ControlModifier); // Ctrl+Enter sends
        QVERIFY(chat()->stopButton()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(chunks.count() >= 3, kGenerationTimeoutMs);
        QElapsedTimer sinceStop;
        sinceStop.start();
        QTest::keyClick(chat()->input(), Qt::Key_Escape);
        QVERIFY(done.count() > 0 || done.wait(kGenerationTimeoutMs));
        const double stopMs = double(sinceStop.nsecsElapsed()) / 1e6;
        const MessageStats& stats = lastMessage().stats;
        QCOMPARE(stats.stopReason, QStringLiteral("cancelled"));
        const double tokenMs = stats.generationMs / std::max(1, stats.generatedTokens - 1);
        qInfo("stop: %.1f ms after Esc; one token takes %.2f ms; %d tokens", stopMs, tokenMs,
              stats.generatedTokens);
        QVERIFY2(stopMs < tokenMs + 50.0, qPrintable(QString::number(stopMs)));
        QVERIFY(stats.generatedTokens < stats.contextSize - stats.promptTokens);
        QVERIFY(!chat()->stopButton()->isEnabled());
        // The demo model is labelled as such.
        QVERIFY(QFileInfo::exists(demo));
        QVERIFY(!chat()->modelCard()->randomWeightsBanner()->isHidden());
        QVERIFY(chat()->modelCard()->text().contains(
            QStringLiteral("random weights — timings are real, text is noise")));
    }

    // The GUI thread never stalls for 50 ms during a generation with live telemetry (Performance tab).
    void guiThreadNeverStalls() {
        WB_REQUIRE_MODEL(kStories, model);
        QVERIFY(openWindow(model));
        useGreedyRaw(-1);
        sampling()->contextLengthBox()->setValue(2048);
        StallWatchdog watchdog;
        QSignalSpy done(chat(), &ChatWorkspace::generationDone);
        chat()->input()->setPlainText(QStringLiteral("Once upon a time"));
        watchdog.start();
        QTest::mouseClick(chat()->sendButton(), Qt::LeftButton);
        QVERIFY(done.wait(kGenerationTimeoutMs));
        watchdog.stop();
        const MessageStats& stats = lastMessage().stats;
        qInfo("GUI watchdog: max gap %.1f ms over %.0f ms (%d ticks), %d tokens at %.0f tokens/s",
              watchdog.maxGapMs(), watchdog.elapsedMs(), watchdog.ticks(), stats.generatedTokens,
              stats.genTokensPerSecond);
        QVERIFY(stats.generatedTokens > 100);
        QVERIFY2(watchdog.maxGapMs() < 50.0, qPrintable(QString::number(watchdog.maxGapMs())));
    }

    // The Performance charts refresh 5 times a second while the engine's threads occupy every processor
    // and 25 times a second when one is free (docs/app.md: painting takes CPU from the engine otherwise).
    void chartsRefreshSlowerWhenTheEngineUsesEveryCore() {
        WB_REQUIRE_MODEL(kStories, model);
        QVERIFY(openWindow(model));
        useGreedyRaw(4);
        const int processors = QThread::idealThreadCount();
        for (const int threads : {processors, std::max(1, processors - 1)}) {
            sampling()->threadsBox()->setValue(threads);
            QVERIFY(sendAndWait(QStringLiteral("Once upon a time")));
            const bool everyCore = threads >= processors;
            QCOMPARE(window_->performancePanel()->refreshIntervalMs(),
                     everyCore ? charts::PerformancePanel::kBusyRefreshIntervalMs
                               : charts::PerformancePanel::kRefreshIntervalMs);
            if (processors == 1) break; // no thread count leaves a processor free
        }
    }

    void autosavedConversationReloads() {
        WB_REQUIRE_MODEL(kStories, model);
        QVERIFY(openWindow(model));
        chat()->setMode(PromptMode::Chat);
        chat()->setSystemPrompt(QStringLiteral("You tell short stories."));
        sampling()->maxTokensBox()->setValue(12);
        QVERIFY(sendAndWait(QStringLiteral("Tell me about a cat.")));
        QVERIFY(sendAndWait(QStringLiteral("And a dog?")));
        const Conversation before = chat()->conversation();
        QCOMPARE(int(before.messages.size()), 4);
        const QString transcript = chat()->transcriptText();
        window_.reset(); // as if the app were closed (or had crashed after the last autosave)

        QVERIFY(openWindow({}));
        const Conversation after = chat()->conversation();
        QCOMPARE(int(after.messages.size()), 4);
        QCOMPARE(after.systemPrompt, before.systemPrompt);
        QCOMPARE(chat()->systemPromptEdit()->text(), before.systemPrompt);
        for (std::size_t i = 0; i < 4; ++i) {
            QCOMPARE(after.messages[i].role, before.messages[i].role);
            QCOMPARE(after.messages[i].content, before.messages[i].content);
            QCOMPARE(after.messages[i].stats.valid, before.messages[i].stats.valid);
            QCOMPARE(after.messages[i].stats.generatedTokens, before.messages[i].stats.generatedTokens);
            QCOMPARE(after.messages[i].stats.ttftMs, before.messages[i].stats.ttftMs);
        }
        QCOMPARE(chat()->transcriptText(), transcript);
    }

    // A write that fails half-way (file size limit, which binds root too) leaves the previous file intact.
    void failedAutosaveKeepsPreviousFile() {
        const QString path = QDir(wb::test::scratchDir()).filePath(QStringLiteral("conversation.json"));
        Conversation first;
        first.messages.push_back(
            {QStringLiteral("user"), QStringLiteral("first version"), {}, QDateTime::currentDateTime()});
        QString error;
        QVERIFY2(saveConversation(first, path, &error), qPrintable(error));
        QFile original(path);
        QVERIFY(original.open(QIODevice::ReadOnly));
        const QByteArray bytes = original.readAll();
        original.close();

        Conversation second = first;
        second.messages.push_back({QStringLiteral("assistant"), QString(200000, QLatin1Char('x')), {}, {}});
        std::signal(SIGXFSZ, SIG_IGN);
        rlimit saved{};
        QCOMPARE(getrlimit(RLIMIT_FSIZE, &saved), 0);
        rlimit small = saved;
        small.rlim_cur = 64 * 1024;
        QCOMPARE(setrlimit(RLIMIT_FSIZE, &small), 0);
        const bool written = saveConversation(second, path, &error);
        setrlimit(RLIMIT_FSIZE, &saved);
        QVERIFY(!written);
        QVERIFY(!error.isEmpty());
        QFile after(path);
        QVERIFY(after.open(QIODevice::ReadOnly));
        QCOMPARE(after.readAll(), bytes);
        QCOMPARE(loadConversation(path).messages.back().content, QStringLiteral("first version"));
        // No temporary file is left behind.
        QCOMPARE(QDir(QFileInfo(path).absolutePath()).entryList(QDir::Files).size(), 1);
        // Bad content is refused with a message naming the field.
        QVERIFY(writeFileAtomically(
            path,
            R"({"format":"inference-workbench-conversation","version":1,"mode":"chat","messages":[{"role":"user"}]})",
            &error));
        try {
            loadConversation(path);
            QFAIL("a message without content was accepted");
        } catch (const ConversationFormatError& e) {
            QVERIFY2(QString(e.what()).contains(QStringLiteral("content")), e.what());
        }
    }

    void exportsMarkdownAndJson() {
        WB_REQUIRE_MODEL(kStories, model);
        QVERIFY(openWindow(model));
        useGreedyRaw(20);
        QVERIFY(sendAndWait(QStringLiteral("Once upon a time")));
        const QString reply = lastMessage().content;
        const QString folder = wb::test::scratchDir();
        QDir().mkpath(folder);
        const QString markdownPath = QDir(folder).filePath(QStringLiteral("c.md"));
        const QString jsonPath = QDir(folder).filePath(QStringLiteral("c.json"));
        QString error;
        QVERIFY2(chat()->exportMarkdown(markdownPath, &error), qPrintable(error));
        QVERIFY2(chat()->exportJson(jsonPath, &error), qPrintable(error));

        QFile markdown(markdownPath);
        QVERIFY(markdown.open(QIODevice::ReadOnly));
        const QString md = QString::fromUtf8(markdown.readAll());
        QVERIFY(md.startsWith(QStringLiteral("# Conversation")));
        QVERIFY(md.contains(QStringLiteral("stories260K.gguf")));
        QVERIFY(md.contains(QStringLiteral("## Prompt\n\n```text\nOnce upon a time\n```")));
        QVERIFY(md.contains(QStringLiteral("## Completion\n\n```text\n") + reply + QStringLiteral("\n```")));
        QVERIFY(md.contains(QStringLiteral("generated: 20 tokens at")));
        QVERIFY(md.contains(QStringLiteral("stop: max tokens")));

        QFile json(jsonPath);
        QVERIFY(json.open(QIODevice::ReadOnly));
        const QJsonObject object = QJsonDocument::fromJson(json.readAll()).object();
        QCOMPARE(object.value("mode").toString(), QStringLiteral("raw"));
        const QJsonArray messages = object.value("messages").toArray();
        QCOMPARE(messages.size(), 2);
        QCOMPARE(messages[1].toObject().value("content").toString(), reply);
        const QJsonObject stats = messages[1].toObject().value("stats").toObject();
        QCOMPARE(stats.value("generated_tokens").toInt(), 20);
        QCOMPARE(stats.value("stop_reason").toString(), QStringLiteral("max_tokens"));
        QVERIFY(stats.value("time_to_first_token_ms").toDouble() > 0);
        QVERIFY(stats.value("generated_tokens_per_second").toDouble() > 0);
        QCOMPARE(loadConversation(jsonPath).messages[1].content, reply);
    }

    void presetsSaveAndLoad() {
        {
            SamplingPanel panel;
            panel.temperatureBox()->setValue(0.35);
            panel.topKBox()->setValue(7);
            panel.topPBox()->setValue(0.5);
            panel.minPBox()->setValue(0.1);
            panel.repeatPenaltyBox()->setValue(1.2);
            panel.repeatWindowBox()->setValue(32);
            panel.seedBox()->setValue(1234);
            panel.maxTokensBox()->setValue(99);
            panel.stopStringsEdit()->setText(QStringLiteral("The end, a\\,b, \\n\\n"));
            panel.threadsBox()->setValue(1);
            panel.contextLengthBox()->setValue(512);
            panel.kvCacheBox()->setCurrentIndex(panel.kvCacheBox()->findData(int(wb::KvCacheType::F32)));
            QString error;
            QVERIFY2(panel.savePreset(QStringLiteral("My story preset"), &error), qPrintable(error));
            QVERIFY(!panel.savePreset(QStringLiteral("Balanced"), &error)); // built-ins are read-only
            QVERIFY(error.contains(QStringLiteral("built-in")));
        }
        SamplingPanel fresh; // reads the saved presets from the settings
        QVERIFY(fresh.presetNames().contains(QStringLiteral("My story preset")));
        QCOMPARE(fresh.settings().sampling.temperature, 0.8f); // starts at Balanced
        QVERIFY(fresh.applyPreset(QStringLiteral("My story preset")));
        const GenerationSettings s = fresh.settings();
        QCOMPARE(s.sampling.temperature, 0.35f);
        QCOMPARE(s.sampling.topK, 7);
        QCOMPARE(s.sampling.topP, 0.5f);
        QCOMPARE(s.sampling.minP, 0.1f);
        QCOMPARE(s.sampling.repeatPenalty, 1.2f);
        QCOMPARE(s.sampling.repeatLastN, 32);
        QCOMPARE(s.sampling.seed, quint64(1234));
        QCOMPARE(s.maxTokens, 99);
        QCOMPARE(s.stopStrings,
                 (QStringList{QStringLiteral("The end"), QStringLiteral("a,b"), QStringLiteral("\n\n")}));
        QCOMPARE(s.threads, 1);
        QCOMPARE(s.contextLength, 512);
        QCOMPARE(s.kvCacheType, wb::KvCacheType::F32);
        // Choosing a preset in the combo box applies it; Delete removes a user preset.
        fresh.presetBox()->setCurrentText(QStringLiteral("Precise (greedy)"));
        Q_EMIT fresh.presetBox()->activated(fresh.presetBox()->currentIndex());
        QCOMPARE(fresh.settings().sampling.temperature, 0.0f);
        fresh.presetBox()->setCurrentText(QStringLiteral("My story preset"));
        QVERIFY(fresh.deletePresetButton()->isEnabled());
        QTest::mouseClick(fresh.deletePresetButton(), Qt::LeftButton);
        QVERIFY(!fresh.presetNames().contains(QStringLiteral("My story preset")));
    }

    // Model controls: the card's numbers, KV memory from the engine at the chosen context, Unload, switch.
    void modelControlsDoWhatTheySay() {
        WB_REQUIRE_MODEL(kStories, model);
        WB_REQUIRE_MODEL("llama-2-tiny-random.gguf", other);
        QVERIFY(openWindow(model));
        ModelCard* card = chat()->modelCard();
        QVERIFY(card->text().contains(QStringLiteral("stories260K.gguf")));
        QVERIFY(card->text().contains(QStringLiteral("llama, 5 layers")));
        QVERIFY(card->text().contains(QStringLiteral("292.8 K")));
        QVERIFY(card->text().contains(QStringLiteral("F32 100%")));
        QVERIFY(card->randomWeightsBanner()->isHidden());
        // The KV number is the engine's, and equals what a real context allocates.
        sampling()->contextLengthBox()->setValue(256);
        sampling()->kvCacheBox()->setCurrentIndex(
            sampling()->kvCacheBox()->findData(int(wb::KvCacheType::F32)));
        const auto loaded = wb::Model::load(model.toStdString());
        wb::ContextOptions options;
        options.contextLength = 256;
        options.kvCacheType = wb::KvCacheType::F32;
        const wb::InferenceContext context(loaded, options);
        QCOMPARE(card->kvBytesShown(), context.kvCacheBytes());
        sampling()->contextLengthBox()->setValue(512);
        QCOMPARE(card->kvBytesShown(), 2 * context.kvCacheBytes());
        QVERIFY(card->text().contains(QStringLiteral("512 tokens")));

        // Unload frees the model: Send is off, the card says so, the window shows the start page.
        QTest::mouseClick(card->unloadButton(), Qt::LeftButton);
        QTRY_VERIFY(!chat()->generation()->hasModel());
        QVERIFY(card->text().contains(QStringLiteral("No model loaded")));
        QVERIFY(!chat()->sendButton()->isEnabled());
        QVERIFY(window_->isShowingStartPage());
        // Switch to another model without restarting; the generation uses it.
        window_->openModelFile(other);
        QVERIFY(waitForModel());
        QVERIFY(card->text().contains(QStringLiteral("llama-2-tiny-random.gguf")));
        chat()->setMode(PromptMode::Raw);
        sampling()->maxTokensBox()->setValue(5);
        QVERIFY(sendAndWait(QStringLiteral("Hello")));
        QCOMPARE(lastMessage().stats.generatedTokens, 5);
        window_->openModelFile(model);
        QVERIFY(waitForModel());
        QVERIFY(card->text().contains(QStringLiteral("stories260K.gguf")));
    }

    // Prompt controls: mode, system prompt, multi-turn chat, Regenerate, Copy, New, Ctrl+Enter.
    void promptControlsDoWhatTheySay() {
        WB_REQUIRE_MODEL(kStories, model);
        QVERIFY(openWindow(model));
        // stories260K has no chat format: a new conversation starts in raw mode and chat mode says why.
        QCOMPARE(chat()->mode(), PromptMode::Raw);
        QVERIFY(!chat()->systemPromptEdit()->isEnabled());
        chat()->setMode(PromptMode::Chat);
        QVERIFY(chat()->systemPromptEdit()->isEnabled());
        chat()->systemPromptEdit()->setText(QStringLiteral("Be brief."));
        sampling()->maxTokensBox()->setValue(8);
        QVERIFY(!chat()->regenerateButton()->isEnabled());
        QVERIFY(sendAndWait(QStringLiteral("Hi")));
        QVERIFY(sendAndWait(QStringLiteral("More")));
        QCOMPARE(int(chat()->conversation().messages.size()), 4);
        QCOMPARE(chat()->conversation().systemPrompt, QStringLiteral("Be brief."));
        // Multi-turn: the second prompt holds the whole conversation, so it is longer than the first.
        QVERIFY(chat()->conversation().messages[3].stats.promptTokens >
                chat()->conversation().messages[1].stats.promptTokens);
        QVERIFY(chat()->transcriptText().contains(QStringLiteral("You\nHi")));
        QVERIFY(chat()->transcriptText().contains(QStringLiteral("Assistant\n")));

        // Regenerate with the same seed gives the same reply, with Random seed a new seed.
        const QString reply = lastMessage().content;
        QSignalSpy done(chat(), &ChatWorkspace::generationDone);
        QTest::mouseClick(chat()->regenerateButton(), Qt::LeftButton);
        QVERIFY(done.wait(kGenerationTimeoutMs));
        QCOMPARE(int(chat()->conversation().messages.size()), 4);
        QCOMPARE(lastMessage().content, reply);
        sampling()->randomSeedBox()->setChecked(true);
        QVERIFY(!sampling()->seedBox()->isEnabled());
        const quint64 seed = lastMessage().stats.seed;
        QTest::mouseClick(chat()->regenerateButton(), Qt::LeftButton);
        QVERIFY(done.wait(kGenerationTimeoutMs));
        QVERIFY(lastMessage().stats.seed != seed);

        // Copy reply (button and Ctrl+Shift+C).
        QApplication::clipboard()->clear();
        QTest::mouseClick(chat()->copyButton(), Qt::LeftButton);
        QCOMPARE(QApplication::clipboard()->text(), lastMessage().content);
        QApplication::clipboard()->setText(QStringLiteral("something else"));
        QTest::keyClick(chat()->input(), Qt::Key_C, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(QApplication::clipboard()->text(), lastMessage().content);

        // Ctrl+Enter sends from the prompt box.
        chat()->input()->setPlainText(QStringLiteral("Again"));
        QTest::keyClick(chat()->input(), Qt::Key_Return, Qt::ControlModifier);
        QVERIFY(done.wait(kGenerationTimeoutMs));
        QCOMPARE(int(chat()->conversation().messages.size()), 6);

        // New starts an empty conversation (the old one is archived next to the autosave).
        QTest::mouseClick(chat()->sendButton(), Qt::LeftButton); // empty box: nothing is sent
        QCOMPARE(int(chat()->conversation().messages.size()), 6);
        chat()->newConversation();
        QVERIFY(chat()->conversation().isEmpty());
        QVERIFY(chat()->transcriptText().isEmpty());
        QVERIFY(QDir(QFileInfo(ChatWorkspace::autosavePath()).absolutePath())
                    .entryList({QStringLiteral("conversation-*.json")})
                    .size() >= 1);
        // Switching mode in a non-empty conversation starts a new one.
        QVERIFY(sendAndWait(QStringLiteral("Hi")));
        chat()->setMode(PromptMode::Raw);
        QVERIFY(chat()->conversation().isEmpty());
    }

    // Sampling controls: max tokens, stop strings, seed, temperature, threads, context length.
    void samplingControlsDoWhatTheySay() {
        WB_REQUIRE_MODEL(kStories, model);
        const QJsonObject reference = readReference(QStringLiteral("stories260K.greedy.p1.json"));
        const QString greedy = reference.value("greedy_text").toString();
        QVERIFY(openWindow(model));
        useGreedyRaw(10);
        QVERIFY(sendAndWait(QStringLiteral("Once upon a time")));
        QCOMPARE(lastMessage().stats.generatedTokens, 10);
        QCOMPARE(lastMessage().stats.stopReason, QStringLiteral("max_tokens"));

        // A stop string ends the reply before it; the string itself is not shown.
        sampling()->maxTokensBox()->setValue(64);
        sampling()->stopStringsEdit()->setText(QStringLiteral("Lily"));
        QVERIFY(sendAndWait(QStringLiteral("Once upon a time")));
        QCOMPARE(lastMessage().stats.stopReason, QStringLiteral("stop_string"));
        QCOMPARE(lastMessage().content, greedy.left(greedy.indexOf(QStringLiteral("Lily"))));
        sampling()->stopStringsEdit()->clear();

        // Temperature and seed: the same seed repeats the text, another seed changes it.
        sampling()->temperatureBox()->setValue(1.5);
        sampling()->topKBox()->setValue(0);
        sampling()->maxTokensBox()->setValue(40);
        sampling()->seedBox()->setValue(7);
        QVERIFY(sendAndWait(QStringLiteral("Once upon a time")));
        const QString first = lastMessage().content;
        QVERIFY(first != greedy.left(first.size())); // not greedy any more
        QVERIFY(sendAndWait(QStringLiteral("Once upon a time")));
        QCOMPARE(lastMessage().content, first);
        sampling()->seedBox()->setValue(8);
        QVERIFY(sendAndWait(QStringLiteral("Once upon a time")));
        QVERIFY(lastMessage().content != first);
        QCOMPARE(lastMessage().stats.seed, quint64(8));

        // Threads and context length resize the inference context; a small context fills up.
        sampling()->threadsBox()->setValue(1);
        sampling()->contextLengthBox()->setValue(24);
        sampling()->maxTokensBox()->setValue(-1);
        QVERIFY(sendAndWait(QStringLiteral("Once upon a time")));
        QCOMPARE(lastMessage().stats.contextSize, 24);
        QCOMPARE(lastMessage().stats.stopReason, QStringLiteral("context_full"));
        QCOMPARE(chat()->contextGauge()->value(), 24);
        QCOMPARE(chat()->generation()->model()->threads, 1);
        QVERIFY(chat()->modelCard()->text().contains(QStringLiteral("1 threads")));
    }

    // Stop before the worker has started: the run ends within one token. The worker is held when it takes
    // the request up (else, on a loaded machine, it can generate tokens before the GUI thread presses Stop).
    void stopRightAfterSend() {
        WB_REQUIRE_MODEL(kStories, model);
        QVERIFY(openWindow(model));
        useGreedyRaw(-1);
        QSemaphore taken;
        QSemaphore go;
        chat()->generation()->setGenerateHook([&] {
            taken.release();
            go.tryAcquire(1, kGenerationTimeoutMs);
        });
        QSignalSpy done(chat(), &ChatWorkspace::generationDone);
        chat()->input()->setPlainText(QStringLiteral("Once upon a time"));
        QVERIFY(chat()->send());
        QVERIFY(taken.tryAcquire(1, kGenerationTimeoutMs));
        QVERIFY(chat()->stopButton()->isEnabled());
        chat()->stop();
        go.release();
        QVERIFY(done.wait(kGenerationTimeoutMs));
        chat()->generation()->setGenerateHook({});
        QCOMPARE(lastMessage().stats.stopReason, QStringLiteral("cancelled"));
        QVERIFY2(lastMessage().stats.generatedTokens <= 1,
                 qPrintable(QString::number(lastMessage().stats.generatedTokens)));
    }

    // Generation speed inside the app (GUI thread running, text coalesced, charts fed and on screen) against
    // `iwb bench`'s generation loop run by the app's own generation thread on the same model, context and
    // positions. The issue's bar is 95 % (docs/app.md measures it); the test shares 2 cores with other tests,
    // so it asserts 70 % (the float kernel path, a real regression, gives ~10 %) and prints the ratio.
    void generationSpeedNearBench() {
        QVERIFY(openWindow({}));
        const QString demo = demoModelPath();
        if (!QFileInfo::exists(demo)) {
            QSignalSpy ready(chat()->generation(), &GenerationController::demoReady);
            chat()->generation()->prepareDemoModel();
            QVERIFY(ready.wait(kLoadTimeoutMs));
        } else {
            window_->openModelFile(demo);
        }
        QVERIFY(waitForModel());
        // The engine's speed in this process (iwb bench's loop on the generation thread, same positions)
        // right after each reply: no run-to-run spread of two processes in the ratio.
        GenerationController* generation = chat()->generation();
        auto engineSpeed = [&](const MessageStats& stats) {
            QSignalSpy finished(generation, &GenerationController::engineBenchFinished);
            if (!generation->benchEngine(chat()->generationSettings(), stats.promptTokens,
                                         stats.generatedTokens))
                return 0.0;
            return finished.wait(kGenerationTimeoutMs) ? finished.takeFirst().at(0).toDouble() : 0.0;
        };
        useGreedyRaw(64);
        sampling()->threadsBox()->setValue(2);
        // Median over five replies of reply speed / engine speed, with the Performance charts on screen or
        // not.
        auto appOverEngine = [&](bool charts) {
            sampling()->telemetryBox()->setChecked(charts);
            std::vector<double> ratios;
            for (int run = 0; run < 5; ++run) {
                if (charts) window_->workspaces()->setCurrentWidget(window_->performancePanel());
                if (!sendAndWait(QStringLiteral("Once upon a time"))) return 0.0;
                const MessageStats stats = lastMessage().stats;
                const double engine = engineSpeed(stats);
                if (engine <= 0) return 0.0;
                ratios.push_back(stats.genTokensPerSecond / engine);
            }
            window_->workspaces()->setCurrentIndex(0);
            std::sort(ratios.begin(), ratios.end());
            return ratios[ratios.size() / 2];
        };
        const double withCharts = appOverEngine(true);
        const double withoutCharts = appOverEngine(false);
        qInfo(
            "demo model tg64, 2 threads, app / engine in this process (median of 5): %.3f with the charts on "
            "screen, %.3f without",
            withCharts, withoutCharts);
        QVERIFY2(withCharts >= 0.70, qPrintable(QString::number(withCharts)));
        QVERIFY2(withoutCharts >= 0.70, qPrintable(QString::number(withoutCharts)));
    }

    // The command line: MODEL --prompt TEXT -n N --screenshot PATH, through the real executable.
    void screenshotAfterPrompt() {
        WB_REQUIRE_MODEL(kStories, model);
        const QString folder = wb::test::scratchDir();
        QDir().mkpath(folder);
        const QString png = QDir(folder).filePath(QStringLiteral("shot.png"));
        QProcess app;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("WB_SETTINGS_DIR"), QDir(folder).filePath(QStringLiteral("settings")));
        app.setProcessEnvironment(env);
        app.start(QStringLiteral(WB_GUI_EXECUTABLE),
                  {model, QStringLiteral("--prompt"), QStringLiteral("Once upon a time"),
                   QStringLiteral("-n"), QStringLiteral("16"), QStringLiteral("--screenshot"), png});
        QVERIFY(app.waitForFinished(60000));
        QCOMPARE(app.exitCode(), 0);
        QImage image(png);
        QCOMPARE(image.size(), QSize(1280, 800));
        const Conversation saved =
            loadConversation(QDir(folder).filePath(QStringLiteral("settings/conversations/current.json")));
        QCOMPARE(int(saved.messages.size()), 2);
        QCOMPARE(saved.messages[1].stats.generatedTokens, 16);
        // Usage errors exit with 2.
        const ParsedCommandLine noModel = parseCommandLine(
            {QStringLiteral("inference-workbench"), QStringLiteral("--prompt"), QStringLiteral("x")});
        QCOMPARE(noModel.exitCode, 2);
        const ParsedCommandLine badN =
            parseCommandLine({QStringLiteral("inference-workbench"), model, QStringLiteral("--prompt"),
                              QStringLiteral("x"), QStringLiteral("-n"), QStringLiteral("many")});
        QCOMPARE(badN.exitCode, 2);
    }
};

QTEST_MAIN(AppTest)
#include "test_app.moc"
