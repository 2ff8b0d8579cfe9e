#include "engine/model/inference_context.h"

#include "engine/model/attention_avx512.h"
#include "engine/model/kv_cache.h"
#include "engine/model/ops.h"
#include "engine/model/ops_avx512.h"
#include "engine/telemetry/cost_model.h"
#include "engine/telemetry/op_timeline.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/matmul.h"
#include "engine/tensor/quant_dot.h"
#include "engine/util/mapping_guard.h"
#include "engine/util/parallel_work.h"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace wb {
namespace {

// Longest batch run through the layers at once; longer prompts are split so scratch memory stays bounded.
constexpr std::int32_t kMaxBatch = 512;
constexpr std::int32_t kDefaultContextCap = 4096;

// Activation buffers for one batch, row-major [token][feature]. They only grow, so decoding one token
// at a time never allocates.
struct Scratch {
    std::int32_t capacity = 0;
    std::vector<float> residual, normed, query, keys, values, attention, projection, gate, up, ropeCos,
        ropeSin;

    void reserve(const ModelConfig& c, std::int32_t tokens) {
        if (tokens <= capacity) return;
        const auto n = static_cast<std::size_t>(tokens);
        residual.resize(n * static_cast<std::size_t>(c.embeddingLength));
        normed.resize(n * static_cast<std::size_t>(c.embeddingLength));
        projection.resize(n * static_cast<std::size_t>(c.embeddingLength));
        query.resize(n * static_cast<std::size_t>(c.queryDim()));
        keys.resize(n * static_cast<std::size_t>(c.kvDim()));
        values.resize(n * static_cast<std::size_t>(c.kvDim()));
        attention.resize(n * static_cast<std::size_t>(c.queryDim()));
        gate.resize(n * static_cast<std::size_t>(c.feedForwardLength));
        up.resize(n * static_cast<std::size_t>(c.feedForwardLength));
        ropeCos.resize(n * static_cast<std::size_t>(c.ropeDimensionCount / 2));
        ropeSin.resize(n * static_cast<std::size_t>(c.ropeDimensionCount / 2));
        capacity = tokens;
    }
};

void addBiasRows(float* rows, std::span<const float> bias, std::int32_t tokenCount) {
    if (bias.empty()) return;
    for (std::int32_t t = 0; t < tokenCount; ++t)
        ops::addInPlace(rows + static_cast<std::size_t>(t) * bias.size(), bias.data(),
                        static_cast<std::int64_t>(bias.size()));
}

// fp16 bits -> float for all 65536 values, so the F16 cache is read without per-element conversion calls.
const float* fp16Table() {
    static const std::vector<float> table = [] {
        std::vector<float> values(65536);
        for (std::uint32_t bits = 0; bits < 65536; ++bits)
            values[bits] = fp16ToFloat(static_cast<std::uint16_t>(bits));
        return values;
    }();
    return table.data();
}

// Telemetry names the steps with OpKind, whose first values follow ForwardOp one for one.
static_assert(static_cast<int>(telemetry::OpKind::OutputHead) == static_cast<int>(ForwardOp::OutputHead) &&
              static_cast<int>(telemetry::OpKind::FfnDown) == static_cast<int>(ForwardOp::Down) &&
              static_cast<int>(telemetry::OpKind::Embedding) == static_cast<int>(ForwardOp::Embedding));

// The AVX-512 attention and SiLU kernels (attention_avx512.h, ops_avx512.h) run unless the portable kernels
// are forced.
bool attentionKernelsEnabled() {
    return avx512KernelsAvailable() && !portableKernelsForced();
}

float roundToFp16(float value) {
    return fp16ToFloat(floatToFp16(value));
}

// Element access for the two cache types: F32 stores floats, F16 stores fp16 bits read through the table.
struct F32Elements {
    using Stored = float;
    static float load(float v, const float*) { return v; }
    static float store(float v) { return v; }
    static float roundOperand(float v) { return v; }
};
struct F16Elements {
    using Stored = std::uint16_t;
    static float load(std::uint16_t v, const float* table) { return table[v]; }
    static std::uint16_t store(float v) { return floatToFp16(v); }
    // llama.cpp multiplies an F16 cache with operands converted to F16 (ggml's vec_dot_type for F16).
    static float roundOperand(float v) { return roundToFp16(v); }
};

} // namespace

