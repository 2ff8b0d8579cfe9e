#include "engine/model/ops_avx512.h"

#include <immintrin.h>

#if !defined(__clang__)
// GCC 12 reports its own _mm512_undefined_* placeholders (in masked intrinsics) as maybe-uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace wb::ops_avx512 {
namespace {

// exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 (ln 2 split in two for an exact product),
// |r| <= ln(2)/2, exp(r) by its Taylor series to degree 7 (truncation error below 4e-9 relative).
// scalef gives 2^n * p with correct overflow to infinity and underflow to zero (and subnormals).
inline __m512 expPs(__m512 x) {
    // Beyond these the result is 0 or infinity anyway; clamping keeps r exact (NaN passes through: min/max
    // return their second operand when one is NaN).
    x = _mm512_max_ps(_mm512_set1_ps(-104.0f), _mm512_min_ps(_mm512_set1_ps(89.0f), x));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

inline __m512 siluTimes(__m512 g, __m512 u) {
    const __m512 e = expPs(_mm512_sub_ps(_mm512_setzero_ps(), g));
    return _mm512_mul_ps(_mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), e)), u);
}

inline __mmask16 firstLanes(std::int64_t count) {
    return count >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << count) - 1u);
}

} // namespace

void softmax(float* x, std::int64_t n) {
    if (n <= 0) return;
    __m512 maxLanes = _mm512_set1_ps(-__builtin_inff());
    for (std::int64_t i = 0; i < n; i += 16)
        maxLanes = _mm512_mask_max_ps(maxLanes, firstLanes(n - i),
                                      _mm512_maskz_loadu_ps(firstLanes(n - i), x + i), maxLanes);
    const __m512 maxValue = _mm512_set1_ps(_mm512_reduce_max_ps(maxLanes));
    // The sum in double, as ops::softmax does (two 8-lane halves per vector).
    __m512d low = _mm512_setzero_pd(), high = _mm512_setzero_pd();
    for (std::int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = firstLanes(n - i);
        const __m512 e =
            _mm512_maskz_mov_ps(m, expPs(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), maxValue)));
        _mm512_mask_storeu_ps(x + i, m, e);
        low = _mm512_add_pd(low, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
        high = _mm512_add_pd(
            high, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1))));
    }
    const __m512 inverse =
        _mm512_set1_ps(static_cast<float>(1.0 / _mm512_reduce_add_pd(_mm512_add_pd(low, high))));
    for (std::int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = firstLanes(n - i);
        _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inverse));
    }
}

void siluMultiply(float* gate, const float* up, std::int64_t n) {
    std::int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(gate + i, siluTimes(_mm512_loadu_ps(gate + i), _mm512_loadu_ps(up + i)));
    if (i < n) {
        const auto m = static_cast<__mmask16>((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(
            gate + i, m, siluTimes(_mm512_maskz_loadu_ps(m, gate + i), _mm512_maskz_loadu_ps(m, up + i)));
    }
}

} // namespace wb::ops_avx512
