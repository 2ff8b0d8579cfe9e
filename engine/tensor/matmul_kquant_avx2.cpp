#include "engine/tensor/matmul_kquant_avx2.h"

#include "engine/tensor/block_layouts.h"

#include <immintrin.h>

#include <cstring>

#include "engine/tensor/exact_float_combination.h" // last: fp-contract off from here on

namespace wb::avx2k {
namespace {

using namespace blocks;
using avx512k::KType;

constexpr int kRows = 8;

// Lane i of the result = sum of the 8 int32 lanes of v[i] (exact).
inline __m256i reduceRows8(const __m256i* v) {
    const __m256i h01 = _mm256_hadd_epi32(_mm256_load_si256(v), _mm256_load_si256(v + 1));
    const __m256i h23 = _mm256_hadd_epi32(_mm256_load_si256(v + 2), _mm256_load_si256(v + 3));
    const __m256i h45 = _mm256_hadd_epi32(_mm256_load_si256(v + 4), _mm256_load_si256(v + 5));
    const __m256i h67 = _mm256_hadd_epi32(_mm256_load_si256(v + 6), _mm256_load_si256(v + 7));
    const __m256i k0 = _mm256_hadd_epi32(h01, h23); // [rows 0-3 lanes 0-3 | rows 0-3 lanes 4-7]
    const __m256i k1 = _mm256_hadd_epi32(h45, h67);
    return _mm256_add_epi32(_mm256_permute2x128_si256(k0, k1, 0x20), _mm256_permute2x128_si256(k0, k1, 0x31));
}

// Byte indices that broadcast int16 lane `low` over the low 128 bits and `high` over the high 128 bits.
inline __m256i wordSelect(int low, int high) {
    const short lo = static_cast<short>((2 * low) | ((2 * low + 1) << 8));
    const short hi = static_cast<short>((2 * high) | ((2 * high + 1) << 8));
    return _mm256_setr_epi16(lo, lo, lo, lo, lo, lo, lo, lo, hi, hi, hi, hi, hi, hi, hi, hi);
}

inline void unpackScalesMins(const std::uint8_t* packedBytes, std::uint32_t (&unpacked)[4]) {
    std::uint32_t packed[3];
    std::memcpy(packed, packedBytes, 12);
    constexpr std::uint32_t kLow6 = 0x3f3f3f3f, kLow4 = 0x0f0f0f0f, kLow2 = 0x03030303;
    unpacked[0] = packed[0] & kLow6;
    unpacked[1] = (packed[2] & kLow4) | (((packed[0] >> 6) & kLow2) << 4);
    unpacked[2] = packed[1] & kLow6;
    unpacked[3] = ((packed[2] >> 4) & kLow4) | (((packed[1] >> 6) & kLow2) << 4);
}

// Q4_K / Q5_K: per row and block, isum partials (8 int32) and min partials (8 int32).
template <bool kFive>
void rowPassQ45K(const std::uint8_t* row, std::int64_t nBlocks, const BlockQ8_K* a, int i, __m256i* parts,
                 std::uint16_t* heads) {
    constexpr std::int64_t kBlockBytes = kFive ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
    constexpr int kQsOffset = kFive ? 48 : 16;
    const __m256i lowMask = _mm256_set1_epi8(0x0F);
    const __m256i one = _mm256_set1_epi8(1);
    const __m256i minDup = _mm256_setr_epi8(0, 1, 0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8, 9, 8, 9, 10,
                                            11, 10, 11, 12, 13, 12, 13, 14, 15, 14, 15);
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const std::uint8_t* block = row + b * kBlockBytes;
        std::memcpy(heads + b * 32 + i, block, 2);         // d
        std::memcpy(heads + b * 32 + 8 + i, block + 2, 2); // dmin
        std::uint32_t unpacked[4];
        unpackScalesMins(block + 4, unpacked);
        const __m256i sm16 =
            _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(unpacked)));
        const __m256i scales = _mm256_permute2x128_si256(sm16, sm16, 0x00);
        const __m256i mins = _mm256_permute2x128_si256(sm16, sm16, 0x11);
        const std::uint8_t* qs = block + kQsOffset;
        const __m256i qh =
            kFive ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 16)) : _mm256_setzero_si256();
        const std::int8_t* x = a[b].qs;
        __m256i acc = _mm256_setzero_si256();
        for (int g = 0; g < 4; ++g) {
            const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * g));
            __m256i low = _mm256_and_si256(q, lowMask);
            __m256i high = _mm256_and_si256(_mm256_srli_epi16(q, 4), lowMask);
            if constexpr (kFive) {
                const __m256i bitLow = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * g)), one);
                const __m256i bitHigh =
                    _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * g + 1)), one);
                low = _mm256_or_si256(low, _mm256_slli_epi16(bitLow, 4));
                high = _mm256_or_si256(high, _mm256_slli_epi16(bitHigh, 4));
            }
            const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 64 * g));
            const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 64 * g + 32));
            acc = _mm256_add_epi32(acc,
                                   _mm256_madd_epi16(_mm256_maddubs_epi16(low, x0),
                                                     _mm256_shuffle_epi8(scales, wordSelect(2 * g, 2 * g))));
            acc = _mm256_add_epi32(
                acc, _mm256_madd_epi16(_mm256_maddubs_epi16(high, x1),
                                       _mm256_shuffle_epi8(scales, wordSelect(2 * g + 1, 2 * g + 1))));
        }
        _mm256_store_si256(parts + b * 16 + i, acc);
        _mm256_store_si256(
            parts + b * 16 + 8 + i,
            _mm256_madd_epi16(_mm256_shuffle_epi8(mins, minDup),
                              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].bsums))));
    }
}

