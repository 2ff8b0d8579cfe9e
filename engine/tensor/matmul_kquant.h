#pragma once
// Matrix products for K-quant weights (Q4_K, Q5_K, Q6_K) on the AVX-512 VNNI kernels of
// matmul_kquant_avx512.h: one token through row groups (generation), batches through token panels and
// unpacked weight strips (prompt processing). Outputs are bit-identical to the portable kernels.
#include "engine/tensor/weight_matrix.h"

#include <cstdint>

namespace wb {

// True when w.type has a kernel here and y was computed; the caller has checked that the AVX-512 kernels
// are available and not disabled (setForcePortableKernels).
bool matMulKQuantAvx512Tiled(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y);

// The same on the AVX2 row-group kernels (matmul_kquant_avx2.h), for CPUs without AVX-512 VNNI; the caller
// has checked avx2KernelsAvailable(). Also bit-identical to the portable kernels.
bool matMulKQuantAvx2Rows(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y);

} // namespace wb
