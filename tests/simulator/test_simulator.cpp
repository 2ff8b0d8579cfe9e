// The LPU simulator core: planner arithmetic, schedule invariants, roofline numbers, fidelity against
// Groq's published Llama-2-70B figure, and the `iwb simulate --json` fields.
#include "tests/support/test_models.h"
#include "visualizer/core/cpu_probe.h"
#include "visualizer/core/hardware.h"
#include "visualizer/core/lpu_compiler.h"
#include "visualizer/core/measured_comparison.h"
#include "visualizer/core/model_arch.h"
#include "visualizer/core/planner.h"
#include "visualizer/core/roofline.h"
#include "visualizer/core/simulation.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <tuple>

using namespace wb::sim;

namespace {

DeploymentOptions int8Options() {
    DeploymentOptions o;
    o.precision.weights = NumberFormat::Int8;
    o.context = 4096;
    o.batch = 1;
    o.promptTokens = 512;
    return o;
}

// Checks that no unit runs two ops at once and every dependency is honoured.
void checkInvariants(const Schedule& s) {
    std::map<std::tuple<int, int, int>, std::vector<const ScheduledOp*>> byUnit;
    for (const auto& op : s.ops) {
        QVERIFY(op.end > op.start);
        QVERIFY(op.readyAt >= op.end);
        QVERIFY(op.chip >= 0 && op.chip < s.chips);
        byUnit[{op.chip, static_cast<int>(op.unit), op.unitIndex}].push_back(&op);
    }
    for (auto& [unit, ops] : byUnit) {
        std::sort(ops.begin(), ops.end(), [](auto* a, auto* b) { return a->start < b->start; });
        for (std::size_t i = 1; i < ops.size(); ++i)
            QVERIFY2(ops[i]->start >= ops[i - 1]->end,
                     qPrintable(QString("unit double-booked on chip %1 (%2 at %3 overlaps %4 ending %5)")
                                    .arg(std::get<0>(unit))
                                    .arg(ops[i]->label)
                                    .arg(ops[i]->start)
                                    .arg(ops[i - 1]->label)
                                    .arg(ops[i - 1]->end)));
    }
    for (const auto& op : s.ops) {
        for (int k = 0; k < op.depCount; ++k) {
            const auto& dep = s.deps[static_cast<std::size_t>(op.firstDep + k)];
            QVERIFY(dep.op >= 0 && static_cast<std::size_t>(dep.op) < s.ops.size());
            const auto& producer = s.ops[static_cast<std::size_t>(dep.op)];
            if (dep.streamed) {
                QVERIFY(op.start >= producer.start + dep.offset);
                QVERIFY(op.end >= producer.end);
            } else {
                QVERIFY2(op.start >= producer.readyAt,
                         qPrintable(QString("%1 starts at %2 before %3 is ready at %4")
                                        .arg(op.label)
                                        .arg(op.start)
                                        .arg(producer.label)
                                        .arg(producer.readyAt)));
            }
        }
    }
}

} // namespace

