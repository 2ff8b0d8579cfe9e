#pragma once
// The command line of inference-workbench and what it does at start. main() and the tests both go
// through these functions, so the tests exercise the same path as a user typing the command.
#include <QString>
#include <QStringList>

#include <optional>

namespace wb::ui {

class MainWindow;

struct LaunchOptions {
    QString modelPath;        // opened at start when set
    QString screenshotPath;   // when set: save a PNG of the settled window there and quit
    QString prompt;           // when set: sent through the Chat workspace once the model is loaded
    int maxTokens = -2;       // -n: overrides the sampling panel's max tokens for that prompt (-2: not set)
    bool reportSpeed = false; // --report-speed: print each reply's statistics to stdout, quit after the runs
    int runs = 1;             // --runs: with --report-speed, the prompt's reply is generated this many times
    bool watchCharts = false; // --watch-charts: with --report-speed, the Performance charts are on screen
};

struct ParsedCommandLine {
    std::optional<LaunchOptions> options; // empty: exit now with exitCode after printing output
    int exitCode = 0;
    QString output; // text for stdout (help, version) or stderr (usage errors, exitCode 2)
};

ParsedCommandLine parseCommandLine(const QStringList& arguments);

// Shows the window and applies the options. With a screenshot path it later quits the application with
// 0 (saved) or 1 (model failed to open, generation failed, or the PNG could not be written). With a prompt,
// the screenshot waits for the end of the generation and shows the Chat workspace. With reportSpeed, each
// finished reply prints one line with the statistics the message keeps (the numbers the Chat workspace
// shows), the reply is regenerated until `runs` replies are done, a median line follows, and the
// application quits (0; 1 when a generation or the model failed) unless a screenshot is still to be taken.
void launch(MainWindow& window, const LaunchOptions& options);

} // namespace wb::ui
