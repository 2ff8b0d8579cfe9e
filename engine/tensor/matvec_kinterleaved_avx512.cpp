#include "engine/tensor/matvec_kinterleaved_avx512.h"

#include "engine/tensor/block_layouts.h"

#include <immintrin.h>

#include <cstddef>
#include <cstring>

#include "engine/tensor/exact_float_combination.h" // last: fp-contract off from here on

namespace wb::avx512k {
namespace {

using namespace blocks;

constexpr int kLanes = 16;
constexpr std::int64_t kQ4KBytes = sizeof(BlockQ4_K), kQ6KBytes = sizeof(BlockQ6_K);

// Offsets inside one interleaved super-block (the header's table).
constexpr std::int64_t kQ4KScales = 2048, kQ4KMins = 2176, kQ4KD = 2304, kQ4KDmin = 2336;
constexpr std::int64_t kQ6KHigh = 2048, kQ6KScales = 3072, kQ6KD = 3328, kQ6KPad = 3360;

// Software prefetch of the generation kernel, as in matvec_interleaved_avx512.cpp: each line twice, into L2
// kPrefetchFar bytes ahead and into L1 kPrefetchNear bytes ahead.
constexpr std::int64_t kPrefetchNear = 1024;
constexpr std::int64_t kPrefetchFar = 3072;

// The line at `at`, that many bytes ahead: one request each, spread over the loads (a burst of requests
// at the start of each super-block stalled on the fill buffers).
inline void prefetchAhead(const std::uint8_t* at) {
    _mm_prefetch(reinterpret_cast<const char*>(at + kPrefetchFar), _MM_HINT_T2);
    _mm_prefetch(reinterpret_cast<const char*>(at + kPrefetchNear), _MM_HINT_T0);
}

inline std::int32_t load32(const void* p) {
    std::int32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// `count` dwords of 16 rows: dword k of row p (at rows + p * rowBytes + 4 k) to group + 64 k + 4 p.
void interleaveDwords(const std::uint8_t* rows, std::size_t rowBytes, int count, std::uint8_t* group) {
    for (int p = 0; p < kLanes; ++p)
        for (int k = 0; k < count; ++k)
            std::memcpy(group + 64 * k + 4 * p, rows + static_cast<std::size_t>(p) * rowBytes + 4 * k, 4);
}

// A 16 x 16 transpose of 32-bit elements in registers: rows[p] dword k = lanes[k] dword p.
void transpose16(const __m512i (&lanes)[16], __m512i (&rows)[16]) {
    __m512i t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(lanes[i], lanes[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(lanes[i], lanes[i + 1]);
    }
    // u[4 i + c], 128-bit lane L: row 4 L + c, dwords 4 i .. 4 i + 3.
    for (int i = 0; i < 4; ++i) {
        u[4 * i + 0] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
        u[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
    }
    for (int c = 0; c < 4; ++c) {
        const __m512i a01 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0x44);
        const __m512i b01 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0x44);
        const __m512i a23 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0xEE);
        const __m512i b23 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0xEE);
        rows[c] = _mm512_shuffle_i32x4(a01, b01, 0x88);
        rows[4 + c] = _mm512_shuffle_i32x4(a01, b01, 0xDD);
        rows[8 + c] = _mm512_shuffle_i32x4(a23, b23, 0x88);
        rows[12 + c] = _mm512_shuffle_i32x4(a23, b23, 0xDD);
    }
}

// 16 interleaved dword vectors (64 bytes apart from `group`) as the 16 rows' 64-byte runs.
void transposeDwords(const std::uint8_t* group, __m512i (&rows)[16]) {
    __m512i lanes[16];
    for (int k = 0; k < 16; ++k)
        lanes[k] = _mm512_load_si512(group + 64 * k);
    transpose16(lanes, rows);
}

void matVecQ4K(const std::uint8_t* groups, std::int64_t nBlocks, const KActivations& a,
               std::int64_t firstGroup, std::int64_t lastGroup, float* y) {
    const auto* blocks = static_cast<const BlockQ8_K*>(a.q8k);
    const __m512i lowNibbles = _mm512_set1_epi8(0x0F);
    const std::size_t groupBytes = interleavedKGroupBytes(KType::Q4_K, nBlocks);
    for (std::int64_t g = firstGroup; g < lastGroup; ++g) {
        const std::uint8_t* group = groups + static_cast<std::size_t>(g) * groupBytes;
        __m512 sum = _mm512_setzero_ps();
        for (std::int64_t b = 0; b < nBlocks; ++b) {
            const std::uint8_t* q = group + b * interleavedKBlockBytes(KType::Q4_K);
            const std::int8_t* x = blocks[b].qs;
            // Chunk c of 64 values: qs dwords 8c..8c+7; low nibbles are sub-block 2c, high ones 2c + 1.
            __m512i isum = _mm512_setzero_si512();
            for (int c = 0; c < 4; ++c) {
                __m512i low = _mm512_setzero_si512(), high = _mm512_setzero_si512();
                for (int i = 0; i < 8; ++i) {
                    prefetchAhead(q + 64 * (8 * c + i));
                    const __m512i w = _mm512_load_si512(q + 64 * (8 * c + i));
                    low = _mm512_dpbusd_epi32(low, _mm512_and_si512(w, lowNibbles),
                                              _mm512_set1_epi32(load32(x + 64 * c + 4 * i)));
                    high = _mm512_dpbusd_epi32(high, _mm512_and_si512(_mm512_srli_epi16(w, 4), lowNibbles),
                                               _mm512_set1_epi32(load32(x + 64 * c + 32 + 4 * i)));
                }
                const auto scalesOf = [&](int j) {
                    return _mm512_cvtepu8_epi32(
                        _mm_load_si128(reinterpret_cast<const __m128i*>(q + kQ4KScales + 16 * j)));
                };
                isum =
                    _mm512_add_epi32(isum, _mm512_add_epi32(_mm512_mullo_epi32(low, scalesOf(2 * c)),
                                                            _mm512_mullo_epi32(high, scalesOf(2 * c + 1))));
            }
            for (std::int64_t at = kQ4KScales; at < interleavedKBlockBytes(KType::Q4_K); at += 64)
                prefetchAhead(q + at);
            __m512i minSum = _mm512_setzero_si512();
            for (int m = 0; m < 4; ++m)
                minSum = _mm512_dpwssd_epi32(minSum,
                                             _mm512_cvtepu8_epi16(_mm256_load_si256(
                                                 reinterpret_cast<const __m256i*>(q + kQ4KMins + 32 * m))),
                                             _mm512_set1_epi32(a.terms[16 * b + m]));
            const __m512 activationD = _mm512_set1_ps(blocks[b].d);
            const __m512 d = _mm512_mul_ps(
                activationD, _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(q + kQ4KD))));
            const __m512 dmin = _mm512_mul_ps(
                activationD,
                _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(q + kQ4KDmin))));
            sum = _mm512_add_ps(sum, _mm512_sub_ps(_mm512_mul_ps(d, _mm512_cvtepi32_ps(isum)),
                                                   _mm512_mul_ps(dmin, _mm512_cvtepi32_ps(minSum))));
        }
        _mm512_storeu_ps(y + kLanes * (g - firstGroup), sum);
    }
}

