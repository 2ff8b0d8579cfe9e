// `iwb generate --trace/--csv/--roofline/--telemetry-off` end to end with the real binary.
#include "tests/support/test_models.h"
#include "trace_json.h"

#include "engine/telemetry/trace_nesting.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

namespace {

using Run = wb::test::IwbRun;

Run iwb(const QStringList& args) {
    return wb::test::runIwb(QStringList{"generate"} + args);
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    return file.readAll();
}

} // namespace

class TestGenerateTrace : public QObject {
    Q_OBJECT
private slots:
    void traceAndCsvFromTheCli_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("layers");
        QTest::newRow("stories260K") << "stories260K.gguf" << 5;
        QTest::newRow("zoo llama q4_0") << "zoo/zoo-llama-q4_0.gguf" << 2;
    }
    void traceAndCsvFromTheCli() {
        QFETCH(QString, model);
        QFETCH(int, layers);
        WB_REQUIRE_MODEL(model, path);
        const QString trace = wb::test::scratchDir() + "/trace.json";
        const QString csv = wb::test::scratchDir() + "/ops.csv";
        const int generate = 16;
        const Run run = iwb({"-m", path, "-p", "Once upon a time", "-n", QString::number(generate), "--temp",
                             "0", "-t", "2", "--trace", trace, "--csv", csv, "--roofline"});
        QVERIFY2(run.exitCode == 0, run.err.constData());

        const wb::test::ParsedTrace parsed = wb::test::parseChromeTrace(readAll(trace));
        QVERIFY2(parsed.problems.isEmpty(), qPrintable(parsed.problems.join("\n")));
        const auto problems = wb::telemetry::validateTraceNesting(parsed.events);
        QVERIFY2(problems.empty(), problems.empty() ? "" : problems.front().c_str());
        // The prompt pass, then one pass per generated token (sample, evaluate; the last only samples).
        QCOMPARE(parsed.tokenSpans, 1 + generate);
        QCOMPARE(parsed.layerSpans, generate * layers);
        QCOMPARE(parsed.opSpans, (1 + 12 * layers + 2) + (generate - 1) * (1 + 12 * layers + 3) + 1);
        QVERIFY(parsed.counterNames.contains("memory"));
        QVERIFY(parsed.counterNames.contains("weights resident"));
        QVERIFY(parsed.threadNames.contains("generation"));

        const QList<QByteArray> lines = readAll(csv).trimmed().split('\n');
        QCOMPARE(lines.front(), QByteArray("token,layer,op,thread,start_us,dur_us,bytes,flops"));
        QCOMPARE(lines.size() - 1, parsed.opSpans);
        QCOMPARE(lines[1].split(',').size(), 8);

        // The roofline table names every op type with measured, expected and ratio columns.
        QVERIFY2(run.err.contains("roofline: read bandwidth"), run.err.constData());
        for (const char* op :
             {"attn_norm", "q_proj", "attention", "ffn_down", "output_head", "sampling", "total"})
            QVERIFY2(run.err.contains(QByteArray("\n") + op + " "), op);
        QVERIFY(run.err.contains("telemetry: " + QByteArray::number(generate + 1) + " passes"));
    }

    void jsonCarriesTheTelemetrySummary() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        const Run run = iwb({"-m", path, "-p", "Once upon a time", "-n", "8", "--temp", "0", "--json"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject telemetry = QJsonDocument::fromJson(run.out).object()["telemetry"].toObject();
        QCOMPARE(telemetry["passes"].toInt(), 9);
        QVERIFY(telemetry["op_ms"].toDouble() > 0);
        QVERIFY(telemetry["op_ms"].toDouble() <= telemetry["pass_ms"].toDouble());
        QVERIFY(telemetry["memory"].toObject()["kv_allocated_bytes"].toDouble() > 0);
    }

    void telemetryOffRecordsNothing() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        const Run run = iwb(
            {"-m", path, "-p", "Once upon a time", "-n", "8", "--temp", "0", "--json", "--telemetry-off"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(!QJsonDocument::fromJson(run.out).object().contains("telemetry"));
        const Run conflict = iwb({"-m", path, "-p", "x", "--telemetry-off", "--trace", "t.json"});
        QCOMPARE(conflict.exitCode, 2);
        QVERIFY(conflict.err.contains("--telemetry-off"));
    }

    void unwritableTracePathIsAClearError() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        const Run run = iwb({"-m", path, "-p", "x", "-n", "2", "--trace", "/nonexistent-dir/trace.json"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("/nonexistent-dir/trace.json"), run.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestGenerateTrace)
#include "test_generate_trace.moc"
