#include "engine/tensor/matmul_kquant_avx512.h"

#include "engine/tensor/block_layouts.h"

#include <immintrin.h>

#include <cstring>

#include "engine/tensor/exact_float_combination.h" // last: fp-contract off from here on

#ifndef WB_KQ_PREFETCH_ROWS
#define WB_KQ_PREFETCH_ROWS 16
#endif
// Build-time knobs for A/B runs (-DWB_KQ_PREFETCH_HINT=_MM_HINT_T1 was slower than T0 on the Q4_K_M file).
#ifndef WB_KQ_PREFETCH_HINT
#define WB_KQ_PREFETCH_HINT _MM_HINT_T0
#endif

namespace wb::avx512k {
namespace {

using namespace blocks;

constexpr int kLanes = 16;
constexpr std::int64_t kQ4KBytes = sizeof(BlockQ4_K), kQ5KBytes = sizeof(BlockQ5_K),
                       kQ6KBytes = sizeof(BlockQ6_K);

inline float halfToFloat(std::uint16_t h) {
    return _cvtsh_ss(h);
}

inline std::int32_t load32(const void* p) {
    std::int32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

inline std::int32_t packPair(int low, int high) {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint16_t>(low)) |
                                     (static_cast<std::uint32_t>(static_cast<std::uint16_t>(high)) << 16));
}

// The 8 six-bit scales (bytes 0..7) and mins (bytes 8..15) of a Q4_K/Q5_K block, as get_scale_min_k4
// (unpackScaleMinK4) defines them, four at a time.
inline void unpackScalesMins(const std::uint8_t* packedBytes, std::uint32_t (&unpacked)[4]) {
    std::uint32_t packed[3];
    std::memcpy(packed, packedBytes, 12);
    constexpr std::uint32_t kLow6 = 0x3f3f3f3f, kLow4 = 0x0f0f0f0f, kLow2 = 0x03030303;
    unpacked[0] = packed[0] & kLow6;
    unpacked[1] = (packed[2] & kLow4) | (((packed[0] >> 6) & kLow2) << 4);
    unpacked[2] = packed[1] & kLow6;
    unpacked[3] = ((packed[2] >> 4) & kLow4) | (((packed[1] >> 6) & kLow2) << 4);
}

// The same 16 bytes in a vector, without the scalar round trip through memory. Per dword: 0 = p0 & 0x3f..,
// 2 = p1 & 0x3f..; 1 / 3 = (p2 >> 0 / 4) & 0x0f.. | the top two bits of p0 / p1 moved to bits 4..5 of each
// byte (a dword shift right by 2; the bits shifted in from the next byte are masked off).
inline __m128i unpackScalesMinsVec(const std::uint8_t* packedBytes) {
    const __m128i packed =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(packedBytes)); // bytes 12..15 unused
    const __m128i p0011 = _mm_shuffle_epi32(packed, _MM_SHUFFLE(1, 1, 0, 0));
    const __m128i p2 =
        _mm_srlv_epi32(_mm_shuffle_epi32(packed, _MM_SHUFFLE(2, 2, 2, 2)), _mm_setr_epi32(0, 0, 0, 4));
    const __m128i even = _mm_and_si128(p0011, _mm_set1_epi32(0x3f3f3f3f));
    const __m128i odd = _mm_or_si128(_mm_and_si128(p2, _mm_set1_epi32(0x0f0f0f0f)),
                                     _mm_and_si128(_mm_srli_epi32(p0011, 2), _mm_set1_epi32(0x30303030)));
    return _mm_mask_blend_epi32(0xA, even, odd);
}

// --- unpacking a strip of rows (prompt path) -----------------------------------------------------------

void unpackQ45KBlock(const std::uint8_t* block, bool fifthBit, std::uint8_t* values, std::int32_t* scales,
                     std::int32_t* pairs, float* d, float* dmin) {
    std::uint16_t dBits, dminBits;
    std::memcpy(&dBits, block, 2);
    std::memcpy(&dminBits, block + 2, 2);
    *d = halfToFloat(dBits);
    *dmin = halfToFloat(dminBits);
    std::uint32_t unpacked[4];
    unpackScalesMins(block + 4, unpacked);
    std::uint8_t sm[16];
    std::memcpy(sm, unpacked, 16);
    for (int j = 0; j < 8; ++j)
        scales[j] = sm[j];
    for (int m = 0; m < 4; ++m)
        pairs[m] = packPair(sm[8 + 2 * m], sm[8 + 2 * m + 1]);
    const std::uint8_t* qs = block + (fifthBit ? 48 : 16);
    const __m256i lowMask = _mm256_set1_epi8(0x0F);
    const __m256i one = _mm256_set1_epi8(1);
    const __m256i qh =
        fifthBit ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 16)) : _mm256_setzero_si256();
    for (int g = 0; g < 4; ++g) {
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * g));
        __m256i low = _mm256_and_si256(q, lowMask);
        __m256i high = _mm256_and_si256(_mm256_srli_epi16(q, 4), lowMask);
        if (fifthBit) {
            const __m256i bitLow = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * g)), one);
            const __m256i bitHigh = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * g + 1)), one);
            low = _mm256_or_si256(low, _mm256_slli_epi16(bitLow, 4));
            high = _mm256_or_si256(high, _mm256_slli_epi16(bitHigh, 4));
        }
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(values + 64 * g), low);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(values + 64 * g + 32), high);
    }
}

