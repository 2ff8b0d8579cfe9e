#include "engine/tensor/activation_quant.h"

#include "engine/tensor/fp16.h"
#include "engine/tensor/quantize_k.h"

#include <algorithm>
#include <cmath>

namespace wb {

void quantizeActivationsQ8_0(const float* x, ActivationBlock32* out, std::int64_t n) {
    for (std::int64_t b = 0; b < n / 32; ++b, x += 32) {
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j)
            amax = std::max(amax, std::fabs(x[j]));
        const float d = amax / 127.0f;
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        ActivationBlock32& block = out[b];
        int sum = 0;
        for (int j = 0; j < 32; ++j) {
            block.qs[j] =
                static_cast<std::int8_t>(std::nearbyint(x[j] * id)); // ties to even, as _mm256_round_ps
            sum += block.qs[j];
        }
        block.d = fp16ToFloat(floatToFp16(d));
        block.s = fp16ToFloat(floatToFp16(d * static_cast<float>(sum)));
    }
}

void quantizeActivationsQ8_K(const float* x, blocks::BlockQ8_K* out, std::int64_t n) {
    quantizeRowQ8_K(x, out, n / blocks::kQK_K);
}

} // namespace wb
