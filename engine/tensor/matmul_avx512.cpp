#include "engine/tensor/matmul_avx512.h"

#include "engine/tensor/activation_quant.h"
#include "engine/tensor/block_layouts.h"
#include "engine/tensor/matvec_interleaved_avx512.h"
#include "engine/tensor/packed_lanes_avx512.h"

#include <immintrin.h>

#include <cstring>

#include "engine/tensor/exact_float_combination.h" // last: fp-contract off from here on

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

// p[i] holds item i's dot products for two blocks (the first in 128-bit lanes 0+1, the second in 2+3).
// Returns the exact block sums of the 16 items: first (their first blocks), second, item i in lane i.
inline void reduceItems(const __m512i (&p)[16], __m512i& first, __m512i& second) {
    __m512i u[4];
    for (int g = 0; g < 4; ++g) {
        const __m512i t0 = pairReduce32(p[4 * g], p[4 * g + 1]);
        const __m512i t1 = pairReduce32(p[4 * g + 2], p[4 * g + 3]);
        // Per 128-bit lane: items 4g..4g+3, each the sum of its 4 int32 lanes there.
        u[g] = _mm512_add_epi32(_mm512_unpacklo_epi64(t0, t1), _mm512_unpackhi_epi64(t0, t1));
    }
    // w[h]: [items 8h..8h+3 first, same items second, items 8h+4..8h+7 first, same items second]
    __m512i w[2];
    for (int h = 0; h < 2; ++h)
        w[h] = _mm512_add_epi32(_mm512_shuffle_i32x4(u[2 * h], u[2 * h + 1], 0x88),
                                _mm512_shuffle_i32x4(u[2 * h], u[2 * h + 1], 0xDD));
    first = _mm512_shuffle_i32x4(w[0], w[1], 0x88);
    second = _mm512_shuffle_i32x4(w[0], w[1], 0xDD);
}

// Q8_0 weight bytes of blocks `first` and (if hasSecond) `second` of one row, as w + 128 (unsigned).
inline __m512i loadItemQ8_0(const std::uint8_t* first, const std::uint8_t* second, bool hasSecond) {
    const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(first + 2));
    const __m256i q1 = hasSecond ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(second + 2))
                                 : _mm256_set1_epi8(static_cast<char>(0x80)); // becomes 0 after the xor
    const __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(q0), q1, 1);
    return _mm512_xor_si512(z, _mm512_set1_epi8(static_cast<char>(0x80)));
}

// 64 bytes at p, of which only the first `bytes` are read (masked loads do not fault past a row's end).
inline __m512i loadUpTo64(const std::uint8_t* p, std::int64_t bytes) {
    if (bytes >= 64) return _mm512_loadu_si512(p);
    if (bytes <= 0) return _mm512_setzero_si512();
    return _mm512_maskz_loadu_epi8((std::uint64_t{1} << bytes) - 1u, p);
}

// The fp16 scales (first two bytes) of the blocks chunk[0..validBlocks) of one row as 32 words, block j in
// word j. Scalar gathers cost ~30 cycles each on this CPU class (microcode-mitigated), so each 128-byte
// window of kPerWindow whole blocks is loaded plainly and its scales picked by one two-register word permute.
template <std::int64_t kBlockBytes>
inline __m512i loadScaleWords(const std::uint8_t* chunk, std::int64_t validBlocks, bool tail) {
    constexpr int kPerWindow = static_cast<int>(126 / kBlockBytes) + 1; // scale words within 128 bytes
    constexpr int kWindows = (32 + kPerWindow - 1) / kPerWindow;
    alignas(64) std::uint16_t picks[32];
    for (int j = 0; j < 32; ++j)
        picks[j] = static_cast<std::uint16_t>((j % kPerWindow) * (kBlockBytes / 2));
    const __m512i index = _mm512_load_si512(picks);
    __m512i words = _mm512_setzero_si512();
    for (int k = 0; k < kWindows; ++k) {
        const std::int64_t firstBlock = std::int64_t{k} * kPerWindow;
        if (tail && firstBlock >= validBlocks) break;
        const std::uint8_t* window = chunk + firstBlock * kBlockBytes;
        const std::int64_t bytes = tail ? (validBlocks - firstBlock) * kBlockBytes : 128;
        const __m512i lo = loadUpTo64(window, bytes), hi = loadUpTo64(window + 64, bytes - 64);
        const std::uint32_t lanes =
            static_cast<std::uint32_t>(((std::uint64_t{1} << kPerWindow) - 1u) << firstBlock);
        words = _mm512_mask_mov_epi16(words, lanes, _mm512_permutex2var_epi16(lo, index, hi));
    }
    return words;
}