void unpackQ6KBlock(const std::uint8_t* block, std::uint8_t* values, std::int32_t* scales,
                    std::int32_t* pairs, float* d) {
    const std::uint8_t* ql = block;
    const std::uint8_t* qh = block + 128;
    const auto* sc = reinterpret_cast<const std::int8_t*>(block + 192);
    std::uint16_t dBits;
    std::memcpy(&dBits, block + 208, 2);
    *d = halfToFloat(dBits);
    for (int j = 0; j < 16; ++j)
        scales[j] = sc[j];
    for (int m = 0; m < 8; ++m)
        pairs[m] = packPair(sc[2 * m], sc[2 * m + 1]);
    const __m256i lowMask = _mm256_set1_epi8(0x0F);
    const __m256i twoBits = _mm256_set1_epi8(0x03);
    for (int half = 0; half < 2; ++half) {
        const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 64 * half));
        const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 64 * half + 32));
        const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qh + 32 * half));
        const __m256i parts[4] = {
            _mm256_or_si256(_mm256_and_si256(l0, lowMask),
                            _mm256_slli_epi16(_mm256_and_si256(h, twoBits), 4)),
            _mm256_or_si256(_mm256_and_si256(l1, lowMask),
                            _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), twoBits), 4)),
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), lowMask),
                            _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), twoBits), 4)),
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), lowMask),
                            _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), twoBits), 4))};
        for (int k = 0; k < 4; ++k)
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(values + 128 * half + 32 * k), parts[k]);
    }
}

// --- tokens in lanes (prompt path) ---------------------------------------------------------------------

struct RowPointers {
    const std::uint8_t* values;
    const std::int32_t* scales;
    const std::int32_t* pairs;
    const float* d;
    const float* dmin;
};

inline RowPointers rowOf(const KStrip& s, std::int64_t nBlocks, std::int64_t r) {
    return {s.values + r * nBlocks * 256, s.scales + r * nBlocks * 16, s.pairs + r * nBlocks * 8,
            s.d + r * nBlocks, s.dmin + r * nBlocks};
}

inline void scatterRows(const __m512* acc, int rows, const KPanel& panel, float* y, std::int64_t yStride) {
    const __mmask16 valid = static_cast<__mmask16>((1u << panel.tokens) - 1u);
    const __m512i tokenOffsets =
        _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                           _mm512_set1_epi32(static_cast<std::int32_t>(yStride)));
    for (int r = 0; r < rows; ++r)
        _mm512_mask_i32scatter_ps(y + r, valid, tokenOffsets, acc[r], 4);
}

// Q4_K / Q5_K: per super-block isum = sum_j scale_j * dot_j (8 sub-blocks of 32), minSum = sum_j min_j *
// (bsum pair j); sum += d * isum - dmin * minSum with d = a.d * fp16(w.d), dmin = a.d * fp16(w.dmin).
template <int R>
void tileQ45K(const KStrip& s, std::int64_t nBlocks, std::int64_t r0, const KPanel& p, float* y,
              std::int64_t yStride) {
    RowPointers rows[R];
    for (int r = 0; r < R; ++r)
        rows[r] = rowOf(s, nBlocks, r0 + r);
    __m512 acc[R];
    for (int r = 0; r < R; ++r)
        acc[r] = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        __m512i isum[R];
        for (int r = 0; r < R; ++r)
            isum[r] = _mm512_setzero_si512();
        for (int j = 0; j < 8; ++j) {
            const std::int32_t* xq = p.qs + (b * 64 + 8 * j) * kLanes;
            __m512i x[8];
            for (int k = 0; k < 8; ++k)
                x[k] = _mm512_loadu_si512(xq + k * kLanes);
            // Two dependency chains per row (even/odd dwords) keep 2R vpdpbusd in flight.
            __m512i sub[2][R];
            for (int r = 0; r < R; ++r)
                sub[0][r] = sub[1][r] = _mm512_setzero_si512();
            for (int k = 0; k < 8; ++k)
                for (int r = 0; r < R; ++r)
                    sub[k & 1][r] = _mm512_dpbusd_epi32(
                        sub[k & 1][r], _mm512_set1_epi32(load32(rows[r].values + b * 256 + 32 * j + 4 * k)),
                        x[k]);
            for (int r = 0; r < R; ++r)
                isum[r] = _mm512_add_epi32(isum[r],
                                           _mm512_mullo_epi32(_mm512_add_epi32(sub[0][r], sub[1][r]),
                                                              _mm512_set1_epi32(rows[r].scales[b * 16 + j])));
        }
        __m512i minSum[R];
        for (int r = 0; r < R; ++r)
            minSum[r] = _mm512_setzero_si512();
        for (int m = 0; m < 4; ++m) {
            const __m512i bsumPairs = _mm512_loadu_si512(p.pairs + (b * 8 + m) * kLanes);
            for (int r = 0; r < R; ++r)
                minSum[r] =
                    _mm512_dpwssd_epi32(minSum[r], _mm512_set1_epi32(rows[r].pairs[b * 8 + m]), bsumPairs);
        }
        const __m512 activationD = _mm512_loadu_ps(p.d + b * kLanes);
        for (int r = 0; r < R; ++r) {
            const __m512 d = _mm512_mul_ps(activationD, _mm512_set1_ps(rows[r].d[b]));
            const __m512 dmin = _mm512_mul_ps(activationD, _mm512_set1_ps(rows[r].dmin[b]));
            acc[r] = _mm512_add_ps(acc[r], _mm512_sub_ps(_mm512_mul_ps(d, _mm512_cvtepi32_ps(isum[r])),
                                                         _mm512_mul_ps(dmin, _mm512_cvtepi32_ps(minSum[r]))));
        }
    }
    scatterRows(acc, R, p, y, yStride);
}

