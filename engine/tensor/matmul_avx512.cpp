#include "engine/tensor/matmul_avx512.h"

#include "engine/tensor/activation_quant.h"
#include "engine/tensor/block_layouts.h"

#include <immintrin.h>

#include <cstring>

// The float combination must round exactly like the portable kernels: a multiply and an add, never one FMA.
#if defined(__clang__)
#pragma clang fp contract(off)
#else
#pragma GCC optimize("fp-contract=off")
// GCC 12 reports its own _mm512_undefined_* placeholders as maybe-uninitialized under the optimize pragma.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace wb::avx512 {
namespace {

using namespace blocks;

constexpr int kLanes = 16;

// --- rows in lanes -------------------------------------------------------------------------------------

// Sums groups of 4 int32 lanes of two row vectors: per 128-bit lane the result is
// [a0+a2, b0+b2, a1+a3, b1+b3] (then level 2 finishes the 4-lane sums).
inline __m512i pairReduce32(__m512i a, __m512i b) {
    return _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
}

// p[i] holds row i's dot products for two blocks, four 128-bit lanes of partial sums. With kSplitHalves
// (Q4_0 layout) block b is lanes 0+2 and b+1 lanes 1+3; otherwise block b is lanes 0+1 and b+1 lanes 2+3.
// Returns the exact block sums of the 16 rows: first (block b), second (block b+1), row i in lane i.
template <bool kSplitHalves> inline void reduceRows(const __m512i (&p)[16], __m512i& first, __m512i& second) {
    __m512i u[4];
    for (int g = 0; g < 4; ++g) {
        const __m512i t0 = pairReduce32(p[4 * g], p[4 * g + 1]);
        const __m512i t1 = pairReduce32(p[4 * g + 2], p[4 * g + 3]);
        // Per 128-bit lane: rows 4g..4g+3, each the sum of its 4 int32 lanes there.
        u[g] = _mm512_add_epi32(_mm512_unpacklo_epi64(t0, t1), _mm512_unpackhi_epi64(t0, t1));
    }
    constexpr int kSelA = kSplitHalves ? 0x44 : 0x88; // lanes holding block b's first part / b+1 ...
    constexpr int kSelB = kSplitHalves ? 0xEE : 0xDD;
    // w[h]: [rows 8h..8h+3 b, same rows b+1, rows 8h+4..8h+7 b, same rows b+1]
    __m512i w[2];
    for (int h = 0; h < 2; ++h)
        w[h] = _mm512_add_epi32(_mm512_shuffle_i32x4(u[2 * h], u[2 * h + 1], kSelA),
                                _mm512_shuffle_i32x4(u[2 * h], u[2 * h + 1], kSelB));
    first = _mm512_shuffle_i32x4(w[0], w[1], 0x88);
    second = _mm512_shuffle_i32x4(w[0], w[1], 0xDD);
}

// Weight bytes of blocks b and (if present) b+1 of one row, as unsigned bytes in the activation layout.
template <Block32Type kType> inline __m512i loadPair(const std::uint8_t* block, bool hasSecond) {
    if constexpr (kType == Block32Type::Q4_0) {
        const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2));
        const __m128i q1 = hasSecond ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 18 + 2))
                                     : _mm_setzero_si128();
        const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1);
        const __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(both), _mm256_srli_epi16(both, 4), 1);
        return _mm512_and_si512(z, _mm512_set1_epi8(0x0F));
    } else {
        const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2));
        const __m256i q1 = hasSecond ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 34 + 2))
                                     : _mm256_set1_epi8(static_cast<char>(0x80)); // becomes 0 after the xor
        const __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(q0), q1, 1);
        return _mm512_xor_si512(z, _mm512_set1_epi8(static_cast<char>(0x80))); // w + 128, unsigned
    }
}

// acc[lane] = acc + float(isum) * (fp16(d_w) * d_a), as quantcombine::addScaled per lane.
inline __m512 addScaledLanes(__m512 acc, __m512i isum, __m512 weightScales, float activationScale) {
    const __m512 scale = _mm512_mul_ps(weightScales, _mm512_set1_ps(activationScale));
    return _mm512_add_ps(acc, _mm512_mul_ps(_mm512_cvtepi32_ps(isum), scale));
}

