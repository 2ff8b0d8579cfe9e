// The exports: the Chrome trace parses as JSON, follows the Trace Event Format rules the viewers rely on
// (X/M/C phases, µs timestamps, parents before children, strict nesting); the CSV has the exact columns;
// the llama-bench line carries its statistics.
#include "engine/telemetry/recorder.h"
#include "engine/telemetry/trace_export.h"
#include "tests/support/test_models.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <sstream>
#include <thread>

using namespace wb::telemetry;

namespace {

// Two passes on the calling thread and one on a worker, plus counters: a small but complete trace.
TraceData recordSampleTrace() {
    Recorder recorder;
    recorder.registerCurrentThread("decode \"main\"");
    const auto pass = [&recorder](int token, int tokenCount) {
        TokenScope scope(recorder, token, tokenCount);
        {
            OpScope op(recorder, token, -1, OpKind::Embedding, 256 * static_cast<std::uint64_t>(tokenCount),
                       0);
        }
        for (int layer = 0; layer < 2; ++layer) {
            LayerScope block(recorder, token, layer);
            { OpScope op(recorder, token, layer, OpKind::AttnNorm, 256, 256); }
            { OpScope op(recorder, token, layer, OpKind::QProj, 16384, 8192); }
            { OpScope op(recorder, token, layer, OpKind::Attention, 2560, 2960); }
            { OpScope op(recorder, token, layer, OpKind::FfnDown, 44032, 22016); }
        }
        { OpScope op(recorder, token, -1, OpKind::OutputHead, 131072, 65536); }
    };
    pass(0, 5);
    recorder.recordCounter({steadyNowNs(), "weights resident", {{"resident_bytes", 1040384.0}}});
    pass(5, 1);
    std::thread worker([&] {
        recorder.registerCurrentThread("worker 1");
        pass(6, 1);
    });
    worker.join();
    recorder.recordCounter(
        {steadyNowNs(), "memory", {{"kv_used_bytes", 2560.0}, {"kv_allocated_bytes", 1e6}}});
    TraceData data;
    data.otherData = {{"model", "stories260K.gguf"}, {"n_ctx", "2048"}};
    recorder.collect(data);
    return data;
}

QByteArray chromeJson(const TraceData& data) {
    std::ostringstream out;
    writeChromeTrace(out, data);
    return QByteArray::fromStdString(out.str());
}

} // namespace