// Q6_K: isum = sum_j scale_j * (dot_j - 32 * bsum_j) over 16 sub-blocks of 16 (levels stored +32);
// sum += fp16(w.d) * a.d * isum.
template <int R>
void tileQ6K(const KStrip& s, std::int64_t nBlocks, std::int64_t r0, const KPanel& p, float* y,
             std::int64_t yStride) {
    RowPointers rows[R];
    for (int r = 0; r < R; ++r)
        rows[r] = rowOf(s, nBlocks, r0 + r);
    __m512 acc[R];
    for (int r = 0; r < R; ++r)
        acc[r] = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        __m512i isum[R];
        for (int r = 0; r < R; ++r)
            isum[r] = _mm512_setzero_si512();
        for (int jj = 0; jj < 8; ++jj) { // sub-blocks 2jj and 2jj+1
            const std::int32_t* xq = p.qs + (b * 64 + 8 * jj) * kLanes;
            __m512i x[8];
            for (int k = 0; k < 8; ++k)
                x[k] = _mm512_loadu_si512(xq + k * kLanes);
            __m512i sub0[R], sub1[R];
            for (int r = 0; r < R; ++r)
                sub0[r] = sub1[r] = _mm512_setzero_si512();
            for (int k = 0; k < 4; ++k)
                for (int r = 0; r < R; ++r) {
                    const std::uint8_t* v = rows[r].values + b * 256 + 32 * jj + 4 * k;
                    sub0[r] = _mm512_dpbusd_epi32(sub0[r], _mm512_set1_epi32(load32(v)), x[k]);
                    sub1[r] = _mm512_dpbusd_epi32(sub1[r], _mm512_set1_epi32(load32(v + 16)), x[k + 4]);
                }
            for (int r = 0; r < R; ++r) {
                const std::int32_t* sc = rows[r].scales + b * 16 + 2 * jj;
                isum[r] = _mm512_add_epi32(isum[r], _mm512_mullo_epi32(sub0[r], _mm512_set1_epi32(sc[0])));
                isum[r] = _mm512_add_epi32(isum[r], _mm512_mullo_epi32(sub1[r], _mm512_set1_epi32(sc[1])));
            }
        }
        __m512i correction[R];
        for (int r = 0; r < R; ++r)
            correction[r] = _mm512_setzero_si512();
        for (int m = 0; m < 8; ++m) {
            const __m512i bsumPairs = _mm512_loadu_si512(p.pairs + (b * 8 + m) * kLanes);
            for (int r = 0; r < R; ++r)
                correction[r] = _mm512_dpwssd_epi32(correction[r],
                                                    _mm512_set1_epi32(rows[r].pairs[b * 8 + m]), bsumPairs);
        }
        const __m512 activationD = _mm512_loadu_ps(p.d + b * kLanes);
        for (int r = 0; r < R; ++r) {
            const __m512i total = _mm512_sub_epi32(isum[r], _mm512_slli_epi32(correction[r], 5));
            const __m512 scale = _mm512_mul_ps(_mm512_set1_ps(rows[r].d[b]), activationD);
            acc[r] = _mm512_add_ps(acc[r], _mm512_mul_ps(scale, _mm512_cvtepi32_ps(total)));
        }
    }
    scatterRows(acc, R, p, y, yStride);
}

template <int R>
void tileFor(KType type, const KStrip& s, std::int64_t nBlocks, std::int64_t r0, const KPanel& p, float* y,
             std::int64_t yStride) {
    if (type == KType::Q6_K)
        tileQ6K<R>(s, nBlocks, r0, p, y, yStride);
    else
        tileQ45K<R>(s, nBlocks, r0, p, y, yStride);
}

