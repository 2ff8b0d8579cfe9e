#pragma once
// The element-wise and per-row operators of the forward pass (everything except the weight products).
// Each works on plain float rows so that it can be unit-tested by hand and replaced by a SIMD kernel.
// Numerics follow llama.cpp's CPU backend (ggml/src/ggml-cpu/ops.cpp, ggml-org/llama.cpp): sums of many
// terms accumulate in double, element results are float.
#include <cstdint>
#include <span>

namespace wb::ops {

// out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i]. out may alias x.
void rmsNorm(const float* x, const float* weight, std::int64_t n, float eps, float* out);

// Numerically stable softmax in place: x[i] = exp(x[i] - max) / sum.
void softmax(float* x, std::int64_t n);

// gate[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)) (SwiGLU).
void siluMultiply(float* gate, const float* up, std::int64_t n);

// x[i] += y[i].
void addInPlace(float* x, const float* y, std::int64_t n);

struct RopeParams {
    std::int32_t dimensions = 0; // rotated dims per head (rope.dimension_count), even
    float freqBase = 10000.0f;
    float freqScale = 1.0f;             // linear scaling: position multiplier
    bool neox = false;                  // pairs (i, i + dims/2) instead of (2i, 2i + 1)
    std::span<const float> freqFactors; // optional divisors per pair (Llama-3.1 rope_freqs), dims/2 values
};

// cos/sin of the rotation angles for one position: theta_i = pos * scale * base^(-2i/dims) / factor_i,
// i in [0, dims/2). Computed in double, stored as float. Source: llama.cpp ggml_rope_cache_init.
void ropeAngles(const RopeParams& params, std::int32_t position, float* cosOut, float* sinOut);

// Rotates the first `dimensions` values of one head in place using angles from ropeAngles.
// Normal (GPT-J / llama) style rotates (x[2i], x[2i+1]); NeoX style rotates (x[i], x[i + dims/2]).
void applyRope(float* head, std::int32_t dimensions, bool neox, const float* cosTable, const float* sinTable);

} // namespace wb::ops