// One arena per thread count for the whole process: creating and destroying an arena per context leaked
// a few KB per context under CPU contention (200 load/unload cycles grew RSS by 11 %), and a shared arena
// also avoids per-context start-up cost. Arenas are never destroyed (process lifetime).
static tbb::task_arena& sharedArena(std::int32_t threads) {
    static std::mutex mutex;
    static std::map<std::int32_t, std::unique_ptr<tbb::task_arena>> arenas;
    const std::lock_guard lock(mutex);
    auto& arena = arenas[threads];
    if (!arena) arena = std::make_unique<tbb::task_arena>(threads);
    return *arena;
}

struct InferenceContext::Impl {
    std::shared_ptr<const Model> model;
    const ModelConfig& config;
    const ModelWeights& weights;
    std::int32_t threads;
    tbb::task_arena& arena;
    KvCache cache;
    std::int32_t position = 0;
    Scratch scratch;
    std::vector<float> logits;
    // Attention scores, one context-length row per worker thread.
    tbb::enumerable_thread_specific<std::vector<float>> scores;
    ops::RopeParams rope;
    ForwardObserver* observer = nullptr;
    // Telemetry. passRecorder is the recorder while the current evaluate() records, else null; the costs
    // of the pass's steps are looked up in passCosts (built once per model), prepared before each batch.
    telemetry::Recorder* recorder = nullptr;
    TokenSpanOwner tokenSpanOwner = TokenSpanOwner::Context;
    telemetry::Recorder* passRecorder = nullptr;
    std::int32_t passToken = 0;
    std::unique_ptr<telemetry::PassCostTable> passCosts;
    telemetry::OpTimeline timeline; // the pass's op and layer spans, one clock read per op boundary

    Impl(std::shared_ptr<const Model> m, const ContextOptions& options)
        : model(std::move(m)), config(model->config()), weights(model->weights()), threads(options.threads),
          arena(sharedArena(options.threads)),
          cache(options.kvCacheType, config.blockCount, options.contextLength, config.kvDim()),
          logits(static_cast<std::size_t>(config.vocabSize)) {
        rope.dimensions = config.ropeDimensionCount;
        rope.freqBase = config.ropeFreqBase;
        rope.freqScale = config.ropeFreqScale;
        rope.neox = config.ropeNeox;
        rope.freqFactors = weights.ropeFreqs;
    }

    // One timed step. Without an observer the step ends where the next one begins (one clock read per
    // boundary); an observer's calls are kept out of the steps.
    template <typename Step>
    void step(ForwardOp op, std::int32_t layer, std::int32_t tokenCount, Step&& body) {
        if (observer != nullptr) observer->beginOp(op, layer, tokenCount);
        if (timeline.active()) {
            const auto kind = static_cast<telemetry::OpKind>(op);
            const telemetry::OpCost& cost = passCosts->cost(kind, layer);
            timeline.beginOp(layer, kind, cost.bytes, cost.flops);
        }
        body();
        if (observer != nullptr) {
            timeline.pause();
            observer->endOp(op, layer, tokenCount);
        }
    }

    // body(i) for i in [0, count); workPerItem (element operations) decides whether it is worth splitting.
    template <typename Body> static void forEach(std::int32_t count, std::int64_t workPerItem, Body&& body) {
        parallel::forEachItem(count, workPerItem, body);
    }

    void rmsNormRows(const float* in, std::span<const float> weight, std::int32_t tokenCount,
                     float* out) const {
        const std::int64_t n = config.embeddingLength;
        forEach(tokenCount, n, [&](std::int32_t t) {
            ops::rmsNorm(in + t * n, weight.data(), n, config.rmsNormEps, out + t * n);
        });
    }

    void computePassCosts(std::int32_t tokenCount, std::int32_t start, bool wantLogits);

    void forwardBatch(const std::int32_t* tokens, std::int32_t tokenCount, std::int32_t start,
                      bool wantLogits);
    template <typename Elements>
    void storeKv(std::int32_t layer, std::int32_t tokenCount, std::int32_t start);
    template <typename Elements>
    void attention(std::int32_t layer, std::int32_t tokenCount, std::int32_t start);
};

void InferenceContext::Impl::computePassCosts(std::int32_t tokenCount, std::int32_t start, bool wantLogits) {
    telemetry::PassShape pass;
    pass.firstPosition = static_cast<std::uint64_t>(start);
    pass.tokenCount = static_cast<std::uint64_t>(tokenCount);
    pass.outputTokens = wantLogits ? 1 : 0;
    pass.kvType = cache.type() == KvCacheType::F32 ? GgmlType::F32 : GgmlType::F16;
    passCosts->prepare(pass);
}