// --- rows in lanes (generation) ------------------------------------------------------------------------

// Software prefetch distance of the generation kernels, in rows (0: rely on the hardware prefetchers). Each
// row of a 16-row group fetches the same bytes of the row 16 ahead (the next group), a contiguous stream that
// keeps loads in flight while a group's rows are reduced. A/B on the TinyLlama Q4_K_M file favoured it, but
// the VM was heavily loaded at the time (see docs/performance.md).
constexpr std::int64_t kPrefetchRowsAhead = WB_KQ_PREFETCH_ROWS;
// Weights streaming from DRAM in 2 MiB pages (WeightMatrix::streamsFromLargePages): 2 KiB ahead instead.
// In-process A/B on Sapphire Rapids, 1 GB of weights, 2 threads:
// +12 % (Q4_K, 2048 columns), +18 % (Q4_K, 5632), +22 % (Q6_K, 2048); with 4 KiB pages the row distance
// stays better (2 KiB ahead: -10 % on Q4_K, 2048 columns), as each prefetch there also walks the next pages.
constexpr std::int64_t kLargePagePrefetchBytes = 2048;

// Bytes ahead of the current block, and rows that distance spans (for the end-of-range test).
struct Prefetch {
    std::int64_t bytes;
    std::int64_t rows;
    static Prefetch forRows(std::size_t rowBytes, bool largePages) {
        const auto row = static_cast<std::int64_t>(rowBytes);
        if (!largePages) return {kPrefetchRowsAhead * row, kPrefetchRowsAhead};
        return {kLargePagePrefetchBytes, (kLargePagePrefetchBytes + row - 1) / row};
    }
};

inline void prefetchBlock(const std::uint8_t* p, std::int64_t bytes) {
    for (std::int64_t off = 0; off < bytes; off += 64)
        _mm_prefetch(reinterpret_cast<const char*>(p + off), WB_KQ_PREFETCH_HINT);
}

inline __m512i pairReduce32(__m512i a, __m512i b) {
    return _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
}

// p[i]: row i's partial sums, 128-bit lanes 0+1 belonging to "first", lanes 2+3 to "second". Returns both
// sums for the 16 rows exactly, row i in lane i.
inline void reduceRows(const __m512i* p, __m512i& first, __m512i& second) {
    __m512i u[4];
    for (int g = 0; g < 4; ++g) {
        const __m512i t0 = pairReduce32(_mm512_load_si512(p + 4 * g), _mm512_load_si512(p + 4 * g + 1));
        const __m512i t1 = pairReduce32(_mm512_load_si512(p + 4 * g + 2), _mm512_load_si512(p + 4 * g + 3));
        u[g] = _mm512_add_epi32(_mm512_unpacklo_epi64(t0, t1), _mm512_unpackhi_epi64(t0, t1));
    }
    __m512i w[2];
    for (int h = 0; h < 2; ++h)
        w[h] = _mm512_add_epi32(_mm512_shuffle_i32x4(u[2 * h], u[2 * h + 1], 0x88),
                                _mm512_shuffle_i32x4(u[2 * h], u[2 * h + 1], 0xDD));
    first = _mm512_shuffle_i32x4(w[0], w[1], 0x88);
    second = _mm512_shuffle_i32x4(w[0], w[1], 0xDD);
}

// vpshufb control that widens byte `first` (128-bit lanes 0, 1) / `second` (lanes 2, 3) of every lane to all
// its int16 lanes (0x80 zeroes the high bytes): one single-uop shuffle where vpermw takes two.
constexpr short widenByte(int byte) {
    return static_cast<short>(0x8000 | byte);
}
inline __m512i splitWidenControl(int first, int second) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(widenByte(first))),
                              _mm256_set1_epi16(widenByte(second)), 1);
}

