#pragma once
// Where the shared test data lives, and how a test says it cannot run without it.
#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QtTest>

namespace wb::test {

// $WB_MODELS_DIR, or an empty string when unset or missing.
QString modelsDir();
// $WB_MODELS_DIR/../reference (the llama.cpp reference outputs), or empty.
QString referenceDir();
// Absolute path of a file below the models folder; empty when the folder is unknown.
QString modelPath(const QString& relative);
// Path of the iwb binary built alongside the tests.
QString iwbPath();
// One run of the iwb binary: its exit code (-1 when it crashed or timed out) and its output.
struct IwbRun {
    int exitCode = -1;
    QByteArray out, err;
};
// Runs `iwb ARGS...` and waits up to timeoutMs (then kills it and warns).
IwbRun runIwb(const QStringList& args, int timeoutMs = 60000);
// A fresh scratch directory path for files a test generates (removed with the process' temp dir).
QString scratchDir();

} // namespace wb::test

// Skips the current test function when the models folder (or one file in it) is unavailable.
// The message text is what CTest's SKIP_REGULAR_EXPRESSION matches.
#define WB_REQUIRE_MODEL(relative, var)                                                                      \
    const QString var = ::wb::test::modelPath(relative);                                                     \
    do {                                                                                                     \
        if (::wb::test::modelsDir().isEmpty())                                                               \
            QSKIP("WB_MODELS_DIR is not set: model-based checks SKIPPED");                                   \
        if (!QFileInfo::exists(var))                                                                         \
            QSKIP(qPrintable(QStringLiteral("WB_MODELS_DIR is not set correctly: missing ") + var));         \
    } while (false)
