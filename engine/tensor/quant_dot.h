#pragma once
// Dot products between one stored weight row and quantized activations, computed the way ggml's
// ggml_vec_dot_<type>_q8_<0|1|K> functions define them (ggml/src/ggml-cpu/ggml-cpu-quants.c,
// ggml-org/llama.cpp): exact integer sums per block or sub-block, combined in float with the block scales.
// Blocks are accumulated in increasing order, so the result does not depend on who computes it.
#include "engine/gguf/ggml_types.h"
#include "engine/tensor/activation_quant.h"

#include <cstdint>

namespace wb {

// Which activation format a weight type is paired with; F32 when the type has no quantized kernel.
enum class ActivationFormat { Float, Q8_0, Q8_K };
ActivationFormat activationFormatFor(GgmlType weightType);

// n elements (a multiple of the block size). `activations` points to ActivationBlock32 or BlockQ8_K.
float quantizedDotPortable(GgmlType weightType, const std::uint8_t* row, const void* activations,
                           std::int64_t n);

// The same through the fastest kernel this CPU supports (AVX2 when available, else portable).
float quantizedDot(GgmlType weightType, const std::uint8_t* row, const void* activations, std::int64_t n);

// Forces the portable kernels even where AVX2 is available (for tests comparing the two).
void setForcePortableKernels(bool force);
bool portableKernelsForced();
bool avx2KernelsAvailable();
// AVX-512 F/BW/VL/DQ with VNNI and F16C: the matrix kernels of matmul_avx512.h (see matmul.cpp).
bool avx512KernelsAvailable();
// Those plus AMX-TILE and AMX-INT8 that the OS lets this process use: the prompt-batch kernel of
// matmul_block32_tiles_amx.h. setAllowAmxKernels(false) keeps the AVX-512 one (for tests and A/B runs).
bool amxKernelsAvailable();
void setAllowAmxKernels(bool allow);
bool amxKernelsAllowed();

} // namespace wb
