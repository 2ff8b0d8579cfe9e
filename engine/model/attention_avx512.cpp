#include "engine/model/attention_avx512.h"

#include <immintrin.h>

#if !defined(__clang__)
// GCC 12 reports its own _mm512_undefined_* placeholders (inside _mm512_reduce_*) as maybe-uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace wb::attention_avx512 {
namespace {

constexpr int kLanes = 16;

inline __mmask16 tailMask(std::int32_t remaining) {
    return remaining >= kLanes ? static_cast<__mmask16>(0xFFFF)
                               : static_cast<__mmask16>((1u << remaining) - 1u);
}

inline __m512 roundThroughF16(__m512 v) {
    return _mm512_cvtph_ps(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

template <bool kF16> inline __m512 loadElements(const void* base, std::int64_t index, __mmask16 mask) {
    if constexpr (kF16) {
        const auto* p = static_cast<const std::uint16_t*>(base) + index;
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, p));
    } else {
        return _mm512_maskz_loadu_ps(mask, static_cast<const float*>(base) + index);
    }
}

// Query chunks held in registers for head dims up to this many lanes; longer heads loop over memory.
constexpr int kMaxChunks = 16;

template <bool kF16>
void scoresImpl(const Head& head, const float* query, std::int32_t visible, float scale, float* out) {
    const int chunks = (head.headDim + kLanes - 1) / kLanes;
    if (chunks > kMaxChunks) { // rare: very wide heads, chunk by chunk per position
        for (std::int32_t p = 0; p < visible; ++p) {
            __m512 acc = _mm512_setzero_ps();
            for (int c = 0; c < chunks; ++c) {
                const __mmask16 m = tailMask(head.headDim - c * kLanes);
                __m512 q = _mm512_maskz_loadu_ps(m, query + c * kLanes);
                if constexpr (kF16) q = roundThroughF16(q);
                acc = _mm512_fmadd_ps(q, loadElements<kF16>(head.keys, p * head.stride + c * kLanes, m), acc);
            }
            out[p] = _mm512_reduce_add_ps(acc) * scale;
        }
        return;
    }
    __m512 q[kMaxChunks];
    __mmask16 masks[kMaxChunks];
    for (int c = 0; c < chunks; ++c) {
        masks[c] = tailMask(head.headDim - c * kLanes);
        q[c] = _mm512_maskz_loadu_ps(masks[c], query + c * kLanes);
        if constexpr (kF16) q[c] = roundThroughF16(q[c]);
    }
    for (std::int32_t p = 0; p < visible; ++p) {
        __m512 acc = _mm512_mul_ps(q[0], loadElements<kF16>(head.keys, p * head.stride, masks[0]));
        for (int c = 1; c < chunks; ++c)
            acc = _mm512_fmadd_ps(q[c], loadElements<kF16>(head.keys, p * head.stride + c * kLanes, masks[c]),
                                  acc);
        out[p] = _mm512_reduce_add_ps(acc) * scale;
    }
}

template <bool kF16>
void weightedValuesImpl(const Head& head, const float* weights, std::int32_t visible, float* out) {
    for (std::int32_t c = 0; c < head.headDim; c += kLanes) {
        const __mmask16 m = tailMask(head.headDim - c);
        __m512 acc = _mm512_setzero_ps();
        for (std::int32_t p = 0; p < visible; ++p) {
            float w = weights[p];
            if constexpr (kF16) w = _cvtsh_ss(_cvtss_sh(w, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
            acc = _mm512_fmadd_ps(_mm512_set1_ps(w), loadElements<kF16>(head.values, p * head.stride + c, m),
                                  acc);
        }
        _mm512_mask_storeu_ps(out + c, m, acc);
    }
}

} // namespace

void scores(const Head& head, const float* query, std::int32_t visible, float scale, float* out) {
    if (head.f16)
        scoresImpl<true>(head, query, visible, scale, out);
    else
        scoresImpl<false>(head, query, visible, scale, out);
}

void weightedValues(const Head& head, const float* weights, std::int32_t visible, float* out) {
    if (head.f16)
        weightedValuesImpl<true>(head, weights, visible, out);
    else
        weightedValuesImpl<false>(head, weights, visible, out);
}

void floatsToF16(const float* in, std::uint16_t* out, std::size_t n) {
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        _mm256_storeu_si256(
            reinterpret_cast<__m256i*>(out + i),
            _mm512_cvtps_ph(_mm512_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    if (i < n) {
        const __mmask16 m = tailMask(static_cast<std::int32_t>(n - i));
        _mm256_mask_storeu_epi16(
            out + i, m,
            _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
}

} // namespace wb::attention_avx512
