#include "ui/app_launcher.h"

#include "ui/about_dialog.h"
#include "ui/charts/performance_panel.h"
#include "ui/chat/chat_workspace.h"
#include "ui/generation_controller.h"
#include "ui/main_window.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QPixmap>
#include <QTabWidget>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

namespace wb::ui {
namespace {

constexpr int kScreenshotWidth = 1280;
constexpr int kScreenshotHeight = 800;
constexpr int kSettleMs = 500; // layouts, fonts and icons are done well within this
constexpr int kPollMs = 50;
constexpr int kGiveUpMs = 60'000; // a loader that never finishes must not hang a script
constexpr int kGenerationGiveUpMs = 600'000;

void printError(const QString& text) {
    std::fprintf(stderr, "%s\n", qPrintable(text));
}

struct SpeedReport {
    int runsLeft = 0;
    bool failed = false;
    bool done = false;
    std::vector<double> genTokensPerSecond;
    std::vector<double> engineTokensPerSecond; // iwb bench's loop after each reply, same process
};

double medianOf(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n == 0 ? 0.0 : n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// With a speed report, the screenshot also waits for its last run (null: no report).
void saveScreenshotWhenSettled(MainWindow& window, const QString& path, bool waitForPrompt,
                               const std::shared_ptr<SpeedReport>& report) {
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    auto idleSince = std::make_shared<QElapsedTimer>();
    auto* timer = new QTimer(&window);
    timer->setInterval(kPollMs);
    ChatWorkspace* chat = window.chatWorkspace();
    QObject::connect(
        timer, &QTimer::timeout, &window,
        [&window, chat, path, clock, idleSince, timer, waitForPrompt, report] {
            const bool failed = !window.lastError().isEmpty();
            const bool promptDone = !waitForPrompt || failed ||
                                    (!chat->hasPendingPrompt() && !chat->isBusy() &&
                                     !chat->conversation().isEmpty() && (!report || report->done));
            const bool idle = !window.isLoading() && promptDone;
            if (!idle)
                idleSince->invalidate();
            else if (!idleSince->isValid())
                idleSince->start();
            const bool settled =
                idle && clock->elapsed() >= kSettleMs && idleSince->elapsed() >= kSettleMs / 2;
            const int giveUp = waitForPrompt ? kGenerationGiveUpMs : kGiveUpMs;
            if (!settled && clock->elapsed() < giveUp) return;
            timer->stop();
            int exitCode = 0;
            if (!window.lastError().isEmpty()) {
                printError(QStringLiteral("inference-workbench: %1").arg(window.lastError()));
                exitCode = 1;
            } else if (waitForPrompt && !promptDone) {
                printError(QStringLiteral("inference-workbench: the generation did not finish in time"));
                exitCode = 1;
            }
            if (!window.grab().toImage().save(path, "PNG")) {
                printError(QStringLiteral("inference-workbench: cannot write screenshot '%1'").arg(path));
                exitCode = 1;
            }
            QCoreApplication::exit(exitCode);
        });
    timer->start();
}

// One line per finished reply, from the statistics the message keeps (what the Chat workspace shows). After
// each reply the generation thread also times iwb bench's loop on the same model and context (telemetry
// off, the reply's positions), so the app's speed is compared with the engine's in one process.
void reportSpeed(MainWindow& window, const LaunchOptions& options, bool quitWhenDone,
                 const std::shared_ptr<SpeedReport>& report) {
    report->runsLeft = options.runs;
    ChatWorkspace* chat = window.chatWorkspace();
    GenerationController* generation = chat->generation();
    auto finish = [quitWhenDone, report] {
        report->done = true;
        if (!report->genTokensPerSecond.empty()) {
            std::printf("median generation speed over %zu runs: %.2f tokens/s\n",
                        report->genTokensPerSecond.size(), medianOf(report->genTokensPerSecond));
            if (!report->engineTokensPerSecond.empty()) {
                const double engine = medianOf(report->engineTokensPerSecond);
                std::vector<double> paired; // each reply against the engine run right after it
                for (std::size_t i = 0; i < report->engineTokensPerSecond.size(); ++i)
                    if (report->engineTokensPerSecond[i] > 0)
                        paired.push_back(report->genTokensPerSecond[i] / report->engineTokensPerSecond[i]);
                std::printf("median engine speed (iwb bench's generation loop, same process and positions): "
                            "%.2f tokens/s; app / engine: medians %.3f, paired runs %.3f\n",
                            engine, engine > 0 ? medianOf(report->genTokensPerSecond) / engine : 0.0,
                            medianOf(paired));
            }
            std::fflush(stdout);
        }
        if (quitWhenDone)
            QCoreApplication::exit(report->failed || report->genTokensPerSecond.empty() ? 1 : 0);
    };
    auto next = [chat, options, report, finish] {
        if (!report->failed && --report->runsLeft > 0 && chat->regenerateWithMaxTokens(options.maxTokens))
            return;
        finish();
    };
    if (options.watchCharts)
        QObject::connect(generation, &GenerationController::generationStarted, &window,
                         [&window] { window.workspaces()->setCurrentWidget(window.performancePanel()); });
    QObject::connect(generation, &GenerationController::engineBenchFinished, &window,
                     [report, next](double tokensPerSecond) {
                         if (report->done) return;
                         report->engineTokensPerSecond.push_back(tokensPerSecond);
                         std::printf("run %d: engine loop %.2f tokens/s\n",
                                     int(report->engineTokensPerSecond.size()), tokensPerSecond);
                         std::fflush(stdout);
                         next();
                     });
    QObject::connect(generation, &GenerationController::engineBenchFailed, &window,
                     [report, finish](const QString& message) {
                         if (report->done) return;
                         printError(
                             QStringLiteral("inference-workbench: engine speed run failed: %1").arg(message));
                         report->failed = true;
                         finish();
                     });
    QObject::connect(
        chat, &ChatWorkspace::generationDone, &window, [&window, chat, generation, report, next, finish] {
            if (report->done) return;
            const Conversation& conversation = chat->conversation();
            const bool replied = !conversation.messages.empty() && conversation.messages.back().stats.valid;
            if (!replied) {
                printError(
                    QStringLiteral("inference-workbench: generation failed: %1").arg(window.lastError()));
                report->failed = true;
                return finish();
            }
            const MessageStats& stats = conversation.messages.back().stats;
            report->genTokensPerSecond.push_back(stats.genTokensPerSecond);
            std::printf("run %d: generated %d tokens at %.2f tokens/s | prompt %d tokens at %.2f tokens/s | "
                        "first token after %.2f ms | stop: %s | threads %d\n",
                        int(report->genTokensPerSecond.size()), stats.generatedTokens,
                        stats.genTokensPerSecond, stats.promptTokens, stats.promptTokensPerSecond,
                        stats.ttftMs, qPrintable(stats.stopReason),
                        generation->model() ? generation->model()->threads : 0);
            std::fflush(stdout);
            // The engine alone over the same positions: prompt tokens, then the reply's tokens.
            if (stats.generatedTokens < 2 ||
                !generation->benchEngine(chat->generationSettings(), stats.promptTokens,
                                         stats.generatedTokens))
                next();
        });
    if (!quitWhenDone) return; // the screenshot's timer handles a model that fails to open
    auto* watch = new QTimer(&window);
    watch->setInterval(kPollMs);
    QObject::connect(watch, &QTimer::timeout, &window, [&window, report, watch] {
        if (report->done || !report->genTokensPerSecond.empty()) return watch->stop();
        if (window.lastError().isEmpty() || window.isLoading()) return;
        watch->stop();
        printError(QStringLiteral("inference-workbench: %1").arg(window.lastError()));
        QCoreApplication::exit(1);
    });
    watch->start();
}

} // namespace

ParsedCommandLine parseCommandLine(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QCoreApplication::translate("main", "Inference Workbench: look inside local GGUF language models."));
    const QCommandLineOption helpOption = parser.addHelpOption();
    const QCommandLineOption versionOption = parser.addVersionOption();
    const QCommandLineOption screenshotOption(
        QStringLiteral("screenshot"),
        QCoreApplication::translate("main",
                                    "Save a PNG of the window at PATH once it has settled, then quit."),
        QStringLiteral("PATH"));
    parser.addOption(screenshotOption);
    const QCommandLineOption promptOption(
        QStringLiteral("prompt"),
        QCoreApplication::translate("main", "Send TEXT in the Chat workspace once MODEL is loaded (with "
                                            "--screenshot: after the generation ends)."),
        QStringLiteral("TEXT"));
    parser.addOption(promptOption);
    const QCommandLineOption tokensOption(
        QStringList{QStringLiteral("n"), QStringLiteral("max-tokens")},
        QCoreApplication::translate("main", "Generate at most N tokens for --prompt (-1: until the end)."),
        QStringLiteral("N"));
    parser.addOption(tokensOption);
    const QCommandLineOption speedOption(
        QStringLiteral("report-speed"),
        QCoreApplication::translate("main", "With --prompt: print each reply's statistics (generation "
                                            "tokens/s as the message records it) to stdout, then quit."));
    parser.addOption(speedOption);
    const QCommandLineOption runsOption(
        QStringLiteral("runs"),
        QCoreApplication::translate("main",
                                    "With --report-speed: generate the reply R times (Regenerate) and print "
                                    "the median speed."),
        QStringLiteral("R"));
    parser.addOption(runsOption);
    const QCommandLineOption chartsOption(
        QStringLiteral("watch-charts"),
        QCoreApplication::translate("main", "With --report-speed: show the Performance workspace while the "
                                            "replies stream, so its charts replot live."));
    parser.addOption(chartsOption);
    parser.addPositionalArgument(QStringLiteral("MODEL"),
                                 QCoreApplication::translate("main", "A .gguf model file to open at start."),
                                 QStringLiteral("[MODEL]"));

