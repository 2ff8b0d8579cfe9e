#pragma once
// The float part of the quantized dot products: combining a block's exact integer sums with its scales.
// Defined in a baseline (non-AVX2) file and called from both the portable and the *_avx2.cpp kernels, so the
// compiler can never contract them into FMAs differently; that keeps AVX2 and portable results bit-identical.
#include <cstdint>

namespace wb::quantcombine {

// sum + isum * (fp16(weightD) * activationD)                      (Q4_0, Q5_0, Q8_0)
float addScaled(float sum, std::int32_t isum, std::uint16_t weightD, float activationD);
// sum + isum * (fp16(weightD) * activationD) + fp16(weightM) * activationS   (Q4_1, Q5_1 with Q8_1)
float addScaledWithMin(float sum, std::int32_t isum, std::uint16_t weightD, float activationD,
                       std::uint16_t weightM, float activationS);
// sum + (activationD * fp16(weightD)) * isum - (activationD * fp16(weightDmin)) * minSum   (Q2_K, Q4_K, Q5_K)
float addSuperBlock(float sum, std::int32_t isum, std::int32_t minSum, std::uint16_t weightD,
                    std::uint16_t weightDmin, float activationD);
// sum + fp16(weightD) * activationD * isum   (Q3_K, Q6_K)
float addSuperBlockSymmetric(float sum, std::int32_t isum, std::uint16_t weightD, float activationD);

} // namespace wb::quantcombine
