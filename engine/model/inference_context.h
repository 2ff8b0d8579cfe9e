#pragma once
// One conversation's state on top of a shared Model: the KV cache, the position, scratch buffers and
// the thread pool. Not thread-safe: one caller thread at a time (the forward pass itself is parallel).
#include "engine/model/forward_op.h"
#include "engine/model/kv_cache.h"
#include "engine/model/model.h"
#include "engine/telemetry/recorder.h"

#include <cstdint>
#include <memory>
#include <span>

namespace wb {

struct ContextOptions {
    std::int32_t contextLength = 0; // 0 = min(trained context, 4096)
    std::int32_t threads = 0;       // 0 = physical cores
    // F16 halves the cache and reproduces llama.cpp's default (its attention then rounds q and the
    // softmax weights to F16 as well); F32 is the more exact choice.
    KvCacheType kvCacheType = KvCacheType::F32;
    // Telemetry (optional, not owned): when set and enabled, every evaluate() records a Token span, a
    // Layer span per block and an Op span per step with its bytes and FLOPs. Null or disabled: no clock
    // reads. Also settable later with setRecorder().
    telemetry::Recorder* recorder = nullptr;
};

// Who opens the Token span of a pass. The session opens it itself so that sampling the pass's logits
// lands inside the same span; the context then records only the Layer and Op spans.
enum class TokenSpanOwner : std::uint8_t { Context, Caller };

class InferenceContext {
public:
    // Allocates the KV cache for the chosen context. Throws std::invalid_argument for negative options.
    InferenceContext(std::shared_ptr<const Model> model, ContextOptions options);
    ~InferenceContext();
    InferenceContext(const InferenceContext&) = delete;
    InferenceContext& operator=(const InferenceContext&) = delete;

    // Runs tokens at positions [position(), position()+n) as one batch (chunked for very long prompts),
    // appends them to the KV cache and returns the logits (vocabSize floats) after the last one; the span
    // stays valid until the next call. Throws std::length_error (message with both lengths) when they do
    // not fit in the context, std::out_of_range for a token id outside the vocabulary and
    // std::invalid_argument for an empty list; the state is unchanged when it throws.
    std::span<const float> evaluate(std::span<const std::int32_t> tokens);

    std::int32_t position() const;
    std::int32_t contextLength() const;
    std::int32_t vocabSize() const;
    std::int32_t threadCount() const;
    KvCacheType kvCacheType() const;
    // Forgets everything (position 0).
    void reset();
    // Drops KV entries from `position` on; throws std::out_of_range unless 0 <= position <= position().
    void truncate(std::int32_t position);
    std::uint64_t kvCacheBytes() const;

    const Model& model() const;
    // Optional per-step hooks (telemetry); nullptr to remove. The observer must outlive its use.
    void setObserver(ForwardObserver* observer);
    // Telemetry recorder (nullptr to stop recording); must outlive its use. With TokenSpanOwner::Caller
    // the caller opens a telemetry::TokenScope numbered position() (before evaluate) around each call.
    void setRecorder(telemetry::Recorder* recorder, TokenSpanOwner owner = TokenSpanOwner::Context);
    telemetry::Recorder* recorder() const;
    // Bytes of the activation buffers (they grow with the largest batch seen).
    std::uint64_t scratchBytes() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Number of physical cores (hyper-threads counted once), at least 1.
std::int32_t physicalCoreCount();

} // namespace wb