    ParsedCommandLine result;
    if (!parser.parse(arguments)) {
        result.exitCode = 2;
        result.output = parser.errorText() + QStringLiteral("\n") + parser.helpText();
        return result;
    }
    if (parser.isSet(helpOption)) {
        result.output = parser.helpText();
        return result;
    }
    if (parser.isSet(versionOption)) {
        result.output = QStringLiteral("inference-workbench %1\n").arg(applicationVersion());
        return result;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1) {
        result.exitCode = 2;
        result.output =
            QCoreApplication::translate("main", "Only one MODEL can be opened at start (got %1).\n")
                .arg(positional.size());
        return result;
    }
    LaunchOptions options;
    if (!positional.isEmpty()) options.modelPath = positional.front();
    options.screenshotPath = parser.value(screenshotOption);
    if (parser.isSet(promptOption)) {
        options.prompt = parser.value(promptOption);
        if (options.prompt.isEmpty()) {
            result.exitCode = 2;
            result.output = QCoreApplication::translate("main", "--prompt needs a non-empty TEXT.\n");
            return result;
        }
        if (options.modelPath.isEmpty()) {
            result.exitCode = 2;
            result.output = QCoreApplication::translate("main", "--prompt needs a MODEL to run on.\n");
            return result;
        }
    }
    if (parser.isSet(tokensOption)) {
        bool ok = false;
        options.maxTokens = parser.value(tokensOption).toInt(&ok);
        if (!ok || options.maxTokens < -1) {
            result.exitCode = 2;
            result.output = QCoreApplication::translate("main", "-n needs a whole number >= -1 (got '%1').\n")
                                .arg(parser.value(tokensOption));
            return result;
        }
        if (options.prompt.isEmpty()) {
            result.exitCode = 2;
            result.output = QCoreApplication::translate("main", "-n only applies to --prompt.\n");
            return result;
        }
    }
    options.reportSpeed = parser.isSet(speedOption);
    if (options.reportSpeed && options.prompt.isEmpty()) {
        result.exitCode = 2;
        result.output = QCoreApplication::translate("main", "--report-speed needs --prompt.\n");
        return result;
    }
    if (parser.isSet(runsOption)) {
        bool ok = false;
        options.runs = parser.value(runsOption).toInt(&ok);
        if (!ok || options.runs < 1 || !options.reportSpeed) {
            result.exitCode = 2;
            result.output = QCoreApplication::translate(
                                "main", "--runs needs --report-speed and a count >= 1 (got '%1').\n")
                                .arg(parser.value(runsOption));
            return result;
        }
    }
    options.watchCharts = parser.isSet(chartsOption);
    if (options.watchCharts && !options.reportSpeed) {
        result.exitCode = 2;
        result.output = QCoreApplication::translate("main", "--watch-charts needs --report-speed.\n");
        return result;
    }
    result.options = options;
    return result;
}

void launch(MainWindow& window, const LaunchOptions& options) {
    const bool screenshot = !options.screenshotPath.isEmpty();
    // A screenshot has a fixed size and leaves the user's saved window state alone.
    window.setPersistWindowState(!screenshot);
    if (screenshot)
        window.resize(kScreenshotWidth, kScreenshotHeight);
    else
        window.restoreWindowState();
    window.show();
    if (!options.modelPath.isEmpty()) window.openModelFile(options.modelPath);
    const bool prompt = !options.prompt.isEmpty();
    if (prompt) {
        // The real UI path: the text goes into the prompt box and Send is pressed once the model is loaded.
        window.workspaces()->setCurrentWidget(window.chatWorkspace());
        QObject::connect(&window, &MainWindow::modelShown, window.chatWorkspace(),
                         [&window] { window.workspaces()->setCurrentWidget(window.chatWorkspace()); });
        window.chatWorkspace()->sendWhenReady(options.prompt, options.maxTokens);
    }
    std::shared_ptr<SpeedReport> report;
    if (prompt && options.reportSpeed) {
        report = std::make_shared<SpeedReport>();
        reportSpeed(window, options, !screenshot, report);
    }
    if (screenshot) saveScreenshotWhenSettled(window, options.screenshotPath, prompt, report);
}

} // namespace wb::ui
