#include "engine/synth/random_weights.h"

#include <emmintrin.h>

namespace wb::synth {

std::uint64_t tensorKey(std::uint64_t seed, std::string_view tensorName) {
    std::uint64_t hash = 0xCBF29CE484222325ull; // FNV-1a 64-bit offset basis
    for (unsigned char c : tensorName)
        hash = (hash ^ c) * 0x100000001B3ull;
    return mix64(seed ^ mix64(hash));
}

namespace {

// One xorshift32 step on four lanes (Marsaglia, "Xorshift RNGs", J. Stat. Software 2003; shifts 13, 17, 5).
inline __m128i xorshift32(__m128i x) {
    x = _mm_xor_si128(x, _mm_slli_epi32(x, 13));
    x = _mm_xor_si128(x, _mm_srli_epi32(x, 17));
    return _mm_xor_si128(x, _mm_slli_epi32(x, 5));
}

// Four values from two 4-lane outputs: each value sums the four 16-bit halves of one lane of a and of b.
inline __m128 irwinHall4(__m128i a, __m128i b, __m128 offset, __m128 scale) {
    const __m128i low = _mm_set1_epi32(0xFFFF);
    const __m128i sum = _mm_add_epi32(_mm_add_epi32(_mm_and_si128(a, low), _mm_srli_epi32(a, 16)),
                                      _mm_add_epi32(_mm_and_si128(b, low), _mm_srli_epi32(b, 16)));
    return _mm_add_ps(_mm_mul_ps(_mm_cvtepi32_ps(sum), scale), offset);
}

} // namespace

void fillNormalRow(std::uint64_t key, std::uint64_t row, float mean, float stddev, float* out,
                   std::int64_t n) {
    // Sixteen xorshift32 streams seeded from the row key, four per SSE2 register (SSE2 is baseline x86-64).
    constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ull;
    // Sum of four U{0..65535}: mean 4 * 32767.5, standard deviation 65536 * sqrt(4 / 12) (to within 1e-9).
    const float scaleValue = stddev / (65536.0f * 0.57735026919f);
    const __m128 scale = _mm_set1_ps(scaleValue);
    const __m128 offset = _mm_set1_ps(mean - 4.0f * 32767.5f * scaleValue);
    alignas(16) std::uint32_t seeds[16];
    const std::uint64_t rowKey = mix64(key + row * kGolden);
    for (int lane = 0; lane < 16; ++lane)
        seeds[lane] = static_cast<std::uint32_t>(mix64(rowKey + (lane + 1) * kGolden)) | 1u; // never zero
    __m128i s0 = _mm_load_si128(reinterpret_cast<const __m128i*>(seeds));
    __m128i s1 = _mm_load_si128(reinterpret_cast<const __m128i*>(seeds + 4));
    __m128i s2 = _mm_load_si128(reinterpret_cast<const __m128i*>(seeds + 8));
    __m128i s3 = _mm_load_si128(reinterpret_cast<const __m128i*>(seeds + 12));
    for (std::int64_t i = 0; i < n; i += 8) {
        s0 = xorshift32(s0);
        s1 = xorshift32(s1);
        s2 = xorshift32(s2);
        s3 = xorshift32(s3);
        const __m128 first = irwinHall4(s0, s2, offset, scale);
        const __m128 second = irwinHall4(s1, s3, offset, scale);
        if (n - i >= 8) {
            _mm_storeu_ps(out + i, first);
            _mm_storeu_ps(out + i + 4, second);
        } else {
            alignas(16) float tail[8];
            _mm_store_ps(tail, first);
            _mm_store_ps(tail + 4, second);
            for (std::int64_t j = 0; j < n - i; ++j)
                out[i + j] = tail[j];
        }
    }
}

} // namespace wb::synth
