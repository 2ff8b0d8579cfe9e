#include "engine/model/model_config.h"

#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>

namespace wb {
namespace {

// Generous upper bounds; real models are far below them. They keep products such as
// blockCount * contextLength * kvDim far from overflowing 64 bits before the shape checks run.
constexpr std::uint64_t kMaxDimension = 1u << 20;
constexpr std::uint64_t kMaxBlockCount = 1u << 12;
constexpr std::uint64_t kMaxVocab = 1u << 24;
constexpr std::uint64_t kMaxContext = 1u << 24;

class MetadataReader {
public:
    MetadataReader(const gguf::GgufFile& file, std::string prefix)
        : file_(file), prefix_(std::move(prefix)) {}

    [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
        throw std::runtime_error(file_.sourceName() + ": metadata '" + key + "' " + problem);
    }

    std::optional<std::uint64_t> optionalUInt(const std::string& suffix) const {
        const std::string key = prefix_ + suffix;
        const gguf::Value* value = file_.find(key);
        if (value == nullptr) return std::nullopt;
        const auto number = value->isInteger() ? value->toUInt() : std::nullopt;
        if (!number) fail(key, "must be a non-negative integer, found " + value->toDisplayString());
        return number;
    }

    std::int32_t positive(const std::string& suffix, std::uint64_t limit,
                          std::optional<std::uint64_t> fallback = std::nullopt) const {
        const std::string key = prefix_ + suffix;
        auto number = optionalUInt(suffix);
        if (!number) number = fallback;
        if (!number) fail(key, "is missing");
        if (*number == 0) fail(key, "is zero");
        if (*number > limit)
            fail(key,
                 "is " + std::to_string(*number) + ", above the supported maximum " + std::to_string(limit));
        return static_cast<std::int32_t>(*number);
    }

    std::optional<double> optionalReal(const std::string& suffix) const {
        const std::string key = prefix_ + suffix;
        const gguf::Value* value = file_.find(key);
        if (value == nullptr) return std::nullopt;
        const auto number = value->toDouble();
        if (!number || !std::isfinite(*number))
            fail(key, "must be a finite number, found " + value->toDisplayString());
        return number;
    }

