#include "ui/app_launcher.h"

#include "ui/about_dialog.h"
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

#include <cstdio>
#include <memory>

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

void saveScreenshotWhenSettled(MainWindow& window, const QString& path, bool waitForPrompt) {
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    auto idleSince = std::make_shared<QElapsedTimer>();
    auto* timer = new QTimer(&window);
    timer->setInterval(kPollMs);
    ChatWorkspace* chat = window.chatWorkspace();
    QObject::connect(timer, &QTimer::timeout, &window, [&window, chat, path, clock, idleSince, timer, waitForPrompt] {
        const bool failed = !window.lastError().isEmpty();
        const bool promptDone = !waitForPrompt || failed ||
                                (!chat->hasPendingPrompt() && !chat->isBusy() && !chat->conversation().isEmpty());
        const bool idle = !window.isLoading() && promptDone;
        if (!idle) idleSince->invalidate();
        else if (!idleSince->isValid()) idleSince->start();
        const bool settled = idle && clock->elapsed() >= kSettleMs && idleSince->elapsed() >= kSettleMs / 2;
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
    if (screenshot) saveScreenshotWhenSettled(window, options.screenshotPath, prompt);
}

} // namespace wb::ui
