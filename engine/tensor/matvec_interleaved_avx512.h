#pragma once
// Q4_0 / Q8_0 weights interleaved once at load (AVX-512 VNNI; call only when avx512KernelsAvailable()).
//
// A 16-row group of a row-major matrix is stored block by block with the 16 rows side by side: for block b,
// dword k (bytes 4k..4k+3 of the block's quants) of all 16 rows fills one 64-byte vector, lane p holding row
// r(p) = 4 * (p % 4) + p / 4 (the lane order of packBlock32Rows16). Then one VNNI instruction per dword with
// the token's broadcast activation dword accumulates the block sums of 16 rows at once: no reductions and no
// transposes, and each thread reads one contiguous stream. Q4_0 keeps its nibble bytes (low nibble: values
// 0..15, high nibble: 16..31), so a group takes exactly the bytes of its 16 raw rows; Q8_0 stores q + 128
// (unsigned for vpdpbusd; the activation offset undoes the bias).
//
// Group layout: blocks in pairs, each pair 64-byte aligned and contiguous: the quants of the even block
// (Q4_0: 4 vectors = 256 bytes; Q8_0: 8 vectors = 512 bytes), those of the odd block, then the 16 fp16 scales
// (lane order) of each. So a group is one stream for the prefetchers (the scales kept apart cost a second
// stream that restarted at every group). An odd block count leaves a zero block at the end. The float
// combination per block is the portable kernel's (no FMA, blocks in increasing order), so outputs are
// bit-identical to it.
#include "engine/tensor/matmul_avx512.h"

#include <cstddef>
#include <cstdint>

namespace wb::avx512 {

// The layout: bytes of one block's quants, of a block pair, and where block b's quants and scales start.
constexpr std::int64_t interleavedQuantBytes(Block32Type type) {
    return type == Block32Type::Q4_0 ? 4 * 64 : 8 * 64;
}
constexpr std::int64_t interleavedPairBytes(Block32Type type) {
    return 2 * interleavedQuantBytes(type) + 2 * 2 * 16;
}
constexpr std::int64_t interleavedQuantsAt(Block32Type type, std::int64_t b) {
    return b / 2 * interleavedPairBytes(type) + b % 2 * interleavedQuantBytes(type);
}
constexpr std::int64_t interleavedScalesAt(Block32Type type, std::int64_t b) {
    return b / 2 * interleavedPairBytes(type) + 2 * interleavedQuantBytes(type) + b % 2 * 2 * 16;
}

// Bytes of one interleaved group, a multiple of 64.
constexpr std::size_t interleavedGroupBytes(Block32Type type, std::int64_t nBlocks) {
    return static_cast<std::size_t>((nBlocks + 1) / 2 * interleavedPairBytes(type));
}

// Interleaves the 16 rows starting at firstRow (rowBytes apart) into `group` (interleavedGroupBytes). In
// matmul_avx512.cpp, beside packBlock32Rows16, whose row gathering it shares.
void interleaveRows16(Block32Type type, const std::uint8_t* firstRow, std::size_t rowBytes,
                      std::int64_t nBlocks, std::uint8_t* group);

// One token's activations in block order: qs[32 * b ..] the block's values, d[b] its scale, offset[b] = -bias
// * sum(qs of block b) (bias 8 for Q4_0, 128 for Q8_0).
struct Block32Activations {
    const std::int8_t* qs;
    const float* d;
    const std::int32_t* offset;
};

// y[16 * (g - firstGroup) + i] = row 16 * g + i for the groups [firstGroup, lastGroup) starting at `groups`
// (each groupBytes long).
void matVecInterleaved16(Block32Type type, const std::uint8_t* groups, std::size_t groupBytes,
                         std::int64_t nBlocks, const Block32Activations& activations, std::int64_t firstGroup,
                         std::int64_t lastGroup, float* y);

// The group in packBlock32Rows16's format (packed int32 words and float scales, same lane order), for the
// prompt-batch kernels: only unpacking, no gathers or transposes.
void unpackInterleaved16(Block32Type type, const std::uint8_t* group, std::int64_t nBlocks,
                         std::int32_t* packed, float* scales, PackedBytes bytes);

} // namespace wb::avx512
