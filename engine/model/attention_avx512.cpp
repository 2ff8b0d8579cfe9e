#include "engine/model/attention_avx512.h"

#include <immintrin.h>

#include <type_traits>

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

// Lane k = _mm512_reduce_add_ps(v[k]), bit for bit: the same pairwise additions as GCC's reduction (lanes
// i + 8 to i, then i + 4, then i + 2, then i + 1), done for 16 vectors at once by shuffles instead of one
// horizontal reduction per vector.
inline __m512 reduceAdd16(const __m512 (&v)[kLanes]) {
    __m512 halves[8]; // 256-bit half 0: vector 2m, half 1: vector 2m + 1, each lane i = v[i] + v[i + 8]
    for (int m = 0; m < 8; ++m)
        halves[m] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * m], v[2 * m + 1], 0x44),
                                  _mm512_shuffle_f32x4(v[2 * m], v[2 * m + 1], 0xEE));
    __m512 quarters[4]; // 128-bit lane L: vector 4 m + L, lane i = (i) + (i + 4) of the above
    for (int m = 0; m < 4; ++m)
        quarters[m] = _mm512_add_ps(_mm512_shuffle_f32x4(halves[2 * m], halves[2 * m + 1], 0x88),
                                    _mm512_shuffle_f32x4(halves[2 * m], halves[2 * m + 1], 0xDD));
    __m512 pairs[2]; // 128-bit lane L: [i0 + i2, i1 + i3] of vectors 8 m + L and 8 m + 4 + L
    for (int m = 0; m < 2; ++m)
        pairs[m] =
            _mm512_add_ps(_mm512_shuffle_ps(quarters[2 * m], quarters[2 * m + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                          _mm512_shuffle_ps(quarters[2 * m], quarters[2 * m + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    // 128-bit lane L, element c: vector 4 c + L.
    const __m512 sums = _mm512_add_ps(_mm512_shuffle_ps(pairs[0], pairs[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                      _mm512_shuffle_ps(pairs[0], pairs[1], _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512i vectorOrder = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_ps(vectorOrder, sums);
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
    const auto dot = [&](std::int32_t p) {
        __m512 acc = _mm512_mul_ps(q[0], loadElements<kF16>(head.keys, p * head.stride, masks[0]));
        for (int c = 1; c < chunks; ++c)
            acc = _mm512_fmadd_ps(q[c], loadElements<kF16>(head.keys, p * head.stride + c * kLanes, masks[c]),
                                  acc);
        return acc;
    };
    std::int32_t p = 0;
    for (; p + kLanes <= visible; p += kLanes) {
        __m512 acc[kLanes];
        for (int k = 0; k < kLanes; ++k)
            acc[k] = dot(p + k);
        _mm512_storeu_ps(out + p, _mm512_mul_ps(reduceAdd16(acc), _mm512_set1_ps(scale)));
    }
    for (; p < visible; ++p)
        out[p] = _mm512_reduce_add_ps(dot(p)) * scale;
}

constexpr int kMaxGroupChunks = 8; // head dims up to 128 keep their chunks in registers

// f(std::integral_constant<int, chunks>) for head dims of 1..kMaxGroupChunks 16-lane chunks; false for wider
// heads (f is not called).
template <int kChunks = 1, class F> bool withChunkCount(std::int32_t headDim, F&& f) {
    if constexpr (kChunks > kMaxGroupChunks) {
        return false;
    } else {
        if ((headDim + kLanes - 1) / kLanes != kChunks) return withChunkCount<kChunks + 1>(headDim, f);
        f(std::integral_constant<int, kChunks>{});
        return true;
    }
}

// Positions outside, chunks inside: kChunks independent accumulator chains instead of one chain per chunk
// in turn. Each chunk still adds the positions in increasing order, so the sums are the same bits.
template <bool kF16, int kChunks>
void weightedValuesChunks(const Head& head, const float* weights, std::int32_t visible, float* out) {
    __m512 acc[kChunks];
    __mmask16 masks[kChunks];
    for (int c = 0; c < kChunks; ++c) {
        acc[c] = _mm512_setzero_ps();
        masks[c] = tailMask(head.headDim - c * kLanes);
    }
    for (std::int32_t p = 0; p < visible; ++p) {
        float w = weights[p];
        if constexpr (kF16) w = _cvtsh_ss(_cvtss_sh(w, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        const __m512 weight = _mm512_set1_ps(w);
        for (int c = 0; c < kChunks; ++c)
            acc[c] = _mm512_fmadd_ps(
                weight, loadElements<kF16>(head.values, p * head.stride + c * kLanes, masks[c]), acc[c]);
    }
    for (int c = 0; c < kChunks; ++c)
        _mm512_mask_storeu_ps(out + c * kLanes, masks[c], acc[c]);
}

template <bool kF16>
void weightedValuesImpl(const Head& head, const float* weights, std::int32_t visible, float* out) {
    if (withChunkCount(head.headDim, [&](auto chunks) {
            weightedValuesChunks<kF16, decltype(chunks)::value>(head, weights, visible, out);
        }))
        return;
    for (std::int32_t c = 0; c < head.headDim; c += kLanes) { // wide heads: chunk by chunk
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

// --- query heads that share one KV head ------------------------------------------------------------------
// Each 16-position tile of keys or values is widened to floats once (exactly: F16 to float is exact) and then
// read by every head of the group from L1, instead of widened again per head. Per head and position the
// arithmetic is the single-head kernels' above, so the results are the same bits.

// Positions [p0, p0 + 16) of `base`: tile[(k * kChunks + c) * 16 + i] = element c * 16 + i of position p0 + k
// (masked lanes 0).
template <bool kF16, int kChunks>
inline void widenTile(const Head& head, const void* base, std::int32_t p0, const __mmask16 (&masks)[kChunks],
                      float* tile) {
    for (int k = 0; k < kLanes; ++k)
        for (int c = 0; c < kChunks; ++c)
            _mm512_store_ps(tile + (k * kChunks + c) * kLanes,
                            loadElements<kF16>(base, (p0 + k) * head.stride + c * kLanes, masks[c]));
}

template <int kChunks> inline void chunkMasks(std::int32_t headDim, __mmask16 (&masks)[kChunks]) {
    for (int c = 0; c < kChunks; ++c)
        masks[c] = tailMask(headDim - c * kLanes);
}

template <bool kF16, int kChunks>
void groupScoresChunks(const Head& head, const float* queries, std::int32_t heads, std::int32_t visible,
                       float scale, float* scores, std::int64_t scoreStride) {
    __mmask16 masks[kChunks];
    chunkMasks(head.headDim, masks);
    const auto queryOf = [&](std::int32_t h, __m512(&q)[kChunks]) {
        for (int c = 0; c < kChunks; ++c) {
            q[c] = _mm512_maskz_loadu_ps(masks[c], queries + h * head.headDim + c * kLanes);
            if constexpr (kF16) q[c] = roundThroughF16(q[c]);
        }
    };
    alignas(64) float tile[kLanes * kChunks * kLanes];
    std::int32_t p0 = 0;
    for (; p0 + kLanes <= visible; p0 += kLanes) {
        widenTile<kF16, kChunks>(head, head.keys, p0, masks, tile);
        for (std::int32_t h = 0; h < heads; ++h) {
            __m512 q[kChunks];
            queryOf(h, q);
            __m512 acc[kLanes];
            for (int k = 0; k < kLanes; ++k) {
                acc[k] = _mm512_mul_ps(q[0], _mm512_load_ps(tile + k * kChunks * kLanes));
                for (int c = 1; c < kChunks; ++c)
                    acc[k] = _mm512_fmadd_ps(q[c], _mm512_load_ps(tile + (k * kChunks + c) * kLanes), acc[k]);
            }
            _mm512_storeu_ps(scores + h * scoreStride + p0,
                             _mm512_mul_ps(reduceAdd16(acc), _mm512_set1_ps(scale)));
        }
    }
    for (std::int32_t h = 0; h < heads && p0 < visible; ++h) {
        __m512 q[kChunks];
        queryOf(h, q);
        for (std::int32_t p = p0; p < visible; ++p) {
            __m512 acc = _mm512_mul_ps(q[0], loadElements<kF16>(head.keys, p * head.stride, masks[0]));
            for (int c = 1; c < kChunks; ++c)
                acc = _mm512_fmadd_ps(
                    q[c], loadElements<kF16>(head.keys, p * head.stride + c * kLanes, masks[c]), acc);
            scores[h * scoreStride + p] = _mm512_reduce_add_ps(acc) * scale;
        }
    }
}

template <bool kF16, int kChunks>
void groupWeightedValuesChunks(const Head& head, const float* weights, std::int64_t weightStride,
                               std::int32_t heads, std::int32_t visible, float* out) {
    __mmask16 masks[kChunks];
    chunkMasks(head.headDim, masks);
    const auto weightOf = [&](std::int32_t h, std::int32_t p) {
        float w = weights[h * weightStride + p];
        if constexpr (kF16) w = _cvtsh_ss(_cvtss_sh(w, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        return _mm512_set1_ps(w);
    };
    // The accumulators live in `out` between tiles (a float round trip is exact).
    const auto load = [&](std::int32_t h, __m512(&acc)[kChunks]) {
        for (int c = 0; c < kChunks; ++c)
            acc[c] = _mm512_maskz_loadu_ps(masks[c], out + h * head.headDim + c * kLanes);
    };
    const auto store = [&](std::int32_t h, const __m512(&acc)[kChunks]) {
        for (int c = 0; c < kChunks; ++c)
            _mm512_mask_storeu_ps(out + h * head.headDim + c * kLanes, masks[c], acc[c]);
    };
    for (std::int32_t h = 0; h < heads; ++h) {
        __m512 acc[kChunks];
        for (auto& a : acc)
            a = _mm512_setzero_ps();
        store(h, acc);
    }
    alignas(64) float tile[kLanes * kChunks * kLanes];
    std::int32_t p0 = 0;
    for (; p0 + kLanes <= visible; p0 += kLanes) {
        widenTile<kF16, kChunks>(head, head.values, p0, masks, tile);
        for (std::int32_t h = 0; h < heads; ++h) {
            __m512 acc[kChunks];
            load(h, acc);
            for (int k = 0; k < kLanes; ++k) {
                const __m512 weight = weightOf(h, p0 + k);
                for (int c = 0; c < kChunks; ++c)
                    acc[c] =
                        _mm512_fmadd_ps(weight, _mm512_load_ps(tile + (k * kChunks + c) * kLanes), acc[c]);
            }
            store(h, acc);
        }
    }
    for (std::int32_t h = 0; h < heads && p0 < visible; ++h) {
        __m512 acc[kChunks];
        load(h, acc);
        for (std::int32_t p = p0; p < visible; ++p) {
            const __m512 weight = weightOf(h, p);
            for (int c = 0; c < kChunks; ++c)
                acc[c] = _mm512_fmadd_ps(
                    weight, loadElements<kF16>(head.values, p * head.stride + c * kLanes, masks[c]), acc[c]);
        }
        store(h, acc);
    }
}

} // namespace

void groupScores(const Head& head, const float* queries, std::int32_t heads, std::int32_t visible,
                 float scale, float* scores, std::int64_t scoreStride) {
    const bool done = withChunkCount(head.headDim, [&](auto chunks) {
        if (head.f16)
            groupScoresChunks<true, decltype(chunks)::value>(head, queries, heads, visible, scale, scores,
                                                             scoreStride);
        else
            groupScoresChunks<false, decltype(chunks)::value>(head, queries, heads, visible, scale, scores,
                                                              scoreStride);
    });
    if (!done)
        for (std::int32_t h = 0; h < heads; ++h)
            attention_avx512::scores(head, queries + h * head.headDim, visible, scale,
                                     scores + h * scoreStride);
}

void groupWeightedValues(const Head& head, const float* weights, std::int64_t weightStride,
                         std::int32_t heads, std::int32_t visible, float* out) {
    const bool done = withChunkCount(head.headDim, [&](auto chunks) {
        if (head.f16)
            groupWeightedValuesChunks<true, decltype(chunks)::value>(head, weights, weightStride, heads,
                                                                     visible, out);
        else
            groupWeightedValuesChunks<false, decltype(chunks)::value>(head, weights, weightStride, heads,
                                                                      visible, out);
    });
    if (!done)
        for (std::int32_t h = 0; h < heads; ++h)
            weightedValues(head, weights + h * weightStride, visible, out + h * head.headDim);
}

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
