#pragma once
// Scalar conversions between float and the two 16-bit float formats found in GGUF files.
// IEEE 754 binary16 (half) and bfloat16 (the upper 16 bits of a binary32), both rounding to nearest-even.
#include <cstdint>

namespace wb {

float fp16ToFloat(std::uint16_t h);
std::uint16_t floatToFp16(float f); // round-to-nearest-even; overflow -> inf; NaN stays NaN
float bf16ToFloat(std::uint16_t b);
std::uint16_t floatToBf16(float f); // round-to-nearest-even; NaN stays NaN (quiet)

} // namespace wb