// Q6_K: levels 0..63 (stored +32) from a low nibble and two high bits; the bias comes off each 16-value
// sub-block sum (32 * its activation sum) before the int8 scale multiplies it.
void matVecQ6K(const std::uint8_t* groups, std::int64_t nBlocks, const KActivations& a,
               std::int64_t firstGroup, std::int64_t lastGroup, float* y) {
    const auto* blocks = static_cast<const BlockQ8_K*>(a.q8k);
    const __m512i lowNibbles = _mm512_set1_epi8(0x0F);
    const __m512i bits45 = _mm512_set1_epi8(0x30);
    const std::size_t groupBytes = interleavedKGroupBytes(KType::Q6_K, nBlocks);
    for (std::int64_t g = firstGroup; g < lastGroup; ++g) {
        const std::uint8_t* group = groups + static_cast<std::size_t>(g) * groupBytes;
        __m512 sum = _mm512_setzero_ps();
        for (std::int64_t b = 0; b < nBlocks; ++b) {
            const std::uint8_t* q = group + b * interleavedKBlockBytes(KType::Q6_K);
            const std::int8_t* x = blocks[b].qs;
            const std::int32_t* terms = a.terms + 16 * b;
            __m512i isum = _mm512_setzero_si512();
            // Half n of 128 values: ql bytes 64n.. (dwords 16n..), qh bytes 32n.. (dwords 8n..). For dword m
            // of the 32-byte ql / qh runs, l = 4m..4m+3: values l, 32 + l, 64 + l, 96 + l, in 16-value
            // sub-blocks 8n + m / 4 + {0, 2, 4, 6}.
            for (int n = 0; n < 2; ++n)
                for (int half = 0; half < 2; ++half) {
                    __m512i acc[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                                      _mm512_setzero_si512()};
                    for (int m = 4 * half; m < 4 * half + 4; ++m) {
                        prefetchAhead(q + 64 * (16 * n + m));
                        prefetchAhead(q + 64 * (16 * n + 8 + m));
                        prefetchAhead(q + kQ6KHigh + 64 * (8 * n + m));
                        const __m512i lowA = _mm512_load_si512(q + 64 * (16 * n + m));
                        const __m512i lowB = _mm512_load_si512(q + 64 * (16 * n + 8 + m));
                        const __m512i h = _mm512_load_si512(q + kQ6KHigh + 64 * (8 * n + m));
                        const __m512i level[4] = {
                            _mm512_or_si512(_mm512_and_si512(lowA, lowNibbles),
                                            _mm512_and_si512(_mm512_slli_epi16(h, 4), bits45)),
                            _mm512_or_si512(_mm512_and_si512(lowB, lowNibbles),
                                            _mm512_and_si512(_mm512_slli_epi16(h, 2), bits45)),
                            _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(lowA, 4), lowNibbles),
                                            _mm512_and_si512(h, bits45)),
                            _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(lowB, 4), lowNibbles),
                                            _mm512_and_si512(_mm512_srli_epi16(h, 2), bits45))};
                        for (int v = 0; v < 4; ++v)
                            acc[v] = _mm512_dpbusd_epi32(
                                acc[v], level[v], _mm512_set1_epi32(load32(x + 128 * n + 32 * v + 4 * m)));
                    }
                    for (int v = 0; v < 4; ++v) {
                        const int j = 8 * n + half + 2 * v;
                        const __m512i scale = _mm512_cvtepi8_epi32(
                            _mm_load_si128(reinterpret_cast<const __m128i*>(q + kQ6KScales + 16 * j)));
                        isum = _mm512_add_epi32(
                            isum,
                            _mm512_mullo_epi32(_mm512_sub_epi32(acc[v], _mm512_set1_epi32(terms[j])), scale));
                    }
                }
            for (std::int64_t at = kQ6KScales; at < interleavedKBlockBytes(KType::Q6_K); at += 64)
                prefetchAhead(q + at);
            const __m512 scale =
                _mm512_mul_ps(_mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(q + kQ6KD))),
                              _mm512_set1_ps(blocks[b].d));
            sum = _mm512_add_ps(sum, _mm512_mul_ps(scale, _mm512_cvtepi32_ps(isum)));
        }
        _mm512_storeu_ps(y + kLanes * (g - firstGroup), sum);
    }
}

} // namespace