void InferenceContext::Impl::forwardBatch(const std::int32_t* tokens, std::int32_t tokenCount,
                                          std::int32_t start, bool wantLogits) {
    scratch.reserve(config, tokenCount);
    if (passRecorder != nullptr) computePassCosts(tokenCount, start, wantLogits);
    const telemetry::OpTimeline::Pass timedPass(timeline, passRecorder, passToken); // on this thread
    const std::int64_t embd = config.embeddingLength;
    const std::int64_t qDim = config.queryDim();
    const std::int64_t kvDim = config.kvDim();
    const std::int64_t ff = config.feedForwardLength;
    const std::int32_t headDim = config.headDim;
    const std::int64_t pairs = config.ropeDimensionCount / 2;
    float* x = scratch.residual.data();
    float* normed = scratch.normed.data();
    float* projection = scratch.projection.data();

    step(ForwardOp::Embedding, -1, tokenCount, [&] {
        forEach(tokenCount, embd,
                [&](std::int32_t t) { getRow(weights.tokenEmbedding, tokens[t], x + t * embd); });
    });
    timeline.pause();
    // The rotation angles depend only on the position: computed once per batch, shared by all layers.
    forEach(tokenCount, pairs * 32, [&](std::int32_t t) { // a pow and a sincos per pair
        ops::ropeAngles(rope, start + t, scratch.ropeCos.data() + t * pairs,
                        scratch.ropeSin.data() + t * pairs);
    });

    for (std::int32_t l = 0; l < config.blockCount; ++l) {
        const LayerWeights& w = weights.layers[static_cast<std::size_t>(l)];
        float* keys = scratch.keys.data();
        float* values = scratch.values.data();

        step(ForwardOp::AttnNorm, l, tokenCount, [&] { rmsNormRows(x, w.attnNorm, tokenCount, normed); });
        step(ForwardOp::QProj, l, tokenCount, [&] {
            matMul(w.attnQ, normed, tokenCount, scratch.query.data());
            addBiasRows(scratch.query.data(), w.qBias, tokenCount);
        });
        step(ForwardOp::KProj, l, tokenCount, [&] {
            matMul(w.attnK, normed, tokenCount, keys);
            addBiasRows(keys, w.kBias, tokenCount);
        });
        step(ForwardOp::VProj, l, tokenCount, [&] {
            matMul(w.attnV, normed, tokenCount, values);
            addBiasRows(values, w.vBias, tokenCount);
        });
        step(ForwardOp::Rope, l, tokenCount, [&] {
            forEach(tokenCount, (qDim + kvDim) * 2, [&](std::int32_t t) {
                const float* cosTable = scratch.ropeCos.data() + t * pairs;
                const float* sinTable = scratch.ropeSin.data() + t * pairs;
                for (std::int32_t h = 0; h < config.headCount; ++h)
                    ops::applyRope(scratch.query.data() + t * qDim + h * headDim, config.ropeDimensionCount,
                                   config.ropeNeox, cosTable, sinTable);
                for (std::int32_t h = 0; h < config.headCountKv; ++h)
                    ops::applyRope(keys + t * kvDim + h * headDim, config.ropeDimensionCount, config.ropeNeox,
                                   cosTable, sinTable);
            });
        });
        step(ForwardOp::Attention, l, tokenCount, [&] {
            if (cache.type() == KvCacheType::F32) {
                storeKv<F32Elements>(l, tokenCount, start);
                attention<F32Elements>(l, tokenCount, start);
            } else {
                storeKv<F16Elements>(l, tokenCount, start);
                attention<F16Elements>(l, tokenCount, start);
            }
        });
        step(ForwardOp::OProj, l, tokenCount, [&] {
            matMul(w.attnOutput, scratch.attention.data(), tokenCount, projection);
            addBiasRows(projection, w.outputBias, tokenCount);
            ops::addInPlace(x, projection, tokenCount * embd);
        });
        step(ForwardOp::FfnNorm, l, tokenCount, [&] { rmsNormRows(x, w.ffnNorm, tokenCount, normed); });
        step(ForwardOp::Gate, l, tokenCount,
             [&] { matMul(w.ffnGate, normed, tokenCount, scratch.gate.data()); });
        step(ForwardOp::Up, l, tokenCount, [&] { matMul(w.ffnUp, normed, tokenCount, scratch.up.data()); });
        step(ForwardOp::FfnActivation, l, tokenCount, [&] {
            if (attentionKernelsEnabled())
                forEach(tokenCount, ff, [&](std::int32_t t) {
                    ops_avx512::siluMultiply(scratch.gate.data() + t * ff, scratch.up.data() + t * ff, ff);
                });
            else
                ops::siluMultiply(scratch.gate.data(), scratch.up.data(), tokenCount * ff);
        });
        step(ForwardOp::Down, l, tokenCount, [&] {
            matMul(w.ffnDown, scratch.gate.data(), tokenCount, projection);
            ops::addInPlace(x, projection, tokenCount * embd);
        });
    }

    if (!wantLogits) return;
    // Only the last token's logits are returned, so only its row goes through the classifier.
    const float* last = x + (tokenCount - 1) * embd;
    step(ForwardOp::OutputNorm, -1, 1, [&] { rmsNormRows(last, weights.outputNorm, 1, normed); });
    step(ForwardOp::OutputHead, -1, 1, [&] { matMul(weights.output, normed, 1, logits.data()); });
}

