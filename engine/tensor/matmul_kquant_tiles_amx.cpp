#include "engine/tensor/matmul_kquant_tiles_amx.h"

#include "engine/tensor/amx_tile_config.h"

#include <immintrin.h>

#include "engine/tensor/exact_float_combination.h" // last: fp-contract off from here on

namespace wb::amxk {
namespace {

using avx512k::KPanel;
using avx512k::KStrip;
using avx512k::KType;

constexpr int kLanes = 16;

using amx::TileConfig;

// Two sets of three tiles, so that one sub-block's product runs while the previous one's sums are stored and
// scaled: tmm0 / tmm3 the sums (16 rows x 16 tokens int32), tmm1 / tmm4 the weights (16 rows x one
// sub-block of bytes), tmm2 / tmm5 the activations (the sub-block's 4-byte groups x 16 tokens).
TileConfig makeConfig(int subBlockBytes) {
    TileConfig config;
    for (int set = 0; set <= 3; set += 3) {
        config.rows[set] = kLanes;
        config.bytesPerRow[set] = kLanes * 4;
        config.rows[set + 1] = kLanes;
        config.bytesPerRow[set + 1] = static_cast<std::uint16_t>(subBlockBytes);
        config.rows[set + 2] = static_cast<std::uint8_t>(subBlockBytes / 4);
        config.bytesPerRow[set + 2] = kLanes * 4;
    }
    return config;
}

// 16 strip rows from row r0 against the panel: Q4_K / Q5_K (8 sub-blocks of 32) or Q6_K (16 of 16).
template <bool kSix>
void tile16(const KStrip& s, std::int64_t nBlocks, std::int64_t r0, const KPanel& p, float* y,
            std::int64_t yStride, int rows, const std::uint8_t*& prefetch, const std::uint8_t* prefetchEnd,
            std::size_t prefetchPerBlock) {
    constexpr int kSubBlocks = kSix ? 16 : 8;
    constexpr int kSubBytes = 256 / kSubBlocks;
    const std::int64_t rowStride = nBlocks * 256;
    const std::uint8_t* values = s.values + r0 * rowStride;
    const std::int32_t* scales = s.scales + r0 * nBlocks * 16;
    const std::int32_t* pairs = s.pairs + r0 * nBlocks * 8;
    const float* weightD = s.d + r0 * nBlocks;
    const float* weightDmin = s.dmin + r0 * nBlocks;
    alignas(64) std::int32_t sums[2][kLanes * kLanes];
    alignas(64) float acc[kLanes][kLanes] = {};
    const auto product = [&](int set, std::int64_t b, int j) {
        const std::uint8_t* a = values + b * 256 + kSubBytes * j;
        const std::int32_t* x = p.qs + (b * 64 + (kSubBytes / 4) * j) * kLanes;
        if (set == 0) {
            _tile_zero(0);
            _tile_loadd(1, a, rowStride);
            _tile_loadd(2, x, kLanes * 4);
            _tile_dpbusd(0, 1, 2);
        } else {
            _tile_zero(3);
            _tile_loadd(4, a, rowStride);
            _tile_loadd(5, x, kLanes * 4);
            _tile_dpbusd(3, 4, 5);
        }
    };
    product(0, 0, 0);
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        for (std::size_t line = 0; line < prefetchPerBlock && prefetch < prefetchEnd; ++line, prefetch += 64)
            _mm_prefetch(reinterpret_cast<const char*>(prefetch), _MM_HINT_T1);
        __m512i isum[kLanes];
        for (auto& v : isum)
            v = _mm512_setzero_si512();
        for (int j = 0; j < kSubBlocks; ++j) {
            const int set = j & 1;
            // Issue the next sub-block's product (in the other tile set) before reading this one's sums.
            if (j + 1 < kSubBlocks)
                product(1 - set, b, j + 1);
            else if (b + 1 < nBlocks)
                product(1 - set, b + 1, 0);
            if (set == 0)
                _tile_stored(0, sums[0], kLanes * 4);
            else
                _tile_stored(3, sums[1], kLanes * 4);
            const std::int32_t* blockScales = scales + b * 16 + j;
#pragma GCC unroll 16
            for (int r = 0; r < kLanes; ++r)
                isum[r] = _mm512_add_epi32(
                    isum[r], _mm512_mullo_epi32(_mm512_load_si512(sums[set] + r * kLanes),
                                                _mm512_set1_epi32(blockScales[r * nBlocks * 16])));
        }
        const __m512 activationD = _mm512_loadu_ps(p.d + b * kLanes);
        constexpr int kPairs = kSix ? 8 : 4;
        __m512i bsumPairs[kPairs];
        for (int m = 0; m < kPairs; ++m)
            bsumPairs[m] = _mm512_loadu_si512(p.pairs + (b * 8 + m) * kLanes);
#pragma GCC unroll 16
        for (int r = 0; r < kLanes; ++r) {
            const std::int32_t* rowPairs = pairs + r * nBlocks * 8 + b * 8;
            __m512i terms = _mm512_setzero_si512();
            for (int m = 0; m < kPairs; ++m)
                terms = _mm512_dpwssd_epi32(terms, _mm512_set1_epi32(rowPairs[m]), bsumPairs[m]);
            const __m512 sum = _mm512_load_ps(acc[r]);
            if constexpr (kSix) { // isum - 32 * sum_j scale_j * bsum_j; fp16(w.d) * a.d * that
                const __m512i total = _mm512_sub_epi32(isum[r], _mm512_slli_epi32(terms, 5));
                const __m512 scale = _mm512_mul_ps(_mm512_set1_ps(weightD[r * nBlocks + b]), activationD);
                _mm512_store_ps(acc[r], _mm512_add_ps(sum, _mm512_mul_ps(scale, _mm512_cvtepi32_ps(total))));
            } else { // d * isum - dmin * minSum
                const __m512 d = _mm512_mul_ps(activationD, _mm512_set1_ps(weightD[r * nBlocks + b]));
                const __m512 dmin = _mm512_mul_ps(activationD, _mm512_set1_ps(weightDmin[r * nBlocks + b]));
                _mm512_store_ps(
                    acc[r],
                    _mm512_add_ps(sum, _mm512_sub_ps(_mm512_mul_ps(d, _mm512_cvtepi32_ps(isum[r])),
                                                     _mm512_mul_ps(dmin, _mm512_cvtepi32_ps(terms)))));
            }
        }
    }
    const __mmask16 valid = static_cast<__mmask16>((1u << p.tokens) - 1u);
    const __m512i tokenOffsets =
        _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                           _mm512_set1_epi32(static_cast<std::int32_t>(yStride)));
    for (int r = 0; r < rows; ++r)
        _mm512_mask_i32scatter_ps(y + r, valid, tokenOffsets, _mm512_load_ps(acc[r]), 4);
}

} // namespace