// Blocks per chunk of the generation kernel (matmul_avx512.h, Block32Token).
constexpr std::int64_t kChunkBlocks = 32;
// Software prefetch distance of the generation kernel, bytes (interleaved A/B on Cascade Lake: 2-4 KiB best;
// on Sapphire Rapids 2.5-3 KiB won 2-4 % on DRAM-bound 1.1B files but lost 4-9 % on a 110M file in L3, and
// 6 KiB the reverse: docs/performance.md). Weights in 2 MiB pages take 2 KiB: +10 % (Q4_0) and +8 % (Q8_0)
// over 4 KiB there (in-process A/B, 1 GB of weights, 2 threads).
constexpr std::int64_t kPrefetchAhead = 4096;
constexpr std::int64_t kLargePagePrefetchAhead = 2048;

// Exact block sums of one Q4_0 row chunk, blocks 0..15 in `first` and 16..31 in `second`. Vector v = 4g + m
// holds blocks 16g + 4L + m in its 128-bit lanes L: the 16 nibble bytes of 4 blocks fill one register, so
// one and + one shift unpack 4 blocks, and 8 vectors reduce to the 32 sums in two transpose levels.
template <bool kTail>
inline void blockSumsQ4_0(const std::uint8_t* chunk, const std::int8_t* qs, std::int64_t validBlocks,
                          __m512i& first, __m512i& second) {
    constexpr std::int64_t kBlockBytes = 18;
    const __m512i lowNibbles = _mm512_set1_epi8(0x0F);
    __m512i p[8];
    for (int v = 0; v < 8; ++v) {
        const int block0 = 16 * (v / 4) + v % 4; // lane L: block0 + 4L
        if (kTail && block0 >= validBlocks) {    // no block of this vector is present
            p[v] = _mm512_setzero_si512();
            continue;
        }
        const auto nibbles = [&](int lane) {
            const std::int64_t block = block0 + 4 * lane;
            if (kTail && block >= validBlocks) return _mm_setzero_si128();
            return _mm_loadu_si128(reinterpret_cast<const __m128i*>(chunk + block * kBlockBytes + 2));
        };
        __m512i z = _mm512_castsi128_si512(nibbles(0));
        z = _mm512_inserti32x4(z, nibbles(1), 1);
        z = _mm512_inserti32x4(z, nibbles(2), 2);
        z = _mm512_inserti32x4(z, nibbles(3), 3);
        const __m512i low = _mm512_and_si512(z, lowNibbles);
        const __m512i high = _mm512_and_si512(_mm512_srli_epi16(z, 4), lowNibbles);
        const __m512i sum =
            _mm512_dpbusd_epi32(_mm512_setzero_si512(), low, _mm512_loadu_si512(qs + v * 128));
        p[v] = _mm512_dpbusd_epi32(sum, high, _mm512_loadu_si512(qs + v * 128 + 64));
    }
    __m512i u[2];
    for (int g = 0; g < 2; ++g) {
        const __m512i t0 = pairReduce32(p[4 * g], p[4 * g + 1]);
        const __m512i t1 = pairReduce32(p[4 * g + 2], p[4 * g + 3]);
        // 128-bit lane L: the 4-dword sums of vectors 4g..4g+3 there, i.e. blocks 16g + 4L + 0..3.
        u[g] = _mm512_add_epi32(_mm512_unpacklo_epi64(t0, t1), _mm512_unpackhi_epi64(t0, t1));
    }
    first = u[0];
    second = u[1];
}

// Exact block sums of one Q8_0 row chunk: item i pairs blocks i and i + 16 in one register, and the
// transpose reduction of the 16 items leaves blocks 0..15 in `first`, 16..31 in `second`.
template <bool kTail>
inline void blockSumsQ8_0(const std::uint8_t* chunk, const std::int8_t* qs, std::int64_t validBlocks,
                          __m512i& first, __m512i& second) {
    constexpr std::int64_t kBlockBytes = 34;
    __m512i p[kLanes];
    for (int i = 0; i < kLanes; ++i) {
        if (kTail && i >= validBlocks) {
            p[i] = _mm512_setzero_si512();
            continue;
        }
        const __m512i w = loadItemQ8_0(chunk + i * kBlockBytes, chunk + (i + kLanes) * kBlockBytes,
                                       !kTail || i + kLanes < validBlocks);
        p[i] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w, _mm512_loadu_si512(qs + i * 64));
    }
    reduceItems(p, first, second);
}