class TestSimulator : public QObject {
    Q_OBJECT

private slots:
    void builtinHardwareHasSourcesAndParses() {
        const auto ids = builtinHardwareIds();
        for (const char* id : {"groq-tsp-v1", "h100-sxm", "a100-80g", "cpu-local"})
            QVERIFY2(std::find(ids.begin(), ids.end(), id) != ids.end(), id);
        for (const auto& id : ids) {
            const auto text = builtinHardwareText(id);
            const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(text)).object();
            const auto params = doc["parameters"].toObject();
            QVERIFY(!params.isEmpty());
            for (auto it = params.begin(); it != params.end(); ++it)
                QVERIFY2(!it.value().toObject()["source"].toString().isEmpty(), qPrintable(it.key()));
        }
        const auto tsp = builtinHardware("groq-tsp-v1");
        QCOMPARE(tsp.lpu.memSlices, 88);
        QCOMPARE(tsp.lpu.sramBytes(), 220.0 * 1024 * 1024);
        QCOMPARE(tsp.lpu.int8MacsPerCycle(), 409600.0);
        QVERIFY(!tsp.lpu.useMarketingBandwidth);
        QCOMPARE(tsp.lpu.sramBandwidth(), 55.0 * 1099511627776.0);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, builtinHardware("no-such-device"));
    }

    void editedHardwareFileIsUsedAndBadFilesAreNamed() {
        auto text = builtinHardwareText("groq-tsp-v1");
        const std::string clock = "\"value\": 900e6";
        QVERIFY(text.find(clock) != std::string::npos);
        const QString path = wb::test::scratchDir() + "/fast-tsp.json";
        {
            auto edited = text;
            edited.replace(edited.find(clock), clock.size(), "\"value\": 1800e6");
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray::fromStdString(edited));
        }
        const auto fast = loadHardwareFile(path.toStdString());
        QCOMPARE(fast.lpu.clockHz, 1800e6);
        const auto model = modelPreset("llama-2-7b");
        const auto slow = simulate(model, builtinHardware("groq-tsp-v1"), int8Options(), {});
        const auto quick = simulate(model, fast, int8Options(), {});
        QVERIFY(quick.summary.tokensPerSecPerUser > 1.5 * slow.summary.tokensPerSecPerUser);

        auto broken = text;
        broken.replace(broken.find("\"vxm_alus\""), std::string("\"vxm_alus\"").size(), "\"vxm_alu_count\"");
        try {
            parseHardwareJson(broken, "edited.json");
            QFAIL("a missing parameter was accepted");
        } catch (const std::runtime_error& e) {
            QVERIFY2(std::string(e.what()).find("vxm_alus") != std::string::npos, e.what());
            QVERIFY(std::string(e.what()).find("edited.json") != std::string::npos);
        }
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, parseHardwareJson("{not json", "x.json"));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, loadHardwareFile("/nonexistent/hw.json"));
    }

    void presetsAndGgufArchitectures() {
        for (const auto& id : modelPresetIds())
            QCOMPARE(modelPreset(id).id, id);
        const auto m = modelPreset("llama-2-70b");
        QCOMPARE(m.layers, 80u);
        QCOMPARE(m.headDim, 128u);
        // 68.98e9 parameters is Llama-2-70B's published size.
        QVERIFY(std::abs(m.totalParams() - 68.98e9) < 0.05e9);
        const auto mix = modelPreset("mixtral-8x7b");
        QVERIFY(std::abs(mix.totalParams() - 46.7e9) < 0.3e9);
        QVERIFY(std::abs(mix.activeParams() - 12.9e9) < 0.3e9);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, modelPreset("llama-9"));

        WB_REQUIRE_MODEL("llama.cpp-vocab/ggml-vocab-llama-spm.gguf", spm);
        const auto fromFile = modelFromGguf(spm.toStdString());
        const auto preset = modelPreset("llama-2-7b");
        QCOMPARE(fromFile.layers, preset.layers);
        QCOMPARE(fromFile.hidden, preset.hidden);
        QCOMPARE(fromFile.ffn, preset.ffn);
        QCOMPARE(fromFile.heads, preset.heads);
        QCOMPARE(fromFile.vocab, preset.vocab);
        QCOMPARE(fromFile.totalParams(), preset.totalParams());
    }

    void plannerArithmetic() {
        const auto hw = builtinHardware("groq-tsp-v1");
        const auto model = modelPreset("llama-2-70b");
        auto fp16 = int8Options();
        fp16.precision.weights = NumberFormat::Fp16;
        // 138 GB of FP16 weights against 576 x 199 MB of usable SRAM: cannot fit.
        const double usable = (88 - 12) * 2.5 * 1024 * 1024;
        QVERIFY(model.totalParams() * 2 > 576 * usable);
        QVERIFY(!fitsOnChips(model, hw, fp16, 576));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, partitionModel(model, hw, fp16, 576));
        // At 8 bits it fits.
        QVERIFY(fitsOnChips(model, hw, int8Options(), 576));
        const auto plan = planCapacity(model, hw, int8Options());
        QVERIFY(plan.minimumChips <= 576);
        QCOMPARE(plan.decidedBy, std::string("weights"));
        const int lowerBound = static_cast<int>(std::ceil(model.totalParams() / usable));
        QVERIFY(plan.minimumChips >= lowerBound);
        QVERIFY(plan.minimumChips < lowerBound * 1.25);
        QVERIFY(fitsOnChips(model, hw, int8Options(), plan.minimumChips));
        QVERIFY(!fitsOnChips(model, hw, int8Options(), plan.minimumChips - 1));
        const auto fp16Plan = planCapacity(model, hw, fp16);
        QVERIFY(fp16Plan.minimumChips > 576);
        // Many users at long context: the KV cache decides.
        auto crowd = int8Options();
        crowd.batch = 256;
        QCOMPARE(planCapacity(modelPreset("llama-2-7b"), hw, crowd).decidedBy, std::string("kv_cache"));
        // Every chip of a partition stays within its SRAM.
        const auto partition = partitionModel(model, hw, int8Options(), 576);
        QCOMPARE(partition.chips, 576);
        for (const auto& chip : assignChips(model, hw, int8Options(), partition))
            QVERIFY(chip.bytes.total() <= hw.lpu.sramBytes());
        // A forced tensor-parallel degree is honoured or refused with a message.
        auto forced = int8Options();
        forced.tensorParallel = 14;
        QCOMPARE(partitionModel(model, hw, forced, 576).tensorParallel, 14);
        QCOMPARE(partitionModel(model, hw, forced, 576).stages, 40);
        forced.tensorParallel = 1;
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, partitionModel(model, hw, forced, 576));
    }

    void scheduleInvariantsAndDeterminism() {
        const auto hw = builtinHardware("groq-tsp-v1");
        for (const char* id : {"tinyllama-1.1b", "mixtral-8x7b"}) {
            const auto model = modelPreset(id);
            auto o = int8Options();
            o.batch = 3;
            const auto partition = partitionModel(model, hw, o, planCapacity(model, hw, o).minimumChips + 5);
            const auto a = compileForwardPass(model, hw, o, partition, {3, 1000, false});
            checkInvariants(a);
            const auto b = compileForwardPass(model, hw, o, partition, {3, 1000, false});
            QCOMPARE(a.ops.size(), b.ops.size());
            for (std::size_t i = 0; i < a.ops.size(); ++i) {
                QCOMPARE(a.ops[i].start, b.ops[i].start);
                QCOMPARE(a.ops[i].end, b.ops[i].end);
                QCOMPARE(a.ops[i].chip, b.ops[i].chip);
                QCOMPARE(int(a.ops[i].unit), int(b.ops[i].unit));
            }
            // Layer spans tile the pass and their critical-path breakdown adds up to each span.
            std::int64_t covered = 0;
            for (const auto& t : a.layers) {
                covered += t.endCycle - t.startCycle;
                double sum = 0;
                for (double v : t.breakdownUs)
                    sum += v;
                QVERIFY2(std::abs(sum - t.timeUs) <= 0.01 * t.timeUs + 0.01,
                         qPrintable(QString::number(t.layer)));
            }
            QCOMPARE(covered, a.makespan);
        }
        const auto model = modelPreset("llama-2-70b");
        const auto partition = partitionModel(model, hw, int8Options(), 576);
        const auto big = compileForwardPass(model, hw, int8Options(), partition, {1, 4096, false});
        checkInvariants(big);
        // Every chip that holds layers has work on its MXM.
        std::vector<bool> used(576, false);
        for (const auto& op : big.ops)
            if (op.unit == UnitKind::Mxm) used[static_cast<std::size_t>(op.chip)] = true;
        QCOMPARE(static_cast<int>(std::count(used.begin(), used.end(), true)),
                 partition.headChips + partition.stages * partition.tensorParallel);
    }

    void llama70bOn576ChipsMatchesGroq() {
        const auto hw = builtinHardware("groq-tsp-v1");
        auto o = int8Options();
        o.chips = 576;
        const auto start = std::chrono::steady_clock::now();
        const auto r = simulate(modelPreset("llama-2-70b"), hw, o, {});
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        qInfo("Llama-2-70B int8 on 576 chips: %.1f tok/s per user, TTFT %.2f ms, simulated in %.3f s",
              r.summary.tokensPerSecPerUser, r.summary.ttftMs, seconds);
        // Groq's published figure: about 300 tok/s per user; +-30 %.
        QVERIFY(r.summary.tokensPerSecPerUser > 210 && r.summary.tokensPerSecPerUser < 390);
        QVERIFY(seconds < 0.5);
        QCOMPARE(r.summary.chips, 576);
        QCOMPARE(static_cast<int>(r.summary.perLayerUs.size()), 80 + 2);
        // With int8 activations the MXM consumes int8 weights directly: no on-the-fly conversion.
        auto w8a8 = o;
        w8a8.precision.activations = NumberFormat::Int8;
        const auto fast = simulate(modelPreset("llama-2-70b"), hw, w8a8, {});
        QVERIFY(fast.summary.tokensPerSecPerUser > 1.5 * r.summary.tokensPerSecPerUser);
        // Batching: aggregate grows, per-user rate does not.
        auto batched = o;
        batched.batch = 8;
        const auto many = simulate(modelPreset("llama-2-70b"), hw, batched, {});
        QVERIFY(many.summary.throughputTokensPerSec > 4 * r.summary.throughputTokensPerSec);
        QVERIFY(many.summary.tokensPerSecPerUser <= r.summary.tokensPerSecPerUser * 1.01);
    }

    // The planner's own chip count for 70B (no --chips) once built an all-reduce of one op per
    // (sender, receiver) pair over a 351-wide group: millions of ops. Collectives are now one op per
    // (sender, link), groups are at most as wide as the heads, so ops grow linearly with the chips.
    void automaticChipCountStaysLinear() {
        const auto hw = builtinHardware("groq-tsp-v1");
        const auto model = modelPreset("llama-2-70b");
        const auto plan = planCapacity(model, hw, int8Options());
        const auto r = simulate(model, hw, int8Options(), {});
        QCOMPARE(r.summary.chips, plan.minimumChips);
        QVERIFY(r.lpu.has_value());
        QVERIFY(r.lpu->partition.tensorParallel <= static_cast<int>(model.heads));
        QVERIFY(r.summary.tokensPerSecPerUser > 0);
        // Per layer a rank runs a fixed set of compute ops (norms, matmul groups, softmax, ...; under 40) and
        // four exchanges (two all-reduces of two phases each), each at most one send per C2C link.
        const double perRankLayer = 40 + 4 * hw.lpu.c2cLinks;
        for (int chips : {plan.minimumChips, 576, 2000, 80 * 64 + 3}) {
            const auto partition = partitionModel(model, hw, int8Options(), chips);
            const auto pass = compileForwardPass(model, hw, int8Options(), partition, {1, 4096, false});
            double rankLayers = 0;
            for (const auto& chip : assignChips(model, hw, int8Options(), partition))
                rankLayers += chip.layerCount;
            qInfo("%d chips: %d stages x %d-way, %zu ops", chips, partition.stages, partition.tensorParallel,
                  pass.ops.size());
            QVERIFY(partition.tensorParallel <= static_cast<int>(model.heads));
            QVERIFY2(double(pass.ops.size()) <= perRankLayer * rankLayers + 100.0 * partition.headChips,
                     qPrintable(QString::number(pass.ops.size())));
            // One op per (sender, receiver) pair would be t - 1 sends per exchange per rank.
            if (partition.tensorParallel > hw.lpu.c2cLinks + 1) {
                std::size_t sends = 0;
                for (const auto& op : pass.ops)
                    sends += op.kind == OpKind::Send;
                QVERIFY(double(sends) < 4.0 * (partition.tensorParallel - 1) * rankLayers);
            }
            checkInvariants(pass);
        }
    }

    void cancelFlagStopsASimulation() {
        const auto hw = builtinHardware("groq-tsp-v1");
        const auto model = modelPreset("llama-2-70b");
        std::atomic<bool> cancel{true};
        SimulationSettings settings;
        settings.cancel = &cancel;
        auto o = int8Options();
        o.chips = 576;
        QVERIFY_THROWS_EXCEPTION(SimulationCancelled, simulate(model, hw, o, settings));
        // The compiler itself checks the flag between layers.
        const auto partition = partitionModel(model, hw, o, 576);
        QVERIFY_THROWS_EXCEPTION(SimulationCancelled,
                                 compileForwardPass(model, hw, o, partition, {1, 4096, false}, &cancel));
        // Also while comparing against other devices.
        settings.compareWith = {"h100-sxm"};
        QVERIFY_THROWS_EXCEPTION(SimulationCancelled,
                                 simulate(model, builtinHardware("h100-sxm"), o, settings));
        // A lowered flag changes nothing.
        cancel = false;
        const auto r = simulate(model, hw, o, settings);
        QCOMPARE(r.summary.tokensPerSecPerUser, simulate(model, hw, o, {}).summary.tokensPerSecPerUser);
    }

    void tensorParallelWiderThanHeadsIsRefused() {
        const auto hw = builtinHardware("groq-tsp-v1");
        const auto model = modelPreset("llama-2-70b");
        QCOMPARE(maxTensorParallel(model, hw, int8Options()), 64);
        auto forced = int8Options();
        forced.tensorParallel = 65;
        try {
            partitionModel(model, hw, forced, 6000);
            QFAIL("a 65-way group for 64 heads was accepted");
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            QVERIFY2(what.find("wider than 64") != std::string::npos, e.what());
            QVERIFY2(what.find("64 attention heads") != std::string::npos, e.what());
        }
        forced.tensorParallel = 64;
        QCOMPARE(partitionModel(model, hw, forced, 6000).tensorParallel, 64);
        // Many more chips than needed: the widest group is used, the rest stay spare.
        const auto wide = partitionModel(model, hw, int8Options(), 200000);
        QCOMPARE(wide.tensorParallel, 64);
        QCOMPARE(wide.stages, 80);
        QCOMPARE(wide.spareChips, 200000 - wide.headChips - 80 * 64);
        // When one layer's KV cache does not fit on one chip per head, the group grows past the heads (the
        // extra ranks split the cached positions), just as far as needed.
        const auto small = modelPreset("llama-2-7b");
        auto crowd = int8Options();
        crowd.batch = 256;
        const int widest = maxTensorParallel(small, hw, crowd);
        QVERIFY(widest > static_cast<int>(small.heads));
        const double usable = (hw.lpu.memSlices - hw.lpu.instructionMemSlices) * hw.lpu.memSliceBytes;
        // KV of one layer: 2 x 32 KV heads x 128 x 4096 positions x 256 users x 1 byte = 8.6 GB.
        QVERIFY(kvBytesPerLayer(small, crowd) / widest < usable);
        QVERIFY(kvBytesPerLayer(small, crowd) / small.heads > usable);
        const auto plan = planCapacity(small, hw, crowd);
        QCOMPARE(plan.decidedBy, std::string("kv_cache"));
        const auto placed = partitionModel(small, hw, crowd, plan.minimumChips);
        QVERIFY(placed.tensorParallel > static_cast<int>(small.heads));
        for (const auto& chip : assignChips(small, hw, crowd, placed))
            QVERIFY(chip.bytes.total() <= hw.lpu.sramBytes());
        crowd.tensorParallel = widest + 1;
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, partitionModel(small, hw, crowd, 100000));
    }

    void bandwidthChoiceIsExplicit() {
        auto hw = builtinHardware("groq-tsp-v1");
        const auto model = modelPreset("llama-2-7b");
        auto o = int8Options();
        o.precision.weights = NumberFormat::Fp16;
        const auto paper = simulate(model, hw, o, {});
        hw.lpu.useMarketingBandwidth = true;
        const auto marketing = simulate(model, hw, o, {});
        QVERIFY(paper.summary.note.find("paper") != std::string::npos);
        QVERIFY(marketing.summary.note.find("marketing") != std::string::npos);
        QCOMPARE(hw.lpu.sramBandwidth(), 80e12);
        // Weights reach the MXM through the stream registers (about 20 TiB/s), slower than either SRAM
        // figure, so the choice does not move the decode result; the MEM slices' own busy time does change.
        QVERIFY(std::abs(marketing.summary.tokensPerSecPerUser - paper.summary.tokensPerSecPerUser) <
                0.01 * paper.summary.tokensPerSecPerUser);
        QVERIFY(hw.lpu.feedBytesPerCycle() * hw.lpu.clockHz == hw.lpu.streamBandwidth);
    }

    void rooflineMatchesHandCalculation() {
        const auto h100 = builtinHardware("h100-sxm");
        const auto model = modelPreset("llama-2-7b");
        DeploymentOptions o;
        o.precision.weights = NumberFormat::Fp16;
        o.context = 1;
        // Hand calculation: per layer 4*4096^2 + 3*4096*11008 weights, 32 layers, plus the 32000x4096
        // output projection, 2 bytes each, read once per token at 3.35 TB/s.
        const double params = 32.0 * (4.0 * 4096 * 4096 + 3.0 * 4096 * 11008) + 32000.0 * 4096;
        const double kvBytes = 32.0 * 2 * 32 * 128 * 1 * 2;
        const double expected = 3.35e12 / (params * 2 + kvBytes);
        const auto r = simulateRoofline(model, h100, o, 1.0);
        QVERIFY2(std::abs(r.tokensPerSecPerUser - expected) / expected < 1e-3,
                 qPrintable(QString("%1 vs %2").arg(r.tokensPerSecPerUser).arg(expected)));
        QCOMPARE(r.bound, std::string("memory bandwidth"));
        QVERIFY(std::abs(expected - 253.5) < 1.0);
        // 4k context adds 32 layers x 2 x 4096 x 4096 x 2 bytes of KV per token.
        o.context = 4096;
        const double withKv = 3.35e12 / (params * 2 + 32.0 * 2 * 4096 * 4096 * 2);
        QVERIFY(std::abs(simulateRoofline(model, h100, o, 1.0).tokensPerSecPerUser - withKv) / withKv < 1e-3);
        // Efficiency scales linearly.
        QVERIFY(std::abs(simulateRoofline(model, h100, o, 0.5).tokensPerSecPerUser - withKv * 0.5) / withKv <
                1e-3);
        // A big batch turns the step compute-bound: 2 FLOPs per weight per user at 989 TFLOPS.
        o.context = 1;
        o.batch = 4096;
        const auto big = simulateRoofline(model, h100, o, 1.0);
        QCOMPARE(big.bound, std::string("compute"));
        // 70B at FP16 needs two 80 GB GPUs.
        o.batch = 1;
        QCOMPARE(simulateRoofline(modelPreset("llama-2-70b"), h100, o, 1.0).devices, 2);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, simulateRoofline(model, h100, o, 0.0));
    }

    void cpuProbeIsMeasuredAndCached() {
        const auto& first = measureLocalCpu();
        QVERIFY(first.memoryBandwidth > 1e8);
        QVERIFY(first.fp32Flops > 1e8);
        QVERIFY(first.probeSeconds < 2.0);
        const auto cpu = builtinHardware("cpu-local");
        QVERIFY(cpu.roofline.measured);
        QCOMPARE(cpu.roofline.memoryBandwidth, first.memoryBandwidth);
        QCOMPARE(&measureLocalCpu(), &first);
        const auto r = simulate(modelPreset("tinyllama-1.1b"), cpu, int8Options(), {});
        QVERIFY(r.summary.note.find("measured") != std::string::npos);
    }

    // This CPU: the roofline prediction next to the engine's measured per-layer times of the same file.
    void measuredComparisonOnARealRun() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        QProcess iwb;
        iwb.start(wb::test::iwbPath(), {"simulate", "--model", path, "--hardware", "cpu-local", "--measure",
                                        "-n", "12", "-t", "1", "--compare", "none", "--json"});
        QVERIFY(iwb.waitForFinished(120000));
        QCOMPARE(iwb.exitCode(), 0);
        const auto doc = QJsonDocument::fromJson(iwb.readAllStandardOutput());
        QVERIFY(doc.isObject());
        const auto measuredJson = doc.object()["measured"].toObject();
        // stories260K: all F32, 5 blocks; greedy from "Once upon a time" runs past 12 tokens.
        QCOMPARE(measuredJson["bytes_per_weight"].toDouble(), 4.0);
        QCOMPARE(doc.object()["precision"].toObject()["weights"].toString(), QString("fp32"));
        QCOMPARE(measuredJson["threads"].toInt(), 1);
        QCOMPARE(measuredJson["generated_tokens"].toInt(), 11); // the first token's latency holds no pass
        const auto rowsJson = measuredJson["per_layer"].toArray();
        QCOMPARE(rowsJson.size(), 6);
        QCOMPARE(rowsJson[5].toObject()["name"].toString(), QString("output"));

        // Feed the measured numbers of that run to the pure function with this process' prediction.
        MeasuredRun run;
        for (int i = 0; i < 5; ++i)
            run.layerMs.push_back(rowsJson[i].toObject()["measured_ms"].toDouble());
        run.outsideMs = rowsJson[5].toObject()["measured_ms"].toDouble();
        for (const auto& op : measuredJson["ops"].toArray())
            run.opMs.emplace_back(op.toObject()["op"].toString().toStdString(),
                                  op.toObject()["measured_ms"].toDouble());
        run.generatedTokens = measuredJson["generated_tokens"].toInt();
        run.tokenLatencyMs = measuredJson["measured_token_ms"].toDouble();
        run.tokensPerSecond = measuredJson["measured_tokens_per_s"].toDouble();
        run.threads = 1;
        for (double ms : run.layerMs)
            QVERIFY(ms > 0);
        QVERIFY(run.outsideMs > 0);
        QVERIFY(std::abs(run.tokensPerSecond * run.tokenLatencyMs - 1000) < 1e-6 * 1000);
        // Every matrix of a block was timed.
        std::set<std::string> ops;
        for (const auto& [op, ms] : run.opMs)
            ops.insert(op);
        for (const char* op : {"q_proj", "k_proj", "v_proj", "o_proj", "attention", "ffn_gate", "ffn_up",
                               "ffn_down", "output_head", "sampling"})
            QVERIFY2(ops.count(op) == 1, op);

        const auto model = modelFromGguf(path.toStdString());
        auto o = int8Options();
        o.precision.weights = NumberFormat::Fp32;
        o.context = 20;
        const auto predicted = simulate(model, builtinHardware("cpu-local"), o, {}).summary;
        const auto c = compareWithMeasurement(predicted, run);
        QCOMPARE(static_cast<int>(c.rows.size()), 6);
        double predictedSum = 0, measuredSum = 0;
        for (std::size_t i = 0; i < c.rows.size(); ++i) {
            const auto& row = c.rows[i];
            QCOMPARE(row.layer, static_cast<int>(i));
            QCOMPARE(row.predictedMs, predicted.perLayerUs[i].second / 1e3);
            QVERIFY(row.predictedMs > 0);
            QCOMPARE(row.ratio, row.measuredMs / row.predictedMs);
            predictedSum += row.predictedMs;
            measuredSum += row.measuredMs;
        }
        QCOMPARE(c.rows[4].measuredMs, run.layerMs[4]);
        QCOMPARE(c.rows[5].measuredMs, run.outsideMs);
        QVERIFY(std::abs(c.total.predictedMs - predictedSum) < 1e-12);
        QVERIFY(std::abs(c.total.measuredMs - measuredSum) < 1e-12);
        QVERIFY(std::abs(c.blocks.measuredMs + run.outsideMs - measuredSum) < 1e-12);
        // The roofline's token is the sum of its layers.
        QVERIFY(std::abs(c.predictedTokenMs - c.total.predictedMs) < 1e-9);
        QCOMPARE(c.tokenRatio, run.tokenLatencyMs / predicted.tokenLatencyMs);
        QCOMPARE(c.measuredTokensPerSecond, run.tokensPerSecond);
        QCOMPARE(c.unattributedMs, std::max(0.0, run.tokenLatencyMs - measuredSum));
        double shares = 0;
        for (std::size_t i = 0; i < c.ops.size(); ++i) {
            shares += c.ops[i].share;
            if (i > 0) QVERIFY(c.ops[i - 1].measuredMs >= c.ops[i].measuredMs);
        }
        QVERIFY(std::abs(shares - 1) < 1e-9);
        // Twice as slow measured: twice the ratios.
        auto slower = run;
        for (auto& ms : slower.layerMs)
            ms *= 2;
        QCOMPARE(compareWithMeasurement(predicted, slower).rows[2].ratio, 2 * c.rows[2].ratio);

        // Refusals: another layer count, no tokens, a static-schedule prediction.
        auto fewer = run;
        fewer.layerMs.pop_back();
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, compareWithMeasurement(predicted, fewer));
        auto empty = run;
        empty.generatedTokens = 0;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, compareWithMeasurement(predicted, empty));
        const auto lpu = simulate(model, builtinHardware("groq-tsp-v1"), int8Options(), {}).summary;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, compareWithMeasurement(lpu, run));

        // The text table, and the refusals of the CLI.
        QProcess text;
        text.start(wb::test::iwbPath(), {"simulate", "--model", path, "--hardware", "cpu-local", "--measure",
                                         "-n", "4", "--compare", "none"});
        QVERIFY(text.waitForFinished(120000));
        QCOMPARE(text.exitCode(), 0);
        const QString out = QString::fromUtf8(text.readAllStandardOutput());
        QVERIFY(out.contains("predicted vs measured on this CPU"));
        QVERIFY(out.contains("token: predicted"));
        for (const QStringList& bad : {QStringList{"--hardware", "groq-tsp-v1", "--measure"},
                                       QStringList{"--hardware", "cpu-local", "-n", "4"}}) {
            QProcess refused;
            refused.start(wb::test::iwbPath(), QStringList{"simulate", "--model", path} + bad);
            QVERIFY(refused.waitForFinished(60000));
            QCOMPARE(refused.exitCode(), 2);
        }
        QProcess preset;
        preset.start(wb::test::iwbPath(),
                     {"simulate", "--model", "llama-2-7b", "--hardware", "cpu-local", "--measure"});
        QVERIFY(preset.waitForFinished(60000));
        QCOMPARE(preset.exitCode(), 2);
    }

    void jsonOutputFields() {
        QProcess iwb;
        iwb.start(wb::test::iwbPath(),
                  {"simulate", "--model", "llama-2-70b", "--hardware", "groq-tsp-v1", "--chips", "576",
                   "--weights", "int8", "--context", "4096", "--prompt-tokens", "550", "--batch", "1",
                   "--compare", "h100-sxm", "--json"});
        QVERIFY(iwb.waitForFinished(60000));
        QCOMPARE(iwb.exitCode(), 0);
        const auto doc = QJsonDocument::fromJson(iwb.readAllStandardOutput());
        QVERIFY(doc.isObject());
        const auto o = doc.object();
        QCOMPARE(o["chips"].toInt(), 576);
        for (const char* key :
             {"tokens_per_s_per_user", "ttft_ms", "token_latency_ms", "throughput_tokens_per_s"})
            QVERIFY2(o[key].toDouble() > 0, key);
        QVERIFY(std::abs(o["tokens_per_s_per_user"].toDouble() * o["token_latency_ms"].toDouble() - 1000) <
                1);
        const auto layers = o["per_layer"].toArray();
        QCOMPARE(layers.size(), 82);
        for (const auto& l : layers) {
            const auto layer = l.toObject();
            QVERIFY(layer.contains("layer"));
            QVERIFY(layer["time_us"].toDouble() > 0);
            QVERIFY(!layer["bound"].toString().isEmpty());
        }
        const auto residency = o["residency"].toObject();
        const auto chips = residency["chips"].toArray();
        QCOMPARE(chips.size(), 576);
        QCOMPARE(chips[10].toObject()["slices"].toString().size(), 88);
        QVERIFY(chips[10].toObject()["slices"].toString().startsWith("IIIIIIIIIIIIW"));
        QCOMPARE(o["sram_bandwidth"].toObject()["choice"].toString(), QString("paper"));
        QCOMPARE(o["comparison"].toArray().size(), 1);

        QProcess bad;
        bad.start(wb::test::iwbPath(),
                  {"simulate", "--model", "llama-2-70b", "--weights", "fp16", "--chips", "576"});
        QVERIFY(bad.waitForFinished(60000));
        QCOMPARE(bad.exitCode(), 1);
        QVERIFY(bad.readAllStandardError().contains("does not fit on 576 chips"));
        QProcess unknown;
        unknown.start(wb::test::iwbPath(), {"simulate", "--model", "gpt-17", "--hardware", "groq-tsp-v1"});
        QVERIFY(unknown.waitForFinished(60000));
        QCOMPARE(unknown.exitCode(), 2);
    }
};

QTEST_GUILESS_MAIN(TestSimulator)
#include "test_simulator.moc"
