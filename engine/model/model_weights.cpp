#include "engine/model/model_weights.h"

#include "engine/tensor/dequantize.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

namespace wb {
namespace {

// Tensor names follow llama.cpp's LLM_TENSOR_NAMES (src/llama-arch.cpp) for LLM_ARCH_LLAMA / QWEN2.
class TensorResolver {
public:
    TensorResolver(const gguf::GgufFile& file) : file_(file) {}

    [[noreturn]] void fail(const std::string& name, const std::string& problem) const {
        throw std::runtime_error(file_.sourceName() + ": tensor '" + name + "' " + problem);
    }

    const gguf::TensorInfo* find(const std::string& name) const { return file_.findTensor(name); }

    const gguf::TensorInfo& require(const std::string& name) const {
        const auto* info = find(name);
        if (info == nullptr) fail(name, "is missing");
        return *info;
    }

    // A weight matrix of `cols` x `rows` (ggml ne order) in any type the kernels can multiply.
    WeightMatrix matrix(const gguf::TensorInfo& info, std::int64_t cols, std::int64_t rows) {
        if (info.ne[2] != 1 || info.ne[3] != 1 || info.ne[0] != static_cast<std::uint64_t>(cols) ||
            info.ne[1] != static_cast<std::uint64_t>(rows))
            fail(info.name, "has shape " + info.shapeString() + ", expected [" + std::to_string(cols) + ", " +
                                std::to_string(rows) + "]");
        if (!canDequantize(info.type))
            fail(info.name, "has type " + std::string(ggmlTypeName(info.type)) +
                                ", which the engine cannot compute with");
        count(info);
        try {
            return WeightMatrix::fromTensor(file_, info);
        } catch (const std::invalid_argument& error) {
            throw std::runtime_error(error.what());
        }
    }

    WeightMatrix matrix(const std::string& name, std::int64_t cols, std::int64_t rows) {
        return matrix(require(name), cols, rows);
    }

    // A 1-D F32 vector (norm weights, biases, rope factors); empty span when optional and absent.
    std::span<const float> vector(const std::string& name, std::int64_t length, bool required = true) {
        const auto* info = find(name);
        if (info == nullptr) {
            if (required) fail(name, "is missing");
            return {};
        }
        if (info->elementCount != static_cast<std::uint64_t>(length) || info->ne[0] != info->elementCount)
            fail(name, "has shape " + info->shapeString() + ", expected [" + std::to_string(length) + "]");
        if (info->type != GgmlType::F32)
            fail(name, "has type " + std::string(ggmlTypeName(info->type)) + ", expected f32");
        const auto bytes = file_.tensorBytes(*info);
        if (reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(float) != 0)
            fail(name, "data is not 4-byte aligned in memory");
        count(*info);
        const std::span<const float> values{reinterpret_cast<const float*>(bytes.data()),
                                            static_cast<std::size_t>(length)};
        // These small vectors scale or shift every activation: one NaN or infinity poisons all logits.
        // (The big matrices are not scanned; that would read the whole file at load time.)
        for (std::size_t i = 0; i < values.size(); ++i)
            if (!std::isfinite(values[i]))
                fail(name, "holds " + std::to_string(values[i]) + " at index " + std::to_string(i) +
                               "; its values must be finite");
        return values;
    }

    std::uint64_t byteSize() const { return bytes_; }

private:
    void count(const gguf::TensorInfo& info) {
        if (counted_.insert(&info).second) bytes_ += info.byteSize;
    }

