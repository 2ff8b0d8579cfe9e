#include "engine/synth/quant_target.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace wb::synth {
namespace {

// general.file_type numbers: llama.h enum llama_ftype (ggml-org/llama.cpp).
enum FileType : std::uint32_t {
    kAllF32 = 0,
    kF16 = 1,
    kQ4_0 = 2,
    kQ4_1 = 3,
    kQ8_0 = 7,
    kQ5_0 = 8,
    kQ5_1 = 9,
    kQ2_K = 10,
    kQ3_K_M = 12,
    kQ4_K_S = 14,
    kQ4_K_M = 15,
    kQ5_K_S = 16,
    kQ5_K_M = 17,
    kQ6_K = 18,
    kBF16 = 32,
};

struct NamedTarget {
    std::string_view name;
    GgmlType type;
    std::uint32_t fileType;
};

constexpr NamedTarget kTargets[] = {
    {"f32", GgmlType::F32, kAllF32},     {"f16", GgmlType::F16, kF16},
    {"bf16", GgmlType::BF16, kBF16},     {"q8_0", GgmlType::Q8_0, kQ8_0},
    {"q4_0", GgmlType::Q4_0, kQ4_0},     {"q4_1", GgmlType::Q4_1, kQ4_1},
    {"q5_0", GgmlType::Q5_0, kQ5_0},     {"q5_1", GgmlType::Q5_1, kQ5_1},
    {"q2_k", GgmlType::Q2_K, kQ2_K},     {"q3_k", GgmlType::Q3_K, kQ3_K_M},
    {"q3_k_m", GgmlType::Q3_K, kQ3_K_M}, {"q4_k", GgmlType::Q4_K, kQ4_K_M},
    {"q4_k_s", GgmlType::Q4_K, kQ4_K_S}, {"q4_k_m", GgmlType::Q4_K, kQ4_K_M},
    {"q5_k", GgmlType::Q5_K, kQ5_K_M},   {"q5_k_s", GgmlType::Q5_K, kQ5_K_S},
    {"q5_k_m", GgmlType::Q5_K, kQ5_K_M}, {"q6_k", GgmlType::Q6_K, kQ6_K},
};

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

std::uint32_t blockSizeOf(GgmlType type) {
    return ggmlTypeTraits(type).blockSize;
}

// llama.cpp's replacement when the row length does not fit the K-quant super-block (see the header).
GgmlType fallbackFor(GgmlType type) {
    switch (type) {
    case GgmlType::Q2_K:
    case GgmlType::Q3_K:
        return GgmlType::Q4_0;
    case GgmlType::Q4_K:
        return GgmlType::Q5_0;
    case GgmlType::Q5_K:
        return GgmlType::Q5_1;
    case GgmlType::Q6_K:
        return GgmlType::Q8_0;
    default:
        return GgmlType::F16;
    }
}

GgmlType mixedType(const QuantTarget& target, const TensorRole& tensor, GgmlType type) {
    const std::string_view name = tensor.name;
    const int layer = layerIndexOf(name);
    const int layers = static_cast<int>(tensor.layerCount);
    const std::uint32_t ft = target.fileType;
    const bool isClassifier = name == "output.weight" || (!tensor.hasOutput && name == "token_embd.weight");
    if (isClassifier) {
        if (tensor.ne[0] % blockSizeOf(type) != 0) return GgmlType::Q8_0;
        return type == GgmlType::Q8_0 ? type : GgmlType::Q6_K;
    }
    if (name == "token_embd.weight") return type;
    if (contains(name, "attn_v.weight")) {
        const std::uint32_t gqa = tensor.headCountKv == 0 ? 1 : tensor.headCount / tensor.headCountKv;
        if (ft == kQ2_K) return gqa >= 4 ? GgmlType::Q4_K : GgmlType::Q3_K;
        if (ft == kQ3_K_M) return layer < 2 ? GgmlType::Q5_K : GgmlType::Q4_K;
        if ((ft == kQ4_K_M || ft == kQ5_K_M) && useMoreBits(layer, layers)) return GgmlType::Q6_K;
        if (ft == kQ4_K_S && layer < 4) return GgmlType::Q5_K;
        return type;
    }
    if (contains(name, "ffn_down")) {
        if (ft == kQ2_K) return GgmlType::Q3_K;
        if (ft == kQ3_K_M) return layer < layers / 16 ? GgmlType::Q5_K : GgmlType::Q4_K;
        if ((ft == kQ4_K_M || ft == kQ5_K_M) && useMoreBits(layer, layers)) return GgmlType::Q6_K;
        if (ft == kQ4_K_S && layer < layers / 8) return GgmlType::Q5_K;
        return type;
    }
    if (contains(name, "attn_output.weight")) {
        if (ft == kQ2_K) return GgmlType::Q3_K;
        if (ft == kQ3_K_M) return GgmlType::Q4_K;
    }
    return type;
}

} // namespace

std::optional<QuantTarget> parseQuantTarget(std::string_view name) {
    std::string lowered(name);
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& target : kTargets)
        if (target.name == lowered)
            return QuantTarget{std::string(target.name), target.type, target.fileType};
    return std::nullopt;
}

std::vector<std::string> quantTargetNames() {
    std::vector<std::string> names;
    for (const auto& target : kTargets)
        names.emplace_back(target.name);
    return names;
}

int layerIndexOf(std::string_view tensorName) {
    constexpr std::string_view prefix = "blk.";
    if (tensorName.substr(0, prefix.size()) != prefix) return -1;
    const char* begin = tensorName.data() + prefix.size();
    const char* end = tensorName.data() + tensorName.size();
    int layer = -1;
    const auto [next, error] = std::from_chars(begin, end, layer);
    if (error != std::errc{} || next == end || *next != '.') return -1;
    return layer;
}

// llama.cpp llama-quant.cpp: use_more_bits(i_layer, n_layers).
bool useMoreBits(int layer, int layerCount) {
    return layer < layerCount / 8 || layer >= 7 * layerCount / 8 || (layer - layerCount / 8) % 3 == 2;
}

TypeChoice chooseTensorType(const QuantTarget& target, const TensorRole& tensor, bool pure) {
    // Only 2-D (or higher) weights are converted, as in llama.cpp; 1-D norms, biases and rope_freqs stay.
    const bool isWeight = tensor.name.size() >= 6 && tensor.name.ends_with("weight");
    std::size_t dims = tensor.ne.size();
    while (dims > 1 && tensor.ne[dims - 1] == 1)
        --dims;
    if (!isWeight || dims < 2) return TypeChoice{GgmlType::F32, false, {}};

    GgmlType type = target.baseType;
    if (!pure && ggmlTypeTraits(type).quantized) type = mixedType(target, tensor, type);

    TypeChoice choice{type, true, {}};
    const std::uint64_t rowLength = tensor.ne[0];
    if (rowLength % blockSizeOf(type) != 0) {
        GgmlType replacement = fallbackFor(type);
        if (rowLength % blockSizeOf(replacement) != 0) replacement = GgmlType::F16;
        choice.fallback = "row length " + std::to_string(rowLength) + " is not a multiple of the " +
                          std::string(ggmlTypeName(type)) + " block size " +
                          std::to_string(blockSizeOf(type)) + ": using " +
                          std::string(ggmlTypeName(replacement));
        choice.type = replacement;
    }
    return choice;
}

} // namespace wb::synth