template <Block32Type kType>
void matVecBlock32Impl(const std::uint8_t* weights, std::size_t rowBytes, std::int64_t nBlocks,
                       const Block32Token& a, std::int64_t rowBegin, std::int64_t rowEnd, float* y) {
    constexpr std::int64_t kBlockBytes = kType == Block32Type::Q4_0 ? 18 : 34;
    for (std::int64_t r0 = rowBegin; r0 < rowEnd; r0 += kLanes) {
        const int lanes = static_cast<int>(rowEnd - r0 < kLanes ? rowEnd - r0 : kLanes);
        const std::uint8_t* rows[kLanes];
        alignas(64) std::int32_t offsets[kLanes];
        for (int i = 0; i < kLanes; ++i) {
            const int row = i < lanes ? i : lanes - 1; // spare lanes repeat the last row, never stored
            rows[i] = weights + static_cast<std::size_t>(r0 + row) * rowBytes;
            offsets[i] = static_cast<std::int32_t>(static_cast<std::size_t>(row) * rowBytes);
        }
        const __m512i gatherIndex = _mm512_load_si512(offsets);
        const std::uint8_t* base = weights + static_cast<std::size_t>(r0) * rowBytes;
        __m512 acc = _mm512_setzero_ps();
        // The 16 rows are 16 interleaved streams, too many for the hardware prefetchers: while this group
        // runs, walk the next group's bytes (contiguous) in step with the blocks, one cache line at a time.
        const std::uint8_t* next = base + kLanes * rowBytes;
        const std::uint8_t* nextEnd =
            weights +
            static_cast<std::size_t>(rowEnd < r0 + 2 * kLanes ? rowEnd : r0 + 2 * kLanes) * rowBytes;
        const std::int64_t pairs = (nBlocks + 1) / 2;
        const std::size_t prefetchStep =
            ((static_cast<std::size_t>(kLanes) * rowBytes / static_cast<std::size_t>(pairs)) + 63) &
            ~std::size_t{63};
        for (std::int64_t b = 0; b < nBlocks; b += 2) {
            const bool hasSecond = b + 1 < nBlocks;
            for (std::size_t line = 0; line < prefetchStep && next < nextEnd; line += 64, next += 64)
                _mm_prefetch(reinterpret_cast<const char*>(next), _MM_HINT_T0);
            const __m512i x = _mm512_loadu_si512(a.qs + b * 32);
            __m512i p[kLanes];
            for (int i = 0; i < kLanes; ++i)
                p[i] = _mm512_dpbusd_epi32(_mm512_setzero_si512(),
                                           loadPair<kType>(rows[i] + b * kBlockBytes, hasSecond), x);
            __m512i first, second;
            reduceRows<kType == Block32Type::Q4_0>(p, first, second);
            // The fp16 scale is the first two bytes of each block: gather 4 bytes, keep the low half.
            const __m512i d0 = _mm512_i32gather_epi32(gatherIndex, base + b * kBlockBytes, 1);
            acc = addScaledLanes(acc, _mm512_add_epi32(first, _mm512_set1_epi32(a.offset[b])),
                                 _mm512_cvtph_ps(_mm512_cvtepi32_epi16(d0)), a.d[b]);
            if (hasSecond) {
                const __m512i d1 = _mm512_i32gather_epi32(gatherIndex, base + (b + 1) * kBlockBytes, 1);
                acc = addScaledLanes(acc, _mm512_add_epi32(second, _mm512_set1_epi32(a.offset[b + 1])),
                                     _mm512_cvtph_ps(_mm512_cvtepi32_epi16(d1)), a.d[b + 1]);
            }
        }
        _mm512_mask_storeu_ps(y + (r0 - rowBegin), static_cast<__mmask16>((1u << lanes) - 1u), acc);
    }
}

} // namespace