// One row's chunk of kChunkBlocks blocks (validBlocks of them present): the 32 per-block products
// float(isum + offset) * (fp16(d_w) * d_a) of quantcombine::addScaled, blocks in lanes, stored to out[0..31].
template <Block32Type kType, bool kTail>
inline void rowChunk(const std::uint8_t* chunk, const std::int8_t* qs, const float* d,
                     const std::int32_t* offset, std::int64_t validBlocks, float* out) {
    constexpr std::int64_t kBlockBytes = kType == Block32Type::Q4_0 ? 18 : 34;
    __m512i first, second;
    if constexpr (kType == Block32Type::Q4_0)
        blockSumsQ4_0<kTail>(chunk, qs, validBlocks, first, second);
    else
        blockSumsQ8_0<kTail>(chunk, qs, validBlocks, first, second);
    const __m512i scaleWords = loadScaleWords<kBlockBytes>(chunk, validBlocks, kTail);
    const __m512 scale0 =
        _mm512_mul_ps(_mm512_cvtph_ps(_mm512_castsi512_si256(scaleWords)), _mm512_loadu_ps(d));
    const __m512 scale1 =
        _mm512_mul_ps(_mm512_cvtph_ps(_mm512_extracti64x4_epi64(scaleWords, 1)), _mm512_loadu_ps(d + kLanes));
    const __m512i isum0 = _mm512_add_epi32(first, _mm512_loadu_si512(offset));
    const __m512i isum1 = _mm512_add_epi32(second, _mm512_loadu_si512(offset + kLanes));
    _mm512_storeu_ps(out, _mm512_mul_ps(_mm512_cvtepi32_ps(isum0), scale0));
    _mm512_storeu_ps(out + kLanes, _mm512_mul_ps(_mm512_cvtepi32_ps(isum1), scale1));
}

// In-register transpose of a 16x16 float tile: in[r] lane c -> out[c] lane r.
inline void transpose16(const __m512i (&in)[16], __m512i (&out)[16]) {
    __m512i s[16], q[16];
    for (int k = 0; k < 8; ++k) {
        s[2 * k] = _mm512_unpacklo_epi32(in[2 * k], in[2 * k + 1]);
        s[2 * k + 1] = _mm512_unpackhi_epi32(in[2 * k], in[2 * k + 1]);
    }
    // q[4m + j], 128-bit lane L: column 4L + j of rows 4m..4m+3.
    for (int m = 0; m < 4; ++m) {
        q[4 * m] = _mm512_unpacklo_epi64(s[4 * m], s[4 * m + 2]);
        q[4 * m + 1] = _mm512_unpackhi_epi64(s[4 * m], s[4 * m + 2]);
        q[4 * m + 2] = _mm512_unpacklo_epi64(s[4 * m + 1], s[4 * m + 3]);
        q[4 * m + 3] = _mm512_unpackhi_epi64(s[4 * m + 1], s[4 * m + 3]);
    }
    for (int j = 0; j < 4; ++j) {
        const __m512i x0 = _mm512_shuffle_i32x4(q[j], q[4 + j], 0x88);
        const __m512i x1 = _mm512_shuffle_i32x4(q[j], q[4 + j], 0xDD);
        const __m512i y0 = _mm512_shuffle_i32x4(q[8 + j], q[12 + j], 0x88);
        const __m512i y1 = _mm512_shuffle_i32x4(q[8 + j], q[12 + j], 0xDD);
        out[j] = _mm512_shuffle_i32x4(x0, y0, 0x88);
        out[4 + j] = _mm512_shuffle_i32x4(x1, y1, 0x88);
        out[8 + j] = _mm512_shuffle_i32x4(x0, y0, 0xDD);
        out[12 + j] = _mm512_shuffle_i32x4(x1, y1, 0xDD);
    }
}

