#pragma once
// Dequantization of ggml block formats to float.
// Block layouts: ggml/src/ggml-common.h and reference dequantizers in ggml/src/ggml-quants.c
// (ggml-org/llama.cpp).
#include "engine/gguf/ggml_types.h"

#include <cstdint>

namespace wb {

bool canDequantize(GgmlType type);
// Dequantizes n elements (n a multiple of the type's block size) from raw block data.
// Throws std::invalid_argument naming the type when unsupported or when n is not a multiple of the block
// size.
void dequantizeRow(GgmlType type, const void* src, float* dst, std::int64_t n);

} // namespace wb