// Q4_K / Q5_K, one token. Per row and super-block the four 64-byte weight loads (low/high nibbles of bytes
// 0..63 and 64..127) meet the reordered activations; vpmaddubsw makes exact int16 pair sums (at most
// 31 * 127 * 2), vpdpwssd multiplies them by the sub-block scale and accumulates in int32. The sixteen int32
// lanes are halved to 8 and packed with the 8 min products into one vector per row and block (scratch);
// then 16 rows are transposed into lanes and combined in float.
template <bool kFive>
void matVecQ45K(const std::uint8_t* weights, std::size_t rowBytes, std::int64_t nBlocks, const BlockQ8_K* a,
                const std::int8_t* reordered, std::int64_t rowBegin, std::int64_t rowEnd,
                std::int64_t prefetchEnd, Prefetch ahead, float* y, void* scratch) {
    constexpr std::int64_t kBlockBytes = kFive ? kQ5KBytes : kQ4KBytes;
    constexpr int kQsOffset = kFive ? 48 : 16;
    auto* parts = static_cast<__m512i*>(scratch);                             // [b][16]
    auto* heads = reinterpret_cast<std::uint32_t*>(parts + nBlocks * kLanes); // [b][16] d | dmin << 16
    const __m512i lowMask = _mm512_set1_epi8(0x0F);
    const __m512i idxA = splitWidenControl(0, 2), idxB = splitWidenControl(1, 3),
                  idxC = splitWidenControl(4, 6), idxD = splitWidenControl(5, 7);
    // Mins 8..15, each twice (pairs with the 16 bsums): 128-bit lane 0 takes 8..11, lane 1 takes 12..15.
    const __m256i idxMin = _mm256_setr_epi16(widenByte(8), widenByte(8), widenByte(9), widenByte(9),
                                             widenByte(10), widenByte(10), widenByte(11), widenByte(11),
                                             widenByte(12), widenByte(12), widenByte(13), widenByte(13),
                                             widenByte(14), widenByte(14), widenByte(15), widenByte(15));
    for (std::int64_t r0 = rowBegin; r0 < rowEnd; r0 += kLanes) {
        const int lanes = static_cast<int>(rowEnd - r0 < kLanes ? rowEnd - r0 : kLanes);
        for (int i = 0; i < kLanes; ++i) {
            if (i >= lanes) {
                for (std::int64_t b = 0; b < nBlocks; ++b) {
                    _mm512_store_si512(parts + b * kLanes + i, _mm512_setzero_si512());
                    heads[b * kLanes + i] = 0;
                }
                continue;
            }
            const std::uint8_t* row = weights + static_cast<std::size_t>(r0 + i) * rowBytes;
            const bool prefetchNext = ahead.rows > 0 && r0 + i + ahead.rows < prefetchEnd;
            for (std::int64_t b = 0; b < nBlocks; ++b) {
                const std::uint8_t* block = row + b * kBlockBytes;
                if (prefetchNext) prefetchBlock(block + ahead.bytes, kBlockBytes);
                std::memcpy(heads + b * kLanes + i, block, 4);
                // The 16 scale/min bytes in every 128-bit lane, widened to int16 by the shuffles below.
                const __m512i sm = _mm512_broadcast_i32x4(unpackScalesMinsVec(block + 4));
                const __m512i q01 = _mm512_loadu_si512(block + kQsOffset);
                const __m512i q23 = _mm512_loadu_si512(block + kQsOffset + 64);
                __m512i lo01 = _mm512_and_si512(q01, lowMask);
                __m512i hi01 = _mm512_and_si512(_mm512_srli_epi16(q01, 4), lowMask);
                __m512i lo23 = _mm512_and_si512(q23, lowMask);
                __m512i hi23 = _mm512_and_si512(_mm512_srli_epi16(q23, 4), lowMask);
                if constexpr (kFive) {
                    // qh bit 2g (low nibbles of group g) and 2g+1 (high nibbles); groups 0|1 and 2|3 per
                    // vector.
                    const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 16));
                    const __m512i qhA =
                        _mm512_inserti64x4(_mm512_castsi256_si512(qh), _mm256_srli_epi16(qh, 2), 1);
                    const __m512i qhB = _mm512_srli_epi16(qhA, 4);
                    const __m512i bit4 = _mm512_set1_epi8(0x10);
                    lo01 = _mm512_or_si512(lo01, _mm512_and_si512(_mm512_slli_epi16(qhA, 4), bit4));
                    hi01 = _mm512_or_si512(hi01, _mm512_and_si512(_mm512_slli_epi16(qhA, 3), bit4));
                    lo23 = _mm512_or_si512(lo23, _mm512_and_si512(_mm512_slli_epi16(qhB, 4), bit4));
                    hi23 = _mm512_or_si512(hi23, _mm512_and_si512(_mm512_slli_epi16(qhB, 3), bit4));
                }
                const std::int8_t* x = reordered + b * 256;
                // Two chains (int32 sums are exact in any order): half the vpdpwssd latency per block.
                const __m512i acc0 = _mm512_dpwssd_epi32(
                    _mm512_madd_epi16(_mm512_maddubs_epi16(lo01, _mm512_loadu_si512(x)),
                                      _mm512_shuffle_epi8(sm, idxA)),
                    _mm512_maddubs_epi16(lo23, _mm512_loadu_si512(x + 128)), _mm512_shuffle_epi8(sm, idxC));
                const __m512i acc1 = _mm512_dpwssd_epi32(
                    _mm512_madd_epi16(_mm512_maddubs_epi16(hi01, _mm512_loadu_si512(x + 64)),
                                      _mm512_shuffle_epi8(sm, idxB)),
                    _mm512_maddubs_epi16(hi23, _mm512_loadu_si512(x + 192)), _mm512_shuffle_epi8(sm, idxD));
                const __m512i acc = _mm512_add_epi32(acc0, acc1);
                const __m256i isum8 =
                    _mm256_add_epi32(_mm512_castsi512_si256(acc), _mm512_extracti64x4_epi64(acc, 1));
                const __m256i mins =
                    _mm256_madd_epi16(_mm256_shuffle_epi8(_mm512_castsi512_si256(sm), idxMin),
                                      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].bsums)));
                _mm512_store_si512(parts + b * kLanes + i,
                                   _mm512_inserti64x4(_mm512_castsi256_si512(isum8), mins, 1));
            }
        }
        __m512 sum = _mm512_setzero_ps();
        for (std::int64_t b = 0; b < nBlocks; ++b) {
            __m512i isum, minSum;
            reduceRows(parts + b * kLanes, isum, minSum);
            const __m512i h = _mm512_loadu_si512(heads + b * kLanes);
            const __m512 weightD = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(h));
            const __m512 weightDmin = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(h, 16)));
            const __m512 activationD = _mm512_set1_ps(a[b].d);
            const __m512 d = _mm512_mul_ps(activationD, weightD);
            const __m512 dmin = _mm512_mul_ps(activationD, weightDmin);
            sum = _mm512_add_ps(sum, _mm512_sub_ps(_mm512_mul_ps(d, _mm512_cvtepi32_ps(isum)),
                                                   _mm512_mul_ps(dmin, _mm512_cvtepi32_ps(minSum))));
        }
        _mm512_mask_storeu_ps(y + (r0 - rowBegin), static_cast<__mmask16>((1u << lanes) - 1u), sum);
    }
}

