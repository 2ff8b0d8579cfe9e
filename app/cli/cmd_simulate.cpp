// iwb simulate: compile a model onto simulated hardware (Groq TSP-style LPU, GPU or this CPU) and show
// where the time goes, next to the other devices.
#include "cli_args.h"
#include "cli_command.h"

#include "engine/model/inference_context.h"
#include "engine/session/generation_session.h"
#include "engine/telemetry/op_kind.h"
#include "engine/telemetry/run_aggregator.h"
#include "visualizer/core/hardware.h"
#include "visualizer/core/measured_comparison.h"
#include "visualizer/core/model_arch.h"
#include "visualizer/core/simulation.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

namespace wb::cli {
namespace {

std::string gigabytes(double bytes) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2f GB", bytes / 1e9);
    return buffer;
}

void printSummaryRow(const sim::DeviceSummary& s) {
    std::printf("  %-14s %-16s %6d %12.3f %12.1f %14.1f %10.1f  %-18s %10.3f %10.2f\n", s.hardwareId.c_str(),
                s.method.c_str(), s.chips, s.tokenLatencyMs, s.tokensPerSecPerUser, s.throughputTokensPerSec,
                s.ttftMs, s.bound.c_str(), s.economics.energyPerTokenJoules,
                s.economics.costPerMillionTokens);
}

void printText(const sim::SimulationResult& r, bool allLayers) {
    const auto& m = r.model;
    const auto& o = r.options;
    std::printf(
        "model       %s (%s): %u layers, hidden %u, ffn %u, heads %u/%u, vocab %u%s, %.2fB parameters\n",
        m.name.c_str(), m.source.c_str(), m.layers, m.hidden, m.ffn, m.heads, m.kvHeads, m.vocab,
        m.experts > 1
            ? (", " + std::to_string(m.experts) + " experts top-" + std::to_string(m.expertsPerToken)).c_str()
            : "",
        m.totalParams() / 1e9);
    std::printf("precision   weights %s, KV cache %s, activations %s; context %u, prompt %u, batch %u\n",
                std::string(sim::formatName(o.precision.weights)).c_str(),
                std::string(sim::formatName(o.precision.kvCache)).c_str(),
                std::string(sim::formatName(o.precision.activations)).c_str(), o.context, o.promptTokens,
                o.batch);
    std::printf("hardware    %s (%s, %s)\n", r.hardware.name.c_str(), r.hardware.id.c_str(),
                r.hardware.origin.c_str());
    if (r.lpu) {
        const auto& l = *r.lpu;
        std::printf("SRAM bw     %s: %.1f TB/s per chip (the other choice: %s)\n",
                    std::string(r.hardware.lpu.bandwidthChoiceName()).c_str(),
                    r.hardware.lpu.sramBandwidth() / 1e12,
                    r.hardware.lpu.useMarketingBandwidth ? "paper 55 TiB/s" : "marketing 80 TB/s");
        std::printf("\ncapacity    fewest chips %d (%s)\n", l.plan.minimumChips, l.plan.explanation.c_str());
        std::printf("            per chip %s SRAM, %s usable after instruction memory\n",
                    gigabytes(l.plan.sramPerChip).c_str(), gigabytes(l.plan.usablePerChip).c_str());
        std::printf(
            "partition   %d chips: %d head chip(s) (embedding + output), %d pipeline stages x %d-way tensor "
            "parallel, up to %d layer(s) per stage, %d spare (%s)\n",
            l.partition.chips, l.partition.headChips, l.partition.stages, l.partition.tensorParallel,
            l.partition.layersPerStage, l.partition.spareChips,
            l.partition.automatic ? "chosen automatically" : "tensor-parallel degree given");
        std::printf(
            "schedule    %zu ops, %lld cycles per decode pass; %d micro-batch(es) of %d row(s) in flight; "
            "prefill chunk %d\n",
            l.decode.ops.size(), static_cast<long long>(l.decode.makespan), l.microBatches, l.microBatchRows,
            l.prefillChunk);
        if (l.residency.contextLimitTokens > 0)
            std::printf("KV growth   SRAM runs out at about %.0f tokens of context per user\n",
                        l.residency.contextLimitTokens);
    }
    std::printf("\nper layer (decode step)\n  %-8s %10s  %-18s", "layer", "time us", "bound");
    if (r.lpu) std::printf("  %8s %8s %8s %8s %8s %8s", "MXM", "VXM", "MEM", "SXM", "C2C", "chain");
    std::printf("\n");
    const auto& s = r.summary;
    for (std::size_t i = 0; i < s.perLayerUs.size(); ++i) {
        const int layer = s.perLayerUs[i].first;
        const bool edge = i < 3 || i + 3 >= s.perLayerUs.size();
        if (!allLayers && !edge) {
            if (i == 3) std::printf("  ... (--all-layers lists every layer)\n");
            continue;
        }
        std::string name = layer < 0                             ? "embed"
                           : layer >= static_cast<int>(m.layers) ? "output"
                                                                 : std::to_string(layer);
        std::printf("  %-8s %10.2f  %-18s", name.c_str(), s.perLayerUs[i].second, s.perLayerBound[i].c_str());
        if (r.lpu) {
            const auto& b = r.lpu->decode.layers[i].breakdownUs;
            std::printf("  %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f", b[0], b[1], b[2], b[3], b[4], b[5]);
        }
        std::printf("\n");
    }
    std::printf("\n  %-14s %-16s %6s %12s %12s %14s %10s  %-18s %10s %10s\n", "device", "method", "chips",
                "token ms", "tok/s/user", "tok/s total", "TTFT ms", "bound", "J/token", "$/Mtok");
    printSummaryRow(s);
    for (const auto& c : r.comparison)
        printSummaryRow(c);
    for (const auto& c : r.comparison)
        if (!c.note.empty()) std::printf("  note: %s: %s\n", c.hardwareId.c_str(), c.note.c_str());
    if (!s.note.empty()) std::printf("  note: %s: %s\n", s.hardwareId.c_str(), s.note.c_str());
    std::printf("\nsimulated in %.3f s\n", r.simulateSeconds);
}

// The engine's side of --measure: greedy generation of `tokens` tokens with per-op telemetry, reduced to
// means per generated token (the same RunAggregator the app's live views use).
struct EngineMeasurement {
    sim::MeasuredRun run;
    int promptTokens = 0;
    double bytesPerWeight = 0; // the file's weight bytes per parameter
    std::string text;
};

EngineMeasurement measureOnEngine(const std::string& path, const std::string& prompt, int tokens,
                                  ContextOptions contextOptions, double params) {
    auto session = GenerationSession::open(path, contextOptions);
    telemetry::RunAggregator aggregator;
    GenerationOptions options;
    options.maxTokens = tokens;
    options.sampling.temperature = 0; // greedy: the same tokens every run
    options.telemetry.enabled = true;
    options.telemetry.keepTrace = false;
    options.telemetry.sampleResidency = false;
    options.telemetry.onPass = [&](const telemetry::PassReport& pass) { aggregator.addPass(pass); };
    const auto result = session->generate(prompt, options, {});

    EngineMeasurement m;
    m.promptTokens = static_cast<int>(result.promptIds.size());
    m.bytesPerWeight = params > 0 ? double(session->model().weightBytes()) / params : 0;
    m.text = result.text;
    auto& run = m.run;
    run.threads = session->threadCount();
    const auto layers = aggregator.averageLayers();
    const auto outside = aggregator.averageOutsideLayers();
    std::vector<double> opMs(telemetry::kOpKindCount, 0.0);
    for (const auto& layer : layers) {
        run.layerMs.push_back(layer.totalMs);
        for (int k = 0; k < telemetry::kOpKindCount; ++k)
            opMs[k] += layer.opMs[k];
    }
    run.outsideMs = outside.totalMs;
    for (int k = 0; k < telemetry::kOpKindCount; ++k) {
        opMs[k] += outside.opMs[k];
        if (opMs[k] > 0)
            run.opMs.emplace_back(std::string(telemetry::opKindName(static_cast<telemetry::OpKind>(k))),
                                  opMs[k]);
    }
    // The first generated token's latency runs from the end of the prompt and holds no forward pass of
    // its own; steady-state decoding is the tokens after it.
    const auto& series = aggregator.latencySeries();
    double sum = 0;
    int count = 0;
    for (std::size_t i = 1; i < series.size(); ++i) {
        sum += series[i].latencyMs;
        ++count;
    }
    if (count == 0 && !series.empty()) {
        sum = series.front().latencyMs;
        count = 1;
    }
    run.generatedTokens = count;
    run.tokenLatencyMs = count > 0 ? sum / count : 0;
    run.tokensPerSecond = sum > 0 ? count * 1000.0 / sum : 0;
    return m;
}

void printMeasured(const sim::MeasuredComparison& c, const EngineMeasurement& m,
                   const sim::SimulationResult& r) {
    std::printf(
        "\npredicted vs measured on this CPU (%s, %d thread(s); means over %d generated tokens after a "
        "%d-token prompt; predicted KV positions %u)\n",
        c.hardwareId.c_str(), c.threads, c.generatedTokens, m.promptTokens, r.options.context);
    std::printf("  %-8s %12s %12s %8s\n", "layer", "predicted ms", "measured ms", "ratio");
    for (const auto& row : c.rows)
        std::printf("  %-8s %12.4f %12.4f %8.2f\n", row.name.c_str(), row.predictedMs, row.measuredMs,
                    row.ratio);
    for (const auto* row : {&c.blocks, &c.total})
        std::printf("  %-8s %12.4f %12.4f %8.2f\n", row->name.c_str(), row->predictedMs, row->measuredMs,
                    row->ratio);
    std::printf("\n  measured op time per token by operation:");
    for (std::size_t i = 0; i < c.ops.size() && i < 6; ++i)
        std::printf("%s %s %.4f ms (%.0f %%)", i == 0 ? "" : ",", c.ops[i].op.c_str(), c.ops[i].measuredMs,
                    100.0 * c.ops[i].share);
    std::printf(
        "\n  token: predicted %.4f ms (%.1f tok/s), measured %.4f ms (%.1f tok/s), ratio %.2f; %.4f ms per "
        "token outside op spans\n",
        c.predictedTokenMs, c.predictedTokensPerSecond, c.measuredTokenMs, c.measuredTokensPerSecond,
        c.tokenRatio, c.unattributedMs);
}

int runSimulate(const std::vector<std::string>& args) {
    ArgParser parser(
        "iwb simulate",
        "--model PRESET|FILE.gguf --hardware NAME [--chips N] [--weights FMT] [--context N] "
        "[--prompt-tokens N] [--batch N] [--json]",
        "Compile a model onto simulated hardware and show per layer where the time goes, next to a "
        "GPU and this CPU. LPU results come from a static cycle schedule; GPU/CPU from a roofline.");
    parser.option("-m", "--model", "PRESET|FILE", "model preset id (see --list) or a .gguf file");
    parser.option("", "--hardware", "NAME", "built-in hardware: groq-tsp-v1, h100-sxm, a100-80g, cpu-local",
                  "groq-tsp-v1");
    parser.option("", "--hardware-file", "PATH", "load an edited hardware description instead of --hardware");
    parser.option("", "--chips", "N", "LPU chips (default: the planner's minimum)");
    parser.option("", "--tensor-parallel", "N", "LPU chips per layer group (default: automatic)");
    parser.option("", "--weights", "FMT", "weight precision: int8, fp8, fp16, bf16", "int8");
    parser.option("", "--kv", "FMT", "KV cache precision", "fp16");
    parser.option("", "--activations", "FMT", "activation precision (int8 makes the MXM run in int8)",
                  "fp16");
    parser.option("", "--context", "N", "tokens of context each user keeps (default: min(model, 4096))");
    parser.option("", "--prompt-tokens", "N", "prompt length for time to first token", "512");
    parser.option("", "--batch", "N", "concurrent users decoding", "1");
    parser.option("", "--bandwidth", "CHOICE", "LPU SRAM bandwidth: paper (55 TiB/s) or marketing (80 TB/s)");
    parser.option("", "--efficiency", "X", "roofline efficiency (MBU/MFU) for GPU/CPU, 0..1", "0.75");
    parser.option("", "--compare", "IDS", "comma-separated devices to compare with, or 'none'",
                  "groq-tsp-v1,h100-sxm,a100-80g,cpu-local");
    parser.option("", "--dump-hardware", "NAME",
                  "print a built-in hardware file (to copy and edit) and exit");
    parser.flag("", "--json", "print one JSON object");
    parser.flag("", "--schedule", "in JSON, include every scheduled op of the decode pass");
    parser.flag("", "--all-layers", "list every layer in text mode");
    parser.flag("", "--list", "list model presets and built-in hardware, then exit");
    parser.flag(
        "", "--measure",
        "with --hardware cpu-local and a .gguf: also run the engine on the file and print the prediction "
        "next to the measured per-layer times");
    parser.option("-n", "--tokens", "N", "--measure: tokens to generate", "32");
    parser.option("-t", "--threads", "N", "--measure: engine threads (default: physical cores)");
    parser.option("", "--prompt", "TEXT", "--measure: the prompt", "Once upon a time");
    if (!parser.parse(args)) return kExitOk;

    if (parser.has("--list")) {
        std::printf("model presets:");
        for (const auto& id : sim::modelPresetIds())
            std::printf(" %s", id.c_str());
        std::printf("\nhardware:");
        for (const auto& id : sim::builtinHardwareIds())
            std::printf(" %s", id.c_str());
        std::printf("\n");
        return kExitOk;
    }
    if (auto name = parser.optionalValue("--dump-hardware")) {
        try {
            std::cout << sim::builtinHardwareText(*name);
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
        return kExitOk;
    }
    const auto modelArg = parser.optionalValue("--model");
    if (!modelArg) throw UsageError("--model is required (a preset id such as llama-2-70b, or a .gguf file)");

    sim::ModelArchitecture model;
    try {
        if (modelArg->find(".gguf") != std::string::npos || modelArg->find('/') != std::string::npos) {
            requireFile(*modelArg, "model file");
            model = sim::modelFromGguf(*modelArg);
        } else {
            model = sim::modelPreset(*modelArg);
        }
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }

    sim::HardwareDescription hardware;
    if (auto path = parser.optionalValue("--hardware-file")) {
        requireFile(*path, "hardware file");
        hardware = sim::loadHardwareFile(*path);
    } else {
        try {
            hardware = sim::builtinHardware(parser.value("--hardware"));
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
    }
    if (auto choice = parser.optionalValue("--bandwidth")) {
        if (*choice != "paper" && *choice != "marketing")
            throw UsageError("--bandwidth must be 'paper' or 'marketing', got '" + *choice + "'");
        hardware.lpu.useMarketingBandwidth = *choice == "marketing";
    }

    sim::DeploymentOptions options;
    try {
        options.precision.weights = sim::parseNumberFormat(parser.value("--weights"));
        options.precision.kvCache = sim::parseNumberFormat(parser.value("--kv"));
        options.precision.activations = sim::parseNumberFormat(parser.value("--activations"));
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    const std::uint32_t defaultContext = model.maxContext == 0 ? 4096u : std::min(model.maxContext, 4096u);
    options.context = parser.has("--context")
                          ? static_cast<std::uint32_t>(parser.integer("--context", 1, 10000000))
                          : defaultContext;
    options.promptTokens = static_cast<std::uint32_t>(parser.integer("--prompt-tokens", 1, 10000000));
    options.batch = static_cast<std::uint32_t>(parser.integer("--batch", 1, 1000000));
    if (parser.has("--chips")) options.chips = static_cast<int>(parser.integer("--chips", 2, 200000));
    if (parser.has("--tensor-parallel"))
        options.tensorParallel = static_cast<int>(parser.integer("--tensor-parallel", 1, 100000));

    sim::SimulationSettings settings;
    settings.efficiency = parser.real("--efficiency", 0.001, 1.0);
    const std::string compare = parser.value("--compare");
    if (compare != "none") {
        std::size_t begin = 0;
        while (begin <= compare.size()) {
            const auto comma = compare.find(',', begin);
            const auto id =
                compare.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
            if (!id.empty()) {
                try {
                    (void)sim::builtinHardwareText(id);
                } catch (const std::invalid_argument& e) {
                    throw UsageError(std::string("--compare: ") + e.what());
                }
                settings.compareWith.push_back(id);
            }
            if (comma == std::string::npos) break;
            begin = comma + 1;
        }
    }

    const bool measure = parser.has("--measure");
    for (const char* flag : {"--tokens", "--threads", "--prompt"})
        if (parser.has(flag) && !measure)
            throw UsageError(std::string("option '") + flag + "' needs --measure");
    std::optional<EngineMeasurement> measured;
    if (measure) {
        if (hardware.kind != sim::DeviceKind::Cpu)
            throw UsageError("--measure compares against this CPU: use --hardware cpu-local");
        if (model.source.rfind("GGUF metadata", 0) != 0)
            throw UsageError("--measure runs the engine on a model file: give --model FILE.gguf");
        ContextOptions contextOptions;
        if (parser.has("--threads"))
            contextOptions.threads = static_cast<int>(parser.integer("--threads", 1, 1024));
        // The engine's KV cache in the simulated KV precision (the engine has F16 and F32).
        contextOptions.kvCacheType =
            options.precision.kvCache == sim::NumberFormat::Fp32 ? KvCacheType::F32 : KvCacheType::F16;
        const int tokens = static_cast<int>(parser.integer("--tokens", 1, 100000));
        measured =
            measureOnEngine(*modelArg, parser.value("--prompt"), tokens, contextOptions, model.totalParams());
        if (measured->run.generatedTokens < 1)
            throw std::runtime_error(
                "the model ended its text before a token could be measured; try another --prompt");
        // Predict what was measured: the file's weight size (nearest format the simulator has), batch 1, the
        // KV positions the measured tokens read on average.
        if (!parser.has("--weights")) {
            const double b = measured->bytesPerWeight;
            options.precision.weights = b > 3     ? sim::NumberFormat::Fp32
                                        : b > 1.5 ? sim::NumberFormat::Fp16
                                                  : sim::NumberFormat::Int8;
        }
        if (!parser.has("--context"))
            options.context =
                static_cast<std::uint32_t>(measured->promptTokens + (measured->run.generatedTokens + 2) / 2);
        options.batch = 1;
    }

    const auto result = sim::simulate(model, hardware, options, settings);
    std::optional<sim::MeasuredComparison> comparison;
    if (measured) comparison = sim::compareWithMeasurement(result.summary, measured->run);
    if (parser.has("--json")) {
        auto out = sim::toJson(result, parser.has("--schedule"));
        if (comparison) {
            out["measured"] = sim::toJson(*comparison);
            out["measured"]["prompt_tokens"] = measured->promptTokens;
            out["measured"]["bytes_per_weight"] = measured->bytesPerWeight;
        }
        std::cout << out.dump(2) << "\n";
    } else {
        printText(result, parser.has("--all-layers"));
        if (comparison) printMeasured(*comparison, *measured, result);
    }
    return kExitOk;
}

const CommandRegistration registration{
    {"simulate", "simulate a model on an LPU (static schedule), a GPU or this CPU (roofline)", runSimulate}};

} // namespace
} // namespace wb::cli