template <typename Elements>
void InferenceContext::Impl::storeKv(std::int32_t layer, std::int32_t tokenCount, std::int32_t start) {
    using Stored = typename Elements::Stored;
    const std::size_t count = static_cast<std::size_t>(tokenCount) * static_cast<std::size_t>(config.kvDim());
    Stored* keys = cache.keys<Stored>(layer, start);
    Stored* values = cache.values<Stored>(layer, start);
    if constexpr (std::is_same_v<Stored, std::uint16_t>) {
        if (attentionKernelsEnabled()) {
            attention_avx512::floatsToF16(scratch.keys.data(), keys, count);
            attention_avx512::floatsToF16(scratch.values.data(), values, count);
            return;
        }
    }
    for (std::size_t i = 0; i < count; ++i) {
        keys[i] = Elements::store(scratch.keys[i]);
        values[i] = Elements::store(scratch.values[i]);
    }
}

// Causal attention of the batch's queries over the cache, one (token, head) pair per task. Query head h
// reads KV head h / (headCount / headCountKv), as llama.cpp's grouped-query broadcast does.
template <typename Elements>
void InferenceContext::Impl::attention(std::int32_t layer, std::int32_t tokenCount, std::int32_t start) {
    using Stored = typename Elements::Stored;
    const std::int32_t headDim = config.headDim;
    const std::int32_t groupSize = config.headCount / config.headCountKv;
    const std::int64_t qDim = config.queryDim();
    const std::int64_t kvDim = config.kvDim();
    const float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
    const Stored* keys = cache.keys<Stored>(layer, 0);
    const Stored* values = cache.values<Stored>(layer, 0);
    const float* table = fp16Table();
    // Per worker: context-length scores, then the (possibly rounded) query head.
    const std::size_t scratchSize =
        static_cast<std::size_t>(cache.contextLength()) + static_cast<std::size_t>(headDim);
    // Scores and weighted values of one head over (at most) every visible position.
    const std::int64_t headWork = 2 * static_cast<std::int64_t>(start + tokenCount) * headDim;

    if (attentionKernelsEnabled() && groupSize > 1 && tokenCount * config.headCountKv >= 4) {
        // AVX-512, one task per (token, KV head): the query heads that share the KV head read each key and
        // value row once between them (attention_avx512.h); same results as head by head below. (With fewer
        // than four such tasks, head by head keeps both threads busy.)
        const std::size_t groupScratch = static_cast<std::size_t>(groupSize) * scratchSize;
        forEach(tokenCount * config.headCountKv, headWork * groupSize, [&](std::int32_t task) {
            const std::int32_t t = task / config.headCountKv;
            const std::int32_t g = task % config.headCountKv;
            const std::int64_t firstHead = static_cast<std::int64_t>(g) * groupSize;
            const std::int32_t visible = start + t + 1;
            std::vector<float>& local = scores.local();
            if (local.size() < groupScratch) local.resize(groupScratch);
            const auto stride = static_cast<std::int64_t>(scratchSize);
            const attention_avx512::Head head{keys + g * headDim, values + g * headDim, kvDim, headDim,
                                              std::is_same_v<Stored, std::uint16_t>};
            attention_avx512::groupScores(head, scratch.query.data() + t * qDim + firstHead * headDim,
                                          groupSize, visible, scale, local.data(), stride);
            for (std::int32_t h = 0; h < groupSize; ++h)
                ops_avx512::softmax(local.data() + h * stride, visible);
            attention_avx512::groupWeightedValues(head, local.data(), stride, groupSize, visible,
                                                  scratch.attention.data() + t * qDim + firstHead * headDim);
        });
        return;
    }
    if (attentionKernelsEnabled()) {
        // AVX-512: vectorized dot products and value sums (attention_avx512.h), same roundings.
        forEach(tokenCount * config.headCount, headWork, [&](std::int32_t task) {
            const std::int32_t t = task / config.headCount;
            const std::int32_t h = task % config.headCount;
            const std::int64_t kvOffset = static_cast<std::int64_t>(h / groupSize) * headDim;
            const std::int32_t visible = start + t + 1;
            std::vector<float>& local = scores.local();
            if (local.size() < scratchSize) local.resize(scratchSize);
            const attention_avx512::Head head{keys + kvOffset, values + kvOffset, kvDim, headDim,
                                              std::is_same_v<Stored, std::uint16_t>};
            attention_avx512::scores(head,
                                     scratch.query.data() + t * qDim + static_cast<std::int64_t>(h) * headDim,
                                     visible, scale, local.data());
            ops_avx512::softmax(local.data(), visible);
            attention_avx512::weightedValues(head, local.data(), visible,
                                             scratch.attention.data() + t * qDim +
                                                 static_cast<std::int64_t>(h) * headDim);
        });
        return;
    }
    forEach(tokenCount * config.headCount, headWork, [&](std::int32_t task) {
        const std::int32_t t = task / config.headCount;
        const std::int32_t h = task % config.headCount;
        const std::int64_t kvOffset = static_cast<std::int64_t>(h / groupSize) * headDim;
        const float* rawQuery = scratch.query.data() + t * qDim + static_cast<std::int64_t>(h) * headDim;
        float* out = scratch.attention.data() + t * qDim + static_cast<std::int64_t>(h) * headDim;
        const std::int32_t visible = start + t + 1; // positions 0 .. start + t

        std::vector<float>& local = scores.local();
        if (local.size() < scratchSize) local.resize(scratchSize);
        float* score = local.data();
        float* q = local.data() + cache.contextLength();
        for (std::int32_t d = 0; d < headDim; ++d)
            q[d] = Elements::roundOperand(rawQuery[d]);

        for (std::int32_t p = 0; p < visible; ++p) {
            const Stored* k = keys + p * kvDim + kvOffset;
            float dot = 0.0f;
            for (std::int32_t d = 0; d < headDim; ++d)
                dot += q[d] * Elements::load(k[d], table);
            score[p] = dot * scale;
        }
        ops::softmax(score, visible);

        std::fill(out, out + headDim, 0.0f);
        for (std::int32_t p = 0; p < visible; ++p) {
            const float weight = Elements::roundOperand(score[p]);
            const Stored* v = values + p * kvDim + kvOffset;
            for (std::int32_t d = 0; d < headDim; ++d)
                out[d] += weight * Elements::load(v[d], table);
        }
    });
}