// Q6_K, one token: levels 0..63 (stored +32) in natural order against the activations; vpmaddubsw pair sums
// (at most 63 * 127 * 2) times the int8 scale of each 16-value sub-block by vpdpwssd, minus 32 * sum_j
// scale_j * bsum_j. Each row and block leaves 8 int32 partials; two blocks share one scratch vector.
void matVecQ6K(const std::uint8_t* weights, std::size_t rowBytes, std::int64_t nBlocks, const BlockQ8_K* a,
               std::int64_t rowBegin, std::int64_t rowEnd, std::int64_t prefetchEnd, Prefetch ahead, float* y,
               void* scratch) {
    const std::int64_t slots = (nBlocks + 1) / 2;
    auto* parts = static_cast<__m512i*>(scratch);                           // [slot][16]
    auto* heads = reinterpret_cast<std::uint32_t*>(parts + slots * kLanes); // [b][16] d
    const __m512i lowMask = _mm512_set1_epi8(0x0F);
    const __m512i twoBits = _mm512_set1_epi8(0x03);
    // Scale words: the 128-bit lane h of the int16 scales (scales 8h..8h+7) is broadcast; then 128-bit lane L
    // of the part-p vector takes word 4p + L of it (vpshufb, one uop where vpermw takes two).
    __m512i wordOf[2];
    for (int part = 0; part < 2; ++part) {
        const auto word = [part](int lane) {
            const int low = 2 * (4 * part + lane);
            return _mm_set1_epi16(static_cast<short>(low | ((low + 1) << 8)));
        };
        wordOf[part] = _mm512_inserti64x4(
            _mm512_castsi256_si512(_mm256_inserti128_si256(_mm256_castsi128_si256(word(0)), word(1), 1)),
            _mm256_inserti128_si256(_mm256_castsi128_si256(word(2)), word(3), 1), 1);
    }
    for (std::int64_t r0 = rowBegin; r0 < rowEnd; r0 += kLanes) {
        const int lanes = static_cast<int>(rowEnd - r0 < kLanes ? rowEnd - r0 : kLanes);
        for (int i = 0; i < kLanes; ++i) {
            auto* halves = reinterpret_cast<__m256i*>(parts + i); // slot s: halves[2 * 16 * s + 0 / 1]
            if (i >= lanes) {
                for (std::int64_t s = 0; s < slots; ++s)
                    _mm512_store_si512(parts + s * kLanes + i, _mm512_setzero_si512());
                for (std::int64_t b = 0; b < nBlocks; ++b)
                    heads[b * kLanes + i] = 0;
                continue;
            }
            if (nBlocks & 1)
                _mm256_store_si256(halves + 2 * kLanes * (slots - 1) + 1, _mm256_setzero_si256());
            const std::uint8_t* row = weights + static_cast<std::size_t>(r0 + i) * rowBytes;
            const bool prefetchNext = ahead.rows > 0 && r0 + i + ahead.rows < prefetchEnd;
            for (std::int64_t b = 0; b < nBlocks; ++b) {
                const std::uint8_t* block = row + b * kQ6KBytes;
                if (prefetchNext) prefetchBlock(block + ahead.bytes, kQ6KBytes);
                std::uint16_t d;
                std::memcpy(&d, block + 208, 2);
                heads[b * kLanes + i] = d;
                const __m256i sc16 =
                    _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 192)));
                const __m512i sc = _mm512_castsi256_si512(sc16);
                const __m512i scHalf[2] = {_mm512_shuffle_i32x4(sc, sc, 0x00),
                                           _mm512_shuffle_i32x4(sc, sc, 0x55)};
                __m512i chain[2]; // level01 / level23 products, two chains (exact int32 sums in any order)
                for (int h = 0; h < 2; ++h) {
                    const __m512i low = _mm512_loadu_si512(block + 64 * h);
                    const __m256i high =
                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 128 + 32 * h));
                    const __m512i high01 =
                        _mm512_inserti64x4(_mm512_castsi256_si512(high), _mm256_srli_epi16(high, 2), 1);
                    const __m512i level01 =
                        _mm512_or_si512(_mm512_and_si512(low, lowMask),
                                        _mm512_slli_epi16(_mm512_and_si512(high01, twoBits), 4));
                    const __m512i level23 = _mm512_or_si512(
                        _mm512_and_si512(_mm512_srli_epi16(low, 4), lowMask),
                        _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(high01, 4), twoBits), 4));
                    const std::int8_t* x = a[b].qs + 128 * h;
                    const __m512i pairs01 = _mm512_maddubs_epi16(level01, _mm512_loadu_si512(x));
                    const __m512i pairs23 = _mm512_maddubs_epi16(level23, _mm512_loadu_si512(x + 64));
                    const __m512i scale01 = _mm512_shuffle_epi8(scHalf[h], wordOf[0]);
                    const __m512i scale23 = _mm512_shuffle_epi8(scHalf[h], wordOf[1]);
                    chain[0] = h == 0 ? _mm512_madd_epi16(pairs01, scale01)
                                      : _mm512_dpwssd_epi32(chain[0], pairs01, scale01);
                    chain[1] = h == 0 ? _mm512_madd_epi16(pairs23, scale23)
                                      : _mm512_dpwssd_epi32(chain[1], pairs23, scale23);
                }
                const __m512i acc = _mm512_add_epi32(chain[0], chain[1]);
                const __m256i correction =
                    _mm256_madd_epi16(sc16, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].bsums)));
                const __m256i total = _mm256_sub_epi32(
                    _mm256_add_epi32(_mm512_castsi512_si256(acc), _mm512_extracti64x4_epi64(acc, 1)),
                    _mm256_slli_epi32(correction, 5));
                _mm256_store_si256(halves + 2 * kLanes * (b / 2) + (b & 1), total);
            }
        }
        __m512 sum = _mm512_setzero_ps();
        for (std::int64_t s = 0; s < slots; ++s) {
            __m512i first, second;
            reduceRows(parts + s * kLanes, first, second);
            for (int k = 0; k < 2 && 2 * s + k < nBlocks; ++k) {
                const std::int64_t b = 2 * s + k;
                const __m512 weightD =
                    _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_loadu_si512(heads + b * kLanes)));
                const __m512 scale = _mm512_mul_ps(weightD, _mm512_set1_ps(a[b].d));
                sum = _mm512_add_ps(sum, _mm512_mul_ps(scale, _mm512_cvtepi32_ps(k == 0 ? first : second)));
            }
        }
        _mm512_mask_storeu_ps(y + (r0 - rowBegin), static_cast<__mmask16>((1u << lanes) - 1u), sum);
    }
}

} // namespace

