// iwb bench: prompt-processing and generation speed in llama-bench's style (llama.cpp tools/llama-bench),
// plus this machine's read bandwidth measured in the same run and how much of it generation uses.
#include "cli_args.h"
#include "cli_command.h"
#include "load_flags.h"

#include "engine/gguf/model_info.h"
#include "engine/model/greedy_timing.h"
#include "engine/model/inference_context.h"
#include "engine/model/model.h"
#include "engine/telemetry/machine_probe.h"
#include "engine/telemetry/recorder.h"
#include "engine/tensor/matmul.h"
#include "engine/tensor/quant_dot.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace wb::cli {
namespace {

struct Stats {
    double mean = 0, stddev = 0, median = 0, min = 0, max = 0;
};

Stats statsOf(std::vector<double> values) {
    Stats s;
    if (values.empty()) return s;
    s.mean = std::accumulate(values.begin(), values.end(), 0.0) / double(values.size());
    double squares = 0;
    for (double v : values)
        squares += (v - s.mean) * (v - s.mean);
    // Sample standard deviation, as llama-bench reports it.
    s.stddev = values.size() > 1 ? std::sqrt(squares / double(values.size() - 1)) : 0.0;
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    s.median = n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
    s.min = values.front();
    s.max = values.back();
    return s;
}

struct TestResult {
    std::string name; // "pp64" / "tg32"
    int nPrompt = 0, nGen = 0;
    std::string telemetry = "off"; // on, off or clock
    std::vector<double> seconds; // per repetition
    std::vector<double> tokensPerSecond;
};

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string cpuKernelName() {
    if (portableKernelsForced()) return "portable";
    if (amxKernelsAvailable() && amxKernelsAllowed()) return "avx512-vnni+amx";
    if (avx512KernelsAvailable()) return "avx512-vnni";
    if (avx2KernelsAvailable()) return "avx2";
    return "portable";
}

// "1.1B" / "110M" from a parameter count, like llama.cpp's model type labels.
std::string sizeLabel(std::uint64_t parameters) {
    char buffer[32];
    if (parameters >= 1'000'000'000ull)
        std::snprintf(buffer, sizeof buffer, "%.1fB", double(parameters) / 1e9);
    else if (parameters >= 10'000'000ull)
        std::snprintf(buffer, sizeof buffer, "%.0fM", double(parameters) / 1e6);
    else // small models (stories260K: "0.29M", not "0M")
        std::snprintf(buffer, sizeof buffer, "%.2gM", double(parameters) / 1e6);
    return buffer;
}

int runBench(const std::vector<std::string>& args) {
    ArgParser parser(
        "iwb bench", "-m MODEL [-p 64] [-n 32] [-d 0] [-r 5] [-t 2] [-o md|json]",
        "Measures prompt processing (one batch of p tokens) and generation (n tokens one at a time),\n"
        "each from an empty context or after d tokens already in it (untimed, as llama-bench's -d), each\n"
        "repeated r times after a warm-up run, and the machine's read bandwidth in the same run. Tokens are\n"
        "random vocabulary ids.");
    parser.option("-m", "--model", "FILE", "GGUF model");
    parser.option("-p", "--n-prompt", "N", "prompt tokens (0 skips the test)", "64");
    parser.option("-n", "--n-gen", "N", "generated tokens (0 skips the test)", "32");
    parser.option("-d", "--n-depth", "N", "tokens already in the context when each test starts (untimed)",
                  "0");
    parser.option("-r", "--repetitions", "N", "repetitions of each test", "5");
    parser.option("-t", "--threads", "N", "threads (0 = physical cores)", "2");
    parser.option("-o", "--output", "FORMAT", "md or json", "md");
    parser.option("", "--kernels", "PATH",
                  "quantized (activations quantized like llama.cpp, the default) or float (dequantize rows)",
                  "quantized");
    parser.option("", "--kv", "TYPE", "KV cache type f16 (llama.cpp's default) or f32", "f16");
    parser.flag("", "--portable", "use the portable kernels even where SIMD kernels exist");
    parser.flag("", "--no-amx", "prompt batches on the AVX-512 kernels even where AMX is available");
    declareLoadFlags(parser);
    parser.flag("", "--no-bandwidth", "skip the bandwidth probe");
    parser.option(
        "", "--telemetry", "MODES",
        "on (record per-op telemetry spans, drained after each pass), off, or clock (read the clock "
        "at every op boundary as on does, record no op spans: what the clock alone costs); "
        "several, comma-separated, alternate their repetitions in this process and each one's "
        "ratio to off is printed",
        "off");
    if (!parser.parse(args)) return kExitOk;
    if (!parser.has("--model")) throw UsageError("missing -m MODEL");
    const std::string path = parser.value("--model");
    requireFile(path, "model");
    const int nPrompt = static_cast<int>(parser.integer("--n-prompt", 0, 1 << 16));
    const int nGen = static_cast<int>(parser.integer("--n-gen", 0, 1 << 16));
    const int depth = static_cast<int>(parser.integer("--n-depth", 0, 1 << 20));
    const int repetitions = static_cast<int>(parser.integer("--repetitions", 1, 1000));
    const int threads = static_cast<int>(parser.integer("--threads", 0, 1024));
    const std::string format = parser.value("--output");
    if (format != "md" && format != "json") throw UsageError("-o must be md or json, not '" + format + "'");
    const std::string kernels = parser.value("--kernels");
    if (kernels != "quantized" && kernels != "float")
        throw UsageError("--kernels must be quantized or float, not '" + kernels + "'");
    const std::string kv = parser.value("--kv");
    if (kv != "f16" && kv != "f32") throw UsageError("--kv must be f16 or f32, not '" + kv + "'");
    if (nPrompt == 0 && nGen == 0) throw UsageError("nothing to measure: -p and -n are both 0");

    setKernelPath(kernels == "float" ? KernelPath::Float : KernelPath::QuantizedActivations);
    setForcePortableKernels(parser.has("--portable"));
    setAllowAmxKernels(!parser.has("--no-amx"));

    const auto model = Model::load(path, loadOptionsFromFlags(parser));
    const bool useMmap = model->file().placement() == FilePlacement::Mapped;
    const std::string placementLabel =
        std::string(useMmap ? ", mmap" : ", 2 MiB pages") + (model->repackedBytes() > 0 ? " + repacked" : "");
    const ModelConfig& config = model->config();
    const ModelInfo info = describeModel(model->file());
    ContextOptions options;
    options.threads = threads;
    options.contextLength = depth + std::max(nPrompt, nGen) + 1;
    options.kvCacheType = kv == "f16" ? KvCacheType::F16 : KvCacheType::F32;
    InferenceContext context(model, options);
    // Telemetry as the session records it, to measure its cost (docs/performance.md, "Telemetry cost").
    // Both modes in one process share the memory layout, so their ratio is not blurred by the run-to-run
    // spread of separate processes (the same context, weights and buffers serve both).
    const std::string telemetryModes = parser.value("--telemetry");
    std::vector<std::string> modes;
    for (std::size_t begin = 0; begin <= telemetryModes.size();) {
        const std::size_t comma = std::min(telemetryModes.find(',', begin), telemetryModes.size());
        const std::string mode = telemetryModes.substr(begin, comma - begin);
        if (mode != "on" && mode != "off" && mode != "clock")
            throw UsageError("--telemetry takes on, off and clock, comma-separated, not '" + telemetryModes +
                             "'");
        if (std::find(modes.begin(), modes.end(), mode) != modes.end())
            throw UsageError("--telemetry names '" + mode + "' twice");
        modes.push_back(mode);
        begin = comma + 1;
    }
    telemetry::Recorder recorder(true);
    std::vector<telemetry::Event> drained;
    auto useTelemetry = [&](const std::string& mode) {
        recorder.setOpEventsDiscarded(mode == "clock");
        context.setRecorder(mode != "off" ? &recorder : nullptr);
    };
    auto drainTelemetry = [&] {
        if (context.recorder() == nullptr) return;
        drained.clear();
        recorder.drainEvents(drained);
    };

    std::mt19937 rng(1234);
    std::uniform_int_distribution<std::int32_t> anyToken(0, config.vocabSize - 1);
    auto randomTokens = [&](int count) {
        std::vector<std::int32_t> tokens(static_cast<std::size_t>(count));
        for (auto& t : tokens)
            t = anyToken(rng);
        return tokens;
    };
    // Each test starts from an empty context, or from `depth` random tokens evaluated before the clock runs.
    auto runPrompt = [&] {
        fillWithRandomTokens(context, depth, rng);
        drainTelemetry();
        const auto tokens = randomTokens(nPrompt);
        const auto start = std::chrono::steady_clock::now();
        context.evaluate(tokens);
        drainTelemetry();
        return secondsSince(start);
    };
    auto runGeneration = [&] { return timeGreedyGeneration(context, depth, nGen, rng, drainTelemetry); };

    // One result per telemetry mode; with several the order reverses every other repetition (AB, BA, ...).
    std::vector<TestResult> results;
    auto runTest = [&](const std::string& name, int tokens, bool isPrompt, auto&& run) {
        const std::size_t first = results.size();
        for (const std::string& mode : modes) {
            results.push_back({name, isPrompt ? tokens : 0, isPrompt ? 0 : tokens, mode, {}, {}});
            useTelemetry(mode);
            run(); // warm-up: page in the weights, grow the scratch buffers
        }
        for (int i = 0; i < repetitions; ++i)
            for (std::size_t k = 0; k < modes.size(); ++k) {
                const std::size_t index = i % 2 == 0 ? k : modes.size() - 1 - k;
                TestResult& r = results[first + index];
                useTelemetry(r.telemetry);
                r.seconds.push_back(run());
                r.tokensPerSecond.push_back(tokens / r.seconds.back());
            }
    };
    const std::string atDepth = depth > 0 ? " @ d" + std::to_string(depth) : ""; // llama-bench's naming
    if (nPrompt > 0) runTest("pp" + std::to_string(nPrompt) + atDepth, nPrompt, true, runPrompt);
    if (nGen > 0) runTest("tg" + std::to_string(nGen) + atDepth, nGen, false, runGeneration);
    useTelemetry("off");

    // Bytes one generated token reads: every weight the pass touches (token_embd only one row unless it is
    // also the classifier) plus, on average over the test, the KV cache rows before it and half those it
    // writes.
    const auto& embedding = model->weights().tokenEmbedding;
    const std::uint64_t embeddingBytes = static_cast<std::uint64_t>(embedding.rows) * embedding.rowBytes;
    std::uint64_t bytesPerToken = model->weightBytes();
    if (!config.tiedOutput) bytesPerToken -= embeddingBytes - embedding.rowBytes;
    const double kvElementBytes = kv == "f16" ? 2.0 : 4.0;
    bytesPerToken += static_cast<std::uint64_t>(2.0 * config.blockCount * config.kvDim() * kvElementBytes *
                                                (depth + (nGen + 1) / 2.0));

    double bandwidth = 0;
    const int probeThreads = context.threadCount();
    if (!parser.has("--no-bandwidth"))
        bandwidth = telemetry::measureReadBandwidth(std::size_t{1} << 30, probeThreads, 3);

    const std::string modelType = config.architecture + " " + sizeLabel(info.parameterCount) + " " +
                                  (info.fileTypeName.empty() ? "?" : info.fileTypeName);
    if (format == "json") {
        nlohmann::json records = nlohmann::json::array();
        for (const auto& r : results) {
            const Stats ts = statsOf(r.tokensPerSecond);
            std::vector<double> ns;
            for (double s : r.seconds)
                ns.push_back(s * 1e9);
            const Stats nsStats = statsOf(ns);
            nlohmann::json record{
                {"model_filename", path},
                {"model_type", modelType},
                {"model_size", info.tensorBytes},
                {"model_n_params", info.parameterCount},
                {"n_threads", context.threadCount()},
                {"n_prompt", r.nPrompt},
                {"n_gen", r.nGen},
                {"n_depth", depth},
                {"test", r.name},
                {"telemetry", r.telemetry},
                {"type_k", kv},
                {"type_v", kv},
                {"avg_ns", nsStats.mean},
                {"stddev_ns", nsStats.stddev},
                {"avg_ts", ts.mean},
                {"stddev_ts", ts.stddev},
                {"samples_ns", ns},
                {"samples_ts", r.tokensPerSecond},
                {"median_ts", ts.median},
                {"min_ts", ts.min},
                {"max_ts", ts.max},
                {"repetitions", repetitions},
                {"kernel_path", kernels},
                {"cpu_kernels", cpuKernelName()},
                {"use_mmap", useMmap},
                {"repacked_bytes", model->repackedBytes()},
                {"read_bandwidth_bytes_per_s", bandwidth},
                {"bandwidth_threads", probeThreads},
            };
            if (r.nGen > 0) {
                record["bytes_per_token"] = bytesPerToken;
                record["bandwidth_efficiency"] = nullptr;
                if (bandwidth > 0)
                    record["bandwidth_efficiency"] = double(bytesPerToken) * ts.median / bandwidth;
            }
            records.push_back(std::move(record));
        }
        std::cout << records.dump(2) << "\n";
        return kExitOk;
    }

    std::printf(
        "| model | size | params | threads | kernels | test | t/s (mean ± sd) | median | min | max |\n");
    std::printf("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |\n");
    for (const auto& r : results) {
        const Stats ts = statsOf(r.tokensPerSecond);
        const std::string test = modes.size() > 1 ? r.name + " telemetry " + r.telemetry : r.name;
        std::printf("| %s | %.2f MiB | %s | %d | %s %s%s | %s | %.2f ± %.2f | %.2f | %.2f | %.2f |\n",
                    modelType.c_str(), double(info.tensorBytes) / double(1 << 20),
                    sizeLabel(info.parameterCount).c_str(), context.threadCount(), kernels.c_str(),
                    cpuKernelName().c_str(), placementLabel.c_str(), test.c_str(), ts.mean, ts.stddev,
                    ts.median, ts.min, ts.max);
    }
    const auto offMode = std::find(modes.begin(), modes.end(), "off");
    if (modes.size() > 1 && offMode != modes.end()) {
        std::printf("\ntelemetry ÷ off, same process, alternating repetitions:\n");
        const std::size_t offIndex = static_cast<std::size_t>(offMode - modes.begin());
        for (std::size_t first = 0; first < results.size(); first += modes.size()) {
            const TestResult& off = results[first + offIndex];
            for (std::size_t k = 0; k < modes.size(); ++k) {
                if (k == offIndex) continue;
                const TestResult& on = results[first + k];
                std::vector<double> paired;
                for (std::size_t i = 0; i < on.tokensPerSecond.size(); ++i)
                    paired.push_back(on.tokensPerSecond[i] / off.tokensPerSecond[i]);
                std::printf("%s %s: medians %.3f, paired repetitions %.3f (median), fastest %.3f\n",
                            on.name.c_str(), on.telemetry.c_str(),
                            statsOf(on.tokensPerSecond).median / statsOf(off.tokensPerSecond).median,
                            statsOf(paired).median,
                            statsOf(on.tokensPerSecond).max / statsOf(off.tokensPerSecond).max);
            }
        }
    }
    if (bandwidth > 0) {
        std::printf("\nread bandwidth (%d threads, 1 GiB): %.1f GB/s\n", probeThreads, bandwidth / 1e9);
        for (const auto& r : results)
            if (r.nGen > 0) {
                const double median = statsOf(r.tokensPerSecond).median;
                std::printf("%s: %.1f MB read per token, %.1f GB/s at the median, %.0f %% of the measured "
                            "bandwidth\n",
                            r.name.c_str(), double(bytesPerToken) / 1e6, double(bytesPerToken) * median / 1e9,
                            100.0 * double(bytesPerToken) * median / bandwidth);
            }
    }
    return kExitOk;
}

const CommandRegistration registration{
    {"bench", "prompt and generation speed (llama-bench style) with the machine's read bandwidth", runBench}};

} // namespace
} // namespace wb::cli
