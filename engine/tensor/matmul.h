#pragma once
// Matrix-vector and matrix-matrix products against weights in their stored (possibly quantized) layout.
// Each output element is computed by one thread in a fixed order, so results never depend on the
// thread count. Parallelism uses oneTBB in the caller's task arena.
#include "engine/tensor/weight_matrix.h"

#include <cstdint>

namespace wb {

// How a dot product between a weight row and the activations is computed.
enum class KernelPath {
    // Dequantize the weight row to float, dot in float with a fixed order. Compare against
    // `f64_dequant_logits`.
    Float,
    // What llama.cpp's CPU backend does: activations quantized to Q8_0 (Q4_0, Q5_0, Q8_0 weights), Q8_1
    // (Q4_1,
    // Q5_1) or Q8_K (Q2_K..Q6_K), integer dot products per block; BF16 weights see bf16-rounded activations;
    // F32/F16 weights keep float activations (same as Float). Compare against llama.cpp's `logits`.
    QuantizedActivations,
};

// Process-wide default used by matVec/matMul (initially KernelPath::Float). Thread-safe to read.
void setKernelPath(KernelPath path);
KernelPath kernelPath();

// y[r] = sum_c W[r][c] * x[c] for r in [0, rows).
void matVec(const WeightMatrix& w, const float* x, float* y);
void matVec(const WeightMatrix& w, const float* x, float* y, KernelPath path);
// Batched: x is nTokens rows of w.cols floats (row-major), y is nTokens rows of w.rows floats.
void matMul(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y);
void matMul(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y, KernelPath path);
// One row of the matrix as floats (for token_embd lookups of any type); out holds w.cols floats.
void getRow(const WeightMatrix& w, std::int64_t row, float* out);

} // namespace wb
