// RunAggregator on reports of real stories260K forward passes: every number it hands the live charts is
// checked against a sum or mean computed here directly from the same PassReports.
#include "engine/session/generation_session.h"
#include "engine/telemetry/run_aggregator.h"
#include "engine/telemetry/trace_export.h"
#include "engine/telemetry/trace_nesting.h"
#include "tests/support/test_models.h"
#include "tests/telemetry/real_pass_source.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <map>
#include <sstream>
#include <thread>

using namespace wb::telemetry;
using wb::test::RealPassSource;

namespace {

constexpr int kGenerated = 24;
const std::vector<std::int32_t> kPrompt{1, 403, 407, 261, 378, 324, 30, 26}; // BOS + 7 ids of the 512 vocab

struct RecordedRun {
    std::vector<PassReport> passes;
    std::vector<MemoryReport> memory;
};

RecordedRun recordRun(RealPassSource& source, int generated) {
    RecordedRun run;
    source.restart();
    run.memory.push_back(source.memory());
    run.passes.push_back(source.evaluatePrompt(kPrompt));
    run.memory.push_back(source.memory());
    for (int k = 0; k < generated; ++k) {
        run.passes.push_back(source.generateToken());
        run.memory.push_back(source.memory());
    }
    return run;
}

RunAggregator feed(const RecordedRun& run, RunAggregator::Options options = {}) {
    RunAggregator aggregator(options);
    std::size_t memoryIndex = 0;
    aggregator.addMemory(run.memory[memoryIndex++]);
    for (const PassReport& pass : run.passes) {
        aggregator.addPass(pass);
        aggregator.addMemory(run.memory[memoryIndex++]);
    }
    return aggregator;
}

double opMs(const OpTiming& op) {
    return static_cast<double>(op.durationNs) / 1e6;
}

bool near(double a, double b) {
    return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b));
}

} // namespace

