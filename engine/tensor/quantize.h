#pragma once
// Reference quantizers (float -> ggml blocks). They follow ggml's published algorithms
// (ggml/src/ggml-quants.c, ggml-org/llama.cpp) closely enough that dequantize(quantize(x)) error is of the
// same order as ggml's; the K-quant scale search is simpler than ggml's. Used to write synthetic model files.
#include "engine/gguf/ggml_types.h"

#include <cstddef>
#include <cstdint>

namespace wb {

bool canQuantize(GgmlType type);
// Quantizes n floats (a multiple of the block size) into blocks; returns bytes written.
// Throws std::invalid_argument when the type is unsupported or n is not a multiple of the block size.
std::size_t quantizeRow(GgmlType type, const float* src, void* dst, std::int64_t n);
// Bytes taken by n elements of the type; throws std::invalid_argument if n is not a multiple of the block
// size.
std::size_t rowByteSize(GgmlType type, std::int64_t n);

} // namespace wb
