#pragma once
// Q4_K / Q6_K weights interleaved once at load (AVX-512 VNNI; call only when avx512KernelsAvailable()), the
// K-quant counterpart of matvec_interleaved_avx512.h.
//
// A 16-row group of a row-major matrix is stored super-block by super-block with the 16 rows side by side,
// lane p holding row p: dword k of the rows' quant bytes fills one 64-byte vector, so one vpdpbusd with the
// token's broadcast activation dword accumulates 16 rows' sub-block sums with no reductions or transposes,
// and each thread reads one contiguous stream. Per super-block:
//  Q4_K  qs dwords 0..31 (2048 bytes) | scales: sub-block j, row p at 16 j + p (128) | mins as byte pairs:
//        pair m, row p at 32 m + 2 p (mins 2m, 2m+1; 128) | d (16 fp16) | dmin (16 fp16)  = 2368 bytes
//  Q6_K  ql dwords 0..31 (2048) | qh dwords 0..15 (1024) | scales: sub-block j, row p at 16 j + p (256) |
//        d (16 fp16) | 32 zero bytes (64-byte alignment)                                 = 3392 bytes
// Q4_K takes 64 bytes more per group and super-block than its 16 raw rows (the 6-bit scales unpacked to
// bytes), Q6_K 32 (padding): 2.8 % and 1 %.
//
// The integer sums are exact and the float combination per super-block is the portable kernel's
// (quantcombine::addSuperBlock / addSuperBlockSymmetric, super-blocks in increasing order, no FMA), so
// outputs are bit-identical to it.
#include "engine/tensor/matmul_kquant_avx512.h"

#include <cstddef>
#include <cstdint>

namespace wb::avx512k {

constexpr std::int64_t kInterleavedRows = 16;

// Bytes of one super-block of a group, and of a whole group of nBlocks super-blocks (multiples of 64).
constexpr std::int64_t interleavedKBlockBytes(KType type) {
    return type == KType::Q4_K ? 2048 + 128 + 128 + 32 + 32 : 2048 + 1024 + 256 + 32 + 32;
}
constexpr std::size_t interleavedKGroupBytes(KType type, std::int64_t nBlocks) {
    return static_cast<std::size_t>(nBlocks * interleavedKBlockBytes(type));
}

// Interleaves the 16 rows starting at firstRow (rowBytes apart, the file's layout) into `group`.
// Q4_K and Q6_K only.
void interleaveKRows16(KType type, const std::uint8_t* firstRow, std::size_t rowBytes, std::int64_t nBlocks,
                       std::uint8_t* group);

// Unpacks the group's 16 rows into rows firstRow.. of a KStrip (the prompt kernels' format, as unpackKRows
// makes it from the file's layout).
void unpackKInterleaved16(KType type, const std::uint8_t* group, std::int64_t nBlocks, const KStrip& strip,
                          std::int64_t firstRow);

// One token's activations for the interleaved kernel: q8k its nBlocks Q8_K blocks (BlockQ8_K), terms[16 * b
// ..] per super-block: Q4_K: 4 int32, each two int16 (the activation sums of the 32-value sub-blocks 2m and
// 2m + 1); Q6_K: 16 int32, 32 * bsums[j] (Q6_K's +32 bias).
struct KActivations {
    const void* q8k;
    const std::int32_t* terms;
};
// Fills `terms` (16 int32 per super-block) from Q8_K blocks for `type`.
void kActivationTerms(KType type, const void* q8k, std::int64_t nBlocks, std::int32_t* terms);

// y[16 * (g - firstGroup) + p] = row 16 g + p, for the groups [firstGroup, lastGroup) starting at `groups`
// (each interleavedKGroupBytes long).
void matVecKInterleaved16(KType type, const std::uint8_t* groups, std::int64_t nBlocks,
                          const KActivations& activations, std::int64_t firstGroup, std::int64_t lastGroup,
                          float* y);

} // namespace wb::avx512k
