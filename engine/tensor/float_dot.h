#pragma once
// Float dot product with a fixed summation order (eight interleaved partial sums, then a fixed tree),
// so the result is bit-identical whoever computes it; the compiler can vectorize the lanes.
#include <cstdint>

namespace wb {

inline float dotFloat(const float* a, const float* b, std::int64_t n) {
    constexpr int kLanes = 8;
    float partial[kLanes] = {};
    std::int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (int lane = 0; lane < kLanes; ++lane)
            partial[lane] += a[i + lane] * b[i + lane];
    for (int lane = 0; i < n; ++i, ++lane)
        partial[lane] += a[i] * b[i];
    const float s0 = (partial[0] + partial[4]) + (partial[1] + partial[5]);
    const float s1 = (partial[2] + partial[6]) + (partial[3] + partial[7]);
    return s0 + s1;
}

} // namespace wb