void matVecBlock32(Block32Type type, const std::uint8_t* weights, std::size_t rowBytes, std::int64_t nBlocks,
                   const Block32Token& activations, std::int64_t rowBegin, std::int64_t rowEnd, float* y) {
    if (type == Block32Type::Q4_0)
        matVecBlock32Impl<Block32Type::Q4_0>(weights, rowBytes, nBlocks, activations, rowBegin, rowEnd, y);
    else
        matVecBlock32Impl<Block32Type::Q8_0>(weights, rowBytes, nBlocks, activations, rowBegin, rowEnd, y);
}

namespace {

// Lane p of a packed group holds row 4 * (p % 4) + p / 4 (the order the in-lane 4x4 transposes leave the
// rows in); the map is its own inverse, so the same index vector puts the results back in row order.
inline __m512i packedLaneRows() {
    return _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
}

// z[g] holds rows 4g..4g+3 (one per 128-bit lane, four dwords each). Returns out[m]: dword m of all 16
// rows, lane 4L + g = row 4g + L, via 4x4 transposes inside each 128-bit lane.
inline void transposeGroups(const __m512i (&z)[4], __m512i (&out)[4]) {
    const __m512i t0 = _mm512_unpacklo_epi32(z[0], z[1]); // r0d0 r1d0 r0d1 r1d1
    const __m512i t1 = _mm512_unpackhi_epi32(z[0], z[1]); // r0d2 r1d2 r0d3 r1d3
    const __m512i t2 = _mm512_unpacklo_epi32(z[2], z[3]);
    const __m512i t3 = _mm512_unpackhi_epi32(z[2], z[3]);
    out[0] = _mm512_unpacklo_epi64(t0, t2);
    out[1] = _mm512_unpackhi_epi64(t0, t2);
    out[2] = _mm512_unpacklo_epi64(t1, t3);
    out[3] = _mm512_unpackhi_epi64(t1, t3);
}

// 16 bytes at `offset` of block b of each of the 16 rows, rows 4g..4g+3 in z[g].
inline void loadRowChunks(const std::uint8_t* const (&rows)[kLanes], std::size_t offset, __m512i (&z)[4]) {
    for (int g = 0; g < 4; ++g) {
        __m512i v =
            _mm512_zextsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[4 * g] + offset)));
        v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[4 * g + 1] + offset)),
                               1);
        v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[4 * g + 2] + offset)),
                               2);
        v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[4 * g + 3] + offset)),
                               3);
        z[g] = v;
    }
}

} // namespace

void packBlock32Rows16(Block32Type type, const std::uint8_t* firstRow, std::size_t rowBytes,
                       std::int64_t nBlocks, std::int32_t rows, std::int32_t* packed, float* scales) {
    const std::uint8_t* rowPointers[kLanes];
    for (int i = 0; i < kLanes; ++i) // spare rows repeat the last row (never stored)
        rowPointers[i] = firstRow + static_cast<std::size_t>(i < rows ? i : rows - 1) * rowBytes;
    // Scale gather offsets in packed lane order.
    alignas(64) std::int32_t laneRows[kLanes];
    _mm512_store_si512(laneRows, packedLaneRows());
    alignas(64) std::int32_t offsets[kLanes];
    for (int p = 0; p < kLanes; ++p)
        offsets[p] = static_cast<std::int32_t>(rowPointers[laneRows[p]] - firstRow);
    const __m512i index = _mm512_load_si512(offsets);
    const __m512i lowMask = _mm512_set1_epi8(0x0F);
    const std::size_t blockBytes = type == Block32Type::Q4_0 ? 18 : 34;
    for (std::int64_t b = 0; b < nBlocks; ++b, packed += 8 * kLanes, scales += kLanes) {
        const std::size_t at = static_cast<std::size_t>(b) * blockBytes;
        const __m512i d = _mm512_i32gather_epi32(index, firstRow + at, 1);
        _mm512_storeu_ps(scales, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(d)));
        __m512i z[4], words[4];
        loadRowChunks(rowPointers, at + 2, z);
        transposeGroups(z, words);
        if (type == Block32Type::Q4_0) { // value j: low nibble of byte j, value 16 + j: its high nibble
            for (int m = 0; m < 4; ++m) {
                _mm512_storeu_si512(packed + m * kLanes, _mm512_and_si512(words[m], lowMask));
                _mm512_storeu_si512(packed + (m + 4) * kLanes,
                                    _mm512_and_si512(_mm512_srli_epi16(words[m], 4), lowMask));
            }
        } else {
            const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
            for (int m = 0; m < 4; ++m)
                _mm512_storeu_si512(packed + m * kLanes, _mm512_xor_si512(words[m], flip));
            loadRowChunks(rowPointers, at + 18, z);
            transposeGroups(z, words);
            for (int m = 0; m < 4; ++m)
                _mm512_storeu_si512(packed + (m + 4) * kLanes, _mm512_xor_si512(words[m], flip));
        }
    }
}