class ExportsTest : public QObject {
    Q_OBJECT
private slots:
    void chromeTraceParsesAndFollowsTheRules() {
        const TraceData data = recordSampleTrace();
        QCOMPARE(data.events.size(), std::size_t{3 * (1 + 1 + 2 * 5 + 1)});
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(chromeJson(data), &error);
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        QVERIFY(document.isObject());
        const QJsonObject root = document.object();
        QCOMPARE(root.value("otherData").toObject().value("model").toString(),
                 QStringLiteral("stories260K.gguf"));
        QVERIFY(root.value("traceEvents").isArray());
        const QJsonArray events = root.value("traceEvents").toArray();

        std::vector<Event> rebuilt;
        QStringList threadNames;
        int counters = 0;
        int ops = 0;
        QMap<int, double> lastStartPerThread;
        for (const QJsonValue& value : events) {
            const QJsonObject event = value.toObject();
            const QString ph = event.value("ph").toString();
            QVERIFY2(event.value("pid").isDouble(), "every event needs a pid");
            if (ph == "M") {
                if (event.value("name").toString() == "thread_name")
                    threadNames << event.value("args").toObject().value("name").toString();
                continue;
            }
            if (ph == "C") {
                ++counters;
                QVERIFY(event.value("ts").isDouble());
                QVERIFY(!event.value("args").toObject().isEmpty());
                for (const QJsonValue& series : event.value("args").toObject())
                    QVERIFY(series.isDouble());
                continue;
            }
            QCOMPARE(ph, QStringLiteral("X"));
            QVERIFY(event.value("tid").isDouble());
            QVERIFY(event.value("ts").isDouble());
            QVERIFY(event.value("dur").isDouble());
            QVERIFY(event.value("dur").toDouble() >= 0);
            const QJsonObject args = event.value("args").toObject();
            const QString cat = event.value("cat").toString();
            const int tid = event.value("tid").toInt();
            // Parents come first: per thread, start times never decrease through the file.
            const double ts = event.value("ts").toDouble();
            QVERIFY(ts >= lastStartPerThread.value(tid, -1e300));
            lastStartPerThread[tid] = ts;

            Event span;
            span.thread = static_cast<std::uint16_t>(tid);
            span.startNs = static_cast<std::uint64_t>(std::llround(ts * 1000.0));
            span.endNs = span.startNs +
                         static_cast<std::uint64_t>(std::llround(event.value("dur").toDouble() * 1000.0));
            span.token = args.value("token").toInt(-99);
            QVERIFY2(span.token != -99, "every span names its token");
            if (cat == "token") {
                span.kind = SpanKind::Token;
                QVERIFY(args.value("token_count").toInt() >= 1);
            } else if (cat == "layer") {
                span.kind = SpanKind::Layer;
                span.layer = static_cast<std::int16_t>(args.value("layer").toInt());
            } else {
                QCOMPARE(cat, QStringLiteral("op"));
                ++ops;
                span.kind = SpanKind::Op;
                for (const char* key : {"layer", "op", "bytes", "flops"})
                    QVERIFY2(args.contains(key), key);
                span.layer = static_cast<std::int16_t>(args.value("layer").toInt());
                const auto op = opKindFromName(args.value("op").toString().toStdString());
                QVERIFY(op.has_value());
                span.op = *op;
                QCOMPARE(event.value("name").toString(), args.value("op").toString());
                if (span.op == OpKind::QProj) {
                    QCOMPARE(args.value("bytes").toDouble(), 16384.0);
                    QCOMPARE(args.value("flops").toDouble(), 8192.0);
                }
            }
            rebuilt.push_back(span);
        }
        QCOMPARE(ops, 3 * (2 + 2 * 4));
        QCOMPARE(counters, 2);
        QCOMPARE(threadNames.size(), 2);
        QVERIFY(threadNames.contains(QStringLiteral("decode \"main\""))); // escaped and read back
        QVERIFY(threadNames.contains(QStringLiteral("worker 1")));
        QCOMPARE(rebuilt.size(), data.events.size());
        const auto problems = validateTraceNesting(rebuilt);
        QVERIFY2(problems.empty(), problems.empty() ? "" : problems.front().c_str());
    }

    void chromeTraceOfABadRecordingFailsValidation() {
        TraceData data = recordSampleTrace();
        // Shift one op past the end of its layer: the exported trace must no longer validate.
        for (Event& event : data.events)
            if (event.kind == SpanKind::Op && event.op == OpKind::FfnDown && event.layer == 0) {
                event.endNs += 10'000'000;
                break;
            }
        QVERIFY(!validateTraceNesting(data.events).empty());
    }

    void timestampsAreExactMicroseconds() {
        TraceData data;
        data.originNs = 1'000'000;
        Event token;
        token.kind = SpanKind::Token;
        token.startNs = 1'001'234;
        token.endNs = 1'003'235; // 1.234 µs after the origin, 2.001 µs long
        token.tokenCount = 1;
        data.events.push_back(token);
        const std::string json = chromeJson(data).toStdString();
        QVERIFY2(json.find("\"ts\":1.234,\"dur\":2.001") != std::string::npos, json.c_str());
    }

