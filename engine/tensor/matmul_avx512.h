#pragma once
// AVX-512 (F/BW/VL/DQ + VNNI) kernels for the quantized-activation matrix products (compiled with the
// *_avx512.cpp flags; call only when avx512KernelsAvailable() says so). Every output is computed with exactly
// the integer block sums and the float block combination of the portable kernels (quant_dot.cpp, blocks in
// increasing order, no FMA), only spread over SIMD lanes, so results are bit-identical to the portable path.
//
// Two kernels, both with 16 weight rows in the 16 lanes:
//  - generation (one token): rows read straight from the file, each row's block dot products reduced across
//    lanes by an in-register transpose, so the per-block float combination runs for 16 rows at once;
//  - prompt batches: each 16-row group repacked once per product (4-byte groups of the 16 rows side by side)
//    and reused for every token, whose 4-byte groups are broadcast into the dot products; no reductions.
// The layouts are prepared by matmul.cpp (baseline code) so this file holds only raw-pointer kernels and no
// std/tbb templates whose AVX-512 instantiations the linker could pick for baseline callers.
#include <cstddef>
#include <cstdint>

namespace wb::avx512 {

// Block-32 weight types with kernels here.
enum class Block32Type { Q4_0, Q8_0 };

// One token's Q8_0 activations for the rows-in-lanes kernel. qs holds 32 bytes per block, padded to an even
// block count; for Q4_0 each pair of blocks (b, b+1) is reordered as b[0..15], b+1[0..15], b[16..31],
// b+1[16..31] to match the nibble layout. offset[b] = -bias * sum(qs of block b) (bias 8 for Q4_0 nibbles,
// 128 for Q8_0 weights shifted to unsigned).
struct Block32Token {
    const std::int8_t* qs;
    const float* d;
    const std::int32_t* offset;
};

// y[r - rowBegin] for rows [rowBegin, rowEnd) of a row-major block-32 matrix.
void matVecBlock32(Block32Type type, const std::uint8_t* weights, std::size_t rowBytes, std::int64_t nBlocks,
                   const Block32Token& activations, std::int64_t rowBegin, std::int64_t rowEnd, float* y);

// Rows in lanes for prompt batches: a group of up to 16 rows repacked once per product so that
// packed[(b * 8 + k) * 16 + lane] is bytes 4k..4k+3 of row r(lane)'s block b as unsigned bytes (Q4_0 nibbles,
// Q8_0 + 128), scales[b * 16 + lane] its fp16 scale as float, with r(lane) = 4 * (lane % 4) + lane / 4 (the
// order of an in-register transpose; matMulBlock32Packed undoes it). Spare rows (rows < 16) repeat the last.
// packed must hold nBlocks * 128 int32, scales nBlocks * 16 floats.
void packBlock32Rows16(Block32Type type, const std::uint8_t* firstRow, std::size_t rowBytes,
                       std::int64_t nBlocks, std::int32_t rows, std::int32_t* packed, float* scales);

// Products of a packed 16-row group with nTokens tokens' activations: `activations` is the tokens'
// ActivationBlock32 array (activation_quant.h, nBlocks per token, natural order), offsets[t * nBlocks + b] =
// -bias * sum(qs) as for Block32Token. Each token's bytes are broadcast from memory into the dot products,
// so nothing is reduced across lanes. Writes y[t * yStride + row] for rows < `rows`. While it runs it
// software-prefetches prefetchBytes from `prefetch` (the next group's weights; nullptr for none).
void matMulBlock32Packed(const std::int32_t* packed, const float* scales, std::int64_t nBlocks,
                         std::int32_t rows, const void* activations, const std::int32_t* offsets,
                         std::int64_t nTokens, float* y, std::int64_t yStride, const std::uint8_t* prefetch,
                         std::size_t prefetchBytes);

// Quantizes n values (a multiple of 32) to ActivationBlock32 (activation_quant.h) exactly as
// quantizeActivationsQ8_0 does, bit for bit: the same amax, d, 1/d, round-half-even and fp16 roundings.
void quantizeActivationsQ8_0(const float* x, void* blocks, std::int64_t n);

} // namespace wb::avx512
