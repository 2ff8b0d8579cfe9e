#include "engine/tensor/matvec_interleaved_avx512.h"

#include "engine/tensor/packed_lanes_avx512.h"

#include <immintrin.h>

#include "engine/tensor/exact_float_combination.h" // last: fp-contract off from here on

namespace wb::avx512 {
namespace {

constexpr int kLanes = 16;
// Software prefetch of the generation kernel: every block pair is requested twice, into L2 kPrefetchFar bytes
// ahead and into L1 kPrefetchNear bytes ahead, so more lines are in flight than the L1 fill buffers allow.
// Same-binary A/B (2 threads, tg32 medians, docs/performance.md): near only, 1 KiB: Q4_0 1.1B 45.1-45.6 t/s,
// Q8_0 1.1B 25.7-25.8, 110M Q8_0 292-296; with far at 3 KiB: 48.1-48.6, 27.1-28.3, 304-320 (at 2 KiB the
// 110M model lost 10 %, at 4 KiB Q8_0 lost 3 %). Near alone: none 43-44 (Q4_0), 4 KiB 43-44, 8 KiB 40-41.
constexpr std::int64_t kPrefetchNear = 1024;
constexpr std::int64_t kPrefetchFar = 3072;

template <Block32Type kType>
void matVecGroups(const std::uint8_t* groups, std::size_t groupBytes, std::int64_t nBlocks,
                  const Block32Activations& a, std::int64_t firstGroup, std::int64_t lastGroup, float* y) {
    const __m512i lowNibbles = _mm512_set1_epi8(0x0F);
    const auto* dwords = reinterpret_cast<const std::int32_t*>(a.qs);
    for (std::int64_t g = firstGroup; g < lastGroup; ++g) {
        const std::uint8_t* group = groups + static_cast<std::size_t>(g) * groupBytes;
        __m512 acc = _mm512_setzero_ps();
        for (std::int64_t b = 0; b < nBlocks; ++b) {
            const std::uint8_t* q = group + interleavedQuantsAt(kType, b);
            const std::int32_t* x = dwords + 8 * b;
            if (b % 2 == 0)
                for (std::int64_t line = 0; line < interleavedPairBytes(kType); line += 64) {
                    _mm_prefetch(reinterpret_cast<const char*>(q + kPrefetchFar + line), _MM_HINT_T2);
                    _mm_prefetch(reinterpret_cast<const char*>(q + kPrefetchNear + line), _MM_HINT_T0);
                }
            // Two independent chains (integer sums: the order does not change the block sum).
            __m512i even = _mm512_setzero_si512(), odd = _mm512_setzero_si512();
            if constexpr (kType == Block32Type::Q4_0) {
                for (int k = 0; k < 4; ++k) {
                    const __m512i w = _mm512_load_si512(q + 64 * k);
                    even =
                        _mm512_dpbusd_epi32(even, _mm512_and_si512(w, lowNibbles), _mm512_set1_epi32(x[k]));
                    odd = _mm512_dpbusd_epi32(odd, _mm512_and_si512(_mm512_srli_epi16(w, 4), lowNibbles),
                                              _mm512_set1_epi32(x[k + 4]));
                }
            } else {
                for (int k = 0; k < 8; k += 2) {
                    even = _mm512_dpbusd_epi32(even, _mm512_load_si512(q + 64 * k), _mm512_set1_epi32(x[k]));
                    odd = _mm512_dpbusd_epi32(odd, _mm512_load_si512(q + 64 * (k + 1)),
                                              _mm512_set1_epi32(x[k + 1]));
                }
            }
            const __m512i isum =
                _mm512_add_epi32(_mm512_add_epi32(even, odd), _mm512_set1_epi32(a.offset[b]));
            const __m512 scale =
                _mm512_mul_ps(_mm512_cvtph_ps(_mm256_load_si256(
                                  reinterpret_cast<const __m256i*>(group + interleavedScalesAt(kType, b)))),
                              _mm512_set1_ps(a.d[b]));
            acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_cvtepi32_ps(isum), scale));
        }
        _mm512_storeu_ps(y + 16 * (g - firstGroup), _mm512_permutexvar_ps(packedLaneRows(), acc));
    }
}

} // namespace

void matVecInterleaved16(Block32Type type, const std::uint8_t* groups, std::size_t groupBytes,
                         std::int64_t nBlocks, const Block32Activations& activations, std::int64_t firstGroup,
                         std::int64_t lastGroup, float* y) {
    if (type == Block32Type::Q4_0)
        matVecGroups<Block32Type::Q4_0>(groups, groupBytes, nBlocks, activations, firstGroup, lastGroup, y);
    else
        matVecGroups<Block32Type::Q8_0>(groups, groupBytes, nBlocks, activations, firstGroup, lastGroup, y);
}

void unpackInterleaved16(Block32Type type, const std::uint8_t* group, std::int64_t nBlocks,
                         std::int32_t* packed, float* scales, PackedBytes bytes) {
    const __m512i lowNibbles = _mm512_set1_epi8(0x0F);
    const bool toSigned = bytes == PackedBytes::Signed;
    const __m512i nibbleBias = _mm512_set1_epi8(toSigned ? 8 : 0);
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(toSigned ? 0x80 : 0)); // stored as q + 128
    for (std::int64_t b = 0; b < nBlocks; ++b, packed += 8 * kLanes, scales += kLanes) {
        _mm512_storeu_ps(scales, _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(
                                     group + interleavedScalesAt(type, b)))));
        const std::uint8_t* q = group + interleavedQuantsAt(type, b);
        if (type == Block32Type::Q4_0) {
            for (int k = 0; k < 4; ++k) {
                const __m512i w = _mm512_load_si512(q + 64 * k);
                _mm512_storeu_si512(packed + k * kLanes,
                                    _mm512_sub_epi8(_mm512_and_si512(w, lowNibbles), nibbleBias));
                _mm512_storeu_si512(
                    packed + (k + 4) * kLanes,
                    _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(w, 4), lowNibbles), nibbleBias));
            }
        } else {
            for (int k = 0; k < 8; ++k)
                _mm512_storeu_si512(packed + k * kLanes,
                                    _mm512_xor_si512(_mm512_load_si512(q + 64 * k), flip));
        }
    }
}

} // namespace wb::avx512
