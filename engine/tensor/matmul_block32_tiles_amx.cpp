#include "engine/tensor/matmul_block32_tiles_amx.h"

#include "engine/tensor/amx_tile_config.h"
#include "engine/tensor/packed_lanes_avx512.h"

#include <immintrin.h>

#include "engine/tensor/exact_float_combination.h" // last: fp-contract off from here on

namespace wb::amx {
namespace {

constexpr int kLanes = 16;
constexpr int kBlockBytes = 32;
constexpr std::int64_t kPackedBlock = 8 * kLanes; // int32 per packed block

// Two sets of three tiles, so that one block's product runs while the previous block's sums are stored and
// combined (tiles are not renamed: a tile is written again only once its last reader is done):
// tmm0 / tmm3 the sums (16 tokens x 16 int32), tmm1 / tmm4 the activations (16 tokens x 32 bytes),
// tmm2 / tmm5 the weights (8 groups of 4 bytes x 16 rows). GCC's tile intrinsics paste the register number
// into the instruction text, so the code spells the numbers out.
TileConfig makeConfig() {
    TileConfig config;
    for (int set = 0; set <= 3; set += 3) {
        config.rows[set] = kTileTokens;
        config.bytesPerRow[set] = kLanes * 4;
        config.rows[set + 1] = kTileTokens;
        config.bytesPerRow[set + 1] = kBlockBytes;
        config.rows[set + 2] = kBlockBytes / 4;
        config.bytesPerRow[set + 2] = kLanes * 4;
    }
    return config;
}

// One block's integer sums (16 tokens x 16 rows, tile-stored) into the accumulators, as
// quantcombine::addScaled per lane: acc + float(isum) * (d_w * d_a).
inline void combineBlock(const std::int32_t* sums, __m512 weightScales, const float* d, __m512 (&acc)[16]) {
#pragma GCC unroll 16
    for (int t = 0; t < kTileTokens; ++t) {
        const __m512 isum = _mm512_cvtepi32_ps(_mm512_load_si512(sums + t * kLanes));
        const __m512 scale = _mm512_mul_ps(weightScales, _mm512_set1_ps(d[t]));
        acc[t] = _mm512_add_ps(acc[t], _mm512_mul_ps(isum, scale));
    }
}

// One 16-token tile against the packed group; stores the first nTokens tokens' rows.
void tile(const std::int32_t* packed, const float* scales, std::int64_t nBlocks, __mmask16 valid,
          const std::int8_t* qs, const float* d, int nTokens, float* y, std::int64_t yStride,
          const std::uint8_t* prefetch, std::size_t prefetchStep) {
    alignas(64) std::int32_t sums[2][kTileTokens * kLanes];
    __m512 acc[kTileTokens];
    for (auto& a : acc)
        a = _mm512_setzero_ps();
    constexpr int kTokenStride = kBlockBytes; // between a tile's token rows
    constexpr int kWeightStride = kLanes * 4; // between a block's 4-byte groups
    constexpr int kSumsStride = kLanes * 4;
    const auto prefetchBlock = [&](std::int64_t b) {
        if (prefetch != nullptr)
            for (std::size_t line = 0; line < prefetchStep; line += 64)
                _mm_prefetch(reinterpret_cast<const char*>(prefetch + b * prefetchStep + line), _MM_HINT_T0);
    };
    const auto activationsOf = [&](std::int64_t b) { return qs + b * kTileTokens * kBlockBytes; };
    const auto weightsOf = [&](std::int64_t b) { return packed + b * kPackedBlock; };
    const auto combine = [&](const std::int32_t* blockSums, std::int64_t b) {
        combineBlock(blockSums, _mm512_loadu_ps(scales + b * kLanes), d + b * kTileTokens, acc);
    };
    // Software-pipelined: block b + 1's product is issued before block b's sums are stored and combined.
    _tile_zero(0);
    _tile_loadd(1, activationsOf(0), kTokenStride);
    _tile_loadd(2, weightsOf(0), kWeightStride);
    _tile_dpbssd(0, 1, 2);
    for (std::int64_t b = 0; b < nBlocks; b += 2) {
        const bool odd = b + 1 < nBlocks;
        if (odd) {
            _tile_zero(3);
            _tile_loadd(4, activationsOf(b + 1), kTokenStride);
            _tile_loadd(5, weightsOf(b + 1), kWeightStride);
            _tile_dpbssd(3, 4, 5);
        }
        prefetchBlock(b);
        _tile_stored(0, sums[0], kSumsStride);
        combine(sums[0], b);
        if (!odd) break;
        if (b + 2 < nBlocks) {
            _tile_zero(0);
            _tile_loadd(1, activationsOf(b + 2), kTokenStride);
            _tile_loadd(2, weightsOf(b + 2), kWeightStride);
            _tile_dpbssd(0, 1, 2);
        }
        prefetchBlock(b + 1);
        _tile_stored(3, sums[1], kSumsStride);
        combine(sums[1], b + 1);
    }
    const __m512i rowOrder = avx512::packedLaneRows(); // the packing order, its own inverse
    for (int t = 0; t < nTokens; ++t)
        _mm512_mask_storeu_ps(y + t * yStride, valid, _mm512_permutexvar_ps(rowOrder, acc[t]));
}

} // namespace

void matMulBlock32Tiles(const std::int32_t* packed, const float* scales, std::int64_t nBlocks,
                        std::int32_t rows, const avx512::Block32TokenTiles& activations, std::int64_t nTokens,
                        float* y, std::int64_t yStride, const std::uint8_t* prefetch,
                        std::size_t prefetchBytes) {
    static const TileConfig config = makeConfig();
    _tile_loadconfig(&config);
    const auto valid = static_cast<__mmask16>((1u << rows) - 1u);
    // Lines of the next group to fetch per block, during the first tile only.
    std::size_t prefetchStep =
        prefetch == nullptr ? 0
                            : ((prefetchBytes / static_cast<std::size_t>(nBlocks)) + 63) & ~std::size_t{63};
    for (std::int64_t first = 0; first < nTokens; first += kTileTokens) {
        const auto n = static_cast<int>(nTokens - first < kTileTokens ? nTokens - first : kTileTokens);
        const std::int64_t at = first * nBlocks;
        tile(packed, scales, nBlocks, valid, activations.qs + kBlockBytes * at, activations.d + at, n,
             y + first * yStride, yStride, prefetch, prefetchStep);
        prefetch = nullptr;
        prefetchStep = 0;
    }
    _tile_release();
}

} // namespace wb::amx
