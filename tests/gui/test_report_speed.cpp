// inference-workbench MODEL --prompt TEXT -n N --report-speed --runs R: the headless speed report that
// docs/app.md uses to compare the app with `iwb bench`'s loop run in the same process, through the real
// executable.
#include "tests/support/test_models.h"

#include "ui/app_launcher.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

using namespace wb::ui;

class ReportSpeedTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void usageErrors() {
        const QString app = QStringLiteral("inference-workbench");
        QCOMPARE(parseCommandLine({app, QStringLiteral("m.gguf"), QStringLiteral("--report-speed")}).exitCode,
                 2);
        QCOMPARE(parseCommandLine({app, QStringLiteral("m.gguf"), QStringLiteral("--prompt"),
                                   QStringLiteral("x"), QStringLiteral("--runs"), QStringLiteral("2")})
                     .exitCode,
                 2);
        QCOMPARE(parseCommandLine({app, QStringLiteral("m.gguf"), QStringLiteral("--prompt"),
                                   QStringLiteral("x"), QStringLiteral("--report-speed"),
                                   QStringLiteral("--runs"), QStringLiteral("0")})
                     .exitCode,
                 2);
        const ParsedCommandLine ok = parseCommandLine(
            {app, QStringLiteral("m.gguf"), QStringLiteral("--prompt"), QStringLiteral("x"),
             QStringLiteral("--report-speed"), QStringLiteral("--runs"), QStringLiteral("3")});
        QVERIFY(ok.options.has_value());
        QVERIFY(ok.options->reportSpeed);
        QCOMPARE(ok.options->runs, 3);
        QVERIFY(!ok.options->watchCharts);
        // --watch-charts only makes sense with a speed report.
        QCOMPARE(parseCommandLine({app, QStringLiteral("m.gguf"), QStringLiteral("--prompt"),
                                   QStringLiteral("x"), QStringLiteral("--watch-charts")})
                     .exitCode,
                 2);
        const ParsedCommandLine charts =
            parseCommandLine({app, QStringLiteral("m.gguf"), QStringLiteral("--prompt"), QStringLiteral("x"),
                              QStringLiteral("--report-speed"), QStringLiteral("--watch-charts")});
        QVERIFY(charts.options.has_value() && charts.options->watchCharts);
    }

    void reportsEveryRunAndTheMedian() {
        WB_REQUIRE_MODEL("stories260K.gguf", model);
        QTemporaryDir settings;
        QVERIFY(settings.isValid());
        QProcess app;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("WB_SETTINGS_DIR"), settings.path());
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        app.setProcessEnvironment(env);
        app.start(QStringLiteral(WB_GUI_EXECUTABLE),
                  {model, QStringLiteral("--prompt"), QStringLiteral("Once upon a time"),
                   QStringLiteral("-n"), QStringLiteral("12"), QStringLiteral("--report-speed"),
                   QStringLiteral("--runs"), QStringLiteral("2"), QStringLiteral("--watch-charts")});
        QVERIFY(app.waitForFinished(90000));
        QCOMPARE(app.exitCode(), 0);
        const QString out = QString::fromUtf8(app.readAllStandardOutput());
        const QRegularExpression run(
            QStringLiteral(
                R"(^run (\d): generated (\d+) tokens at ([0-9.]+) tokens/s \| prompt (\d+) tokens .* stop: (\w+))"),
            QRegularExpression::MultilineOption);
        int runs = 0;
        for (auto it = run.globalMatch(out); it.hasNext(); ++runs) {
            const auto match = it.next();
            QCOMPARE(match.captured(1).toInt(), runs + 1);
            QCOMPARE(match.captured(2).toInt(), 12);
            QVERIFY(match.captured(3).toDouble() > 0);
            QVERIFY(match.captured(4).toInt() > 0);
            QCOMPARE(match.captured(5), QStringLiteral("max_tokens"));
        }
        QCOMPARE(runs, 2);
        QVERIFY2(
            out.contains(QRegularExpression(QStringLiteral("median generation speed over 2 runs: [0-9.]+ "
                                                           "tokens/s"))),
            qPrintable(out));
        // After each reply the engine's own loop runs over the same positions, and the ratio is printed.
        const QRegularExpression engineRun(QStringLiteral(R"(^run (\d): engine loop ([0-9.]+) tokens/s)"),
                                           QRegularExpression::MultilineOption);
        int engineRuns = 0;
        for (auto it = engineRun.globalMatch(out); it.hasNext(); ++engineRuns)
            QVERIFY(it.next().captured(2).toDouble() > 0);
        QCOMPARE(engineRuns, 2);
        const QRegularExpression ratio(
            QStringLiteral(R"(app / engine: medians ([0-9.]+), paired runs ([0-9.]+))"));
        const auto ratioMatch = ratio.match(out);
        QVERIFY2(ratioMatch.hasMatch(), qPrintable(out));
        QVERIFY(ratioMatch.captured(1).toDouble() > 0 && ratioMatch.captured(2).toDouble() > 0);
        // A model that cannot be opened ends the app with 1 instead of waiting for a reply forever.
        const QString bad = QDir(settings.path()).filePath(QStringLiteral("bad.gguf"));
        QFile file(bad);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("GGUF-not-really");
        file.close();
        app.start(QStringLiteral(WB_GUI_EXECUTABLE),
                  {bad, QStringLiteral("--prompt"), QStringLiteral("x"), QStringLiteral("--report-speed")});
        QVERIFY(app.waitForFinished(60000));
        QCOMPARE(app.exitCode(), 1);
    }
};

QTEST_MAIN(ReportSpeedTest)
#include "test_report_speed.moc"
