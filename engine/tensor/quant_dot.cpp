#include "engine/tensor/quant_dot.h"

#include "engine/tensor/block_layouts.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/quant_combine.h"

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>

namespace wb {

namespace quantcombine {

float addScaled(float sum, std::int32_t isum, std::uint16_t weightD, float activationD) {
    return sum + static_cast<float>(isum) * (fp16ToFloat(weightD) * activationD);
}

float addScaledWithMin(float sum, std::int32_t isum, std::uint16_t weightD, float activationD,
                       std::uint16_t weightM, float activationS) {
    return sum + static_cast<float>(isum) * (fp16ToFloat(weightD) * activationD) +
           fp16ToFloat(weightM) * activationS;
}

float addSuperBlock(float sum, std::int32_t isum, std::int32_t minSum, std::uint16_t weightD,
                    std::uint16_t weightDmin, float activationD) {
    const float d = activationD * fp16ToFloat(weightD);
    const float dmin = activationD * fp16ToFloat(weightDmin);
    return sum + (d * static_cast<float>(isum) - dmin * static_cast<float>(minSum));
}

float addSuperBlockSymmetric(float sum, std::int32_t isum, std::uint16_t weightD, float activationD) {
    return sum + fp16ToFloat(weightD) * activationD * static_cast<float>(isum);
}

} // namespace quantcombine

namespace {

using namespace blocks;
using namespace quantcombine;

template <class Block> Block loadBlock(const std::uint8_t* bytes, std::int64_t index) {
    Block block;
    std::memcpy(&block, bytes + index * static_cast<std::int64_t>(sizeof(Block)), sizeof(Block));
    return block;
}

std::uint32_t highBits(const std::uint8_t (&qh)[4]) {
    return static_cast<std::uint32_t>(qh[0]) | (static_cast<std::uint32_t>(qh[1]) << 8) |
           (static_cast<std::uint32_t>(qh[2]) << 16) | (static_cast<std::uint32_t>(qh[3]) << 24);
}

float dotQ4_0(const std::uint8_t* row, const ActivationBlock32* a, std::int64_t nBlocks) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const auto w = loadBlock<BlockQ4_0>(row, b);
        int isum = 0;
        for (int j = 0; j < 16; ++j)
            isum += ((w.qs[j] & 0xF) - 8) * a[b].qs[j] + ((w.qs[j] >> 4) - 8) * a[b].qs[j + 16];
        sum = addScaled(sum, isum, w.d, a[b].d);
    }
    return sum;
}

float dotQ4_1(const std::uint8_t* row, const ActivationBlock32* a, std::int64_t nBlocks) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const auto w = loadBlock<BlockQ4_1>(row, b);
        int isum = 0;
        for (int j = 0; j < 16; ++j)
            isum += (w.qs[j] & 0xF) * a[b].qs[j] + (w.qs[j] >> 4) * a[b].qs[j + 16];
        sum = addScaledWithMin(sum, isum, w.d, a[b].d, w.m, a[b].s);
    }
    return sum;
}

float dotQ5_0(const std::uint8_t* row, const ActivationBlock32* a, std::int64_t nBlocks) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const auto w = loadBlock<BlockQ5_0>(row, b);
        const std::uint32_t qh = highBits(w.qh);
        int isum = 0;
        for (int j = 0; j < 16; ++j) {
            const int q0 = ((w.qs[j] & 0xF) | static_cast<int>(((qh >> j) & 1u) << 4)) - 16;
            const int q1 = ((w.qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4)) - 16;
            isum += q0 * a[b].qs[j] + q1 * a[b].qs[j + 16];
        }
        sum = addScaled(sum, isum, w.d, a[b].d);
    }
    return sum;
}

float dotQ5_1(const std::uint8_t* row, const ActivationBlock32* a, std::int64_t nBlocks) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const auto w = loadBlock<BlockQ5_1>(row, b);
        const std::uint32_t qh = highBits(w.qh);
        int isum = 0;
        for (int j = 0; j < 16; ++j) {
            const int q0 = (w.qs[j] & 0xF) | static_cast<int>(((qh >> j) & 1u) << 4);
            const int q1 = (w.qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
            isum += q0 * a[b].qs[j] + q1 * a[b].qs[j + 16];
        }
        sum = addScaledWithMin(sum, isum, w.d, a[b].d, w.m, a[b].s);
    }
    return sum;
}

float dotQ8_0(const std::uint8_t* row, const ActivationBlock32* a, std::int64_t nBlocks) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const auto w = loadBlock<BlockQ8_0>(row, b);
        int isum = 0;
        for (int j = 0; j < 32; ++j)
            isum += w.qs[j] * a[b].qs[j];
        sum = addScaled(sum, isum, w.d, a[b].d);
    }
    return sum;
}

// Q2_K: sum_j scale_j * (q . a)_j times d, minus dmin * sum_j min_j * bsum_j (the mins need no quants).
float dotQ2_K(const std::uint8_t* row, const BlockQ8_K* a, std::int64_t nBlocks) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const auto w = loadBlock<BlockQ2_K>(row, b);
        const std::int8_t* q8 = a[b].qs;
        int isum = 0, minSum = 0, sub = 0;
        for (int half = 0; half < 2; ++half)
            for (int shift = 0; shift < 8; shift += 2)
                for (int part = 0; part < 2; ++part, ++sub, q8 += 16) {
                    const std::uint8_t* q = w.qs + 32 * half + 16 * part;
                    int subSum = 0;
                    for (int l = 0; l < 16; ++l)
                        subSum += ((q[l] >> shift) & 3) * q8[l];
                    isum += (w.scales[sub] & 0xF) * subSum;
                    minSum += (w.scales[sub] >> 4) * a[b].bsums[sub];
                }
        sum = addSuperBlock(sum, isum, minSum, w.d, w.dmin, a[b].d);
    }
    return sum;
}