void quantizeQ8K(const float* x, void* out, std::int64_t nBlocks) {
    auto* blocksOut = static_cast<BlockQ8_K*>(out);
    const __m512 signBit = _mm512_set1_ps(-0.0f);
    for (std::int64_t b = 0; b < nBlocks; ++b, x += kQK_K) {
        // The value of largest magnitude, the first one on ties (NaNs never win, as in the portable loop).
        __m512 amax = _mm512_setzero_ps();
        for (int i = 0; i < kQK_K; i += 16)
            amax = _mm512_max_ps(_mm512_andnot_ps(signBit, _mm512_loadu_ps(x + i)), amax);
        const float maxMagnitude = _mm512_reduce_max_ps(amax);
        BlockQ8_K& block = blocksOut[b];
        if (maxMagnitude == 0.0f) {
            std::memset(&block, 0, sizeof(block));
            continue;
        }
        const __m512 target = _mm512_set1_ps(maxMagnitude);
        float max = 0.0f;
        for (int i = 0; i < kQK_K; i += 16) {
            const __m512 v = _mm512_loadu_ps(x + i);
            const __mmask16 hit = _mm512_cmp_ps_mask(_mm512_andnot_ps(signBit, v), target, _CMP_EQ_OQ);
            if (hit != 0) {
                max = x[i + __builtin_ctz(hit)];
                break;
            }
        }
        const float iscale = -127.0f / max;
        const __m512 scale = _mm512_set1_ps(iscale);
        const __m512i limit = _mm512_set1_epi32(127);
        for (int i = 0; i < kQK_K; i += 16) {
            // cvtps rounds to nearest even under the default MXCSR, as std::nearbyint in the portable code.
            const __m512i q =
                _mm512_min_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(scale, _mm512_loadu_ps(x + i))), limit);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(block.qs + i), _mm512_cvtsepi32_epi8(q));
            block.bsums[i / 16] = static_cast<std::int16_t>(_mm512_reduce_add_epi32(q));
        }
        block.d = 1.0f / iscale;
    }
}

