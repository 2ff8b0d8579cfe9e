#pragma once
// Activation quantization as llama.cpp's CPU backend does it before a quantized dot product
// (ggml/src/ggml-cpu quantize_row_q8_0 / q8_1 / q8_K, x86 paths): Q8_0 and Q8_1 use per-32 blocks with
// q = round_half_even(x * 127/amax) and d = amax/127 stored as fp16 (Q8_1 adds s = fp16(d * sum q));
// Q8_K uses per-256 blocks with iscale = -127/max (max = the value of largest magnitude, sign kept).
// See /work/shared/models/zoo/README.md section 6.2 for the confirmed rules.
#include "engine/tensor/block_layouts.h"

#include <cstdint>

namespace wb {

// One activation block of 32 in Q8_0 / Q8_1 form, with its fp16-rounded scale already widened to float.
struct ActivationBlock32 {
    float d; // fp16(amax / 127)
    float s; // fp16(d_f32 * sum(qs)), used against the min of Q4_1 / Q5_1 weights
    std::int8_t qs[32];
};

// n must be a multiple of 32 (resp. 256).
void quantizeActivationsQ8_0(const float* x, ActivationBlock32* out, std::int64_t n);
void quantizeActivationsQ8_K(const float* x, blocks::BlockQ8_K* out, std::int64_t n);

} // namespace wb