// Rows are read one after another (one sequential stream per thread, which the hardware prefetchers follow at
// full bandwidth): pass 1 stores each row's per-block products (blocks in lanes) to `scratch`, pass 2
// transposes them 16x16 so the in-order block sums run for 16 rows at once.
template <Block32Type kType>
void matVecBlock32Impl(const std::uint8_t* weights, std::size_t rowBytes, std::int64_t nBlocks,
                       const Block32Token& a, std::int64_t rowBegin, std::int64_t rowEnd, float* y,
                       float* scratch, std::int64_t prefetchAhead) {
    constexpr std::int64_t kBlockBytes = kType == Block32Type::Q4_0 ? 18 : 34;
    const std::int64_t fullChunks = nBlocks / kChunkBlocks;
    const std::int64_t tailBlocks = nBlocks - fullChunks * kChunkBlocks;
    const std::int64_t stride = (fullChunks + (tailBlocks > 0 ? 1 : 0)) * kChunkBlocks;
    // A partial last chunk may be read as a whole one when the bytes past the row's end belong to later rows
    // of this range: their padding lanes get zero activations and are never summed. Only the rows nearer the
    // range's end than that overrun take the masked (slower) tail path.
    const std::int64_t overrunRows =
        tailBlocks > 0
            ? ((kChunkBlocks - tailBlocks) * kBlockBytes + static_cast<std::int64_t>(rowBytes) - 1) /
                  static_cast<std::int64_t>(rowBytes)
            : 0;
    for (std::int64_t r0 = rowBegin; r0 < rowEnd; r0 += kLanes) {
        const int lanes = static_cast<int>(rowEnd - r0 < kLanes ? rowEnd - r0 : kLanes);
        for (int i = 0; i < lanes; ++i) {
            const std::uint8_t* row = weights + static_cast<std::size_t>(r0 + i) * rowBytes;
            float* out = scratch + i * stride;
            for (std::int64_t c = 0; c < fullChunks + (tailBlocks > 0 ? 1 : 0); ++c) {
                const std::uint8_t* chunk = row + c * kChunkBlocks * kBlockBytes;
                // The hardware prefetchers alone leave the stream latency-bound; run prefetchAhead ahead.
                const std::int64_t valid = c < fullChunks ? kChunkBlocks : tailBlocks;
                for (std::int64_t line = 0; line < valid * kBlockBytes; line += 64)
                    _mm_prefetch(reinterpret_cast<const char*>(chunk + prefetchAhead + line), _MM_HINT_T0);
                if (valid == kChunkBlocks || r0 + i + overrunRows < rowEnd)
                    rowChunk<kType, false>(chunk, a.qs + c * kChunkBlocks * 32, a.d + c * kChunkBlocks,
                                           a.offset + c * kChunkBlocks, kChunkBlocks, out + c * kChunkBlocks);
                else
                    rowChunk<kType, true>(chunk, a.qs + c * kChunkBlocks * 32, a.d + c * kChunkBlocks,
                                          a.offset + c * kChunkBlocks, valid, out + c * kChunkBlocks);
            }
        }
        __m512 acc = _mm512_setzero_ps();
        for (std::int64_t b0 = 0; b0 < nBlocks; b0 += kLanes) {
            __m512i tile[kLanes], columns[kLanes];
            for (int i = 0; i < kLanes; ++i) // spare rows repeat the last one, never stored
                tile[i] = _mm512_loadu_si512(scratch + (i < lanes ? i : lanes - 1) * stride + b0);
            transpose16(tile, columns);
            const int count = static_cast<int>(nBlocks - b0 < kLanes ? nBlocks - b0 : kLanes);
            for (int j = 0; j < count; ++j) // blocks in increasing order, as the portable kernels
                acc = _mm512_add_ps(acc, _mm512_castsi512_ps(columns[j]));
        }
        _mm512_mask_storeu_ps(y + (r0 - rowBegin), static_cast<__mmask16>((1u << lanes) - 1u), acc);
    }
}

} // namespace

void matVecBlock32(Block32Type type, const std::uint8_t* weights, std::size_t rowBytes, std::int64_t nBlocks,
                   const Block32Token& activations, std::int64_t rowBegin, std::int64_t rowEnd, float* y,
                   float* scratch, bool largePages) {
    const std::int64_t ahead = largePages ? kLargePagePrefetchAhead : kPrefetchAhead;
    if (type == Block32Type::Q4_0)
        matVecBlock32Impl<Block32Type::Q4_0>(weights, rowBytes, nBlocks, activations, rowBegin, rowEnd, y,
                                             scratch, ahead);
    else
        matVecBlock32Impl<Block32Type::Q8_0>(weights, rowBytes, nBlocks, activations, rowBegin, rowEnd, y,
                                             scratch, ahead);
}

