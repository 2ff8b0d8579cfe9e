#pragma once
// Prompt-batch kernel for Q4_0 / Q8_0 on Intel AMX (AMX-TILE + AMX-INT8; call only when
// amxKernelsAvailable() says so, quant_dot.h). Same inputs and outputs as matMulBlock32Tiles
// (matmul_block32_tiles_avx512.h) except that the group is packed with PackedBytes::Signed and the
// activations come in tiles of 16 tokens: one tile instruction (TDPBSSD) computes the exact integer block
// sums of 16 tokens x 16 rows at once, and the float combination per block is the portable kernel's
// (float(isum) * (d_w * d_a) added to the sum: a multiply and an add, never an FMA, blocks in order), so the
// outputs stay bit-identical to it.
#include "engine/tensor/matmul_block32_tiles_avx512.h"

#include <cstddef>
#include <cstdint>

namespace wb::amx {

constexpr int kTileTokens = 16;

// Tokens rounded up to whole 16-token tiles (the activation arrays are padded to this many tokens).
inline std::int64_t paddedTokens(std::int64_t nTokens) {
    return (nTokens + kTileTokens - 1) / kTileTokens * kTileTokens;
}

// Index of (token t, block b) in the activations: tile after tile, and within a tile block after block, the
// 16 tokens' entries side by side (so one tile load reads a block of 16 tokens, 32 bytes apart). Padding
// tokens hold zero bytes and d = 0. Block32TokenTiles::offset is not used.
inline std::int64_t tileIndex(std::int64_t t, std::int64_t b, std::int64_t nBlocks) {
    return (t / kTileTokens) * kTileTokens * nBlocks + b * kTileTokens + t % kTileTokens;
}

// y[t * yStride + row] for rows < `rows` of a packed group (packBlock32Rows16 with PackedBytes::Signed) and
// all nTokens tokens (the activations padded to paddedTokens(nTokens)). While the first tile runs it
// software-prefetches prefetchBytes from `prefetch` (the next group's weights; nullptr for none).
void matMulBlock32Tiles(const std::int32_t* packed, const float* scales, std::int64_t nBlocks,
                        std::int32_t rows, const avx512::Block32TokenTiles& activations, std::int64_t nTokens,
                        float* y, std::int64_t yStride, const std::uint8_t* prefetch,
                        std::size_t prefetchBytes);

} // namespace wb::amx
