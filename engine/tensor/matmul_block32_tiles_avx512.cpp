#include "engine/tensor/matmul_block32_tiles_avx512.h"

#include "engine/tensor/packed_lanes_avx512.h"

#include <immintrin.h>

#include "engine/tensor/exact_float_combination.h" // last: fp-contract off from here on

namespace wb::avx512 {
namespace {

constexpr int kLanes = 16;

// The float that kBlock32SumStart's bits encode (see the header).
constexpr float kMagic = 12582912.0f;
static_assert(kBlock32SumStart == 0x4B400000);

// acc + dot(w, the 4 bytes at p broadcast), the broadcast embedded in the instruction: GCC 12 emits a
// separate vpbroadcastd for _mm512_set1_epi32, one more front-end slot per dot product.
inline __m512i dotBroadcast(__m512i acc, __m512i w, const std::int8_t* p) {
    __asm__("vpdpbusd %2%{1to16%}, %1, %0"
            : "+v"(acc)
            : "v"(w), "m"(*reinterpret_cast<const std::int32_t*>(p)));
    return acc;
}

// kTokens tokens against one packed 16-row group. Lane L holds row r(L) = 4 * (L % 4) + L / 4 (the packing
// order); the stores undo it.
template <int kTokens>
void tile(const std::int32_t* packed, const float* scales, std::int64_t nBlocks, __mmask16 valid,
          const std::int8_t* qs, const float* d, const std::int32_t* offset, float* y, std::int64_t yStride,
          const std::uint8_t* prefetch, std::size_t prefetchStep) {
    __m512 acc[kTokens];
#pragma GCC unroll 8
    for (int t = 0; t < kTokens; ++t)
        acc[t] = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nBlocks; ++b, qs += 32 * kTokens, d += kTokens, offset += kTokens) {
        if (prefetch != nullptr) // the next group's weights, spread over this tile's blocks
            for (std::size_t line = 0; line < prefetchStep; line += 64)
                _mm_prefetch(reinterpret_cast<const char*>(prefetch + b * prefetchStep + line), _MM_HINT_T0);
        const std::int32_t* w = packed + b * 8 * kLanes;
        // Two chains per token (even / odd 4-byte groups): 2 * kTokens independent dot products in flight.
        __m512i even[kTokens], odd[kTokens];
#pragma GCC unroll 8
        for (int t = 0; t < kTokens; ++t) {
            even[t] = _mm512_set1_epi32(offset[t]); // kBlock32SumStart - bias * sum(qs)
            odd[t] = _mm512_setzero_si512();
        }
#pragma GCC unroll 4
        for (int k = 0; k < 8; k += 2) {
            const __m512i w0 = _mm512_loadu_si512(w + k * kLanes);
            const __m512i w1 = _mm512_loadu_si512(w + (k + 1) * kLanes);
#pragma GCC unroll 8
            for (int t = 0; t < kTokens; ++t) {
                even[t] = dotBroadcast(even[t], w0, qs + 32 * t + 4 * k);
                odd[t] = dotBroadcast(odd[t], w1, qs + 32 * t + 4 * k + 4);
            }
        }
        const __m512 weightScales = _mm512_loadu_ps(scales + b * kLanes);
#pragma GCC unroll 8
        for (int t = 0; t < kTokens; ++t) {
            // acc + float(isum) * (d_w * d_a), as quantcombine::addScaled per lane.
            const __m512 isum =
                _mm512_sub_ps(_mm512_castsi512_ps(_mm512_add_epi32(even[t], odd[t])), _mm512_set1_ps(kMagic));
            const __m512 scale = _mm512_mul_ps(weightScales, _mm512_set1_ps(d[t]));
            acc[t] = _mm512_add_ps(acc[t], _mm512_mul_ps(isum, scale));
        }
    }
    const __m512i rowOrder = packedLaneRows();
    for (int t = 0; t < kTokens; ++t)
        _mm512_mask_storeu_ps(y + t * yStride, valid, _mm512_permutexvar_ps(rowOrder, acc[t]));
}

using TileFn = void (*)(const std::int32_t*, const float*, std::int64_t, __mmask16, const std::int8_t*,
                        const float*, const std::int32_t*, float*, std::int64_t, const std::uint8_t*,
                        std::size_t);
constexpr TileFn kTiles[kBlock32TileTokens + 1] = {nullptr, tile<1>, tile<2>, tile<3>, tile<4>,
                                                   tile<5>, tile<6>, tile<7>, tile<8>};

} // namespace

void matMulBlock32Tiles(const std::int32_t* packed, const float* scales, std::int64_t nBlocks,
                        std::int32_t rows, const Block32TokenTiles& activations, std::int64_t nTokens,
                        float* y, std::int64_t yStride, const std::uint8_t* prefetch,
                        std::size_t prefetchBytes) {
    const auto valid = static_cast<__mmask16>((1u << rows) - 1u);
    // Lines of the next group to fetch per block, during the first tile only.
    std::size_t prefetchStep =
        prefetch == nullptr ? 0
                            : ((prefetchBytes / static_cast<std::size_t>(nBlocks)) + 63) & ~std::size_t{63};
    for (std::int64_t first = 0; first < nTokens; first += kBlock32TileTokens) {
        const auto n =
            static_cast<int>(nTokens - first < kBlock32TileTokens ? nTokens - first : kBlock32TileTokens);
        const std::int64_t at = first * nBlocks;
        kTiles[n](packed, scales, nBlocks, valid, activations.qs + 32 * at, activations.d + at,
                  activations.offset + at, y + first * yStride, yStride, prefetch, prefetchStep);
        prefetch = nullptr;
        prefetchStep = 0;
    }
}

} // namespace wb::avx512
