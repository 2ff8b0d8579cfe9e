#pragma once
// Prompt-batch kernel for Q4_0 / Q8_0 (AVX-512 VNNI; call only when avx512KernelsAvailable()): products of
// one packed 16-row group (packBlock32Rows16, matmul_avx512.h) with all tokens of a batch, 8 tokens per tile.
// Per token and block the 8 dot products run as two independent chains (even and odd 4-byte groups, added as
// integers at the end, so the block sum is the same integer), which keeps enough VNNI instructions in flight
// to cover their latency. The float combination per block is that of the portable kernel (no FMA), so the
// outputs stay bit-identical to it.
#include <cstddef>
#include <cstdint>

namespace wb::avx512 {

constexpr int kBlock32TileTokens = 8;

// The block sums start at the bits of the float 1.5 * 2^23: for |isum| < 2^22 (at most 32 * 255 * 128 here)
// the bits of kBlock32SumStart + isum read as the float 1.5 * 2^23 + isum exactly, so one subtraction gives
// float(isum) exactly, without vcvtdq2ps (which competes with the dot products for their one 512-bit port).
constexpr std::int32_t kBlock32SumStart = 0x4B400000;

// The batch's Q8_0 activations, tokens interleaved per tile: for token t in the tile starting at token
// first = t - t % 8 with n = min(8, nTokens - first) tokens, entry i = first * nBlocks + b * n + (t - first)
// holds block b: qs[32 * i .. 32 * i + 31] its bytes, d[i] its scale, offset[i] = kBlock32SumStart - bias *
// sum(qs) (bias 8 for Q4_0 nibbles, 128 for Q8_0 weights shifted to unsigned). So a tile reads one stream.
struct Block32TokenTiles {
    const std::int8_t* qs;
    const float* d;
    const std::int32_t* offset;
};

// Index of (token t, block b) in Block32TokenTiles.
inline std::int64_t block32TileIndex(std::int64_t t, std::int64_t b, std::int64_t nBlocks,
                                     std::int64_t nTokens) {
    const std::int64_t first = t - t % kBlock32TileTokens;
    const std::int64_t n = nTokens - first < kBlock32TileTokens ? nTokens - first : kBlock32TileTokens;
    return first * nBlocks + b * n + (t - first);
}

// y[t * yStride + row] for rows < `rows` of a packed group and all nTokens tokens. While the first tile runs
// it software-prefetches prefetchBytes from `prefetch` (the next group's weights; nullptr for none).
void matMulBlock32Tiles(const std::int32_t* packed, const float* scales, std::int64_t nBlocks,
                        std::int32_t rows, const Block32TokenTiles& activations, std::int64_t nTokens,
                        float* y, std::int64_t yStride, const std::uint8_t* prefetch,
                        std::size_t prefetchBytes);

} // namespace wb::avx512
