// Telemetry of real forward passes: every pass has every layer with every op in order, the numbers per op
// match the tensor shapes, the ops account for the pass's wall time, the trace JSON follows the format
// rules, residency of a freshly mapped file rises as the pass reads it, and the switch turns it all off.
#include "tests/support/test_models.h"
#include "trace_json.h"

#include "engine/model/inference_context.h"
#include "engine/model/model.h"
#include "engine/session/generation_session.h"
#include "engine/telemetry/cost_model.h"
#include "engine/telemetry/residency.h"
#include "engine/telemetry/trace_export.h"
#include "engine/telemetry/trace_nesting.h"

#include <QDir>
#include <QFile>

#include <algorithm>
#include <fcntl.h>
#include <map>
#include <numeric>
#include <sstream>
#include <unistd.h>

using namespace wb;
using telemetry::Event;
using telemetry::OpKind;
using telemetry::SpanKind;

namespace {

struct Recorded {
    GenerationResult result;
    std::vector<telemetry::PassReport> passes;
    std::vector<telemetry::MemoryReport> memory;
};

Recorded generateWithTelemetry(GenerationSession& session, const std::string& prompt, int tokens,
                               TelemetryOptions telemetryOptions = {}) {
    Recorded recorded;
    GenerationOptions options;
    options.maxTokens = tokens;
    options.sampling.temperature = 0;
    options.telemetry = std::move(telemetryOptions);
    options.telemetry.enabled = true;
    options.telemetry.onPass = [&](const telemetry::PassReport& pass) { recorded.passes.push_back(pass); };
    options.telemetry.onMemory = [&](const telemetry::MemoryReport& m) { recorded.memory.push_back(m); };
    recorded.result = session.generate(prompt, options);
    return recorded;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines)
        text += line + "\n";
    return text;
}

// The ops one pass must contain, in execution order: a generated token's pass samples it first, then
// evaluates it (the last generated token is only sampled).
std::vector<std::pair<OpKind, int>> expectedOps(int layers, bool sampled, bool evaluated) {
    std::vector<std::pair<OpKind, int>> ops;
    if (sampled) ops.emplace_back(OpKind::Sampling, -1);
    if (!evaluated) return ops;
    ops.emplace_back(OpKind::Embedding, -1);
    for (int l = 0; l < layers; ++l)
        for (int op = static_cast<int>(OpKind::AttnNorm); op <= static_cast<int>(OpKind::FfnDown); ++op)
            ops.emplace_back(static_cast<OpKind>(op), l);
    ops.emplace_back(OpKind::OutputNorm, -1);
    ops.emplace_back(OpKind::OutputHead, -1);
    return ops;
}

struct Pass {
    Event span;
    std::vector<Event> layers, ops;
};

// Groups a run's events by pass (the token number is the pass's first position, unique in a run).
std::map<int, Pass> passesOf(const std::vector<Event>& events) {
    std::map<int, Pass> passes;
    for (const Event& e : events) {
        Pass& pass = passes[e.token];
        if (e.kind == SpanKind::Token) pass.span = e;
        if (e.kind == SpanKind::Layer) pass.layers.push_back(e);
        if (e.kind == SpanKind::Op) pass.ops.push_back(e);
    }
    for (auto& [token, pass] : passes) {
        const auto byStart = [](const Event& a, const Event& b) { return a.startNs < b.startNs; };
        std::sort(pass.layers.begin(), pass.layers.end(), byStart);
        std::sort(pass.ops.begin(), pass.ops.end(), byStart);
    }
    return passes;
}

std::uint64_t tensorBytes(const gguf::GgufFile& file, const std::string& name) {
    const gguf::TensorInfo* tensor = file.findTensor(name);
    if (tensor == nullptr) qFatal("missing tensor %s", name.c_str());
    return file.tensorBytes(*tensor).size();
}

std::uint64_t elements(const gguf::GgufFile& file, const std::string& name, int dim) {
    return file.findTensor(name)->ne[static_cast<std::size_t>(dim)];
}