    std::optional<std::string> optionalString(const std::string& suffix) const {
        const std::string key = prefix_ + suffix;
        const gguf::Value* value = file_.find(key);
        if (value == nullptr) return std::nullopt;
        if (value->string() == nullptr) fail(key, "must be a string, found " + value->toDisplayString());
        return *value->string();
    }

private:
    const gguf::GgufFile& file_;
    std::string prefix_;
};

bool isSupportedArchitecture(const std::string& arch) {
    return arch == "llama" || arch == "qwen2";
}

} // namespace

ModelConfig readModelConfig(const gguf::GgufFile& file) {
    ModelConfig config;
    const MetadataReader general(file, "general.");
    const auto arch = general.optionalString("architecture");
    if (!arch) general.fail("general.architecture", "is missing");
    if (!isSupportedArchitecture(*arch))
        throw std::runtime_error(file.sourceName() + ": unsupported architecture '" + *arch +
                                 "' (supported: " + kSupportedArchitectures + ")");
    config.architecture = *arch;
    config.name = general.optionalString("name").value_or("");
    config.ropeNeox = config.architecture == "qwen2"; // llama.cpp: LLAMA_ROPE_TYPE_NEOX for qwen2

    const MetadataReader meta(file, config.architecture + ".");
    const std::string& a = config.architecture;
    if (const auto experts = meta.optionalUInt("expert_count"); experts && *experts > 0)
        meta.fail(a + ".expert_count",
                  "is " + std::to_string(*experts) + ": mixture-of-experts models are not supported");

    config.blockCount = meta.positive("block_count", kMaxBlockCount);
    config.contextLength = meta.positive("context_length", kMaxContext);
    config.embeddingLength = meta.positive("embedding_length", kMaxDimension);
    config.feedForwardLength = meta.positive("feed_forward_length", kMaxDimension);
    config.headCount = meta.positive("attention.head_count", kMaxDimension);
    config.headCountKv =
        meta.positive("attention.head_count_kv", kMaxDimension, static_cast<std::uint64_t>(config.headCount));
    if (config.headCountKv > config.headCount || config.headCount % config.headCountKv != 0)
        meta.fail(a + ".attention.head_count_kv", "is " + std::to_string(config.headCountKv) +
                                                      ", which does not divide head_count " +
                                                      std::to_string(config.headCount));

    // Head size: key_length when given (e.g. Mistral-Nemo), otherwise embedding / heads.
    const auto keyLength = meta.optionalUInt("attention.key_length");
    const auto valueLength = meta.optionalUInt("attention.value_length");
    if (keyLength || valueLength) {
        config.headDim = meta.positive("attention.key_length", kMaxDimension, valueLength);
        const std::int32_t valueDim = meta.positive("attention.value_length", kMaxDimension, keyLength);
        if (valueDim != config.headDim)
            meta.fail(a + ".attention.value_length",
                      "is " + std::to_string(valueDim) + " but key_length is " +
                          std::to_string(config.headDim) +
                          "; different key and value head sizes are not supported");
    } else {
        if (config.embeddingLength % config.headCount != 0)
            meta.fail(a + ".attention.head_count", "is " + std::to_string(config.headCount) +
                                                       ", which does not divide embedding_length " +
                                                       std::to_string(config.embeddingLength));
        config.headDim = config.embeddingLength / config.headCount;
    }
    if (static_cast<std::uint64_t>(config.headDim) * static_cast<std::uint64_t>(config.headCount) >
        kMaxDimension)
        meta.fail(a + ".attention.head_count",
                  "times the head size exceeds " + std::to_string(kMaxDimension));

    config.ropeDimensionCount =
        meta.positive("rope.dimension_count", kMaxDimension, static_cast<std::uint64_t>(config.headDim));
    if (config.ropeDimensionCount > config.headDim)
        meta.fail(a + ".rope.dimension_count", "is " + std::to_string(config.ropeDimensionCount) +
                                                   ", larger than the head size " +
                                                   std::to_string(config.headDim));
    if (config.ropeDimensionCount % 2 != 0)
        meta.fail(a + ".rope.dimension_count",
                  "is " + std::to_string(config.ropeDimensionCount) + ", not even");

    const double freqBase = meta.optionalReal("rope.freq_base").value_or(10000.0);
    if (freqBase <= 0.0 || freqBase > 1e12)
        meta.fail(a + ".rope.freq_base", "is out of range: " + std::to_string(freqBase));
    config.ropeFreqBase = static_cast<float>(freqBase);

    const auto eps = meta.optionalReal("attention.layer_norm_rms_epsilon");
    if (!eps) meta.fail(a + ".attention.layer_norm_rms_epsilon", "is missing");
    if (*eps <= 0.0 || *eps > 1.0)
        meta.fail(a + ".attention.layer_norm_rms_epsilon", "is out of range: " + std::to_string(*eps));
    config.rmsNormEps = static_cast<float>(*eps);

    // Rope scaling: linear is a position multiplier; llama3 is carried by rope_freqs.weight.
    // Source: llama.cpp src/llama-model.cpp (rope_scaling_type, freq_scale = 1 / factor).
    const std::string scalingType = meta.optionalString("rope.scaling.type").value_or("");
    double scaleFactor = meta.optionalReal("rope.scaling.factor").value_or(0.0);
    if (scaleFactor == 0.0) scaleFactor = meta.optionalReal("rope.scale_linear").value_or(0.0);
    if (scalingType == "linear" || (scalingType.empty() && scaleFactor != 0.0)) {
        if (scaleFactor <= 0.0 || scaleFactor > 1e6)
            meta.fail(a + ".rope.scaling.factor", "is out of range: " + std::to_string(scaleFactor));
        config.ropeFreqScale = static_cast<float>(1.0 / scaleFactor);
    } else if (!scalingType.empty() && scalingType != "none" && scalingType != "llama3") {
        meta.fail(a + ".rope.scaling.type",
                  "is '" + scalingType + "', which is not supported (none, linear, llama3)");
    }

    if (const auto vocab = meta.optionalUInt("vocab_size")) {
        if (*vocab == 0) meta.fail(a + ".vocab_size", "is zero");
        if (*vocab > kMaxVocab)
            meta.fail(a + ".vocab_size", "is " + std::to_string(*vocab) + ", above the supported maximum " +
                                             std::to_string(kMaxVocab));
        config.vocabSize = static_cast<std::int32_t>(*vocab);
    }
    return config;
}

} // namespace wb