    const gguf::GgufFile& file_;
    std::set<const gguf::TensorInfo*> counted_;
    std::uint64_t bytes_ = 0;
};

// Parses the N of "blk.N.<suffix>"; nullopt for other names.
std::optional<std::uint64_t> blockIndexOf(const std::string& name) {
    constexpr std::string_view prefix = "blk.";
    if (name.rfind(prefix, 0) != 0) return std::nullopt;
    std::uint64_t index = 0;
    const char* begin = name.data() + prefix.size();
    const char* end = name.data() + name.size();
    const auto [ptr, ec] = std::from_chars(begin, end, index);
    if (ec != std::errc() || ptr == begin || ptr == end || *ptr != '.') return std::nullopt;
    return index;
}

void checkVocabulary(const gguf::GgufFile& file, ModelConfig& config, const gguf::TensorInfo& embedding) {
    const std::uint64_t rows = embedding.ne[1];
    if (config.vocabSize != 0 && static_cast<std::uint64_t>(config.vocabSize) != rows)
        throw std::runtime_error(file.sourceName() + ": metadata '" + config.architecture +
                                 ".vocab_size' is " + std::to_string(config.vocabSize) +
                                 " but tensor 'token_embd.weight' has " + std::to_string(rows) + " rows");
    if (const auto* tokens = file.getArray("tokenizer.ggml.tokens"); tokens && tokens->items.size() != rows)
        throw std::runtime_error(
            file.sourceName() + ": the tokenizer has " + std::to_string(tokens->items.size()) +
            " tokens but tensor 'token_embd.weight' has " + std::to_string(rows) + " rows");
    if (rows > static_cast<std::uint64_t>(INT32_MAX))
        throw std::runtime_error(file.sourceName() + ": tensor 'token_embd.weight' has too many rows (" +
                                 std::to_string(rows) + ")");
    config.vocabSize = static_cast<std::int32_t>(rows);
}

} // namespace

ModelWeights resolveModelWeights(const gguf::GgufFile& file, ModelConfig& config) {
    TensorResolver tensors(file);
    ModelWeights weights;
    const std::int64_t embd = config.embeddingLength;
    const std::int64_t qDim = config.queryDim();
    const std::int64_t kvDim = config.kvDim();
    const std::int64_t ff = config.feedForwardLength;

    const auto& embeddingInfo = tensors.require("token_embd.weight");
    if (embeddingInfo.ne[0] != static_cast<std::uint64_t>(embd))
        tensors.fail("token_embd.weight", "has shape " + embeddingInfo.shapeString() + ", expected rows of " +
                                              std::to_string(embd) + " (embedding_length)");
    checkVocabulary(file, config, embeddingInfo);
    const std::int64_t vocab = config.vocabSize;
    weights.tokenEmbedding = tensors.matrix(embeddingInfo, embd, vocab);

    // Reject tensors of blocks the metadata does not announce: a wrong block_count must not go unnoticed.
    for (const auto& info : file.tensors())
        if (const auto block = blockIndexOf(info.name);
            block && *block >= static_cast<std::uint64_t>(config.blockCount))
            tensors.fail(info.name, "belongs to block " + std::to_string(*block) + " but " +
                                        config.architecture + ".block_count is " +
                                        std::to_string(config.blockCount));

    const bool biasesRequired = config.architecture == "qwen2"; // llama.cpp requires them for qwen2
    weights.layers.resize(static_cast<std::size_t>(config.blockCount));
    for (std::int32_t i = 0; i < config.blockCount; ++i) {
        const std::string p = "blk." + std::to_string(i) + ".";
        LayerWeights& layer = weights.layers[static_cast<std::size_t>(i)];
        layer.attnNorm = tensors.vector(p + "attn_norm.weight", embd);
        layer.attnQ = tensors.matrix(p + "attn_q.weight", embd, qDim);
        layer.attnK = tensors.matrix(p + "attn_k.weight", embd, kvDim);
        layer.attnV = tensors.matrix(p + "attn_v.weight", embd, kvDim);
        layer.qBias = tensors.vector(p + "attn_q.bias", qDim, biasesRequired);
        layer.kBias = tensors.vector(p + "attn_k.bias", kvDim, biasesRequired);
        layer.vBias = tensors.vector(p + "attn_v.bias", kvDim, biasesRequired);
        layer.attnOutput = tensors.matrix(p + "attn_output.weight", qDim, embd);
        layer.outputBias = tensors.vector(p + "attn_output.bias", embd, false);
        layer.ffnNorm = tensors.vector(p + "ffn_norm.weight", embd);
        layer.ffnGate = tensors.matrix(p + "ffn_gate.weight", embd, ff);
        layer.ffnUp = tensors.matrix(p + "ffn_up.weight", embd, ff);
        layer.ffnDown = tensors.matrix(p + "ffn_down.weight", ff, embd);
        if (!layer.qBias.empty() || !layer.kBias.empty() || !layer.vBias.empty())
            config.hasAttentionBiases = true;
    }

    weights.outputNorm = tensors.vector("output_norm.weight", embd);
    if (const auto* output = tensors.find("output.weight")) {
        weights.output = tensors.matrix(*output, embd, vocab);
    } else {
        weights.output = weights.tokenEmbedding; // llama.cpp: duplicate token_embd when output is absent
        config.tiedOutput = true;
    }
    weights.ropeFreqs = tensors.vector("rope_freqs.weight", config.ropeDimensionCount / 2, false);
    config.hasRopeFreqs = !weights.ropeFreqs.empty();
    for (std::size_t i = 0; i < weights.ropeFreqs.size(); ++i)
        if (!(weights.ropeFreqs[i] > 0.0f) || !std::isfinite(weights.ropeFreqs[i]))
            tensors.fail("rope_freqs.weight", "holds " + std::to_string(weights.ropeFreqs[i]) + " at index " +
                                                  std::to_string(i) +
                                                  "; factors must be positive and finite");
    weights.byteSize = tensors.byteSize();
    return weights;
}

} // namespace wb
