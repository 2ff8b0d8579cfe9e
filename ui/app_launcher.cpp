#include "ui/app_launcher.h"

#include "ui/about_dialog.h"
#include "ui/main_window.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QPixmap>
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

void printError(const QString& text) {
    std::fprintf(stderr, "%s\n", qPrintable(text));
}

void saveScreenshotWhenSettled(MainWindow& window, const QString& path) {
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    auto* timer = new QTimer(&window);
    timer->setInterval(kPollMs);
    QObject::connect(timer, &QTimer::timeout, &window, [&window, path, clock, timer] {
        const bool settled = !window.isLoading() && clock->elapsed() >= kSettleMs;
        if (!settled && clock->elapsed() < kGiveUpMs) return;
        timer->stop();
        int exitCode = 0;
        if (!window.lastError().isEmpty()) {
            printError(QStringLiteral("inference-workbench: %1").arg(window.lastError()));
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
    if (screenshot) saveScreenshotWhenSettled(window, options.screenshotPath);
}

} // namespace wb::ui