void interleaveKRows16(KType type, const std::uint8_t* firstRow, std::size_t rowBytes, std::int64_t nBlocks,
                       std::uint8_t* group) {
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        std::uint8_t* out = group + b * interleavedKBlockBytes(type);
        if (type == KType::Q4_K) {
            const std::uint8_t* blocks0 = firstRow + b * kQ4KBytes;
            interleaveDwords(blocks0 + offsetof(BlockQ4_K, qs), rowBytes, 32, out);
            for (int p = 0; p < kLanes; ++p) {
                const std::uint8_t* block = blocks0 + static_cast<std::size_t>(p) * rowBytes;
                for (int j = 0; j < 8; ++j) {
                    std::uint8_t scale, min;
                    unpackScaleMinK4(j, block + offsetof(BlockQ4_K, scales), scale, min);
                    out[kQ4KScales + 16 * j + p] = scale;
                    out[kQ4KMins + 32 * (j / 2) + 2 * p + j % 2] = min;
                }
                std::memcpy(out + kQ4KD + 2 * p, block + offsetof(BlockQ4_K, d), 2);
                std::memcpy(out + kQ4KDmin + 2 * p, block + offsetof(BlockQ4_K, dmin), 2);
            }
        } else {
            const std::uint8_t* blocks0 = firstRow + b * kQ6KBytes;
            interleaveDwords(blocks0 + offsetof(BlockQ6_K, ql), rowBytes, 32, out);
            interleaveDwords(blocks0 + offsetof(BlockQ6_K, qh), rowBytes, 16, out + kQ6KHigh);
            for (int p = 0; p < kLanes; ++p) {
                const std::uint8_t* block = blocks0 + static_cast<std::size_t>(p) * rowBytes;
                for (int j = 0; j < 16; ++j)
                    out[kQ6KScales + 16 * j + p] = block[offsetof(BlockQ6_K, scales) + j];
                std::memcpy(out + kQ6KD + 2 * p, block + offsetof(BlockQ6_K, d), 2);
            }
            std::memset(out + kQ6KPad, 0, static_cast<std::size_t>(interleavedKBlockBytes(type) - kQ6KPad));
        }
    }
}

