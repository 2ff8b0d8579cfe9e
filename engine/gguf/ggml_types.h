#pragma once
// The ggml tensor types as numbered in GGUF files, with their block geometry.
// Source: ggml/include/ggml.h (enum ggml_type) and ggml/src/ggml-common.h (block structs),
// ggml-org/llama.cpp; the GGUF specification (ggml-org/ggml docs/gguf.md).
#include <cstdint>
#include <optional>
#include <string_view>

namespace wb {

enum class GgmlType : std::uint32_t {
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3,
    Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
    I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
    TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

struct GgmlTypeTraits {
    GgmlType type;
    std::string_view name;    // as llama.cpp prints it: "f32", "q4_K", ...
    std::uint32_t blockSize;  // elements per block
    std::uint32_t bytesPerBlock;
    bool quantized;
};

// Traits for a raw type id from a file; nullopt for ids that are unknown or were removed from ggml.
std::optional<GgmlTypeTraits> ggmlTypeTraits(std::uint32_t rawType);
const GgmlTypeTraits& ggmlTypeTraits(GgmlType type);
std::string_view ggmlTypeName(GgmlType type);
// Parses "q4_0", "Q4_K", "bf16", ... (case-insensitive); nullopt when unknown.
std::optional<GgmlType> ggmlTypeFromName(std::string_view name);

// Name of llama.cpp's general.file_type value (LLAMA_FTYPE_*), e.g. 15 -> "Q4_K_M".
std::string_view llamaFileTypeName(std::uint32_t fileType);

} // namespace wb
