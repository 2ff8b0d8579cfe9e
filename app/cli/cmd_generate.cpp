// iwb generate: run a model on a prompt and stream the generated text.
#include "cli_args.h"
#include "cli_command.h"
#include "load_flags.h"
#include "telemetry_output.h"

#include "engine/session/chat_prompt.h"
#include "engine/session/generation_session.h"
#include "engine/tensor/matmul.h"

#include <climits>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace wb::cli {
namespace {

// Ctrl-C cancels the generation (the statistics still print); the flag store is lock-free, so it is safe
// here.
GenerationSession* g_activeSession = nullptr;
extern "C" void cancelOnInterrupt(int) {
    if (g_activeSession != nullptr) g_activeSession->cancel();
}

// --stop may be given several times; the shared parser keeps one value per option, so collect them first.
bool takesValue(const std::string& token);

std::vector<std::string> takeStopStrings(std::vector<std::string>& args) {
    std::vector<std::string> stops, rest;
    for (std::size_t k = 0; k < args.size(); ++k) {
        const std::string& token = args[k];
        if (token == "--stop") {
            if (k + 1 >= args.size()) throw UsageError("option '--stop' needs a value");
            stops.push_back(args[++k]);
        } else if (token.rfind("--stop=", 0) == 0) {
            stops.push_back(token.substr(7));
        } else {
            rest.push_back(token);
            // Keep the value of any other option with it, even when it looks like "--stop".
            if (takesValue(token) && k + 1 < args.size()) rest.push_back(args[++k]);
        }
    }
    for (const auto& stop : stops)
        if (stop.empty()) throw UsageError("option '--stop' needs a non-empty string");
    args = std::move(rest);
    return stops;
}

SamplingParams samplingFrom(const ArgParser& parser) {
    SamplingParams params;
    params.temperature = float(parser.real("--temp", 0.0, 1000.0));
    params.topK = int(parser.integer("--top-k", 0, INT_MAX));
    params.topP = float(parser.real("--top-p", 0.0, 1.0));
    params.minP = float(parser.real("--min-p", 0.0, 1.0));
    params.repeatPenalty = float(parser.real("--repeat-penalty", 0.0, 1000.0));
    if (params.repeatPenalty <= 0.0f) throw UsageError("option '--repeat-penalty' must be greater than 0");
    params.repeatLastN = int(parser.integer("--repeat-last-n", -1, INT_MAX));
    params.presencePenalty = float(parser.real("--presence-penalty", -1000.0, 1000.0));
    params.frequencyPenalty = float(parser.real("--frequency-penalty", -1000.0, 1000.0));
    params.seed = static_cast<std::uint64_t>(parser.integer("--seed", 0, LLONG_MAX));
    return params;
}

nlohmann::json timingsJson(const GenerationTimings& timings) {
    return {{"load_ms", timings.loadMs},
            {"prompt_ms", timings.promptMs},
            {"ttft_ms", timings.ttftMs},
            {"total_ms", timings.totalMs},
            {"prompt_tokens_per_s", timings.promptTokensPerSecond},
            {"gen_tokens_per_s", timings.genTokensPerSecond},
            {"token_latencies_ms", timings.tokenLatenciesMs}};
}

nlohmann::json resultJson(const GenerationResult& result, const GenerationSession& session,
                          const GenerationOptions& options, const std::string& chatFormat) {
    nlohmann::json topLogits = nlohmann::json::array();
    for (const auto& [id, logit] : result.topLogits)
        topLogits.push_back({id, logit});
    const auto& sampling = options.sampling;
    return {{"prompt_ids", result.promptIds},
            {"ids", result.ids},
            {"text", result.text},
            {"stop_reason", std::string(stopReasonName(result.stopReason))},
            {"stop_string", result.matchedStopString},
            {"top_logits", std::move(topLogits)},
            {"timings", timingsJson(result.timings)},
            {"n_prompt", result.promptIds.size()},
            {"n_generated", result.ids.size()},
            {"context_length", session.contextLength()},
            {"threads", session.threadCount()},
            {"use_mmap", session.model().file().placement() == FilePlacement::Mapped},
            {"repacked_bytes", session.model().repackedBytes()},
            {"chat_format", chatFormat},
            {"sampling",
             {{"temperature", sampling.temperature},
              {"top_k", sampling.topK},
              {"top_p", sampling.topP},
              {"min_p", sampling.minP},
              {"repeat_penalty", sampling.repeatPenalty},
              {"repeat_last_n", sampling.repeatLastN},
              {"presence_penalty", sampling.presencePenalty},
              {"frequency_penalty", sampling.frequencyPenalty},
              {"seed", sampling.seed}}}};
}

void printStatistics(const GenerationResult& result, const GenerationSession& session) {
    const auto& t = result.timings;
    const Model& model = session.model();
    std::string weights =
        model.file().placement() == FilePlacement::Mapped ? "mapped" : "copied into 2 MiB pages";
    if (model.repackedBytes() > 0) weights += ", repacked";
    std::fprintf(
        stderr,
        "\n\nload %.1f ms (%s) | prompt %zu tokens in %.1f ms (%.1f tokens/s) | first token after %.1f ms\n"
        "generated %zu tokens (%.1f tokens/s) | stop: %s | context %d | threads %d\n",
        t.loadMs, weights.c_str(), result.promptIds.size(), t.promptMs, t.promptTokensPerSecond, t.ttftMs,
        result.ids.size(), t.genTokensPerSecond, std::string(stopReasonName(result.stopReason)).c_str(),
        session.contextLength(), session.threadCount());
}

struct OptionSpec {
    const char* shortName;
    const char* longName;
    const char* valueName;
    const char* help;
    std::string defaultValue;
};

std::vector<OptionSpec> optionSpecs() {
    const SamplingParams defaults;
    return {
        {"-m", "--model", "MODEL", "path of a .gguf model", ""},
        {"-p", "--prompt", "TEXT", "the prompt (with --chat: the user's message)", ""},
        {"-n", "--n-predict", "N", "tokens to generate, -1 = until the end or a full context", "128"},
        {"", "--temp", "T", "temperature, 0 = greedy", "0.8"},
        {"", "--top-k", "K", "keep the K most likely tokens, 0 = off", std::to_string(defaults.topK)},
        {"", "--top-p", "P", "nucleus sampling mass, 1 = off", "0.95"},
        {"", "--min-p", "P", "drop tokens below P x the best probability, 0 = off", "0.05"},
        {"", "--repeat-penalty", "R", "penalty for recently seen tokens, 1 = off", "1.0"},
        {"", "--repeat-last-n", "N", "how many recent tokens the penalties see, -1 = all", "64"},
        {"", "--presence-penalty", "P", "subtracted once from seen tokens", "0"},
        {"", "--frequency-penalty", "F", "subtracted per occurrence of seen tokens", "0"},
        {"", "--seed", "S", "random seed; the same seed gives the same text", std::to_string(defaults.seed)},
        {"-t", "--threads", "N", "threads for the forward pass (default: physical cores)", ""},
        {"-c", "--ctx-size", "N", "context length in tokens (default: min(trained, 4096))", ""},
        {"", "--kv-type", "f16|f32", "KV cache precision (f16 is llama.cpp's default)", "f16"},
        {"", "--kernels", "quantized|float",
         "quantized: activations quantized to 8 bits as llama.cpp does (fast); float: dequantize weights", "quantized"},
        {"", "--system", "TEXT", "system message (with --chat)", ""},
        {"", "--stop", "STR", "stop before this text (repeatable)", ""},
        {"", "--top-logits", "K", "in JSON, the K highest logits after the prompt", ""},
        {"", "--trace", "FILE", "write a Chrome trace (Perfetto, chrome://tracing) of every op", ""},
        {"", "--csv", "FILE", "write the per-op table as CSV", ""},
    };
}

bool takesValue(const std::string& token) {
    for (const auto& spec : optionSpecs())
        if (token == spec.shortName || token == spec.longName) return true;
    return false;
}

int runGenerate(const std::vector<std::string>& rawArgs) {
    ArgParser parser("iwb generate", "-m MODEL -p PROMPT [options]",
                     "Generate text from a prompt. The text streams to stdout, statistics go to stderr.");
    for (const auto& spec : optionSpecs())
        parser.option(spec.shortName, spec.longName, spec.valueName, spec.help, spec.defaultValue);
    parser.flag("", "--chat", "format the prompt with the model's chat template");
    parser.flag("", "--json", "print one JSON object instead of streaming text");
    parser.flag("", "--roofline", "print measured vs roofline-expected time per op type to stderr");
    parser.flag("", "--telemetry-off", "record no telemetry at all (no per-op clock reads)");
    declareLoadFlags(parser);

    std::vector<std::string> args = rawArgs;
    std::vector<std::string> stopStrings = takeStopStrings(args);
    if (!parser.parse(args)) return kExitOk;

    if (!parser.has("--model")) throw UsageError("missing option -m MODEL");
    if (!parser.has("--prompt")) throw UsageError("missing option -p PROMPT");
    const std::string modelPath = parser.value("--model");
    GenerationOptions options;
    options.maxTokens = int(parser.integer("--n-predict", -1, INT_MAX));
    options.sampling = samplingFrom(parser);
    options.stopStrings = std::move(stopStrings);
    ContextOptions contextOptions;
    contextOptions.threads =
        parser.has("--threads") ? int(parser.integer("--threads", 1, 1024)) : physicalCoreCount();
    if (parser.has("--ctx-size"))
        contextOptions.contextLength = int(parser.integer("--ctx-size", 1, 1 << 24));
    const std::string kvType = parser.value("--kv-type");
    if (kvType != "f16" && kvType != "f32")
        throw UsageError("option '--kv-type' must be f16 or f32, got '" + kvType + "'");
    contextOptions.kvCacheType = kvType == "f16" ? KvCacheType::F16 : KvCacheType::F32;
    const std::string kernels = parser.value("--kernels");
    if (kernels != "quantized" && kernels != "float")
        throw UsageError("option '--kernels' must be quantized or float, got '" + kernels + "'");
    setKernelPath(kernels == "float" ? KernelPath::Float : KernelPath::QuantizedActivations);
    const int topLogits = parser.has("--top-logits") ? int(parser.integer("--top-logits", 1, INT_MAX)) : 0;
    const bool chat = parser.has("--chat");
    if (parser.has("--system") && !chat) throw UsageError("option '--system' needs --chat");
    const bool json = parser.has("--json");
    const std::string tracePath = parser.value("--trace");
    const std::string csvPath = parser.value("--csv");
    const bool roofline = parser.has("--roofline");
    const bool telemetryOn = !parser.has("--telemetry-off");
    if (!telemetryOn && (!tracePath.empty() || !csvPath.empty() || roofline))
        throw UsageError("option '--telemetry-off' cannot be combined with --trace, --csv or --roofline");
    options.telemetry.enabled = telemetryOn;
    options.telemetry.keepTrace = !tracePath.empty() || !csvPath.empty() || roofline;
    requireFile(modelPath, "model file");

    auto session = GenerationSession::open(modelPath, contextOptions, loadOptionsFromFlags(parser));
    options.topLogits = std::min(topLogits, session->tokenizer().vocabSize());

    std::string prompt = parser.value("--prompt");
    std::string chatFormat = "none";
    if (chat) {
        std::vector<ChatMessage> messages;
        if (parser.has("--system")) messages.push_back({"system", parser.value("--system")});
        messages.push_back({"user", prompt});
        const ChatPrompt chatPrompt = buildChatPrompt(session->model(), session->tokenizer(), messages);
        if (!chatPrompt.detection.recognised)
            std::cerr << "iwb generate: warning: " << chatPrompt.detection.warning << "\n";
        chatFormat = std::string(chatPrompt.format.name());
        applyChatPrompt(chatPrompt, options);
        prompt = chatPrompt.text;
    }

    g_activeSession = session.get();
    const auto previousHandler = std::signal(SIGINT, cancelOnInterrupt);
    TokenCallback stream;
    if (!json) {
        stream = [](const TokenEvent& event) {
            std::fwrite(event.text.data(), 1, event.text.size(), stdout);
            std::fflush(stdout);
        };
    }
    GenerationResult result;
    try {
        result = session->generate(prompt, options, stream);
    } catch (...) {
        std::signal(SIGINT, previousHandler);
        g_activeSession = nullptr;
        throw;
    }
    std::signal(SIGINT, previousHandler);
    g_activeSession = nullptr;

    writeTelemetryFiles(result.telemetry, tracePath, csvPath);
    if (json) {
        nlohmann::json out = resultJson(result, *session, options, chatFormat);
        if (result.telemetry.recorded) out["telemetry"] = telemetryJson(result.telemetry);
        // Invalid UTF-8 (a model may end on half a character) is replaced rather than refused.
        std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
        printStatistics(result, *session);
        printTelemetrySummary(stderr, result.telemetry);
    }
    if (roofline) printRooflineTable(stderr, result.telemetry);
    return kExitOk;
}

const CommandRegistration registration{
    {"generate", "generate text from a prompt (sampling, chat templates, streaming, timings)", runGenerate}};

} // namespace
} // namespace wb::cli
