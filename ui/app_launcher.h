#pragma once
// The command line of inference-workbench and what it does at start. main() and the tests both go
// through these functions, so the tests exercise the same path as a user typing the command.
#include <QString>
#include <QStringList>

#include <optional>

namespace wb::ui {

class MainWindow;

struct LaunchOptions {
    QString modelPath;      // opened at start when set
    QString screenshotPath; // when set: save a PNG of the settled window there and quit
    QString prompt;         // when set: sent through the Chat workspace once the model is loaded
    int maxTokens = -2;     // -n: overrides the sampling panel's max tokens for that prompt (-2: not set)
};

struct ParsedCommandLine {
    std::optional<LaunchOptions> options; // empty: exit now with exitCode after printing output
    int exitCode = 0;
    QString output; // text for stdout (help, version) or stderr (usage errors, exitCode 2)
};

ParsedCommandLine parseCommandLine(const QStringList& arguments);

// Shows the window and applies the options. With a screenshot path it later quits the application with
// 0 (saved) or 1 (model failed to open, generation failed, or the PNG could not be written). With a prompt,
// the screenshot waits for the end of the generation and shows the Chat workspace.
void launch(MainWindow& window, const LaunchOptions& options);

} // namespace wb::ui
