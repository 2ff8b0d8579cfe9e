#pragma once
// AVX-512 (F/BW/VL/DQ + VNNI) kernels for the quantized-activation matrix products (compiled with the
// *_avx512.cpp flags; call only when avx512KernelsAvailable() says so). Every output is computed with exactly
// the integer block sums and the float block combination of the portable kernels (quant_dot.cpp, blocks in
// increasing order, no FMA), only spread over SIMD lanes, so results are bit-identical to the portable path.
//
// Two kernels, both with 16 weight rows in the 16 lanes for the float combination:
//  - generation (one token): rows read one after another straight from the file (a sequential stream the
//    hardware prefetchers follow), each row's block dot products reduced by an in-register transpose into
//    blocks-in-lanes products, then a 16x16 transpose puts 16 rows in lanes for the in-order block sums;
//  - prompt batches: each 16-row group repacked once per product (4-byte groups of the 16 rows side by side)
//    and reused for every token, whose 4-byte groups are broadcast into the dot products; no reductions
//    (the token tiles are in matmul_block32_tiles_avx512.h).
// The layouts are prepared by matmul.cpp (baseline code) so this file holds only raw-pointer kernels and no
// std/tbb templates whose AVX-512 instantiations the linker could pick for baseline callers.
#include <cstddef>
#include <cstdint>

namespace wb::avx512 {

// Block-32 weight types with kernels here.
enum class Block32Type { Q4_0, Q8_0 };

// One token's Q8_0 activations for the generation kernel, in chunks of 32 blocks padded with zero blocks to
// a whole chunk (paddedBlocks32); chunk c's 1024 bytes start at qs + c * 1024 (block32ChunkOffset gives
// where a block's bytes go). Q4_0: vector v (0..7) = 128 bytes at v * 128 covers blocks 16 * (v / 4) +
// v % 4 + 4L (L = 0..3): bytes [16L, 16L + 16) hold that block's values 0..15 and [64 + 16L, ...) its values
// 16..31 (the nibble layout). Q8_0: item i (0..15) = 64 bytes at i * 64 holding blocks i and i + 16.
// d[b] and offset[b] = -bias * sum(qs of block b) (bias 8 for Q4_0 nibbles, 128 for Q8_0 weights shifted to
// unsigned) are in block order, zero for padding blocks.
struct Block32Token {
    const std::int8_t* qs;
    const float* d;
    const std::int32_t* offset;
};

// Where block j (0..31) of a chunk goes in Block32Token::qs, relative to the chunk: values 0..15 at the
// returned offset, values 16..31 at offset + half (Q4_0: 64; Q8_0: 16, i.e. contiguous).
inline std::int64_t block32ChunkOffset(Block32Type type, std::int64_t j, std::int64_t& half) {
    if (type == Block32Type::Q4_0) {
        half = 64;
        return (4 * (j / 16) + j % 4) * 128 + (j % 16) / 4 * 16;
    }
    half = 16;
    return (j % 16) * 64 + (j / 16) * 32;
}

// Block count rounded up to the generation kernel's 32-block chunks.
inline std::int64_t paddedBlocks32(std::int64_t nBlocks) {
    return (nBlocks + 31) / 32 * 32;
}

// y[r - rowBegin] for rows [rowBegin, rowEnd) of a row-major block-32 matrix. scratch: 16 *
// paddedBlocks32(nBlocks) floats owned by the calling thread. largePages: the weights stream from DRAM in 2
// MiB pages (WeightMatrix::streamsFromLargePages), which takes a shorter software prefetch distance.
void matVecBlock32(Block32Type type, const std::uint8_t* weights, std::size_t rowBytes, std::int64_t nBlocks,
                   const Block32Token& activations, std::int64_t rowBegin, std::int64_t rowEnd, float* y,
                   float* scratch, bool largePages);

// How packBlock32Rows16 stores the weights: Unsigned = Q4_0 nibbles, Q8_0 + 128 (for vpdpbusd; the
// activation sums undo the bias); Signed = Q4_0 nibble - 8, Q8_0 as stored (for AMX's TDPBSSD).
enum class PackedBytes { Unsigned, Signed };

// Rows in lanes for prompt batches: a group of up to 16 rows repacked once per product so that
// packed[(b * 8 + k) * 16 + lane] is bytes 4k..4k+3 of row r(lane)'s block b (see PackedBytes), scales[b * 16
// + lane] its fp16 scale as float, with r(lane) = 4 * (lane % 4) + lane / 4 (the order of an in-register
// transpose; matMulBlock32Tiles undoes it). Spare rows (rows < 16) repeat the last. packed must hold nBlocks
// * 128 int32, scales nBlocks * 16 floats.
void packBlock32Rows16(Block32Type type, const std::uint8_t* firstRow, std::size_t rowBytes,
                       std::int64_t nBlocks, std::int32_t rows, std::int32_t* packed, float* scales,
                       PackedBytes bytes);

// Quantizes n values (a multiple of 32) to ActivationBlock32 (activation_quant.h) exactly as
// quantizeActivationsQ8_0 does, bit for bit: the same amax, d, 1/d, round-half-even and fp16 roundings.
void quantizeActivationsQ8_0(const float* x, void* blocks, std::int64_t n);

} // namespace wb::avx512