class RunAggregatorTest : public QObject {
    Q_OBJECT
    std::unique_ptr<RealPassSource> source_;
    RecordedRun run_;

private slots:
    void initTestCase() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        source_ = std::make_unique<RealPassSource>(path.toStdString());
        run_ = recordRun(*source_, kGenerated);
        QCOMPARE(run_.passes.size(), std::size_t{kGenerated + 1});
        QVERIFY(!run_.passes.back().ops.empty());
    }

    void lastPassStacksEqualOpSums() {
        const RunAggregator aggregator = feed(run_);
        QCOMPARE(aggregator.layerCount(), 5);
        const PassReport& last = run_.passes.back();
        std::vector<std::array<double, kOpKindCount>> expected(5);
        std::array<double, kOpKindCount> outside{};
        for (const OpTiming& op : last.ops) {
            if (op.layer >= 0)
                expected[static_cast<std::size_t>(op.layer)][static_cast<std::size_t>(op.op)] += opMs(op);
            else
                outside[static_cast<std::size_t>(op.op)] += opMs(op);
        }
        for (int layer = 0; layer < 5; ++layer) {
            const LayerStack& stack = aggregator.lastPassLayers()[static_cast<std::size_t>(layer)];
            double total = 0;
            for (int op = 0; op < kOpKindCount; ++op) {
                QVERIFY(near(stack.opMs[op], expected[layer][op]));
                total += expected[layer][op];
            }
            QVERIFY(near(stack.totalMs, total));
            QVERIFY(stack.totalMs > 0);
            QCOMPARE(stack.opMs[int(OpKind::Embedding)], 0.0); // block ops only
        }
        const LayerStack& out = aggregator.lastPassOutsideLayers();
        for (OpKind op : {OpKind::Embedding, OpKind::OutputNorm, OpKind::OutputHead, OpKind::Sampling}) {
            QVERIFY(out.opMs[int(op)] > 0);
            QVERIFY(near(out.opMs[int(op)], outside[int(op)]));
        }
    }

    void runAverageIsMeanOverGeneratedPasses() {
        const RunAggregator aggregator = feed(run_);
        QVERIFY(aggregator.averageUsesGeneratedPasses());
        QCOMPARE(aggregator.averagedPassCount(), std::uint64_t{kGenerated});
        std::vector<double> sums(5, 0.0);
        for (const PassReport& pass : run_.passes)
            if (!pass.isPrompt)
                for (const OpTiming& op : pass.ops)
                    if (op.layer >= 0) sums[static_cast<std::size_t>(op.layer)] += opMs(op);
        const auto average = aggregator.averageLayers();
        QCOMPARE(average.size(), std::size_t{5});
        for (int layer = 0; layer < 5; ++layer)
            QVERIFY2(std::abs(average[layer].totalMs - sums[layer] / kGenerated) < 1e-9,
                     qPrintable(QString::number(average[layer].totalMs)));

        // Before any generated token, the prompt pass is the average.
        RunAggregator promptOnly;
        promptOnly.addPass(run_.passes.front());
        QVERIFY(!promptOnly.averageUsesGeneratedPasses());
        QVERIFY(near(promptOnly.averageLayers()[2].totalMs, promptOnly.lastPassLayers()[2].totalMs));
    }

    void layerOpTableHasEveryBlockOp() {
        const RunAggregator aggregator = feed(run_);
        const auto rows = aggregator.layerOpTable(3);
        QCOMPARE(rows.size(), std::size_t{12}); // attn_norm .. ffn_down
        double share = 0;
        for (const LayerOpRow& row : rows) {
            QVERIFY(isLayerOp(row.op));
            QCOMPARE(row.calls, std::uint64_t{kGenerated});
            QVERIFY(row.minMs <= row.meanMs + 1e-12 && row.meanMs <= row.maxMs + 1e-12);
            share += row.shareOfLayer;
        }
        QVERIFY(std::abs(share - 1.0) < 1e-9);
        const auto qProj =
            std::find_if(rows.begin(), rows.end(), [](auto& r) { return r.op == OpKind::QProj; });
        QVERIFY(qProj != rows.end());
        QCOMPARE(qProj->lastBytes, std::uint64_t{64 * 64 * 4}); // F32 attn_q, read once
        QCOMPARE(qProj->lastFlops, std::uint64_t{2 * 64 * 64});
        QVERIFY(qProj->lastGigabytesPerSecond > 0);
        QVERIFY(near(qProj->lastGigabytesPerSecond, qProj->lastBytes / (qProj->lastMs * 1e6)));
        QCOMPARE(aggregator.layerOpTable(-1).size(), std::size_t{4});
        QVERIFY(aggregator.layerOpTable(5).empty());
        QVERIFY(aggregator.layerOpTable(-2).empty());
    }

    void latencySeriesTtftAndTokensPerSecond() {
        const RunAggregator aggregator = feed(run_);
        const auto& series = aggregator.latencySeries();
        QCOMPARE(series.size(), std::size_t{kGenerated});
        double sum = 0;
        for (int k = 0; k < kGenerated; ++k) {
            QCOMPARE(series[k].tokenIndex, k);
            QCOMPARE(series[k].latencyMs, run_.passes[k + 1].latencyMs);
            QVERIFY(series[k].latencyMs > 0);
            if (k > 0) QVERIFY(series[k].timeS > series[k - 1].timeS);
            sum += series[k].latencyMs;
        }
        // Rolling rate of the last point: its 8 latencies.
        double window = 0;
        for (int k = kGenerated - 8; k < kGenerated; ++k)
            window += series[k].latencyMs;
        QVERIFY(near(series.back().rollingTokensPerSecond, 8 * 1000.0 / window));

        const RunSummary s = aggregator.summary();
        QCOMPARE(s.generatedTokens, kGenerated);
        QCOMPARE(s.promptTokens, static_cast<std::int32_t>(kPrompt.size()));
        QVERIFY(near(s.tokensPerSecond, kGenerated * 1000.0 / sum));
        const PassReport& prompt = run_.passes.front();
        QVERIFY(near(s.promptMs, (prompt.endNs - prompt.startNs) / 1e6));
        QVERIFY(s.ttftMs.has_value());
        QVERIFY(near(*s.ttftMs, (prompt.endNs - prompt.startNs) / 1e6 + run_.passes[1].latencyMs));
        QVERIFY(s.p50LatencyMs <= s.p90LatencyMs && s.p90LatencyMs <= s.p99LatencyMs);
        QCOMPARE(s.contextUsed, static_cast<std::int32_t>(kPrompt.size()) + kGenerated);
        QCOMPARE(s.contextSize, 256);

        RunAggregator empty;
        QVERIFY(!empty.summary().ttftMs.has_value());
        QCOMPARE(empty.summary().tokensPerSecond, 0.0);
    }

    void memorySeriesAndResidency() {
        const RunAggregator aggregator = feed(run_);
        QCOMPARE(aggregator.memorySeries().size(), run_.memory.size());
        const auto fractions = aggregator.layerResidentFraction();
        QCOMPARE(fractions.size(), std::size_t{5});
        for (double f : fractions)
            QVERIFY(f > 0.99 && f <= 1.0); // every layer was just read by the forward pass
        const auto& series = aggregator.memorySeries();
        QCOMPARE(series.front().kvUsedBytes, std::uint64_t{0});
        QVERIFY(series.back().kvUsedBytes > series[1].kvUsedBytes);
        QCOMPARE(series.back().kvAllocatedBytes, run_.memory.back().kvAllocatedBytes);
        QVERIFY(series.back().processRssBytes > 0);
    }

    void timelineLanesPerThread() {
        // The app may run a generation on a different worker than the prompt: passes from two threads.
        RecordedRun mixed = recordRun(*source_, 4);
        std::thread worker([&] {
            for (int k = 0; k < 4; ++k)
                mixed.passes.push_back(source_->generateToken());
        });
        worker.join();
        RunAggregator aggregator({.timelinePasses = 6});
        for (const PassReport& pass : mixed.passes)
            aggregator.addPass(pass);
        const Timeline timeline = aggregator.timeline();
        QCOMPARE(timeline.passes.size(), std::size_t{6});
        QCOMPARE(timeline.lanes.size(), std::size_t{2});
        QVERIFY(timeline.lanes[0].thread < timeline.lanes[1].thread);
        std::size_t spans = 0;
        for (const TimelineLane& lane : timeline.lanes) {
            for (std::size_t k = 0; k < lane.spans.size(); ++k) {
                QVERIFY(lane.spans[k].endNs() <= timeline.spanNs);
                QVERIFY(lane.spans[k].durationNs <= lane.maxDurationNs);
                if (k > 0) QVERIFY(lane.spans[k - 1].startNs <= lane.spans[k].startNs);
            }
            spans += lane.spans.size();
        }
        std::size_t expected = 0;
        for (std::size_t k = mixed.passes.size() - 6; k < mixed.passes.size(); ++k)
            expected += mixed.passes[k].ops.size();
        QCOMPARE(spans, expected);
        QCOMPARE(timeline.passes.back().passIndex, mixed.passes.back().passIndex);

        const TraceData trace = aggregator.traceData();
        const auto problems = validateTraceNesting(trace.events);
        QVERIFY2(problems.empty(), problems.empty() ? "" : problems.front().c_str());
        QCOMPARE(trace.threads.size(), std::size_t{2});
    }

    void traceDataExportsAsChromeJsonAndCsv() {
        const RunAggregator aggregator = feed(run_);
        const TraceData trace = aggregator.traceData();
        const auto problems = validateTraceNesting(trace.events);
        QVERIFY2(problems.empty(), problems.empty() ? "" : problems.front().c_str());
        std::size_t ops = 0;
        for (const PassReport& pass : run_.passes)
            ops += pass.ops.size();
        std::ostringstream json;
        writeChromeTrace(json, trace);
        QJsonParseError error{};
        const auto document = QJsonDocument::fromJson(QByteArray::fromStdString(json.str()), &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        std::size_t opEvents = 0;
        std::size_t counters = 0;
        for (const auto& value : document.object().value("traceEvents").toArray()) {
            const auto event = value.toObject();
            if (event.value("ph") == "X" && event.value("cat").toString().contains("op")) ++opEvents;
            if (event.value("ph") == "C") ++counters;
        }
        QCOMPARE(opEvents, ops);
        QCOMPARE(counters, run_.memory.size() * 2);
        std::ostringstream csv;
        writeOpCsv(csv, trace);
        const QStringList lines = QString::fromStdString(csv.str()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.front(), QString::fromLatin1(kOpCsvHeader));
        QCOMPARE(static_cast<std::size_t>(lines.size() - 1), ops);
    }

    // The session's own reports (its final pass only samples): the bars keep the last pass that ran the
    // blocks, every generated token is one latency point, and TTFT agrees with the session's timing.
    void sessionReportsDriveTheAggregator() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        auto session = wb::GenerationSession::open(path.toStdString(), {.contextLength = 256, .threads = 1});
        RunAggregator aggregator;
        std::vector<PassReport> passes;
        wb::GenerationOptions options;
        options.maxTokens = 20;
        options.sampling.temperature = 0;
        options.telemetry.enabled = true;
        options.telemetry.memoryIntervalMs = 0;
        options.telemetry.onPass = [&](const PassReport& pass) {
            passes.push_back(pass);
            aggregator.addPass(pass);
        };
        options.telemetry.onMemory = [&](const MemoryReport& memory) { aggregator.addMemory(memory); };
        const auto result = session->generate("Once upon a time", options);
        QCOMPARE(static_cast<int>(result.ids.size()), 20);
        QCOMPARE(aggregator.latencySeries().size(), std::size_t{20});
        QCOMPARE(aggregator.layerCount(), 5);
        const auto header = aggregator.lastPassHeader();
        QVERIFY(header.has_value());
        QCOMPARE(header->passIndex, passes[passes.size() - 2].passIndex); // the final pass only sampled
        for (const LayerStack& stack : aggregator.lastPassLayers())
            QVERIFY(stack.totalMs > 0);
        QCOMPARE(aggregator.averagedPassCount(), std::uint64_t{19});
        const RunSummary s = aggregator.summary();
        QVERIFY(s.ttftMs.has_value());
        QVERIFY2(*s.ttftMs > 0 && *s.ttftMs <= result.timings.ttftMs + 1e-6,
                 qPrintable(QStringLiteral("%1 vs %2").arg(*s.ttftMs).arg(result.timings.ttftMs)));
        for (int k = 0; k < 20; ++k)
            QVERIFY(std::abs(aggregator.latencySeries()[k].latencyMs - passes[k + 1].latencyMs) < 1e-12);
        QVERIFY(aggregator.layerResidentFraction().size() == 5);
    }

    void newRunRestartsAndSeriesStayBounded() {
        RunAggregator aggregator({.timelinePasses = 3, .maxSeriesPoints = 10, .maxTracePasses = 5});
        for (const PassReport& pass : run_.passes)
            aggregator.addPass(pass);
        QCOMPARE(aggregator.latencySeries().size(), std::size_t{10});
        QCOMPARE(aggregator.latencySeries().back().tokenIndex, kGenerated - 1);
        QCOMPARE(aggregator.summary().generatedTokens, kGenerated); // totals keep every token
        QCOMPARE(aggregator.timeline().passes.size(), std::size_t{3});
        std::size_t tokenSpans = 0;
        for (const Event& e : aggregator.traceData().events)
            tokenSpans += e.kind == SpanKind::Token;
        QCOMPARE(tokenSpans, std::size_t{5});

        aggregator.addPass(run_.passes.front()); // pass 0 again: a new generation
        QCOMPARE(aggregator.passCount(), std::uint64_t{1});
        QVERIFY(aggregator.latencySeries().empty());
        QVERIFY(!aggregator.summary().ttftMs.has_value());
        aggregator.reset();
        QCOMPARE(aggregator.layerCount(), 0);
        QVERIFY(aggregator.timeline().lanes.empty());
    }
};

QTEST_GUILESS_MAIN(RunAggregatorTest)
#include "test_run_aggregator.moc"
