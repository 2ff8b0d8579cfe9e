#include "engine/gguf/ggml_types.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace wb {
namespace {

constexpr std::uint32_t kQK = 256; // K-quant super-block

// Byte sizes follow the block structs of ggml-common.h (ggml-org/llama.cpp).
constexpr std::array kTraits{
    GgmlTypeTraits{GgmlType::F32, "f32", 1, 4, false},
    GgmlTypeTraits{GgmlType::F16, "f16", 1, 2, false},
    GgmlTypeTraits{GgmlType::Q4_0, "q4_0", 32, 18, true},
    GgmlTypeTraits{GgmlType::Q4_1, "q4_1", 32, 20, true},
    GgmlTypeTraits{GgmlType::Q5_0, "q5_0", 32, 22, true},
    GgmlTypeTraits{GgmlType::Q5_1, "q5_1", 32, 24, true},
    GgmlTypeTraits{GgmlType::Q8_0, "q8_0", 32, 34, true},
    GgmlTypeTraits{GgmlType::Q8_1, "q8_1", 32, 36, true},
    GgmlTypeTraits{GgmlType::Q2_K, "q2_K", kQK, 84, true},
    GgmlTypeTraits{GgmlType::Q3_K, "q3_K", kQK, 110, true},
    GgmlTypeTraits{GgmlType::Q4_K, "q4_K", kQK, 144, true},
    GgmlTypeTraits{GgmlType::Q5_K, "q5_K", kQK, 176, true},
    GgmlTypeTraits{GgmlType::Q6_K, "q6_K", kQK, 210, true},
    GgmlTypeTraits{GgmlType::Q8_K, "q8_K", kQK, 292, true},
    GgmlTypeTraits{GgmlType::IQ2_XXS, "iq2_xxs", kQK, 66, true},
    GgmlTypeTraits{GgmlType::IQ2_XS, "iq2_xs", kQK, 74, true},
    GgmlTypeTraits{GgmlType::IQ3_XXS, "iq3_xxs", kQK, 98, true},
    GgmlTypeTraits{GgmlType::IQ1_S, "iq1_s", kQK, 50, true},
    GgmlTypeTraits{GgmlType::IQ4_NL, "iq4_nl", 32, 18, true},
    GgmlTypeTraits{GgmlType::IQ3_S, "iq3_s", kQK, 110, true},
    GgmlTypeTraits{GgmlType::IQ2_S, "iq2_s", kQK, 82, true},
    GgmlTypeTraits{GgmlType::IQ4_XS, "iq4_xs", kQK, 136, true},
    GgmlTypeTraits{GgmlType::I8, "i8", 1, 1, false},
    GgmlTypeTraits{GgmlType::I16, "i16", 1, 2, false},
    GgmlTypeTraits{GgmlType::I32, "i32", 1, 4, false},
    GgmlTypeTraits{GgmlType::I64, "i64", 1, 8, false},
    GgmlTypeTraits{GgmlType::F64, "f64", 1, 8, false},
    GgmlTypeTraits{GgmlType::IQ1_M, "iq1_m", kQK, 56, true},
    GgmlTypeTraits{GgmlType::BF16, "bf16", 1, 2, false},
    GgmlTypeTraits{GgmlType::TQ1_0, "tq1_0", kQK, 54, true},
    GgmlTypeTraits{GgmlType::TQ2_0, "tq2_0", kQK, 66, true},
    GgmlTypeTraits{GgmlType::MXFP4, "mxfp4", 32, 17, true},
};

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

} // namespace

std::optional<GgmlTypeTraits> ggmlTypeTraits(std::uint32_t rawType) {
    for (const auto& traits : kTraits)
        if (static_cast<std::uint32_t>(traits.type) == rawType) return traits;
    return std::nullopt;
}

const GgmlTypeTraits& ggmlTypeTraits(GgmlType type) {
    for (const auto& traits : kTraits)
        if (traits.type == type) return traits;
    return kTraits[0]; // unreachable for valid enumerators
}

std::string_view ggmlTypeName(GgmlType type) { return ggmlTypeTraits(type).name; }

std::optional<GgmlType> ggmlTypeFromName(std::string_view name) {
    const std::string wanted = lower(name);
    for (const auto& traits : kTraits)
        if (lower(traits.name) == wanted) return traits.type;
    return std::nullopt;
}

std::string_view llamaFileTypeName(std::uint32_t fileType) {
    // llama.h enum llama_ftype (ggml-org/llama.cpp).
    switch (fileType) {
    case 0: return "F32";
    case 1: return "F16";
    case 2: return "Q4_0";
    case 3: return "Q4_1";
    case 7: return "Q8_0";
    case 8: return "Q5_0";
    case 9: return "Q5_1";
    case 10: return "Q2_K";
    case 11: return "Q3_K_S";
    case 12: return "Q3_K_M";
    case 13: return "Q3_K_L";
    case 14: return "Q4_K_S";
    case 15: return "Q4_K_M";
    case 16: return "Q5_K_S";
    case 17: return "Q5_K_M";
    case 18: return "Q6_K";
    case 19: return "IQ2_XXS";
    case 20: return "IQ2_XS";
    case 21: return "Q2_K_S";
    case 22: return "IQ3_XS";
    case 23: return "IQ3_XXS";
    case 24: return "IQ1_S";
    case 25: return "IQ4_NL";
    case 26: return "IQ3_S";
    case 27: return "IQ3_M";
    case 28: return "IQ2_S";
    case 29: return "IQ2_M";
    case 30: return "IQ4_XS";
    case 31: return "IQ1_M";
    case 32: return "BF16";
    case 36: return "TQ1_0";
    case 37: return "TQ2_0";
    default: return "unknown";
    }
}

} // namespace wb
