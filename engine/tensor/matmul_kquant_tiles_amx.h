#pragma once
// Prompt-batch kernel for K-quant weights (Q4_K, Q5_K, Q6_K) on Intel AMX (AMX-TILE + AMX-INT8; call only
// when amxKernelsAvailable() says so, quant_dot.h). Same inputs and outputs as avx512k::matMulKPanel
// (matmul_kquant_avx512.h): an unpacked KStrip (one unsigned byte per weight) and a 16-token KPanel (tokens
// in lanes, 4-byte groups: exactly a tile's VNNI layout). One TDPBUSD per sub-block computes its exact
// integer sums for 16 rows x 16 tokens; the sub-block scales, the mins / +32 bias terms and the float
// combination per super-block are then the AVX-512 kernel's, so the outputs stay bit-identical to the
// portable kernel.
#include "engine/tensor/matmul_kquant_avx512.h"

#include <cstddef>
#include <cstdint>

namespace wb::amxk {

// As avx512k::matMulKPanel: y[token * yStride + firstRow + r] for the strip's rows r < rows; prefetches
// [prefetch, prefetch + prefetchBytes) into L2 along the way. Strip rows up to rows rounded up to 16 are
// read (their products are discarded), so the strip must hold that many rows.
void matMulKPanel(avx512k::KType type, const avx512k::KStrip& strip, std::int64_t nBlocks, std::int64_t rows,
                  const avx512k::KPanel& panel, std::int64_t firstRow, float* y, std::int64_t yStride,
                  const std::uint8_t* prefetch, std::size_t prefetchBytes);

} // namespace wb::amxk
