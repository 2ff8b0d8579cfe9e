#include "engine/tensor/fp16.h"

#include <bit>

// Bit layouts: IEEE 754-2008 binary16 (1 sign, 5 exponent, 10 mantissa bits, bias 15) and bfloat16
// (the upper half of a binary32). The float->half rounding follows the usual bit-manipulation scheme:
// normal results round by adding half an ulp minus one plus the kept lsb (ties to even); results below
// the smallest normal half are produced by a float addition, which rounds to nearest-even in hardware.

namespace wb {

float fp16ToFloat(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1Fu;
    const std::uint32_t mantissa = h & 0x3FFu;
    if (exponent == 0x1F) // inf or NaN: keep the payload
        return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
    if (exponent == 0) {
        // Zero or subnormal: value = mantissa * 2^-24, exact in float.
        const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
        return sign ? -magnitude : magnitude;
    }
    return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

std::uint16_t floatToFp16(float f) {
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(f);
    const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
    std::uint32_t magnitude = bits & 0x7FFFFFFFu;
    if (magnitude > 0x7F800000u) // NaN: keep the top payload bits, force quiet so it stays a NaN
        return static_cast<std::uint16_t>(sign | 0x7E00u | ((magnitude >> 13) & 0x3FFu));
    if (magnitude >= 0x477FF000u) // >= 65520 rounds (to even) past the largest half 65504: infinity
        return static_cast<std::uint16_t>(sign | 0x7C00u);
    if (magnitude < 0x38800000u) { // below 2^-14: subnormal half (or zero)
        // Adding 0.5 puts the ulp at 2^-24, the half subnormal step; the FPU rounds to nearest-even.
        const float shifted = std::bit_cast<float>(magnitude) + 0.5f;
        return static_cast<std::uint16_t>(sign | (std::bit_cast<std::uint32_t>(shifted) - 0x3F000000u));
    }
    const std::uint32_t keptLsb = (magnitude >> 13) & 1u;
    magnitude += 0xC8000000u /* rebias exponent 127 -> 15 */ + 0xFFFu + keptLsb;
    return static_cast<std::uint16_t>(sign | (magnitude >> 13));
}

float bf16ToFloat(std::uint16_t b) {
    return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

std::uint16_t floatToBf16(float f) {
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(f);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) // NaN: truncate and force the quiet bit so it stays NaN
        return static_cast<std::uint16_t>((bits >> 16) | 0x40u);
    return static_cast<std::uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

} // namespace wb