void matMulKPanel(KType type, const KStrip& strip, std::int64_t nBlocks, std::int64_t rows,
                  const KPanel& panel, std::int64_t firstRow, float* y, std::int64_t yStride,
                  const std::uint8_t* prefetch, std::size_t prefetchBytes) {
    static const TileConfig fourOrFive = makeConfig(32), six = makeConfig(16);
    _tile_loadconfig(type == KType::Q6_K ? &six : &fourOrFive);
    const std::int64_t tiles = (rows + kLanes - 1) / kLanes;
    const std::size_t perBlock = (prefetchBytes / 64 + static_cast<std::size_t>(tiles * nBlocks) - 1) /
                                 static_cast<std::size_t>(tiles * nBlocks);
    const std::uint8_t* prefetchEnd = prefetch + prefetchBytes;
    for (std::int64_t r = 0; r < rows; r += kLanes) {
        const int n = static_cast<int>(rows - r < kLanes ? rows - r : kLanes);
        if (type == KType::Q6_K)
            tile16<true>(strip, nBlocks, r, panel, y + firstRow + r, yStride, n, prefetch, prefetchEnd,
                         perBlock);
        else
            tile16<false>(strip, nBlocks, r, panel, y + firstRow + r, yStride, n, prefetch, prefetchEnd,
                          perBlock);
    }
    _tile_release();
}

} // namespace wb::amxk
