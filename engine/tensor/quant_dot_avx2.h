#pragma once
// AVX2 versions of some quantized dot products (compiled with -mavx2 -mfma -mf16c; call only after a run-time
// CPU check, see quant_dot_dispatch.cpp). The integer block sums are computed with SIMD and combined in float
// exactly like the portable kernels, so results are bit-identical to quantizedDotPortable.
#include "engine/gguf/ggml_types.h"

#include <cstdint>

namespace wb {

bool hasAvx2Kernel(GgmlType weightType);
float quantizedDotAvx2(GgmlType weightType, const std::uint8_t* row, const void* activations, std::int64_t n);

} // namespace wb