void unpackKInterleaved16(KType type, const std::uint8_t* group, std::int64_t nBlocks, const KStrip& strip,
                          std::int64_t firstRow) {
    const __m512i lowNibbles = _mm512_set1_epi8(0x0F);
    const __m512i twoBits = _mm512_set1_epi8(0x03);
    const auto rowValues = [&](int p) { return strip.values + (firstRow + p) * nBlocks * 256; };
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const std::uint8_t* in = group + b * interleavedKBlockBytes(type);
        __m512i side[16], sideRows[16]; // per-row scalars, transposed: one dword each
        if (type == KType::Q4_K) {
            for (int half = 0; half < 2; ++half) {
                __m512i rows[16];
                transposeDwords(in + 64 * 16 * half, rows);
                for (int p = 0; p < kLanes;
                     ++p) { // qs bytes 64 half..: values 128 half + [low | high | low | high]
                    const __m512i low = _mm512_and_si512(rows[p], lowNibbles);
                    const __m512i high = _mm512_and_si512(_mm512_srli_epi16(rows[p], 4), lowNibbles);
                    std::uint8_t* values = rowValues(p) + b * 256 + 128 * half;
                    _mm512_storeu_si512(values, _mm512_shuffle_i64x2(low, high, 0x44));
                    _mm512_storeu_si512(values + 64, _mm512_shuffle_i64x2(low, high, 0xEE));
                }
            }
            // Dwords 0..7: scales; 8..11: min pairs; 12, 13: d and dmin as float bits.
            for (int j = 0; j < 8; ++j)
                side[j] = _mm512_cvtepu8_epi32(
                    _mm_load_si128(reinterpret_cast<const __m128i*>(in + kQ4KScales + 16 * j)));
            for (int m = 0; m < 4; ++m)
                side[8 + m] = _mm512_cvtepu8_epi16(
                    _mm256_load_si256(reinterpret_cast<const __m256i*>(in + kQ4KMins + 32 * m)));
            side[12] = _mm512_castps_si512(
                _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(in + kQ4KD))));
            side[13] = _mm512_castps_si512(
                _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(in + kQ4KDmin))));
            side[14] = side[15] = _mm512_setzero_si512();
            transpose16(side, sideRows);
            for (int p = 0; p < kLanes; ++p) {
                const std::int64_t at = (firstRow + p) * nBlocks + b;
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(strip.scales + 16 * at),
                                    _mm512_castsi512_si256(sideRows[p]));
                _mm_storeu_si128(reinterpret_cast<__m128i*>(strip.pairs + 8 * at),
                                 _mm512_extracti32x4_epi32(sideRows[p], 2));
                const __m128i dd = _mm512_extracti32x4_epi32(sideRows[p], 3);
                strip.d[at] = _mm_cvtss_f32(_mm_castsi128_ps(dd));
                strip.dmin[at] = _mm_cvtss_f32(_mm_castsi128_ps(_mm_srli_si128(dd, 4)));
            }
        } else {
            __m512i low[2][16], high[16];
            transposeDwords(in, low[0]);
            transposeDwords(in + 64 * 16, low[1]);
            transposeDwords(in + kQ6KHigh, high);
            for (int p = 0; p < kLanes; ++p)
                for (int n = 0; n < 2; ++n) { // ql bytes 64n.. and qh bytes 32n..: values 128n..128n+127
                    const __m256i h =
                        n == 0 ? _mm512_castsi512_si256(high[p]) : _mm512_extracti64x4_epi64(high[p], 1);
                    const __m512i hh =
                        _mm512_inserti64x4(_mm512_castsi256_si512(h), _mm256_srli_epi16(h, 2), 1);
                    const __m512i l = low[n][p];
                    std::uint8_t* values = rowValues(p) + b * 256 + 128 * n;
                    _mm512_storeu_si512(values,
                                        _mm512_or_si512(_mm512_and_si512(l, lowNibbles),
                                                        _mm512_slli_epi16(_mm512_and_si512(hh, twoBits), 4)));
                    _mm512_storeu_si512(
                        values + 64,
                        _mm512_or_si512(
                            _mm512_and_si512(_mm512_srli_epi16(l, 4), lowNibbles),
                            _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(hh, 4), twoBits), 4)));
                }
            for (int j = 0; j < 16; ++j)
                side[j] = _mm512_cvtepi8_epi32(
                    _mm_load_si128(reinterpret_cast<const __m128i*>(in + kQ6KScales + 16 * j)));
            transpose16(side, sideRows);
            const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(in + kQ6KD)));
            alignas(64) float dOf[16];
            _mm512_store_ps(dOf, d);
            for (int p = 0; p < kLanes; ++p) {
                const std::int64_t at = (firstRow + p) * nBlocks + b;
                _mm512_storeu_si512(strip.scales + 16 * at, sideRows[p]);
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(strip.pairs + 8 * at),
                                    _mm512_cvtepi32_epi16(sideRows[p]));
                strip.d[at] = dOf[p];
                strip.dmin[at] = 0.0f;
            }
        }
    }
}

