#pragma once
// One text generation at a time on a loaded model: tokenize, evaluate the prompt, sample, stream.
//
// Threading: generate() runs entirely on the thread that calls it (the app uses a worker thread) and
// calls the token callback on that thread. cancel() may be called from any thread; it is an atomic flag
// that the loop checks before and after every forward pass, so at most one more token is produced.
// Results do not depend on the thread count: sampling is single-threaded and seeded, and the forward pass
// gives the same logits for any thread count.
#include "engine/model/inference_context.h"
#include "engine/model/model.h"
#include "engine/sampling/sampler.h"
#include "engine/session/session_telemetry.h"
#include "engine/telemetry/token_metrics.h"
#include "engine/tokenizer/tokenizer.h"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wb {

enum class StopReason { EndOfGeneration, MaxTokens, StopString, ContextFull, Cancelled };
// "end_of_generation", "max_tokens", "stop_string", "context_full", "cancelled".
std::string_view stopReasonName(StopReason reason);

struct GenerationOptions {
    int maxTokens = 128; // < 0: until end of generation or a full context
    SamplingParams sampling;
    std::vector<std::string> stopStrings; // generation stops before these; they never reach the output
    std::vector<TokenId> extraEndTokens;  // ends of turn beyond the tokenizer's own (chat markers)
    std::optional<bool> addBos;           // nullopt: as the model's metadata says
    bool parseSpecial = false;            // "<|im_start|>" in the prompt becomes the special token
    int topLogits = 0;                    // keep the K highest [id, logit] of the first distribution
    TelemetryOptions telemetry;           // per-op spans, live pass/memory reports, trace (off by default)
};

// One streamed token. Concatenating `text` over all events gives GenerationResult::text exactly.
struct TokenEvent {
    static constexpr TokenId kNoToken = -1;
    TokenId token = kNoToken; // kNoToken: a last event that only releases held-back text
    std::string_view text;    // complete UTF-8; may be empty while text is held back for stop strings
    int index = 0;            // 0-based index among generated tokens
    double latencyMs = 0;     // since the previous token (the first token: since generate() began)
    double elapsedMs = 0;     // since generate() began
};
using TokenCallback = std::function<void(const TokenEvent&)>;

struct GenerationTimings {
    double loadMs = 0;                    // model + tokenizer load (0 when the session got a loaded model)
    double promptMs = 0;                  // forward pass over the prompt
    double ttftMs = 0;                    // generate() start to the first generated token
    double totalMs = 0;                   // generate() start to its return
    double promptTokensPerSecond = 0;     // prompt tokens / promptMs
    double genTokensPerSecond = 0;        // (generated - 1) / time from the first to the last token
    std::vector<double> tokenLatenciesMs; // one per generated token, as in TokenEvent::latencyMs
};

struct GenerationResult {
    std::vector<TokenId> promptIds;
    std::vector<TokenId> ids; // generated tokens; an end-of-generation token is not included
    std::string text;
    StopReason stopReason = StopReason::MaxTokens;
    std::string matchedStopString;
    std::vector<std::pair<TokenId, float>> topLogits; // highest first, ties by ascending id
    GenerationTimings timings;
    telemetry::GenerationMetrics metrics; // TTFT, per-token latency, prompt time, context fill (always)
    GenerationTelemetry telemetry;        // filled when options.telemetry.enabled
};

// A prompt that leaves no room in the context for even one generated token.
class PromptTooLongError : public std::length_error {
public:
    using std::length_error::length_error;
};

class GenerationSession {
public:
    // Loads the model (where and how: LoadOptions, e.g. placement and repacking) and its tokenizer; the time
    // taken is reported as timings.loadMs.
    static std::unique_ptr<GenerationSession> open(const std::string& modelPath, ContextOptions options,
                                                   const LoadOptions& load = {});
    GenerationSession(std::shared_ptr<const Model> model, ContextOptions options, double loadMs = 0);
    ~GenerationSession();
    GenerationSession(const GenerationSession&) = delete;
    GenerationSession& operator=(const GenerationSession&) = delete;

    const Model& model() const { return *model_; }
    const Tokenizer& tokenizer() const { return *tokenizer_; }
    std::int32_t contextLength() const { return context_->contextLength(); }
    std::int32_t threadCount() const { return context_->threadCount(); }
    double loadMs() const { return loadMs_; }

    std::vector<TokenId> tokenize(std::string_view prompt, const GenerationOptions& options) const;
    // Starts from an empty context each time. Throws PromptTooLongError (message gives both lengths),
    // std::invalid_argument for an empty prompt; exceptions from the callback propagate.
    GenerationResult generate(std::string_view prompt, const GenerationOptions& options,
                              const TokenCallback& onToken = {});
    GenerationResult generateFromTokens(std::vector<TokenId> promptIds, const GenerationOptions& options,
                                        const TokenCallback& onToken = {});
    // iwb bench's generation loop (engine/model/greedy_timing.h) on this session's context, telemetry off:
    // `tokens` greedy passes after `depth` random tokens. Returns tokens per second. The next generate()
    // starts from an empty context as always.
    double benchGeneration(int depth, int tokens, std::uint32_t seed = 1234);
    // Thread-safe. Stops the generation in progress within one token; generate() clears the flag on entry.
    void cancel() { cancelRequested_.store(true, std::memory_order_relaxed); }
    // The recorder the session's runs use when telemetry is enabled (created on first use). Its switch
    // may be turned off to stop recording for later runs.
    telemetry::Recorder& recorder();

private:
    bool isEnd(TokenId token, const GenerationOptions& options) const;

    std::shared_ptr<const Model> model_;
    std::unique_ptr<const Tokenizer> tokenizer_;
    std::unique_ptr<InferenceContext> context_;
    double loadMs_ = 0;
    std::atomic<bool> cancelRequested_{false};
    std::unique_ptr<telemetry::Recorder> recorder_;
};

} // namespace wb
