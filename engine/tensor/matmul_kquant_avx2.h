#pragma once
// AVX2 (+FMA/F16C flags, no FMA used) row-group kernels for K-quant weights against Q8_K activations, for
// CPUs without AVX-512 VNNI (compiled with the *_avx2.cpp flags; call only when avx2KernelsAvailable()).
// Eight weight rows per group, one row at a time over all super-blocks (a linear stream): vpmaddubsw pair
// sums, vpmaddwd by the sub-block scale, eight int32 partials per row and block kept in a small scratch; then
// the eight rows are reduced into lanes (exact integer adds) and the per-super-block float combination of the
// portable kernels runs on eight rows at once, so outputs are bit-identical to quantizedDotPortable.
// Several tokens reuse the group's weights from L1/L2 (a rows x tokens tile).
#include "engine/tensor/matmul_kquant_avx512.h" // KType

#include <cstddef>
#include <cstdint>

namespace wb::avx2k {

inline constexpr std::size_t kScratchBytesPerBlock = 8 * 64 + 64;

// Rows [rowBegin, rowEnd), tokens 0..nTokens-1 (q8k: nTokens * nBlocks BlockQ8_K, natural layout):
// y[t * yStride + (r - rowBegin)]. `scratch`: kScratchBytesPerBlock * nBlocks bytes, 32-byte aligned.
void matMulRowsK(avx512k::KType type, const std::uint8_t* weights, std::size_t rowBytes, std::int64_t nBlocks,
                 const void* q8k, std::int64_t nTokens, std::int64_t rowBegin, std::int64_t rowEnd, float* y,
                 std::int64_t yStride, void* scratch);

} // namespace wb::avx2k