void kActivationTerms(KType type, const void* q8k, std::int64_t nBlocks, std::int32_t* terms) {
    const auto* blocks = static_cast<const BlockQ8_K*>(q8k);
    for (std::int64_t b = 0; b < nBlocks; ++b, terms += 16) {
        const std::int16_t* bsums = blocks[b].bsums;
        if (type == KType::Q4_K) {
            for (int m = 0; m < 4; ++m) {
                const int first = bsums[4 * m] + bsums[4 * m + 1],
                          second = bsums[4 * m + 2] + bsums[4 * m + 3];
                terms[m] = static_cast<std::int32_t>(
                    static_cast<std::uint32_t>(static_cast<std::uint16_t>(first)) |
                    (static_cast<std::uint32_t>(static_cast<std::uint16_t>(second)) << 16));
            }
            for (int m = 4; m < 16; ++m)
                terms[m] = 0;
        } else {
            for (int j = 0; j < 16; ++j)
                terms[j] = 32 * bsums[j];
        }
    }
}

void matVecKInterleaved16(KType type, const std::uint8_t* groups, std::int64_t nBlocks,
                          const KActivations& activations, std::int64_t firstGroup, std::int64_t lastGroup,
                          float* y) {
    if (type == KType::Q4_K)
        matVecQ4K(groups, nBlocks, activations, firstGroup, lastGroup, y);
    else
        matVecQ6K(groups, nBlocks, activations, firstGroup, lastGroup, y);
}

} // namespace wb::avx512k