float dotQ3_K(const std::uint8_t* row, const BlockQ8_K* a, std::int64_t nBlocks) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const auto w = loadBlock<BlockQ3_K>(row, b);
        const std::int8_t* q8 = a[b].qs;
        int isum = 0, sub = 0, maskBit = 0;
        for (int half = 0; half < 2; ++half)
            for (int shift = 0; shift < 8; shift += 2, ++maskBit)
                for (int part = 0; part < 2; ++part, ++sub, q8 += 16) {
                    int subSum = 0;
                    for (int l = 16 * part; l < 16 * part + 16; ++l) {
                        const int low = (w.qs[32 * half + l] >> shift) & 3;
                        const int level = low - ((w.hmask[l] >> maskBit) & 1 ? 0 : 4);
                        subSum += level * q8[l - 16 * part];
                    }
                    isum += (unpackScaleQ3K(sub, w.scales) - 32) * subSum;
                }
        sum = addSuperBlockSymmetric(sum, isum, w.d, a[b].d);
    }
    return sum;
}

template <bool kFifthBit, class Block>
float dotQ4Q5_K(const std::uint8_t* row, const BlockQ8_K* a, std::int64_t nBlocks) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const auto w = loadBlock<Block>(row, b);
        const std::int8_t* q8 = a[b].qs;
        int isum = 0, minSum = 0;
        for (int group = 0; group < 4; ++group) {
            const std::uint8_t* q = w.qs + 32 * group;
            int lowSum = 0, highSum = 0;
            for (int l = 0; l < 32; ++l) {
                int low = q[l] & 0xF, high = q[l] >> 4;
                if constexpr (kFifthBit) {
                    low |= ((w.qh[l] >> (2 * group)) & 1) << 4;
                    high |= ((w.qh[l] >> (2 * group + 1)) & 1) << 4;
                }
                lowSum += low * q8[64 * group + l];
                highSum += high * q8[64 * group + 32 + l];
            }
            std::uint8_t sc = 0, mn = 0;
            unpackScaleMinK4(2 * group, w.scales, sc, mn);
            isum += sc * lowSum;
            minSum += mn * (a[b].bsums[4 * group] + a[b].bsums[4 * group + 1]);
            unpackScaleMinK4(2 * group + 1, w.scales, sc, mn);
            isum += sc * highSum;
            minSum += mn * (a[b].bsums[4 * group + 2] + a[b].bsums[4 * group + 3]);
        }
        sum = addSuperBlock(sum, isum, minSum, w.d, w.dmin, a[b].d);
    }
    return sum;
}

float dotQ6_K(const std::uint8_t* row, const BlockQ8_K* a, std::int64_t nBlocks) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const auto w = loadBlock<BlockQ6_K>(row, b);
        int subSums[16] = {};
        for (int half = 0; half < 2; ++half) {
            const std::uint8_t* ql = w.ql + 64 * half;
            const std::uint8_t* qh = w.qh + 32 * half;
            const std::int8_t* q8 = a[b].qs + 128 * half;
            for (int l = 0; l < 32; ++l) {
                const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                const int is = 8 * half + l / 16;
                subSums[is + 0] += q1 * q8[l];
                subSums[is + 2] += q2 * q8[l + 32];
                subSums[is + 4] += q3 * q8[l + 64];
                subSums[is + 6] += q4 * q8[l + 96];
            }
        }
        int isum = 0;
        for (int j = 0; j < 16; ++j)
            isum += w.scales[j] * subSums[j];
        sum = addSuperBlockSymmetric(sum, isum, w.d, a[b].d);
    }
    return sum;
}

} // namespace

ActivationFormat activationFormatFor(GgmlType weightType) {
    switch (weightType) {
    case GgmlType::Q4_0:
    case GgmlType::Q4_1:
    case GgmlType::Q5_0:
    case GgmlType::Q5_1:
    case GgmlType::Q8_0:
        return ActivationFormat::Q8_0;
    case GgmlType::Q2_K:
    case GgmlType::Q3_K:
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
    case GgmlType::Q6_K:
        return ActivationFormat::Q8_K;
    default:
        return ActivationFormat::Float;
    }
}

float quantizedDotPortable(GgmlType weightType, const std::uint8_t* row, const void* activations,
                           std::int64_t n) {
    const auto* a32 = static_cast<const ActivationBlock32*>(activations);
    const auto* aK = static_cast<const BlockQ8_K*>(activations);
    switch (weightType) {
    case GgmlType::Q4_0:
        return dotQ4_0(row, a32, n / 32);
    case GgmlType::Q4_1:
        return dotQ4_1(row, a32, n / 32);
    case GgmlType::Q5_0:
        return dotQ5_0(row, a32, n / 32);
    case GgmlType::Q5_1:
        return dotQ5_1(row, a32, n / 32);
    case GgmlType::Q8_0:
        return dotQ8_0(row, a32, n / 32);
    case GgmlType::Q2_K:
        return dotQ2_K(row, aK, n / kQK_K);
    case GgmlType::Q3_K:
        return dotQ3_K(row, aK, n / kQK_K);
    case GgmlType::Q4_K:
        return dotQ4Q5_K<false, BlockQ4_K>(row, aK, n / kQK_K);
    case GgmlType::Q5_K:
        return dotQ4Q5_K<true, BlockQ5_K>(row, aK, n / kQK_K);
    case GgmlType::Q6_K:
        return dotQ6_K(row, aK, n / kQK_K);
    default:
        throw std::invalid_argument("quantized dot product: no kernel for tensor type " +
                                    std::string(ggmlTypeName(weightType)));
    }
}

} // namespace wb
