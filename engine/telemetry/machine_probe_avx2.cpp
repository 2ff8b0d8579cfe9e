// The AVX2+FMA compute-peak loop. Compiled with -mavx2 -mfma (file name suffix); called only after
// detail::cpuHasAvx2Fma() said yes.
#include "engine/telemetry/machine_probe.h"

#include <immintrin.h>

namespace wb::telemetry::detail {

float fmaLoopAvx2(std::size_t iterations, float seed, double* flopsOut) {
    // 12 independent chains hide the 4-5 cycle FMA latency on two FMA ports.
    constexpr int kChains = 12;
    __m256 acc[kChains];
    for (int i = 0; i < kChains; ++i)
        acc[i] = _mm256_set1_ps(seed + static_cast<float>(i) * 1e-3f);
    // acc = acc * a + b converges to b / (1 - a) = 1: no overflow, no denormals.
    const __m256 a = _mm256_set1_ps(0.999f);
    const __m256 b = _mm256_set1_ps(0.001f);
    for (std::size_t it = 0; it < iterations; ++it)
        for (int i = 0; i < kChains; ++i)
            acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    __m256 sum = acc[0];
    for (int i = 1; i < kChains; ++i)
        sum = _mm256_add_ps(sum, acc[i]);
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, sum);
    *flopsOut = static_cast<double>(iterations) * kChains * 8 * 2;
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
}

} // namespace wb::telemetry::detail
