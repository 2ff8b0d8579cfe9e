#include "engine/synth/random_weights.h"

#include <cmath>

namespace wb::synth {

std::uint64_t tensorKey(std::uint64_t seed, std::string_view tensorName) {
    std::uint64_t hash = 0xCBF29CE484222325ull; // FNV-1a 64-bit offset basis
    for (unsigned char c : tensorName)
        hash = (hash ^ c) * 0x100000001B3ull;
    return mix64(seed ^ mix64(hash));
}

void fillNormalRow(std::uint64_t key, std::uint64_t row, float mean, float stddev, float* out,
                   std::int64_t n) {
    constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ull;
    // Sum of four U(0, 65535): mean 4 * 32767.5, standard deviation 65536 * sqrt(4 / 12) (to within 1e-9).
    constexpr float kMean = 4.0f * 32767.5f;
    const float scale = stddev / (65536.0f * 0.57735026919f);
    std::uint64_t counter = mix64(key + row * kGolden);
    for (std::int64_t i = 0; i < n; ++i) {
        counter += kGolden;
        const std::uint64_t bits = mix64(counter);
        const std::uint32_t sum = static_cast<std::uint32_t>((bits & 0xFFFF) + ((bits >> 16) & 0xFFFF) +
                                                             ((bits >> 32) & 0xFFFF) + (bits >> 48));
        out[i] = mean + (static_cast<float>(sum) - kMean) * scale;
    }
}

} // namespace wb::synth
