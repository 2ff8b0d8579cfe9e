#pragma once
// AVX-512 kernels for the attention step (compiled with the *_avx512.cpp flags; call only when
// avx512KernelsAvailable() says so). Raw pointers only, so no std/tbb template gets an AVX-512 instantiation
// that baseline callers could link against.
//
// Numerics are the scalar attention's (inference_context.cpp): with an F16 cache the query and the softmax
// weights are rounded to F16 first, as llama.cpp multiplies an F16 cache with F16 operands; products are
// summed in float. Only the summation order of the q·k dot products differs (16 lanes, then a tree), so
// scores may differ from the scalar loop in the last bits.
#include <cstddef>
#include <cstdint>

namespace wb::attention_avx512 {

struct Head {
    const void* keys;     // position 0 of this KV head: F16 bits or floats, `stride` elements per position
    const void* values;   // same layout as keys
    std::int64_t stride;  // elements per cached position (kvDim)
    std::int32_t headDim; // any value >= 1
    bool f16;             // element type of keys/values
};

// scores[p] = scale * (q . k_p) for p in [0, visible). With f16, q is rounded to F16 first.
void scores(const Head& head, const float* query, std::int32_t visible, float scale, float* scores);

// out[d] = sum_p w_p * v_p[d] for p in [0, visible), p in increasing order. With f16, each weight is rounded
// to F16 first.
void weightedValues(const Head& head, const float* weights, std::int32_t visible, float* out);

// The same for `heads` query heads that share this KV head (grouped-query attention), bit for bit:
// scores[h * scoreStride + p] as scores() gives them for the query at queries + h * headDim, and
// out[h * headDim + d] as weightedValues() gives them for the weights at weights + h * weightStride. Each
// key and value row is widened once for all the heads.
void groupScores(const Head& head, const float* queries, std::int32_t heads, std::int32_t visible,
                 float scale, float* scores, std::int64_t scoreStride);
void groupWeightedValues(const Head& head, const float* weights, std::int64_t weightStride,
                         std::int32_t heads, std::int32_t visible, float* out);

// out[i] = F16 bits of in[i] (round to nearest even; bit-identical to wb::floatToFp16 for non-NaN values).
void floatsToF16(const float* in, std::uint16_t* out, std::size_t n);

} // namespace wb::attention_avx512