// Bytes and FLOPs of one op computed here from the GGUF tensors and the model's hyperparameters, written
// independently of engine/telemetry/cost_model.cpp (same conventions, documented in cost_model.h).
telemetry::OpCost costFromShapes(const Model& model, const Event& op, std::uint64_t first,
                                 std::uint64_t tokens) {
    const gguf::GgufFile& file = model.file();
    const ModelConfig& c = model.config();
    const std::string blk = "blk." + std::to_string(op.layer) + ".";
    const auto matmul = [&](const std::string& name, std::uint64_t n) -> telemetry::OpCost {
        return {tensorBytes(file, name), 2 * elements(file, name, 0) * elements(file, name, 1) * n};
    };
    const auto embd = static_cast<std::uint64_t>(c.embeddingLength);
    switch (op.op) {
    case OpKind::Embedding:
        return {tensorBytes(file, "token_embd.weight") / static_cast<std::uint64_t>(c.vocabSize) * tokens, 0};
    case OpKind::AttnNorm:
        return {tensorBytes(file, blk + "attn_norm.weight"), 4 * embd * tokens};
    case OpKind::FfnNorm:
        return {tensorBytes(file, blk + "ffn_norm.weight"), 4 * embd * tokens};
    case OpKind::QProj:
        return matmul(blk + "attn_q.weight", tokens);
    case OpKind::KProj:
        return matmul(blk + "attn_k.weight", tokens);
    case OpKind::VProj:
        return matmul(blk + "attn_v.weight", tokens);
    case OpKind::OProj:
        return matmul(blk + "attn_output.weight", tokens);
    case OpKind::FfnGate:
        return matmul(blk + "ffn_gate.weight", tokens);
    case OpKind::FfnUp:
        return matmul(blk + "ffn_up.weight", tokens);
    case OpKind::FfnDown:
        return matmul(blk + "ffn_down.weight", tokens);
    case OpKind::Rope:
        return {0, 6 * static_cast<std::uint64_t>(c.ropeDimensionCount / 2) *
                       static_cast<std::uint64_t>(c.headCount + c.headCountKv) * tokens};
    case OpKind::Attention: {
        std::uint64_t attended = 0;
        for (std::uint64_t i = 0; i < tokens; ++i)
            attended += first + i + 1;
        const auto kvDim = static_cast<std::uint64_t>(c.kvDim());
        return {2 * kvDim * (first + tokens) * sizeof(float),
                static_cast<std::uint64_t>(c.headCount) * attended *
                    (4 * static_cast<std::uint64_t>(c.headDim) + 5)};
    }
    case OpKind::FfnActivation:
        return {0, 5 * static_cast<std::uint64_t>(c.feedForwardLength) * tokens};
    case OpKind::OutputNorm:
        return {tensorBytes(file, "output_norm.weight"), 4 * embd};
    case OpKind::OutputHead:
        return matmul(file.findTensor("output.weight") ? "output.weight" : "token_embd.weight", 1);
    case OpKind::Sampling:
        return {0, static_cast<std::uint64_t>(c.vocabSize)};
    case OpKind::Other:
        break;
    }
    return {};
}

// Drops the file's pages from the page cache, except those a process has already faulted into its page
// tables (the kernel keeps mapped pages).
void evictFromPageCache(const QString& path) {
    const int fd = ::open(path.toLocal8Bit().constData(), O_RDONLY);
    if (fd < 0) qFatal("cannot open %s", qPrintable(path));
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
}

// A private copy of a model file (the shared one may be in use), out of the page cache.
QString coldCopy(const QString& source, const QString& name) {
    const QString target = wb::test::scratchDir() + "/" + name;
    QFile::remove(target);
    if (!QFile::copy(source, target)) qFatal("cannot copy %s", qPrintable(source));
    evictFromPageCache(target);
    return target;
}

const char* kPrompt = "Once upon a time, there was a little dog";

} // namespace