void unpackKRows(KType type, const std::uint8_t* weights, std::size_t rowBytes, std::int64_t nBlocks,
                 std::int64_t rows, const KStrip& strip) {
    for (std::int64_t r = 0; r < rows; ++r) {
        const std::uint8_t* row = weights + static_cast<std::size_t>(r) * rowBytes;
        const RowPointers out = rowOf(strip, nBlocks, r);
        for (std::int64_t b = 0; b < nBlocks; ++b) {
            auto* values = const_cast<std::uint8_t*>(out.values) + b * 256;
            auto* scales = const_cast<std::int32_t*>(out.scales) + b * 16;
            auto* pairs = const_cast<std::int32_t*>(out.pairs) + b * 8;
            auto* d = const_cast<float*>(out.d) + b;
            auto* dmin = const_cast<float*>(out.dmin) + b;
            switch (type) {
            case KType::Q4_K:
                unpackQ45KBlock(row + b * kQ4KBytes, false, values, scales, pairs, d, dmin);
                break;
            case KType::Q5_K:
                unpackQ45KBlock(row + b * kQ5KBytes, true, values, scales, pairs, d, dmin);
                break;
            case KType::Q6_K:
                unpackQ6KBlock(row + b * kQ6KBytes, values, scales, pairs, d);
                *dmin = 0.0f;
                break;
            }
        }
    }
}

void matMulKPanel(KType type, const KStrip& strip, std::int64_t nBlocks, std::int64_t rows,
                  const KPanel& panel, std::int64_t firstRow, float* y, std::int64_t yStride,
                  const std::uint8_t* prefetch, std::size_t prefetchBytes) {
    constexpr int kTile = 4;
    const std::int64_t tiles = (rows + kTile - 1) / kTile;
    const std::size_t linesPerTile =
        (prefetchBytes / 64 + static_cast<std::size_t>(tiles) - 1) / static_cast<std::size_t>(tiles);
    const std::uint8_t* prefetchEnd = prefetch + prefetchBytes;
    auto prefetchSome = [&] {
        for (std::size_t i = 0; i < linesPerTile && prefetch < prefetchEnd; ++i, prefetch += 64)
            _mm_prefetch(reinterpret_cast<const char*>(prefetch), _MM_HINT_T1);
    };
    std::int64_t r = 0;
    for (; r + kTile <= rows; r += kTile) {
        prefetchSome();
        tileFor<kTile>(type, strip, nBlocks, r, panel, y + firstRow + r, yStride);
    }
    for (; r < rows; ++r)
        tileFor<1>(type, strip, nBlocks, r, panel, y + firstRow + r, yStride);
}

void matVecK(KType type, const std::uint8_t* weights, std::size_t rowBytes, std::int64_t nBlocks,
             const void* q8k, const std::int8_t* reordered, std::int64_t nTokens, std::int64_t rowBegin,
             std::int64_t rowEnd, float* y, std::int64_t yStride, void* scratch, bool largePages) {
    const auto* a = static_cast<const BlockQ8_K*>(q8k);
    const Prefetch ahead = Prefetch::forRows(rowBytes, largePages);
    // Group by group, every token: a group's rows (16 x at most a few KiB) are read from memory once and
    // come from L1/L2 for the following tokens; only the first token's pass prefetches the next group.
    for (std::int64_t r0 = rowBegin; r0 < rowEnd; r0 += kLanes) {
        const std::int64_t r1 = r0 + kLanes < rowEnd ? r0 + kLanes : rowEnd;
        for (std::int64_t t = 0; t < nTokens; ++t) {
            const std::int64_t prefetchEnd = t == 0 ? rowEnd : r0;
            float* out = y + t * yStride + (r0 - rowBegin);
            const BlockQ8_K* at = a + t * nBlocks;
            switch (type) {
            case KType::Q4_K:
                matVecQ45K<false>(weights, rowBytes, nBlocks, at, reordered + t * nBlocks * 256, r0, r1,
                                  prefetchEnd, ahead, out, scratch);
                break;
            case KType::Q5_K:
                matVecQ45K<true>(weights, rowBytes, nBlocks, at, reordered + t * nBlocks * 256, r0, r1,
                                 prefetchEnd, ahead, out, scratch);
                break;
            case KType::Q6_K:
                matVecQ6K(weights, rowBytes, nBlocks, at, r0, r1, prefetchEnd, ahead, out, scratch);
                break;
            }
        }
    }
}

} // namespace wb::avx512k