namespace {

// kTokens tokens against one packed 16-row group: kTokens accumulators of 16 rows; per block the 8 weight
// vectors are loaded once and each token's 4-byte groups come in as embedded broadcasts.
template <int kTokens>
void packedTile(const std::int32_t* packed, const float* scales, std::int64_t nBlocks, __mmask16 valid,
                const ActivationBlock32* activations, const std::int32_t* offsets, std::int64_t nBlocksStride,
                float* y, std::int64_t yStride, const std::uint8_t* prefetch, std::size_t prefetchStep) {
    __m512 acc[kTokens];
#pragma GCC unroll 8
    for (int t = 0; t < kTokens; ++t)
        acc[t] = _mm512_setzero_ps();
    const ActivationBlock32* tokens[kTokens];
    const std::int32_t* tokenOffsets[kTokens];
#pragma GCC unroll 8
    for (int t = 0; t < kTokens; ++t) {
        tokens[t] = activations + t * nBlocksStride;
        tokenOffsets[t] = offsets + t * nBlocksStride;
    }
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        if (prefetch != nullptr) // the next group's weights, spread over this tile's blocks
            for (std::size_t line = 0; line < prefetchStep; line += 64)
                _mm_prefetch(reinterpret_cast<const char*>(prefetch + b * prefetchStep + line), _MM_HINT_T0);
        // Tokens innermost: kTokens independent dot-product chains overlap in the pipeline.
        __m512i isum[kTokens];
#pragma GCC unroll 8
        for (int t = 0; t < kTokens; ++t)
            isum[t] = _mm512_set1_epi32(tokenOffsets[t][b]);
#pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) {
            const __m512i w = _mm512_loadu_si512(packed + (b * 8 + k) * kLanes);
#pragma GCC unroll 8
            for (int t = 0; t < kTokens; ++t) // load-and-broadcast, folded into the dot product
                isum[t] = _mm512_dpbusd_epi32(
                    isum[t], w, _mm512_broadcastd_epi32(_mm_loadu_si32(tokens[t][b].qs + 4 * k)));
        }
        const __m512 weightScales = _mm512_loadu_ps(scales + b * kLanes);
#pragma GCC unroll 8
        for (int t = 0; t < kTokens; ++t) {
            // acc + float(isum) * (d_w * d_a), as quantcombine::addScaled per lane.
            const __m512 scale = _mm512_mul_ps(weightScales, _mm512_set1_ps(tokens[t][b].d));
            acc[t] = _mm512_add_ps(acc[t], _mm512_mul_ps(_mm512_cvtepi32_ps(isum[t]), scale));
        }
    }
    const __m512i rowOrder = packedLaneRows();
    for (int t = 0; t < kTokens; ++t)
        _mm512_mask_storeu_ps(y + t * yStride, valid,
                              _mm512_maskz_permutexvar_ps(static_cast<__mmask16>(0xFFFF), rowOrder, acc[t]));
}

} // namespace

