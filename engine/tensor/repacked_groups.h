#pragma once
// Which weight matrices the repacked (16-row interleaved) AVX-512 kernels read, and the repacking of one
// group: Q4_0/Q8_0 (matvec_interleaved_avx512.h) and Q4_K/Q6_K (matvec_kinterleaved_avx512.h). Used at load
// (InterleavedWeights) and by the kernel tests. Call repackGroup only when avx512KernelsAvailable().
#include "engine/tensor/weight_matrix.h"

#include <cstddef>
#include <cstdint>

namespace wb {

inline constexpr std::int64_t kRepackedGroupRows = 16;

// Bytes of one repacked group of w (a multiple of 64), or 0 when no repacked kernel reads w's type or w has
// fewer than 16 rows.
std::size_t repackedGroupBytes(const WeightMatrix& w);

// Repacks rows [16 g, 16 g + 16) of w into `out` (repackedGroupBytes(w) bytes, 64-byte aligned).
void repackGroup(const WeightMatrix& w, std::int64_t g, std::uint8_t* out);

} // namespace wb