// Q6_K: per row and block, 8 int32 partials of sum_j scale_j * (dot_j - 32 * bsum_j).
void rowPassQ6K(const std::uint8_t* row, std::int64_t nBlocks, const BlockQ8_K* a, int i, __m256i* parts,
                std::uint16_t* heads) {
    const __m256i lowMask = _mm256_set1_epi8(0x0F);
    const __m256i twoBits = _mm256_set1_epi8(0x03);
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const std::uint8_t* block = row + b * static_cast<std::int64_t>(sizeof(BlockQ6_K));
        std::memcpy(heads + b * 32 + i, block + 208, 2);
        const __m256i sc16 =
            _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 192)));
        const __m256i halves[2] = {_mm256_permute2x128_si256(sc16, sc16, 0x00),
                                   _mm256_permute2x128_si256(sc16, sc16, 0x11)};
        __m256i acc = _mm256_setzero_si256();
        for (int half = 0; half < 2; ++half) {
            const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 64 * half));
            const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 64 * half + 32));
            const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 128 + 32 * half));
            const __m256i lows[4] = {_mm256_and_si256(ql0, lowMask), _mm256_and_si256(ql1, lowMask),
                                     _mm256_and_si256(_mm256_srli_epi16(ql0, 4), lowMask),
                                     _mm256_and_si256(_mm256_srli_epi16(ql1, 4), lowMask)};
            for (int k = 0; k < 4; ++k) {
                const __m256i high = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), twoBits);
                const __m256i level = _mm256_or_si256(lows[k], _mm256_slli_epi16(high, 4)); // 0..63
                const __m256i x =
                    _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].qs + 128 * half + 32 * k));
                // Values 128*half + 32k .. +15 are sub-block 8*half + 2k (low 128 bits), the next 16 its
                // successor.
                acc = _mm256_add_epi32(
                    acc, _mm256_madd_epi16(_mm256_maddubs_epi16(level, x),
                                           _mm256_shuffle_epi8(halves[half], wordSelect(2 * k, 2 * k + 1))));
            }
        }
        const __m256i correction =
            _mm256_madd_epi16(sc16, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].bsums)));
        _mm256_store_si256(parts + b * 16 + i, _mm256_sub_epi32(acc, _mm256_slli_epi32(correction, 5)));
    }
}

} // namespace

void matMulRowsK(KType type, const std::uint8_t* weights, std::size_t rowBytes, std::int64_t nBlocks,
                 const void* q8k, std::int64_t nTokens, std::int64_t rowBegin, std::int64_t rowEnd, float* y,
                 std::int64_t yStride, void* scratch) {
    const auto* activations = static_cast<const BlockQ8_K*>(q8k);
    auto* parts = static_cast<__m256i*>(scratch);                         // [b][16]: isum rows, min rows
    auto* heads = reinterpret_cast<std::uint16_t*>(parts + nBlocks * 16); // [b][32]: d rows, dmin rows
    for (std::int64_t r0 = rowBegin; r0 < rowEnd; r0 += kRows) {
        const int lanes = static_cast<int>(rowEnd - r0 < kRows ? rowEnd - r0 : kRows);
        for (std::int64_t t = 0; t < nTokens; ++t) {
            const BlockQ8_K* a = activations + t * nBlocks;
            for (int i = 0; i < kRows; ++i) {
                if (i >= lanes) {
                    for (std::int64_t b = 0; b < nBlocks; ++b) {
                        _mm256_store_si256(parts + b * 16 + i, _mm256_setzero_si256());
                        _mm256_store_si256(parts + b * 16 + 8 + i, _mm256_setzero_si256());
                        heads[b * 32 + i] = heads[b * 32 + 8 + i] = 0;
                    }
                    continue;
                }
                const std::uint8_t* row = weights + static_cast<std::size_t>(r0 + i) * rowBytes;
                switch (type) {
                case KType::Q4_K:
                    rowPassQ45K<false>(row, nBlocks, a, i, parts, heads);
                    break;
                case KType::Q5_K:
                    rowPassQ45K<true>(row, nBlocks, a, i, parts, heads);
                    break;
                case KType::Q6_K:
                    rowPassQ6K(row, nBlocks, a, i, parts, heads);
                    break;
                }
            }
            __m256 sum = _mm256_setzero_ps();
            for (std::int64_t b = 0; b < nBlocks; ++b) {
                const __m256 activationD = _mm256_set1_ps(a[b].d);
                const __m256 weightD =
                    _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(heads + b * 32)));
                const __m256i isum = reduceRows8(parts + b * 16);
                if (type == KType::Q6_K) {
                    const __m256 scale = _mm256_mul_ps(weightD, activationD);
                    sum = _mm256_add_ps(sum, _mm256_mul_ps(scale, _mm256_cvtepi32_ps(isum)));
                } else {
                    const __m256i minSum = reduceRows8(parts + b * 16 + 8);
                    const __m256 weightDmin = _mm256_cvtph_ps(
                        _mm_loadu_si128(reinterpret_cast<const __m128i*>(heads + b * 32 + 8)));
                    const __m256 d = _mm256_mul_ps(activationD, weightD);
                    const __m256 dmin = _mm256_mul_ps(activationD, weightDmin);
                    sum = _mm256_add_ps(sum, _mm256_sub_ps(_mm256_mul_ps(d, _mm256_cvtepi32_ps(isum)),
                                                           _mm256_mul_ps(dmin, _mm256_cvtepi32_ps(minSum))));
                }
            }
            float out[kRows];
            _mm256_storeu_ps(out, sum);
            std::memcpy(y + t * yStride + (r0 - rowBegin), out,
                        static_cast<std::size_t>(lanes) * sizeof(float));
        }
    }
}

} // namespace wb::avx2k
