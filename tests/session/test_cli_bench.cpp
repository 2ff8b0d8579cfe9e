// `iwb bench` end to end on stories260K: llama-bench's JSON records, and the in-process telemetry
// comparison (--telemetry on,clock,off) that docs/performance.md quotes for the telemetry cost.
#include "tests/support/test_models.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <utility>

namespace {

using Run = wb::test::IwbRun;

Run bench(const QStringList& args) {
    return wb::test::runIwb(QStringList{"bench", "--no-bandwidth"} + args, 120000);
}

} // namespace

class TestCliBench : public QObject {
    Q_OBJECT
private slots:
    void jsonRecordsHaveLlamaBenchFields() {
        WB_REQUIRE_MODEL("stories260K.gguf", model);
        const Run run = bench({"-m", model, "-p", "8", "-n", "4", "-r", "3", "-t", "1", "-o", "json"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonArray records = QJsonDocument::fromJson(run.out).array();
        QCOMPARE(records.size(), 2);
        QCOMPARE(records[0].toObject()["test"].toString(), QString("pp8"));
        QCOMPARE(records[1].toObject()["test"].toString(), QString("tg4"));
        for (const auto value : records) {
            const QJsonObject record = value.toObject();
            QCOMPARE(record["n_threads"].toInt(), 1);
            QCOMPARE(record["telemetry"].toString(), QString("off"));
            QCOMPARE(record["model_type"].toString(), QString("llama 0.29M ?")); // 292,800 parameters
            const QJsonArray samples = record["samples_ts"].toArray();
            QCOMPARE(samples.size(), 3);
            for (const auto sample : samples)
                QVERIFY(sample.toDouble() > 0);
            QVERIFY(record["min_ts"].toDouble() <= record["median_ts"].toDouble());
            QVERIFY(record["median_ts"].toDouble() <= record["max_ts"].toDouble());
        }
    }

    void telemetryOnAndOffAlternateInOneRun() {
        WB_REQUIRE_MODEL("stories260K.gguf", model);
        const Run json = bench({"-m", model, "-p", "8", "-n", "4", "-r", "4", "-t", "1", "-o", "json",
                                "--telemetry", "on,clock,off"});
        QVERIFY2(json.exitCode == 0, json.err.constData());
        const QJsonArray records = QJsonDocument::fromJson(json.out).array();
        QCOMPARE(records.size(), 6); // pp8 and tg4, each with telemetry on, clock only and off
        QSet<QString> seen;
        for (const auto value : records) {
            const QJsonObject record = value.toObject();
            seen.insert(record["test"].toString() + " " + record["telemetry"].toString());
            QCOMPARE(record["samples_ts"].toArray().size(), 4);
        }
        QCOMPARE(seen, (QSet<QString>{"pp8 on", "pp8 clock", "pp8 off", "tg4 on", "tg4 clock", "tg4 off"}));

        const Run table =
            bench({"-m", model, "-p", "8", "-n", "4", "-r", "2", "-t", "1", "--telemetry", "off,on"});
        QVERIFY2(table.exitCode == 0, table.err.constData());
        QVERIFY(table.out.contains("| pp8 telemetry on |"));
        QVERIFY(table.out.contains("| tg4 telemetry off |"));
        QVERIFY(table.out.contains("telemetry ÷ off, same process, alternating repetitions:"));
        QVERIFY(table.out.contains("\ntg4 on: medians "));
        QVERIFY(!table.out.contains("tg4 off: medians"));
    }

    // -d as llama-bench: the tests run after `depth` tokens are already in the context, named "tg4 @ d100",
    // and each generated token then also reads those tokens' K and V rows.
    void depthStartsTheTestsAfterTokensInTheContext() {
        WB_REQUIRE_MODEL("stories260K.gguf", model);
        const QStringList common{"-m", model, "-p", "8", "-n", "4", "-r", "2", "-t", "1", "-o", "json"};
        const Run empty = bench(common);
        const Run deep = bench(common + QStringList{"-d", "100"});
        QVERIFY2(empty.exitCode == 0, empty.err.constData());
        QVERIFY2(deep.exitCode == 0, deep.err.constData());
        const QJsonArray emptyRecords = QJsonDocument::fromJson(empty.out).array();
        const QJsonArray deepRecords = QJsonDocument::fromJson(deep.out).array();
        QCOMPARE(deepRecords.size(), 2);
        QCOMPARE(deepRecords[0].toObject()["test"].toString(), QString("pp8 @ d100"));
        QCOMPARE(deepRecords[1].toObject()["test"].toString(), QString("tg4 @ d100"));
        QCOMPARE(deepRecords[1].toObject()["n_depth"].toInt(), 100);
        QCOMPARE(emptyRecords[1].toObject()["n_depth"].toInt(), 0);
        // 5 layers x (K + V) x 4 KV heads x 8 dimensions x 2 bytes (F16) per position, 100 positions more.
        const double extra = deepRecords[1].toObject()["bytes_per_token"].toDouble() -
                             emptyRecords[1].toObject()["bytes_per_token"].toDouble();
        QCOMPARE(extra, 5.0 * 2 * 4 * 8 * 2 * 100);
    }

    void badDepthIsAUsageError() {
        WB_REQUIRE_MODEL("stories260K.gguf", model);
        const Run run = bench({"-m", model, "-d", "-1"});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("--n-depth"), run.err.constData());
    }

    // use_mmap reports where the weights went: --mmap maps, --no-mmap copies, and both at once is refused.
    void placementFlagsChooseAndReportWhereTheWeightsGo() {
        WB_REQUIRE_MODEL("stories260K.gguf", model);
        const QStringList common{"-m", model, "-p", "4", "-n", "2", "-r", "1", "-t", "1", "-o", "json"};
        for (const auto& [flag, mapped] : {std::pair{"--mmap", true}, std::pair{"--no-mmap", false}}) {
            const Run run = bench(common + QStringList{flag});
            QVERIFY2(run.exitCode == 0, run.err.constData());
            const QJsonArray records = QJsonDocument::fromJson(run.out).array();
            QCOMPARE(records.size(), 2);
            for (const auto value : records)
                QCOMPARE(value.toObject()["use_mmap"].toBool(), mapped);
        }
        const Run both = bench({"-m", model, "--mmap", "--no-mmap"});
        QCOMPARE(both.exitCode, 2);
        QVERIFY(both.out.isEmpty());
        QVERIFY2(both.err.contains("--mmap") && both.err.contains("--no-mmap"), both.err.constData());
    }

    // Q4_0/Q8_0/Q4_K/Q6_K weights are repacked by default where the AVX-512 kernels run, and --no-repack
    // keeps them in the file's layout; repacked_bytes says which happened.
    void repackingIsReportedAndCanBeTurnedOff() {
        WB_REQUIRE_MODEL("zoo/zoo-llama-q8_0.gguf", model);
        const QStringList common{"-m", model, "-p", "4", "-n", "2", "-r", "1", "-t", "1", "-o", "json"};
        const Run byDefault = bench(common);
        const Run off = bench(common + QStringList{"--no-repack"});
        QVERIFY2(byDefault.exitCode == 0, byDefault.err.constData());
        QVERIFY2(off.exitCode == 0, off.err.constData());
        const QJsonObject repacked = QJsonDocument::fromJson(byDefault.out).array()[0].toObject();
        const QJsonObject plain = QJsonDocument::fromJson(off.out).array()[0].toObject();
        QCOMPARE(plain["repacked_bytes"].toDouble(), 0.0);
        if (!repacked["cpu_kernels"].toString().startsWith("avx512")) {
            QCOMPARE(repacked["repacked_bytes"].toDouble(), 0.0);
            QSKIP("no AVX-512 kernels on this CPU: nothing is repacked");
        }
        QVERIFY(repacked["repacked_bytes"].toDouble() > 0);
        QVERIFY(repacked["use_mmap"].toBool()); // mostly repacked: the file stays mapped
    }

    void badTelemetryModeIsAUsageError() {
        WB_REQUIRE_MODEL("stories260K.gguf", model);
        for (const char* modes : {"sometimes", "on,sometimes", "on,on", "on,"}) {
            const Run run = bench({"-m", model, "--telemetry", modes});
            QCOMPARE(run.exitCode, 2);
            QVERIFY(run.out.isEmpty());
            QVERIFY2(run.err.contains("--telemetry"), run.err.constData());
        }
    }
};

QTEST_GUILESS_MAIN(TestCliBench)
#include "test_cli_bench.moc"
