#pragma once
// The lane order shared by every rows-in-lanes layout of 16 weight rows (packBlock32Rows16, the repacked
// groups of matvec_interleaved_avx512.h, and the prompt kernels that read them): lane p holds row
// 4 * (p % 4) + p / 4, the order 4x4 in-lane transposes leave rows in. The map is its own inverse, so the
// same index vector puts results back in row order. Include only from AVX-512 translation units.
#include <immintrin.h>

namespace wb::avx512 {

inline __m512i packedLaneRows() {
    return _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
}

} // namespace wb::avx512
