#include "engine/tensor/quant_dot_avx2.h"

#include "engine/tensor/activation_quant.h"
#include "engine/tensor/block_layouts.h"
#include "engine/tensor/quant_combine.h"
#include "engine/tensor/quant_dot.h"

#include <immintrin.h>

#include <cstring>

namespace wb {
namespace {

using namespace blocks;
using namespace quantcombine;

inline int horizontalSum(__m256i v) {
    const __m128i sum128 = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    const __m128i sum64 = _mm_add_epi32(sum128, _mm_unpackhi_epi64(sum128, sum128));
    const __m128i sum32 = _mm_add_epi32(sum64, _mm_shuffle_epi32(sum64, 1));
    return _mm_cvtsi128_si32(sum32);
}

// Per 4 consecutive bytes: sum of unsigned(u) * signed(s), as 8 int32 lanes (no saturation for u <= 63).
inline __m256i dotUnsignedSigned(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// Signed x signed through the sign trick (|a| * sign(b, a)); exact for a, b in [-127, 127] and a = -8..7.
inline __m256i dotSignedSigned(__m256i a, __m256i b) {
    return dotUnsignedSigned(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
}

inline __m256i loadNibbles32(const std::uint8_t* qs16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs16));
    const __m256i both = _mm256_set_m128i(_mm_srli_epi16(bytes, 4), bytes); // high nibbles in the upper half
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

float dotQ8_0(const std::uint8_t* row, const ActivationBlock32* a, std::int64_t nBlocks) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const std::uint8_t* block = row + b * static_cast<std::int64_t>(sizeof(BlockQ8_0));
        std::uint16_t d;
        std::memcpy(&d, block, 2);
        const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2));
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].qs));
        const int isum = horizontalSum(dotSignedSigned(w, x));
        sum = addScaled(sum, isum, d, a[b].d);
    }
    return sum;
}

float dotQ4_0(const std::uint8_t* row, const ActivationBlock32* a, std::int64_t nBlocks) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const std::uint8_t* block = row + b * static_cast<std::int64_t>(sizeof(BlockQ4_0));
        std::uint16_t d;
        std::memcpy(&d, block, 2);
        const __m256i w = _mm256_sub_epi8(loadNibbles32(block + 2), _mm256_set1_epi8(8));
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].qs));
        const int isum = horizontalSum(dotSignedSigned(w, x));
        sum = addScaled(sum, isum, d, a[b].d);
    }
    return sum;
}

float dotQ4_K(const std::uint8_t* row, const BlockQ8_K* a, std::int64_t nBlocks) {
    const __m256i lowMask = _mm256_set1_epi8(0x0F);
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        BlockQ4_K w;
        std::memcpy(&w, row + b * static_cast<std::int64_t>(sizeof(BlockQ4_K)), sizeof(w));
        int isum = 0, minSum = 0;
        for (int group = 0; group < 4; ++group) {
            const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.qs + 32 * group));
            const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].qs + 64 * group));
            const __m256i x1 =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].qs + 64 * group + 32));
            const int lowSum = horizontalSum(dotUnsignedSigned(_mm256_and_si256(q, lowMask), x0));
            const int highSum =
                horizontalSum(dotUnsignedSigned(_mm256_and_si256(_mm256_srli_epi16(q, 4), lowMask), x1));
            std::uint8_t sc = 0, mn = 0;
            unpackScaleMinK4(2 * group, w.scales, sc, mn);
            isum += sc * lowSum;
            minSum += mn * (a[b].bsums[4 * group] + a[b].bsums[4 * group + 1]);
            unpackScaleMinK4(2 * group + 1, w.scales, sc, mn);
            isum += sc * highSum;
            minSum += mn * (a[b].bsums[4 * group + 2] + a[b].bsums[4 * group + 3]);
        }
        sum = addSuperBlock(sum, isum, minSum, w.d, w.dmin, a[b].d);
    }
    return sum;
}

