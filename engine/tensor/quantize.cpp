#include "engine/tensor/quantize.h"

#include "engine/tensor/block_layouts.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/quantize_k.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

// The legacy quantizers follow quantize_row_*_ref of ggml/src/ggml-quants.c (ggml-org/llama.cpp):
// same scale choice and rounding, so a round trip matches ggml's.

namespace wb {
namespace {

using namespace blocks;

template <class Block> void storeBlock(std::uint8_t* bytes, std::int64_t index, const Block& block) {
    std::memcpy(bytes + index * static_cast<std::int64_t>(sizeof(Block)), &block, sizeof(Block));
}

// The element with the largest magnitude, keeping its sign (Q4_0/Q5_0 map it to the level -8 / -16).
float signedAbsMax(const float* x, int n) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < n; ++j) {
        if (std::fabs(x[j]) > amax) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    }
    return max;
}

void quantQ8_0(const float* x, std::uint8_t* dst, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, x += kQK8_0) {
        float amax = 0.0f;
        for (int j = 0; j < kQK8_0; ++j)
            amax = std::max(amax, std::fabs(x[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        BlockQ8_0 block{};
        block.d = floatToFp16(d);
        for (int j = 0; j < kQK8_0; ++j)
            block.qs[j] = static_cast<std::int8_t>(std::lround(x[j] * id));
        storeBlock(dst, b, block);
    }
}

void quantQ4_0(const float* x, std::uint8_t* dst, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, x += kQK4_0) {
        const float d = signedAbsMax(x, kQK4_0) / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        BlockQ4_0 block{};
        block.d = floatToFp16(d);
        for (int j = 0; j < kQK4_0 / 2; ++j) {
            const int q0 = std::min(15, static_cast<int>(x[j] * id + 8.5f));
            const int q1 = std::min(15, static_cast<int>(x[j + kQK4_0 / 2] * id + 8.5f));
            block.qs[j] = static_cast<std::uint8_t>(q0 | (q1 << 4));
        }
        storeBlock(dst, b, block);
    }
}

void quantQ4_1(const float* x, std::uint8_t* dst, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, x += kQK4_1) {
        const auto [minIt, maxIt] = std::minmax_element(x, x + kQK4_1);
        const float min = *minIt, max = *maxIt;
        const float d = (max - min) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        BlockQ4_1 block{};
        block.d = floatToFp16(d);
        block.m = floatToFp16(min);
        for (int j = 0; j < kQK4_1 / 2; ++j) {
            const int q0 = std::min(15, static_cast<int>((x[j] - min) * id + 0.5f));
            const int q1 = std::min(15, static_cast<int>((x[j + kQK4_1 / 2] - min) * id + 0.5f));
            block.qs[j] = static_cast<std::uint8_t>(q0 | (q1 << 4));
        }
        storeBlock(dst, b, block);
    }
}

void storeHighBits(std::uint8_t (&qh)[4], std::uint32_t bits) {
    for (int k = 0; k < 4; ++k)
        qh[k] = static_cast<std::uint8_t>(bits >> (8 * k));
}

void quantQ5_0(const float* x, std::uint8_t* dst, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, x += kQK5_0) {
        const float d = signedAbsMax(x, kQK5_0) / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        BlockQ5_0 block{};
        block.d = floatToFp16(d);
        std::uint32_t qh = 0;
        for (int j = 0; j < kQK5_0 / 2; ++j) {
            const int q0 = std::min(31, static_cast<int>(x[j] * id + 16.5f));
            const int q1 = std::min(31, static_cast<int>(x[j + kQK5_0 / 2] * id + 16.5f));
            block.qs[j] = static_cast<std::uint8_t>((q0 & 0xF) | ((q1 & 0xF) << 4));
            qh |= static_cast<std::uint32_t>((q0 >> 4) & 1) << j;
            qh |= static_cast<std::uint32_t>((q1 >> 4) & 1) << (j + kQK5_0 / 2);
        }
        storeHighBits(block.qh, qh);
        storeBlock(dst, b, block);
    }
}

void quantQ5_1(const float* x, std::uint8_t* dst, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, x += kQK5_1) {
        const auto [minIt, maxIt] = std::minmax_element(x, x + kQK5_1);
        const float min = *minIt, max = *maxIt;
        const float d = (max - min) / 31.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        BlockQ5_1 block{};
        block.d = floatToFp16(d);
        block.m = floatToFp16(min);
        std::uint32_t qh = 0;
        for (int j = 0; j < kQK5_1 / 2; ++j) {
            const int q0 = std::min(31, static_cast<int>((x[j] - min) * id + 0.5f));
            const int q1 = std::min(31, static_cast<int>((x[j + kQK5_1 / 2] - min) * id + 0.5f));
            block.qs[j] = static_cast<std::uint8_t>((q0 & 0xF) | ((q1 & 0xF) << 4));
            qh |= static_cast<std::uint32_t>((q0 >> 4) & 1) << j;
            qh |= static_cast<std::uint32_t>((q1 >> 4) & 1) << (j + kQK5_1 / 2);
        }
        storeHighBits(block.qh, qh);
        storeBlock(dst, b, block);
    }
}

} // namespace

bool canQuantize(GgmlType type) {
    switch (type) {
    case GgmlType::F32:
    case GgmlType::F16:
    case GgmlType::BF16:
    case GgmlType::Q4_0:
    case GgmlType::Q4_1:
    case GgmlType::Q5_0:
    case GgmlType::Q5_1:
    case GgmlType::Q8_0:
        return true;
    default:
        return canQuantizeK(type);
    }
}

std::size_t rowByteSize(GgmlType type, std::int64_t n) {
    const auto& traits = ggmlTypeTraits(type);
    if (n < 0 || n % traits.blockSize != 0)
        throw std::invalid_argument("row of " + std::to_string(n) + " elements is not a multiple of the " +
                                    std::string(traits.name) + " block size " +
                                    std::to_string(traits.blockSize));
    return static_cast<std::size_t>(n / traits.blockSize) * traits.bytesPerBlock;
}

std::size_t quantizeRow(GgmlType type, const float* src, void* dst, std::int64_t n) {
    if (!canQuantize(type))
        throw std::invalid_argument("quantizeRow: cannot quantize to tensor type " +
                                    std::string(ggmlTypeName(type)));
    const std::size_t bytes = rowByteSize(type, n);
    const std::int64_t nBlocks = n / static_cast<std::int64_t>(ggmlTypeTraits(type).blockSize);
    auto* out = static_cast<std::uint8_t*>(dst);
    switch (type) {
    case GgmlType::F32:
        std::memcpy(out, src, bytes);
        break;
    case GgmlType::F16:
    case GgmlType::BF16:
        for (std::int64_t i = 0; i < n; ++i) {
            const std::uint16_t h = type == GgmlType::F16 ? floatToFp16(src[i]) : floatToBf16(src[i]);
            std::memcpy(out + 2 * i, &h, 2);
        }
        break;
    case GgmlType::Q8_0:
        quantQ8_0(src, out, nBlocks);
        break;
    case GgmlType::Q4_0:
        quantQ4_0(src, out, nBlocks);
        break;
    case GgmlType::Q4_1:
        quantQ4_1(src, out, nBlocks);
        break;
    case GgmlType::Q5_0:
        quantQ5_0(src, out, nBlocks);
        break;
    case GgmlType::Q5_1:
        quantQ5_1(src, out, nBlocks);
        break;
    default:
        quantizeRowK(type, src, out, nBlocks);
        break;
    }
    return bytes;
}

} // namespace wb