InferenceContext::InferenceContext(std::shared_ptr<const Model> model, ContextOptions options) {
    if (!model) throw std::invalid_argument("InferenceContext: no model");
    if (options.contextLength < 0)
        throw std::invalid_argument("context length " + std::to_string(options.contextLength) +
                                    " is negative");
    if (options.threads < 0)
        throw std::invalid_argument("thread count " + std::to_string(options.threads) + " is negative");
    ContextOptions resolved = options;
    if (resolved.contextLength == 0)
        resolved.contextLength = std::min(model->config().contextLength, kDefaultContextCap);
    if (resolved.threads == 0) resolved.threads = physicalCoreCount();
    impl_ = std::make_unique<Impl>(std::move(model), resolved);
    if (options.recorder != nullptr) setRecorder(options.recorder);
}

InferenceContext::~InferenceContext() = default;

std::span<const float> InferenceContext::evaluate(std::span<const std::int32_t> tokens) {
    Impl& s = *impl_;
    if (tokens.empty()) throw std::invalid_argument("evaluate: no tokens given");
    const std::int32_t contextLength = s.cache.contextLength();
    if (tokens.size() > static_cast<std::size_t>(contextLength - s.position))
        throw std::length_error(std::to_string(tokens.size()) + " tokens at position " +
                                std::to_string(s.position) + " do not fit in the context length of " +
                                std::to_string(contextLength) + " (" +
                                std::to_string(s.position + static_cast<std::int64_t>(tokens.size())) +
                                " > " + std::to_string(contextLength) + ")");
    for (std::size_t i = 0; i < tokens.size(); ++i)
        if (tokens[i] < 0 || tokens[i] >= s.config.vocabSize)
            throw std::out_of_range("token id " + std::to_string(tokens[i]) + " at index " +
                                    std::to_string(i) + " is outside the vocabulary of " +
                                    std::to_string(s.config.vocabSize) + " tokens");
    const auto count = static_cast<std::int32_t>(tokens.size());
    s.passRecorder = s.recorder != nullptr && s.recorder->enabled() ? s.recorder : nullptr;
    s.passToken = s.position;
    // The arena runs the pass on this thread, so the spans nest on one recorder thread.
    const telemetry::TokenScope passSpan(
        s.tokenSpanOwner == TokenSpanOwner::Context ? s.passRecorder : nullptr, s.passToken, count);
    // A model file truncated while mapped reads as zeros (engine/util/mapping_guard.h): the logits would be
    // garbage, so it becomes an error for this call and every later one on this model.
    const auto fileBytes = s.model->file().bytes();
    const auto throwIfFileChanged = [&] {
        if (!fileBytes.empty() && mapping_guard::faulted(fileBytes.data()))
            throw mapping_guard::FileChangedError(s.model->file().sourceName());
    };
    throwIfFileChanged();
    s.arena.execute([&] {
        for (std::int32_t done = 0; done < count;) {
            const std::int32_t batch = std::min(kMaxBatch, count - done);
            s.forwardBatch(tokens.data() + done, batch, s.position + done, done + batch == count);
            done += batch;
        }
    });
    throwIfFileChanged();
    s.position += count;
    return s.logits;
}