// Q5_K: as Q4_K with the fifth bit of each level from qh (bit 2g for the low nibbles of group g, 2g+1 for the
// high ones); levels 0..31, so vpmaddubsw cannot saturate (31 * 127 * 2 < 32767).
float dotQ5_K(const std::uint8_t* row, const BlockQ8_K* a, std::int64_t nBlocks) {
    const __m256i lowMask = _mm256_set1_epi8(0x0F);
    const __m256i one = _mm256_set1_epi8(1);
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        BlockQ5_K w;
        std::memcpy(&w, row + b * static_cast<std::int64_t>(sizeof(BlockQ5_K)), sizeof(w));
        const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.qh));
        int isum = 0, minSum = 0;
        for (int group = 0; group < 4; ++group) {
            const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.qs + 32 * group));
            const __m256i bitLow = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * group)), one);
            const __m256i bitHigh =
                _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * group + 1)), one);
            const __m256i low = _mm256_or_si256(_mm256_and_si256(q, lowMask), _mm256_slli_epi16(bitLow, 4));
            const __m256i high = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), lowMask),
                                                 _mm256_slli_epi16(bitHigh, 4));
            const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].qs + 64 * group));
            const __m256i x1 =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].qs + 64 * group + 32));
            const int lowSum = horizontalSum(dotUnsignedSigned(low, x0));
            const int highSum = horizontalSum(dotUnsignedSigned(high, x1));
            std::uint8_t sc = 0, mn = 0;
            unpackScaleMinK4(2 * group, w.scales, sc, mn);
            isum += sc * lowSum;
            minSum += mn * (a[b].bsums[4 * group] + a[b].bsums[4 * group + 1]);
            unpackScaleMinK4(2 * group + 1, w.scales, sc, mn);
            isum += sc * highSum;
            minSum += mn * (a[b].bsums[4 * group + 2] + a[b].bsums[4 * group + 3]);
        }
        sum = addSuperBlock(sum, isum, minSum, w.d, w.dmin, a[b].d);
    }
    return sum;
}

// Sum of lanes 0-3 (elements 0..15) and lanes 4-7 (elements 16..31) of a dotUnsignedSigned result.
inline void halfSums(__m256i v, int& first, int& second) {
    alignas(32) int lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), v);
    first = lanes[0] + lanes[1] + lanes[2] + lanes[3];
    second = lanes[4] + lanes[5] + lanes[6] + lanes[7];
}

float dotQ6_K(const std::uint8_t* row, const BlockQ8_K* a, std::int64_t nBlocks) {
    const __m256i lowMask = _mm256_set1_epi8(0x0F);
    const __m256i twoBits = _mm256_set1_epi8(0x03);
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        BlockQ6_K w;
        std::memcpy(&w, row + b * static_cast<std::int64_t>(sizeof(BlockQ6_K)), sizeof(w));
        int subSums[16];
        for (int half = 0; half < 2; ++half) {
            const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.ql + 64 * half));
            const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.ql + 64 * half + 32));
            const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.qh + 32 * half));
            const __m256i lows[4] = {_mm256_and_si256(ql0, lowMask), _mm256_and_si256(ql1, lowMask),
                                     _mm256_and_si256(_mm256_srli_epi16(ql0, 4), lowMask),
                                     _mm256_and_si256(_mm256_srli_epi16(ql1, 4), lowMask)};
            for (int k = 0; k < 4; ++k) {
                const __m256i high = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), twoBits);
                const __m256i level = _mm256_or_si256(lows[k], _mm256_slli_epi16(high, 4)); // 0..63
                const __m256i x =
                    _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].qs + 128 * half + 32 * k));
                int first = 0, second = 0;
                halfSums(dotUnsignedSigned(level, x), first, second);
                // Levels are stored +32: subtract 32 * sum(x) per 16 elements, which is the Q8_K bsum.
                const int sub = 8 * half + 2 * k;
                subSums[sub] = first - 32 * a[b].bsums[sub];
                subSums[sub + 1] = second - 32 * a[b].bsums[sub + 1];
            }
        }
        int isum = 0;
        for (int j = 0; j < 16; ++j)
            isum += w.scales[j] * subSums[j];
        sum = addSuperBlockSymmetric(sum, isum, w.d, a[b].d);
    }
    return sum;
}

} // namespace

bool hasAvx2Kernel(GgmlType weightType) {
    return weightType == GgmlType::Q8_0 || weightType == GgmlType::Q4_0 || weightType == GgmlType::Q4_K ||
           weightType == GgmlType::Q5_K || weightType == GgmlType::Q6_K;
}

float quantizedDotAvx2(GgmlType weightType, const std::uint8_t* row, const void* activations,
                       std::int64_t n) {
    const auto* a32 = static_cast<const ActivationBlock32*>(activations);
    const auto* aK = static_cast<const BlockQ8_K*>(activations);
    switch (weightType) {
    case GgmlType::Q8_0:
        return dotQ8_0(row, a32, n / 32);
    case GgmlType::Q4_0:
        return dotQ4_0(row, a32, n / 32);
    case GgmlType::Q4_K:
        return dotQ4_K(row, aK, n / kQK_K);
    case GgmlType::Q5_K:
        return dotQ5_K(row, aK, n / kQK_K);
    case GgmlType::Q6_K:
        return dotQ6_K(row, aK, n / kQK_K);
    default:
        return quantizedDotPortable(weightType, row, activations, n);
    }
}

} // namespace wb