namespace {

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
                       std::int64_t nBlocks, std::int32_t rows, std::int32_t* packed, float* scales,
                       PackedBytes bytes) {
    const std::uint8_t* rowPointers[kLanes];
    for (int i = 0; i < kLanes; ++i) // spare rows repeat the last row (never stored)
        rowPointers[i] = firstRow + static_cast<std::size_t>(i < rows ? i : rows - 1) * rowBytes;
    // Scale gather offsets in packed lane order.
    alignas(64) std::int32_t laneRows[kLanes];
    _mm512_store_si512(laneRows, packedLaneRows());
    alignas(64) std::int32_t offsets[kLanes];
    for (int p = 0; p < kLanes; ++p)
        offsets[p] = static_cast<std::int32_t>(rowPointers[laneRows[p]] - firstRow);
    const __m512i lowMask = _mm512_set1_epi8(0x0F);
    // Q4_0 nibbles stay as they are (unsigned) or become nibble - 8; Q8_0 bytes become q + 128 or stay.
    const bool toSigned = bytes == PackedBytes::Signed;
    const __m512i nibbleBias = _mm512_set1_epi8(toSigned ? 8 : 0);
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(toSigned ? 0 : 0x80));
    const std::size_t blockBytes = type == Block32Type::Q4_0 ? 18 : 34;
    for (std::int64_t b = 0; b < nBlocks; ++b, packed += 8 * kLanes, scales += kLanes) {
        const std::size_t at = static_cast<std::size_t>(b) * blockBytes;
        alignas(32) std::uint16_t d[kLanes];
        for (int p = 0; p < kLanes; ++p)
            std::memcpy(d + p, firstRow + offsets[p] + at, 2);
        _mm512_storeu_ps(scales, _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(d))));
        __m512i z[4], words[4];
        loadRowChunks(rowPointers, at + 2, z);
        transposeGroups(z, words);
        if (type == Block32Type::Q4_0) { // value j: low nibble of byte j, value 16 + j: its high nibble
            for (int m = 0; m < 4; ++m) {
                _mm512_storeu_si512(packed + m * kLanes,
                                    _mm512_sub_epi8(_mm512_and_si512(words[m], lowMask), nibbleBias));
                _mm512_storeu_si512(
                    packed + (m + 4) * kLanes,
                    _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(words[m], 4), lowMask), nibbleBias));
            }
        } else {
            for (int m = 0; m < 4; ++m)
                _mm512_storeu_si512(packed + m * kLanes, _mm512_xor_si512(words[m], flip));
            loadRowChunks(rowPointers, at + 18, z);
            transposeGroups(z, words);
            for (int m = 0; m < 4; ++m)
                _mm512_storeu_si512(packed + (m + 4) * kLanes, _mm512_xor_si512(words[m], flip));
        }
    }
}

void interleaveRows16(Block32Type type, const std::uint8_t* firstRow, std::size_t rowBytes,
                      std::int64_t nBlocks, std::uint8_t* group) {
    const std::uint8_t* rows[kLanes];
    for (int i = 0; i < kLanes; ++i)
        rows[i] = firstRow + static_cast<std::size_t>(i) * rowBytes;
    alignas(64) std::int32_t laneRows[kLanes];
    _mm512_store_si512(laneRows, packedLaneRows());
    const std::size_t blockBytes = type == Block32Type::Q4_0 ? 18 : 34;
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80)); // Q8_0 is stored as q + 128
    if (nBlocks % 2 != 0) { // the odd block of the last pair is missing: zeros, never read
        std::memset(group + interleavedQuantsAt(type, nBlocks), 0,
                    static_cast<std::size_t>(interleavedQuantBytes(type)));
        std::memset(group + interleavedScalesAt(type, nBlocks), 0, 2 * kLanes);
    }
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const std::size_t at = static_cast<std::size_t>(b) * blockBytes;
        std::uint8_t* scales = group + interleavedScalesAt(type, b);
        for (int p = 0; p < kLanes; ++p)
            std::memcpy(scales + 2 * p, rows[laneRows[p]] + at, 2);
        std::uint8_t* out = group + interleavedQuantsAt(type, b);
        __m512i z[4], words[4];
        loadRowChunks(rows, at + 2, z);
        transposeGroups(z, words);
        if (type == Block32Type::Q4_0) {
            for (int k = 0; k < 4; ++k)
                _mm512_storeu_si512(out + 64 * k, words[k]);
        } else {
            for (int k = 0; k < 4; ++k)
                _mm512_storeu_si512(out + 64 * k, _mm512_xor_si512(words[k], flip));
            loadRowChunks(rows, at + 18, z);
            transposeGroups(z, words);
            for (int k = 0; k < 4; ++k)
                _mm512_storeu_si512(out + 64 * (k + 4), _mm512_xor_si512(words[k], flip));
        }
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
