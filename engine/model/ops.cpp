#include "engine/model/ops.h"

#include <cmath>
#include <limits>

namespace wb::ops {

void rmsNorm(const float* x, const float* weight, std::int64_t n, float eps, float* out) {
    double sumSquares = 0.0;
    for (std::int64_t i = 0; i < n; ++i)
        sumSquares += static_cast<double>(x[i] * x[i]);
    const float mean = static_cast<float>(sumSquares / static_cast<double>(n));
    const float scale = 1.0f / std::sqrt(mean + eps);
    for (std::int64_t i = 0; i < n; ++i)
        out[i] = (x[i] * scale) * weight[i];
}

void softmax(float* x, std::int64_t n) {
    float maxValue = -std::numeric_limits<float>::infinity();
    for (std::int64_t i = 0; i < n; ++i)
        maxValue = std::fmax(maxValue, x[i]);
    double sum = 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - maxValue);
        sum += static_cast<double>(x[i]);
    }
    const float inverse = static_cast<float>(1.0 / sum);
    for (std::int64_t i = 0; i < n; ++i)
        x[i] *= inverse;
}

void siluMultiply(float* gate, const float* up, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i)
        gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void addInPlace(float* x, const float* y, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i)
        x[i] += y[i];
}

void ropeAngles(const RopeParams& params, std::int32_t position, float* cosOut, float* sinOut) {
    const std::int32_t pairs = params.dimensions / 2;
    const double scaledPosition = static_cast<double>(position) * static_cast<double>(params.freqScale);
    for (std::int32_t i = 0; i < pairs; ++i) {
        double theta = scaledPosition * std::pow(static_cast<double>(params.freqBase),
                                                 -2.0 * i / static_cast<double>(params.dimensions));
        if (!params.freqFactors.empty())
            theta /= static_cast<double>(params.freqFactors[static_cast<std::size_t>(i)]);
        cosOut[i] = static_cast<float>(std::cos(theta));
        sinOut[i] = static_cast<float>(std::sin(theta));
    }
}

void applyRope(float* head, std::int32_t dimensions, bool neox, const float* cosTable,
               const float* sinTable) {
    const std::int32_t pairs = dimensions / 2;
    // Pair i is (first, second); the stride between them is what distinguishes the two styles.
    const std::int32_t step = neox ? 1 : 2;
    const std::int32_t offset = neox ? pairs : 1;
    for (std::int32_t i = 0; i < pairs; ++i) {
        float& a = head[i * step];
        float& b = head[i * step + offset];
        const float x0 = a;
        const float x1 = b;
        a = x0 * cosTable[i] - x1 * sinTable[i];
        b = x0 * sinTable[i] + x1 * cosTable[i];
    }
}

} // namespace wb::ops