class TestForwardTelemetry : public QObject {
    Q_OBJECT
private slots:
    void everyPassHasEveryLayerAndOpInOrder_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("promptRepeats"); // > 256 tokens: the prompt runs as two passes
        QTest::newRow("stories260K") << "stories260K.gguf" << 1;
        QTest::newRow("stories260K long prompt") << "stories260K.gguf" << 40;
        QTest::newRow("zoo llama q4_k_m") << "zoo/zoo-llama-q4_k_m.gguf" << 1;
        QTest::newRow("zoo qwen2 q8_0") << "zoo/zoo-qwen2-q8_0.gguf" << 1;
    }
    void everyPassHasEveryLayerAndOpInOrder() {
        QFETCH(QString, model);
        QFETCH(int, promptRepeats);
        WB_REQUIRE_MODEL(model, path);
        auto session = GenerationSession::open(path.toStdString(), {0, 2});
        std::string prompt;
        for (int i = 0; i < promptRepeats; ++i)
            prompt += kPrompt;
        const int generate = 6;
        const Recorded run = generateWithTelemetry(*session, prompt, generate);
        const auto& telemetry = run.result.telemetry;
        QVERIFY(telemetry.recorded);
        QVERIFY(!telemetry.traceCapped);
        QCOMPARE(telemetry.eventsDropped, std::uint64_t{0});

        const auto problems = telemetry::validateTraceNesting(telemetry.trace.events);
        QVERIFY2(problems.empty(), joined(problems).c_str());

        const int layers = session->model().config().blockCount;
        const auto promptTokens = static_cast<int>(run.result.promptIds.size());
        const int promptPasses = (promptTokens + 255) / 256;
        QCOMPARE(promptRepeats > 1, promptPasses > 1);
        const auto passes = passesOf(telemetry.trace.events);
        // Prompt passes, then one pass per sampled token (an end-of-generation token included).
        const int sampledTokens = static_cast<int>(run.result.ids.size()) +
                                  (run.result.stopReason == StopReason::EndOfGeneration ? 1 : 0);
        QVERIFY(sampledTokens >= 1);
        QCOMPARE(static_cast<int>(passes.size()), promptPasses + sampledTokens);
        QCOMPARE(telemetry.passCount, static_cast<int>(passes.size()));
        QCOMPARE(run.passes.size(), passes.size());

        int index = 0;
        std::uint64_t previousTokenNs = 0;
        for (const auto& [token, pass] : passes) {
            QCOMPARE(pass.span.kind, SpanKind::Token);
            QVERIFY(pass.span.endNs > pass.span.startNs);
            const bool sampled = index >= promptPasses;
            const bool evaluated = index + 1 < static_cast<int>(passes.size());
            const auto expected = expectedOps(layers, sampled, evaluated);
            QCOMPARE(pass.ops.size(), expected.size());
            for (std::size_t i = 0; i < expected.size(); ++i) {
                QCOMPARE(pass.ops[i].op, expected[i].first);
                QCOMPARE(static_cast<int>(pass.ops[i].layer), expected[i].second);
                QCOMPARE(pass.ops[i].thread, pass.span.thread);
                if (i > 0)
                    QVERIFY2(pass.ops[i].startNs >= pass.ops[i - 1].endNs, "ops overlap on one thread");
            }
            QCOMPARE(static_cast<int>(pass.layers.size()), evaluated ? layers : 0);
            for (int l = 0; l < static_cast<int>(pass.layers.size()); ++l)
                QCOMPARE(static_cast<int>(pass.layers[static_cast<std::size_t>(l)].layer), l);

            // The live report of this pass carries the same ops.
            const telemetry::PassReport& report = run.passes[static_cast<std::size_t>(index)];
            QCOMPARE(report.passIndex, index);
            QCOMPARE(report.firstPosition, token);
            QCOMPARE(report.isPrompt, index < promptPasses);
            QCOMPARE(report.generatedIndex, index < promptPasses ? -1 : index - promptPasses);
            QCOMPARE(report.tokenCount, pass.span.tokenCount);
            QCOMPARE(report.contextUsed, token + (evaluated ? pass.span.tokenCount : 0));
            QCOMPARE(report.startNs, pass.span.startNs);
            QCOMPARE(report.endNs, pass.span.endNs);
            QCOMPARE(report.ops.size(), pass.ops.size());
            for (std::size_t i = 0; i < report.ops.size(); ++i) {
                QCOMPARE(report.ops[i].op, pass.ops[i].op);
                QCOMPARE(report.ops[i].startNs, pass.ops[i].startNs);
                QCOMPARE(report.ops[i].durationNs, pass.ops[i].durationNs());
                QCOMPARE(report.ops[i].bytes, pass.ops[i].bytes);
            }
            // A token's latency runs from the previous token's sampling (the first: from the prompt's end).
            if (!report.isPrompt) {
                const std::uint64_t sampledAt = pass.ops.front().endNs;
                QCOMPARE(report.latencyMs, double(sampledAt - previousTokenNs) / 1e6);
                previousTokenNs = sampledAt;
            } else {
                previousTokenNs = pass.span.endNs;
            }
            ++index;
        }

        // Token metrics.
        const auto& metrics = run.result.metrics;
        QCOMPARE(metrics.promptTokens, promptTokens);
        QCOMPARE(metrics.generatedTokens(), generate);
        QVERIFY(metrics.ttftMs >= metrics.promptMs && metrics.promptMs > 0);
        QCOMPARE(metrics.contextUsed, promptTokens + generate - 1);
        QCOMPARE(metrics.contextSize, session->contextLength());
    }

    void bytesAndFlopsMatchTensorShapes_data() {
        QTest::addColumn<QString>("model");
        QTest::newRow("stories260K f32") << "stories260K.gguf";
        QTest::newRow("zoo llama q4_k_m") << "zoo/zoo-llama-q4_k_m.gguf";
        QTest::newRow("zoo llama tied q8_0") << "zoo/zoo-llama-tied-q8_0.gguf";
        QTest::newRow("zoo qwen2 q4_k_m") << "zoo/zoo-qwen2-q4_k_m.gguf";
    }
    void bytesAndFlopsMatchTensorShapes() {
        QFETCH(QString, model);
        WB_REQUIRE_MODEL(model, path);
        auto session = GenerationSession::open(path.toStdString(), {0, 2});
        const Recorded run = generateWithTelemetry(*session, kPrompt, 4);
        const auto passes = passesOf(run.result.telemetry.trace.events);
        QVERIFY(passes.size() >= 2);
        std::size_t checked = 0;
        for (const auto& [token, pass] : passes) {
            for (const Event& op : pass.ops) {
                const telemetry::OpCost expected = costFromShapes(session->model(), op, std::uint64_t(token),
                                                                  std::uint64_t(pass.span.tokenCount));
                const std::string what = std::string(telemetry::opKindName(op.op)) + " layer " +
                                         std::to_string(op.layer) + " token " + std::to_string(token);
                QVERIFY2(op.bytes == expected.bytes, (what + ": bytes " + std::to_string(op.bytes) +
                                                      " != " + std::to_string(expected.bytes))
                                                         .c_str());
                QVERIFY2(op.flops == expected.flops, (what + ": flops " + std::to_string(op.flops) +
                                                      " != " + std::to_string(expected.flops))
                                                         .c_str());
                ++checked;
            }
        }
        QVERIFY(checked > 100);
    }

    void opTimesAddUpToThePassTime_data() {
        QTest::addColumn<QString>("model");
        QTest::newRow("stories260K") << "stories260K.gguf";
        QTest::newRow("zoo llama f32") << "zoo/zoo-llama-f32.gguf";
        QTest::newRow("zoo llama q4_k_m") << "zoo/zoo-llama-q4_k_m.gguf";
    }
    void opTimesAddUpToThePassTime() {
        QFETCH(QString, model);
        WB_REQUIRE_MODEL(model, path);
        auto session = GenerationSession::open(path.toStdString(), {0, 2});
        generateWithTelemetry(*session, kPrompt, 4); // warm up: pages, pool threads, scratch
        const Recorded run = generateWithTelemetry(*session, kPrompt, 48);
        double opNs = 0, passNs = 0;
        std::vector<double> shares;
        for (const auto& [token, pass] : passesOf(run.result.telemetry.trace.events)) {
            double sum = 0;
            for (const Event& op : pass.ops)
                sum += double(op.durationNs());
            QVERIFY(sum <= double(pass.span.durationNs())); // strictly nested, never more than the pass
            opNs += sum;
            passNs += double(pass.span.durationNs());
            shares.push_back(sum / double(pass.span.durationNs()));
        }
        std::sort(shares.begin(), shares.end());
        const double median = shares[shares.size() / 2];
        qInfo("%s: ops cover %.1f %% of the passes' wall time (median pass %.1f %%, %zu passes)",
              qPrintable(model), 100 * opNs / passNs, 100 * median, shares.size());
        QVERIFY2(opNs >= 0.9 * passNs, "the timed ops miss more than 10 % of the passes' wall time");
        QVERIFY(median >= 0.9);
    }

    void traceJsonFollowsTheRules() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        auto session = GenerationSession::open(path.toStdString(), {0, 2});
        TelemetryOptions options;
        options.memoryIntervalMs = 0; // a memory sample after every pass
        const Recorded run = generateWithTelemetry(*session, kPrompt, 8, options);
        std::ostringstream out;
        telemetry::writeChromeTrace(out, run.result.telemetry.trace);
        const test::ParsedTrace parsed = test::parseChromeTrace(QByteArray::fromStdString(out.str()));
        QVERIFY2(parsed.problems.isEmpty(), qPrintable(parsed.problems.join("\n")));
        const auto& events = run.result.telemetry.trace.events;
        QCOMPARE(parsed.events.size(), events.size());
        QCOMPARE(parsed.tokenSpans, run.result.telemetry.passCount);
        // Every pass but the last (it only samples the last token) runs all blocks.
        QCOMPARE(parsed.layerSpans, (parsed.tokenSpans - 1) * session->model().config().blockCount);
        const auto problems = telemetry::validateTraceNesting(parsed.events);
        QVERIFY2(problems.empty(), joined(problems).c_str());
        QVERIFY(parsed.counterNames.contains("weights resident"));
        QVERIFY(parsed.counterNames.contains("memory")); // RSS, KV allocated and used, scratch
        QVERIFY(parsed.counterNames.contains("weights resident by layer"));
        QVERIFY(parsed.counterEvents >= 3 * (run.result.telemetry.passCount + 2));
        QVERIFY(parsed.threadNames.contains("generation"));
    }

    void memoryReportsDescribeTheRun() {
        WB_REQUIRE_MODEL("zoo/zoo-llama-q8_0.gguf", path);
        auto session = GenerationSession::open(path.toStdString(), {256, 2});
        TelemetryOptions options;
        options.memoryIntervalMs = 0;
        const Recorded run = generateWithTelemetry(*session, kPrompt, 10, options);
        QCOMPARE(static_cast<int>(run.memory.size()), run.result.telemetry.passCount + 2);
        const auto& first = run.memory.front();
        const auto& last = run.memory.back();
        QCOMPARE(first.kvUsedBytes, std::uint64_t{0});
        const std::uint64_t kvPerPosition = last.kvAllocatedBytes / 256;
        QCOMPARE(last.kvAllocatedBytes, 256 * kvPerPosition);
        QCOMPARE(last.kvUsedBytes,
                 static_cast<std::uint64_t>(run.result.metrics.contextUsed) * kvPerPosition);
        QCOMPARE(last.layerTotalBytes.size(), std::size_t{2});
        const std::uint64_t layerSum =
            std::accumulate(last.layerTotalBytes.begin(), last.layerTotalBytes.end(), std::uint64_t{0});
        QCOMPARE(layerSum + last.otherTotalBytes, last.weightsTotalBytes);
        QVERIFY(last.weightsTotalBytes >= session->model().weightBytes());
        QVERIFY(last.scratchBytes > 0);
        QVERIFY(last.processRssBytes > last.kvUsedBytes);
        for (std::size_t i = 1; i < run.memory.size(); ++i) {
            QVERIFY(run.memory[i].timeNs >= run.memory[i - 1].timeNs);
            QVERIFY(run.memory[i].kvUsedBytes >= run.memory[i - 1].kvUsedBytes);
        }
        // The default interval bounds the sampling: the first and last samples, plus at most one per interval
        // the run lasted (none in a short run on an idle machine; a loaded or sanitized one may take longer).
        const Recorded sparse = generateWithTelemetry(*session, kPrompt, 10);
        const auto intervals =
            static_cast<std::size_t>(sparse.result.timings.totalMs / TelemetryOptions{}.memoryIntervalMs);
        QVERIFY(sparse.memory.size() >= 2);
        QVERIFY2(
            sparse.memory.size() <= 2 + intervals,
            qPrintable(
                QString("%1 samples in %2 ms").arg(sparse.memory.size()).arg(sparse.result.timings.totalMs)));
    }

    void residencyRisesAfterAForwardPass() {
        WB_REQUIRE_MODEL("zoo/zoo-llama-f32.gguf", source);
        const QString path = coldCopy(source, "cold-f32.gguf");
        const auto model = Model::load(path.toStdString());
        evictFromPageCache(path); // reading the header made the kernel read ahead into the weights
        const auto ranges = telemetry::tensorRanges(model->file());
        const void* base = model->file().bytes().data();
        const telemetry::ResidencySnapshot before = telemetry::sampleResidency(base, ranges);
        if (before.totalResident * 2 > before.totalSize)
            QSKIP("the page cache kept the copied file (posix_fadvise DONTNEED had no effect here)");

        InferenceContext context(model, {64, 2});
        const std::vector<std::int32_t> tokens{1, 100, 200};
        context.evaluate(tokens);
        const telemetry::ResidencySnapshot after = telemetry::sampleResidency(base, ranges);
        qInfo("resident before %llu of %llu bytes, after one pass %llu",
              static_cast<unsigned long long>(before.totalResident),
              static_cast<unsigned long long>(before.totalSize),
              static_cast<unsigned long long>(after.totalResident));
        QVERIFY(after.totalResident > before.totalResident);
        for (const telemetry::LayerResidency& layer : after.layers)
            if (layer.layer >= 0) QCOMPARE(layer.resident, layer.size); // every block weight was read

        // The session shows the same through its memory reports: cold before the prompt, warm after.
        const QString second = coldCopy(source, "cold-f32-session.gguf");
        auto session = GenerationSession::open(second.toStdString(), {64, 2});
        evictFromPageCache(second);
        const Recorded run = generateWithTelemetry(*session, kPrompt, 2);
        QVERIFY(run.memory.size() >= 2);
        QVERIFY(run.memory.front().weightsResidentBytes * 2 < run.memory.front().weightsTotalBytes);
        QVERIFY(run.memory.back().weightsResidentBytes > run.memory.front().weightsResidentBytes);
        for (std::size_t l = 0; l < run.memory.back().layerResidentBytes.size(); ++l)
            QCOMPARE(run.memory.back().layerResidentBytes[l], run.memory.back().layerTotalBytes[l]);
    }

    void theSwitchTurnsTelemetryOff() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        auto session = GenerationSession::open(path.toStdString(), {0, 2});
        GenerationOptions options;
        options.maxTokens = 12;
        options.sampling.temperature = 0;
        int reports = 0;
        options.telemetry.onPass = [&](const telemetry::PassReport&) { ++reports; };
        options.telemetry.onMemory = [&](const telemetry::MemoryReport&) { ++reports; };
        const GenerationResult off = session->generate(kPrompt, options); // enabled = false (default)
        QVERIFY(!off.telemetry.recorded);
        QVERIFY(off.telemetry.trace.events.empty());
        QCOMPARE(reports, 0);
        QCOMPARE(off.metrics.generatedTokens(), 12); // token metrics do not need the recorder

        options.telemetry.enabled = true;
        session->recorder().setEnabled(false); // the recorder's own switch
        const GenerationResult switchedOff = session->generate(kPrompt, options);
        QVERIFY(!switchedOff.telemetry.recorded);
        QCOMPARE(reports, 0);
        std::vector<Event> stray;
        QCOMPARE(session->recorder().drainEvents(stray), std::size_t{0});

        session->recorder().setEnabled(true);
        const GenerationResult on = session->generate(kPrompt, options);
        QVERIFY(on.telemetry.recorded);
        QVERIFY(reports > 0);
        QCOMPARE(on.ids, off.ids); // recording never changes the result

        // A context with a disabled recorder records nothing either.
        telemetry::Recorder recorder(false);
        ContextOptions contextOptions{64, 2};
        contextOptions.recorder = &recorder;
        InferenceContext context(Model::load(path.toStdString()), contextOptions);
        context.evaluate(std::vector<std::int32_t>{1, 2, 3});
        QCOMPARE(recorder.drainEvents(stray), std::size_t{0});
        QVERIFY(recorder.threads().empty());
        recorder.setEnabled(true);
        context.evaluate(std::vector<std::int32_t>{4});
        QCOMPARE(recorder.drainEvents(stray), std::size_t(1 + 5 + 5 * 12 + 3)); // token, layers, ops
        QVERIFY(telemetry::validateTraceNesting(stray).empty());
    }

    void aCappedTraceSaysSo() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        auto session = GenerationSession::open(path.toStdString(), {0, 2});
        TelemetryOptions options;
        options.maxTraceEvents = 300; // about four passes of 70 events
        const Recorded run = generateWithTelemetry(*session, kPrompt, 20, options);
        const auto& t = run.result.telemetry;
        QVERIFY(t.traceCapped);
        QVERIFY(t.eventsLeftOut > 0);
        QVERIFY(t.trace.events.size() <= 300);
        std::size_t recorded = 0; // per pass: its token span, its ops and, when it evaluated, 5 layer spans
        for (const auto& pass : run.passes)
            recorded += 1 + pass.ops.size() + (pass.ops.size() > 1 ? 5 : 0);
        QCOMPARE(t.trace.events.size() + t.eventsLeftOut, recorded);
        QVERIFY(telemetry::validateTraceNesting(t.trace.events).empty()); // whole passes only
        QCOMPARE(run.passes.size(), std::size_t(t.passCount));            // live reports are not capped
        const bool said = std::any_of(t.trace.otherData.begin(), t.trace.otherData.end(),
                                      [](const auto& kv) { return kv.first == "trace_capped"; });
        QVERIFY(said);
    }
};

QTEST_GUILESS_MAIN(TestForwardTelemetry)
#include "test_forward_telemetry.moc"
