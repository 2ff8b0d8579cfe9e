#include "engine/session/generation_session.h"

#include "engine/model/greedy_timing.h"

#include "engine/session/stop_string_matcher.h"

#include "engine/telemetry/cost_model.h"

#include <algorithm>
#include <chrono>
#include <optional>

namespace wb {
namespace {

using Clock = std::chrono::steady_clock;

double millisecondsBetween(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// Long prompts are evaluated in pieces so that cancel() is honoured during prompt processing too.
constexpr std::size_t kPromptChunk = 256;

std::vector<std::pair<TokenId, float>> highestLogits(std::span<const float> logits, int count) {
    std::vector<std::pair<TokenId, float>> all;
    all.reserve(logits.size());
    for (std::size_t i = 0; i < logits.size(); ++i)
        all.emplace_back(static_cast<TokenId>(i), logits[i]);
    const auto keep = std::min(all.size(), static_cast<std::size_t>(std::max(count, 0)));
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(),
                      [](const auto& a, const auto& b) {
                          return a.second > b.second || (a.second == b.second && a.first < b.first);
                      });
    all.resize(keep);
    return all;
}

} // namespace

std::string_view stopReasonName(StopReason reason) {
    switch (reason) {
    case StopReason::EndOfGeneration:
        return "end_of_generation";
    case StopReason::MaxTokens:
        return "max_tokens";
    case StopReason::StopString:
        return "stop_string";
    case StopReason::ContextFull:
        return "context_full";
    case StopReason::Cancelled:
        return "cancelled";
    }
    return "unknown";
}

std::unique_ptr<GenerationSession> GenerationSession::open(const std::string& modelPath,
                                                           ContextOptions options, const LoadOptions& load) {
    const auto start = Clock::now();
    auto model = Model::load(modelPath, load);
    // The tokenizer is built in the constructor; count it as part of loading.
    auto session = std::make_unique<GenerationSession>(std::move(model), options);
    session->loadMs_ = millisecondsBetween(start, Clock::now());
    return session;
}

GenerationSession::GenerationSession(std::shared_ptr<const Model> model, ContextOptions options,
                                     double loadMs)
    : model_(std::move(model)), loadMs_(loadMs) {
    if (!model_) throw std::invalid_argument("generation session: no model");
    tokenizer_ = Tokenizer::fromGguf(model_->file());
    context_ = std::make_unique<InferenceContext>(model_, options);
}

GenerationSession::~GenerationSession() = default;

std::vector<TokenId> GenerationSession::tokenize(std::string_view prompt,
                                                 const GenerationOptions& options) const {
    if (!options.addBos) return tokenizer_->encode(prompt, true, options.parseSpecial);
    std::vector<TokenId> ids = tokenizer_->encode(prompt, false, options.parseSpecial);
    if (*options.addBos && tokenizer_->bos() >= 0) ids.insert(ids.begin(), tokenizer_->bos());
    return ids;
}

bool GenerationSession::isEnd(TokenId token, const GenerationOptions& options) const {
    return tokenizer_->isEndOfGeneration(token) ||
           std::find(options.extraEndTokens.begin(), options.extraEndTokens.end(), token) !=
               options.extraEndTokens.end();
}

double GenerationSession::benchGeneration(int depth, int tokens, std::uint32_t seed) {
    context_->setRecorder(nullptr); // the engine alone, as `iwb bench` measures it
    std::mt19937 rng(seed);
    const double seconds = timeGreedyGeneration(*context_, depth, tokens, rng);
    return seconds > 0 ? tokens / seconds : 0.0;
}

telemetry::Recorder& GenerationSession::recorder() {
    if (!recorder_) recorder_ = std::make_unique<telemetry::Recorder>(true);
    return *recorder_;
}

GenerationResult GenerationSession::generate(std::string_view prompt, const GenerationOptions& options,
                                             const TokenCallback& onToken) {
    return generateFromTokens(tokenize(prompt, options), options, onToken);
}

GenerationResult GenerationSession::generateFromTokens(std::vector<TokenId> promptIds,
                                                       const GenerationOptions& options,
                                                       const TokenCallback& onToken) {
    const auto start = Clock::now();
    telemetry::GenerationTimer timer(context_->contextLength());
    timer.requestStarted();
    cancelRequested_.store(false, std::memory_order_relaxed);
    auto cancelled = [this] { return cancelRequested_.load(std::memory_order_relaxed); };

    GenerationResult result;
    result.timings.loadMs = loadMs_;
    if (promptIds.empty())
        throw std::invalid_argument("the prompt is empty (no tokens, and the model adds no BOS token)");
    const auto promptLength = static_cast<std::int64_t>(promptIds.size());
    const std::int64_t contextLength = context_->contextLength();
    if (promptLength >= contextLength)
        throw PromptTooLongError(
            "the prompt is " + std::to_string(promptLength) + " tokens but the context holds " +
            std::to_string(contextLength) +
            " (at least one position must stay free for generation); use a larger context "
            "or a shorter prompt");
    result.promptIds = std::move(promptIds);

    context_->reset();

    // Telemetry: the session opens each pass's Token span itself. A prompt pass evaluates a chunk; the pass
    // of generated token k samples it and then evaluates it (the last one is only sampled), so that the
    // sampling op's end marks when each token became known.
    SessionTelemetry telemetry(*model_, *context_, options.telemetry.enabled ? &recorder() : nullptr,
                               options.telemetry);
    telemetry::Recorder* const rec = telemetry.recorder(); // null when off: the scopes cost one branch
    context_->setRecorder(rec, TokenSpanOwner::Caller);
    telemetry.runStarted();
    const std::uint64_t samplingFlops =
        telemetry::samplingCost(static_cast<std::uint64_t>(context_->vocabSize()), 1).flops;
    std::optional<telemetry::TokenScope> passSpan;
    PassInfo pass;
    auto openPass = [&](const PassInfo& info) {
        pass = info;
        if (rec != nullptr) passSpan.emplace(rec, info.firstPosition, info.tokenCount);
    };
    auto closePass = [&] {
        if (!passSpan) return;
        passSpan.reset();
        telemetry.passFinished(pass);
    };

    Sampler sampler(options.sampling);
    for (const TokenId token : result.promptIds)
        sampler.accept(token); // penalties see the prompt, as in llama.cpp

    auto finish = [&](StopReason reason) {
        closePass();
        telemetry.runFinished(result.telemetry);
        timer.setContextUsed(context_->position());
        result.metrics = timer.metrics();
        result.stopReason = reason;
        auto& timings = result.timings;
        timings.totalMs = millisecondsBetween(start, Clock::now());
        if (timings.promptMs > 0)
            timings.promptTokensPerSecond = double(promptLength) * 1000.0 / timings.promptMs;
        double decodeMs = 0;
        for (std::size_t i = 1; i < timings.tokenLatenciesMs.size(); ++i)
            decodeMs += timings.tokenLatenciesMs[i];
        if (decodeMs > 0)
            timings.genTokensPerSecond = double(timings.tokenLatenciesMs.size() - 1) * 1000.0 / decodeMs;
        return std::move(result);
    };

    // Prompt.
    const auto promptStart = Clock::now();
    std::span<const float> logits;
    const std::span<const TokenId> prompt(result.promptIds);
    for (std::size_t offset = 0; offset < prompt.size(); offset += kPromptChunk) {
        if (cancelled()) {
            result.timings.promptMs = millisecondsBetween(promptStart, Clock::now());
            return finish(StopReason::Cancelled);
        }
        const auto chunk = prompt.subspan(offset, std::min(kPromptChunk, prompt.size() - offset));
        openPass({true, static_cast<std::int32_t>(chunk.size()), -1, context_->position()});
        logits = context_->evaluate(chunk);
        closePass();
    }
    timer.promptFinished(static_cast<std::int32_t>(promptLength));
    result.timings.promptMs = millisecondsBetween(promptStart, Clock::now());
    if (options.topLogits > 0) result.topLogits = highestLogits(logits, options.topLogits);

    // Generation.
    Utf8StreamDecoder utf8;
    StopStringMatcher stops(options.stopStrings);
    auto lastEmit = start;
    // Releases the text still held back (incomplete UTF-8, a possible stop-string start) as a last event.
    auto releaseRest = [&] {
        closePass();
        std::string rest =
            stops.stopped() ? std::string() : stops.push(utf8.flush()).released + stops.flush();
        if (rest.empty()) return;
        result.text += rest;
        if (onToken) {
            TokenEvent event;
            event.text = rest;
            event.index = static_cast<int>(result.ids.size());
            event.elapsedMs = millisecondsBetween(start, Clock::now());
            onToken(event);
        }
    };

    for (;;) {
        const auto generated = static_cast<std::int64_t>(result.ids.size());
        if (cancelled()) {
            releaseRest();
            return finish(StopReason::Cancelled);
        }
        if (options.maxTokens >= 0 && generated >= options.maxTokens) {
            releaseRest();
            return finish(StopReason::MaxTokens);
        }
        if (promptLength + generated >= contextLength) {
            releaseRest();
            return finish(StopReason::ContextFull);
        }

        openPass({false, 1, static_cast<std::int32_t>(generated), context_->position()});
        TokenId token = 0;
        {
            const telemetry::OpScope span(rec, pass.firstPosition, -1, telemetry::OpKind::Sampling, 0,
                                          samplingFlops);
            token = sampler.sample(logits);
        }
        sampler.accept(token);
        if (isEnd(token, options)) {
            releaseRest();
            return finish(StopReason::EndOfGeneration);
        }
        result.ids.push_back(token);
        timer.tokenGenerated();

        auto step = stops.push(utf8.push(tokenizer_->tokenToPiece(token, false)));
        std::string delta = std::move(step.released);
        const bool lastToken = step.stopped ||
                               (options.maxTokens >= 0 && generated + 1 >= options.maxTokens) ||
                               promptLength + generated + 1 >= contextLength;
        if (lastToken && !step.stopped) { // nothing follows: release the held-back text with this token
            auto tail = stops.push(utf8.flush());
            delta += tail.released;
            if (tail.stopped) {
                step.stopped = true;
                step.matched = tail.matched;
            } else {
                delta += stops.flush();
            }
        }
        result.text += delta;

        const auto now = Clock::now();
        const double latency = millisecondsBetween(lastEmit, now);
        lastEmit = now;
        if (generated == 0) result.timings.ttftMs = millisecondsBetween(start, now);
        result.timings.tokenLatenciesMs.push_back(latency);
        if (onToken) {
            TokenEvent event;
            event.token = token;
            event.text = delta;
            event.index = static_cast<int>(generated);
            event.latencyMs = latency;
            event.elapsedMs = millisecondsBetween(start, now);
            onToken(event);
        }

        if (step.stopped) {
            result.matchedStopString = step.matched;
            return finish(StopReason::StopString);
        }
        if (lastToken) continue; // the checks at the top name the reason; no forward pass is needed
        if (cancelled()) continue;
        logits = context_->evaluate(std::span<const TokenId>(&result.ids.back(), 1));
        closePass();
    }
}

} // namespace wb