std::int32_t InferenceContext::position() const {
    return impl_->position;
}
std::int32_t InferenceContext::contextLength() const {
    return impl_->cache.contextLength();
}
std::int32_t InferenceContext::vocabSize() const {
    return impl_->config.vocabSize;
}
std::int32_t InferenceContext::threadCount() const {
    return impl_->threads;
}
KvCacheType InferenceContext::kvCacheType() const {
    return impl_->cache.type();
}
void InferenceContext::reset() {
    impl_->position = 0;
}

void InferenceContext::truncate(std::int32_t position) {
    if (position < 0 || position > impl_->position)
        throw std::out_of_range("truncate: position " + std::to_string(position) + " is outside [0, " +
                                std::to_string(impl_->position) + "]");
    impl_->position = position;
}

std::uint64_t InferenceContext::kvCacheBytes() const {
    return impl_->cache.byteSize();
}
const Model& InferenceContext::model() const {
    return *impl_->model;
}
void InferenceContext::setObserver(ForwardObserver* observer) {
    impl_->observer = observer;
}
void InferenceContext::setRecorder(telemetry::Recorder* recorder, TokenSpanOwner owner) {
    if (recorder != nullptr && !impl_->passCosts)
        impl_->passCosts = std::make_unique<telemetry::PassCostTable>(
            telemetry::ModelShapes::fromGguf(impl_->model->file()));
    impl_->recorder = recorder;
    impl_->tokenSpanOwner = owner;
}
telemetry::Recorder* InferenceContext::recorder() const {
    return impl_->recorder;
}
std::uint64_t InferenceContext::scratchBytes() const {
    const Scratch& s = impl_->scratch;
    std::uint64_t bytes = 0;
    for (const auto* buffer : {&s.residual, &s.normed, &s.query, &s.keys, &s.values, &s.attention,
                               &s.projection, &s.gate, &s.up, &s.ropeCos, &s.ropeSin})
        bytes += buffer->capacity() * sizeof(float);
    bytes += impl_->logits.capacity() * sizeof(float);
    return bytes;
}

std::int32_t physicalCoreCount() {
    // Linux: distinct (physical id, core id) pairs in /proc/cpuinfo; hyper-threads share a pair.
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::set<std::pair<int, int>> cores;
    int physicalId = 0;
    for (std::string line; std::getline(cpuinfo, line);) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        try {
            if (line.rfind("physical id", 0) == 0)
                physicalId = std::stoi(line.substr(colon + 1));
            else if (line.rfind("core id", 0) == 0)
                cores.emplace(physicalId, std::stoi(line.substr(colon + 1)));
        } catch (const std::exception&) {
            // Unparsable line: fall back below if nothing usable was found.
        }
    }
    if (!cores.empty()) return static_cast<std::int32_t>(cores.size());
    return static_cast<std::int32_t>(std::max(1u, std::thread::hardware_concurrency()));
}

} // namespace wb
