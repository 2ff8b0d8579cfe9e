#pragma once
// AVX-512 versions of element-wise operators (compiled with the *_avx512.cpp flags; call only when
// avx512KernelsAvailable() says so).
#include <cstdint>

namespace wb::ops_avx512 {

// gate[i] = gate[i] / (1 + exp(-gate[i])) * up[i] (SwiGLU), as ops::siluMultiply, with a vectorized exp
// accurate to about 1 ulp (ops::siluMultiply uses the C library's expf; results may differ in the last bit).
void siluMultiply(float* gate, const float* up, std::int64_t n);

// x = softmax(x) over n values, as ops::softmax (maximum subtracted, sum in double), with the vectorized exp
// (about 1 ulp) and the sum in another order: results may differ from ops::softmax in the last bits.
void softmax(float* x, std::int64_t n);

} // namespace wb::ops_avx512