    void csvHasTheExactColumns() {
        const TraceData data = recordSampleTrace();
        std::ostringstream out;
        writeOpCsv(out, data);
        const QStringList lines = QString::fromStdString(out.str()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.front(), QStringLiteral("token,layer,op,thread,start_us,dur_us,bytes,flops"));
        QCOMPARE(lines.size(), 1 + 3 * (2 + 2 * 4));
        int previousToken = -1;
        for (int i = 1; i < lines.size(); ++i) {
            const QStringList cells = lines[i].split(',');
            QCOMPARE(cells.size(), 8);
            bool ok = false;
            const int token = cells[0].toInt(&ok);
            QVERIFY(ok);
            QVERIFY(token >= previousToken); // rows grouped by token
            previousToken = token;
            QVERIFY(cells[1].toInt(&ok) >= -1 && ok);
            QVERIFY(opKindFromName(cells[2].toStdString()).has_value());
            cells[3].toInt(&ok);
            QVERIFY(ok);
            QVERIFY(cells[4].toDouble(&ok) >= 0 && ok);
            QVERIFY(cells[5].toDouble(&ok) >= 0 && ok);
            QVERIFY(cells[4].section('.', 1).size() == 3); // microseconds with ns precision
            cells[6].toULongLong(&ok);
            QVERIFY(ok);
            cells[7].toULongLong(&ok);
            QVERIFY(ok);
            if (cells[2] == "output_head") {
                QCOMPARE(cells[1], QStringLiteral("-1"));
                QCOMPARE(cells[6], QStringLiteral("131072"));
                QCOMPARE(cells[7], QStringLiteral("65536"));
            }
        }
    }

    void benchLineHasLlamaBenchFieldsAndStatistics() {
        BenchRecord record;
        record.modelFilename = "stories260K.gguf";
        record.modelType = "llama ?B all F32";
        record.modelSize = 1171200;
        record.modelNParams = 292800;
        record.nThreads = 2;
        record.nGen = 128;
        record.testTime = isoUtcNow();
        record.samplesNs = {1'000'000'000, 2'000'000'000};
        std::ostringstream out;
        writeBenchJsonLine(out, record);
        const std::string line = out.str();
        QCOMPARE(std::count(line.begin(), line.end(), '\n'), 1L);
        QCOMPARE(line.back(), '\n');
        QJsonParseError error;
        const QJsonObject json = QJsonDocument::fromJson(QByteArray::fromStdString(line), &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        for (const char* key :
             {"build_commit", "build_number", "cpu_info",       "gpu_info",  "backends",   "model_filename",
              "model_type",   "model_size",   "model_n_params", "n_batch",   "n_ubatch",   "n_threads",
              "type_k",       "type_v",       "n_gpu_layers",   "n_prompt",  "n_gen",      "test_time",
              "avg_ns",       "stddev_ns",    "avg_ts",         "stddev_ts", "samples_ns", "samples_ts"})
            QVERIFY2(json.contains(key), key);
        // By hand: 128 tokens in 1 s and 2 s -> 128 and 64 t/s; mean 96, sample stddev sqrt(2 * 32^2 / 1).
        QCOMPARE(json.value("avg_ns").toDouble(), 1.5e9);
        QCOMPARE(json.value("stddev_ns").toDouble(), std::round(std::sqrt(2 * 0.5e9 * 0.5e9)));
        QCOMPARE(json.value("avg_ts").toDouble(), 96.0);
        QVERIFY(std::abs(json.value("stddev_ts").toDouble() - std::sqrt(2.0 * 32 * 32)) < 1e-9);
        QCOMPARE(json.value("samples_ts").toArray().at(1).toDouble(), 64.0);
        QCOMPARE(json.value("n_gen").toInt(), 128);
        QVERIFY(json.value("test_time").toString().endsWith('Z'));
    }

    void writingToAnUnwritablePathNamesIt() {
        const TraceData data;
        try {
            writeChromeTraceFile("/nonexistent-dir/trace.json", data);
            QFAIL("no exception");
        } catch (const std::runtime_error& error) {
            QVERIFY2(QString(error.what()).contains("/nonexistent-dir/trace.json"), error.what());
        }
    }
};

QTEST_GUILESS_MAIN(ExportsTest)
#include "test_exports.moc"
