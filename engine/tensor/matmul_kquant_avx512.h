#pragma once
// AVX-512 (F/BW/VL/DQ + VNNI) kernels for K-quant weights (Q4_K, Q5_K, Q6_K) against Q8_K activations
// (compiled with the *_avx512.cpp flags; call only when avx512KernelsAvailable() says so). The integer sums
// of every super-block are exact (any order gives the same int32), and the per-super-block float
// combination is the portable kernel's (quant_dot.cpp: quantcombine::addSuperBlock / addSuperBlockSymmetric,
// super-blocks in increasing order, no FMA), only spread over SIMD lanes, so outputs are bit-identical to
// quantizedDotPortable.
//
// Prompt batches use "tokens in lanes": the activations of up to 16 tokens are interleaved per 4 bytes
// (a panel, built once per product by matmul_kquant.cpp), a strip of weight rows is unpacked once to one
// unsigned byte per weight plus integer scales (KStrip), and each weight dword is broadcast against the
// 16 tokens with vpdpbusd; sub-block scales multiply the exact sub-block sums, the mins/offset terms use
// vpdpwssd against per-token bsums.
//
// Generation (one token) uses row groups: each row's super-block is reduced to a few vector partial sums
// that are kept in a small scratch, then 16 rows are transposed into lanes so that the float combination
// runs on 16 rows at once (no horizontal sums per row).
// Layouts are prepared in baseline code; this file holds only raw-pointer kernels.
#include <cstddef>
#include <cstdint>

namespace wb::avx512k {

enum class KType { Q4_K, Q5_K, Q6_K };

// Unpacked weights of `rows` rows. Per row r (row stride = nBlocks times the per-block count):
//  values[r][b * 256 + i]   weight level i of super-block b as an unsigned byte (Q4_K 0..15, Q5_K 0..31,
//                           Q6_K 0..63, i.e. Q6_K's stored +32 bias kept)
//  scales[r][b * 16 + j]    sub-block scale as int32 (Q4_K/Q5_K: j < 8, sub-blocks of 32; Q6_K: 16 of 16)
//  pairs[r][b * 8 + m]      two int16 per int32: Q4_K/Q5_K mins (2m, 2m+1), m < 4; Q6_K scales (2m, 2m+1)
//  d[r][b], dmin[r][b]      fp16 super-block scales widened to float (dmin unused for Q6_K)
struct KStrip {
    std::uint8_t* values;
    std::int32_t* scales;
    std::int32_t* pairs;
    float* d;
    float* dmin;
};

// Q8_K activations (BlockQ8_K), bit-identical to quantizeRowQ8_K (quantize_k.cpp).
void quantizeQ8K(const float* x, void* out, std::int64_t nBlocks);

void unpackKRows(KType type, const std::uint8_t* weights, std::size_t rowBytes, std::int64_t nBlocks,
                 std::int64_t rows, const KStrip& strip);

// Q8_K activations of up to 16 tokens, interleaved: qs[(b * 64 + k) * 16 + lane] is bytes 4k..4k+3 of
// token `lane`'s super-block b as one int32; d[b * 16 + lane] its float scale; pairs[(b * 8 + m) * 16 + lane]
// two int16: Q4_K/Q5_K (bsum pair of sub-block 2m, of sub-block 2m+1) where a sub-block of 32 has the sum
// bsums[2j] + bsums[2j + 1], m < 4; Q6_K (bsums[2m], bsums[2m + 1]), m < 8. Unused lanes are zero.
struct KPanel {
    const std::int32_t* qs;
    const float* d;
    const std::int32_t* pairs;
    std::int32_t tokens; // valid lanes, 1..16
};

// For `rows` unpacked rows (output rows firstRow..) and one panel: y[token * yStride + row]. Spread over the
// tiles, prefetches [prefetch, prefetch + prefetchBytes) into L2 (the next strip's stored weights, so that
// unpacking it does not wait for memory).
void matMulKPanel(KType type, const KStrip& strip, std::int64_t nBlocks, std::int64_t rows,
                  const KPanel& panel, std::int64_t firstRow, float* y, std::int64_t yStride,
                  const std::uint8_t* prefetch, std::size_t prefetchBytes);

// Tokens 0..nTokens-1 (q8k: nTokens * nBlocks BlockQ8_K, natural layout), rows [rowBegin, rowEnd) of the
// stored matrix: y[t * yStride + (r - rowBegin)]. For Q4_K/Q5_K, `reordered` holds the same activations
// (256 bytes per super-block) reordered per 128 values as [0..31, 64..95, 32..63, 96..127], so that the low
// and high nibbles of one 64-byte weight load meet their activations; unused for Q6_K (may be null).
// `scratch` must hold kMatVecScratchBytesPerBlock * nBlocks bytes, 64-byte aligned. largePages: the weights
// stream from DRAM in 2 MiB pages (WeightMatrix::streamsFromLargePages), which takes a shorter prefetch
// distance.
inline constexpr std::size_t kMatVecScratchBytesPerBlock = 16 * 68;
void matVecK(KType type, const std::uint8_t* weights, std::size_t rowBytes, std::int64_t nBlocks,
             const void* q8k, const std::int8_t* reordered, std::int64_t nTokens, std::int64_t rowBegin,
             std::int64_t rowEnd, float* y, std::int64_t yStride, void* scratch, bool largePages);

} // namespace wb::avx512k