void matMulBlock32Packed(const std::int32_t* packed, const float* scales, std::int64_t nBlocks,
                         std::int32_t rows, const void* activations, const std::int32_t* offsets,
                         std::int64_t nTokens, float* y, std::int64_t yStride, const std::uint8_t* prefetch,
                         std::size_t prefetchBytes) {
    const auto* a = static_cast<const ActivationBlock32*>(activations);
    const auto valid = static_cast<__mmask16>((1u << rows) - 1u);
    // Lines of the next group to fetch per block, during the first tile only.
    const std::size_t prefetchStep =
        prefetch == nullptr ? 0
                            : ((prefetchBytes / static_cast<std::size_t>(nBlocks)) + 63) & ~std::size_t{63};
    constexpr int kTile = 8;
    std::int64_t t = 0;
    for (; t + kTile <= nTokens; t += kTile) {
        packedTile<kTile>(packed, scales, nBlocks, valid, a + t * nBlocks, offsets + t * nBlocks, nBlocks,
                          y + t * yStride, yStride, prefetch, prefetchStep);
        prefetch = nullptr;
    }
    const auto rest = static_cast<int>(nTokens - t);
    const ActivationBlock32* at = a + t * nBlocks;
    const std::int32_t* ot = offsets + t * nBlocks;
    float* yt = y + t * yStride;
    switch (rest) {
    case 7:
        packedTile<7>(packed, scales, nBlocks, valid, at, ot, nBlocks, yt, yStride, prefetch, prefetchStep);
        break;
    case 6:
        packedTile<6>(packed, scales, nBlocks, valid, at, ot, nBlocks, yt, yStride, prefetch, prefetchStep);
        break;
    case 5:
        packedTile<5>(packed, scales, nBlocks, valid, at, ot, nBlocks, yt, yStride, prefetch, prefetchStep);
        break;
    case 4:
        packedTile<4>(packed, scales, nBlocks, valid, at, ot, nBlocks, yt, yStride, prefetch, prefetchStep);
        break;
    case 3:
        packedTile<3>(packed, scales, nBlocks, valid, at, ot, nBlocks, yt, yStride, prefetch, prefetchStep);
        break;
    case 2:
        packedTile<2>(packed, scales, nBlocks, valid, at, ot, nBlocks, yt, yStride, prefetch, prefetchStep);
        break;
    case 1:
        packedTile<1>(packed, scales, nBlocks, valid, at, ot, nBlocks, yt, yStride, prefetch, prefetchStep);
        break;
    default:
        break;
    }
}

void quantizeActivationsQ8_0(const float* x, void* blocks, std::int64_t n) {
    auto* out = static_cast<ActivationBlock32*>(blocks);
    const __m512 absMask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
    for (std::int64_t b = 0; b < n / 32; ++b, x += 32) {
        const __m512 lo = _mm512_loadu_ps(x);
        const __m512 hi = _mm512_loadu_ps(x + 16);
        const float amax =
            _mm512_reduce_max_ps(_mm512_max_ps(_mm512_and_ps(lo, absMask), _mm512_and_ps(hi, absMask)));
        const float d = amax / 127.0f;
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        const __m512 scale = _mm512_set1_ps(id);
        // cvtps_epi32 rounds to nearest even under the default MXCSR, as std::nearbyint does.
        const __m512i qlo = _mm512_cvtps_epi32(_mm512_mul_ps(lo, scale));
        const __m512i qhi = _mm512_cvtps_epi32(_mm512_mul_ps(hi, scale));
        ActivationBlock32& block = out[b];
        _mm_storeu_si128(reinterpret_cast<__m128i*>(block.qs), _mm512_cvtepi32_epi8(qlo));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(block.qs + 16), _mm512_cvtepi32_epi8(qhi));
        const std::int32_t sum = _mm512_reduce_add_epi32(_mm512_add_epi32(qlo, qhi));
        constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
        block.d = _cvtsh_ss(_cvtss_sh(d, kRound));
        block.s = _cvtsh_ss(_cvtss_sh(d * static_cast<float>(sum), kRound));
    }
}

} // namespace wb::avx512
