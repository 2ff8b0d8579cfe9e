#pragma once
// Quantizers for the K-quant super-block formats (Q2_K..Q6_K, Q8_K); used by quantize.cpp.
#include "engine/gguf/ggml_types.h"

#include <cstdint>

namespace wb {

bool canQuantizeK(GgmlType type);
// Writes nBlocks super-blocks of `type` from nBlocks * 256 floats.
void quantizeRowK(GgmlType type, const float* src, std::uint8_t* dst, std::int64_t nBlocks);
// Q8_K exactly as ggml's quantize_row_q8_K_ref (the activation format of K-quant dot products).
void quantizeRowQ8_K(const float* src, void* dst, std::int64_t nBlocks);

} // namespace wb
