#include "engine/tensor/dequantize.h"

#include "engine/tensor/block_layouts.h"
#include "engine/tensor/fp16.h"

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

// Each dequantizer follows the reference dequantize_row_* functions of ggml/src/ggml-quants.c
// (ggml-org/llama.cpp) in element order and formula; see block_layouts.h for the layouts.

namespace wb {
namespace {

using namespace blocks;

// Blocks inside a tensor are not aligned to their field types (e.g. 18-byte Q4_0 blocks), so copy them out.
template <class Block> Block loadBlock(const std::uint8_t* bytes, std::int64_t index) {
    Block block;
    std::memcpy(&block, bytes + index * static_cast<std::int64_t>(sizeof(Block)), sizeof(Block));
    return block;
}

// All 65536 half values widened once: F16 weight rows are the hot path of F16 models.
const float* halfTable() {
    static const std::vector<float> table = [] {
        std::vector<float> t(65536);
        for (std::uint32_t h = 0; h < 65536; ++h)
            t[h] = fp16ToFloat(static_cast<std::uint16_t>(h));
        return t;
    }();
    return table.data();
}

void dequantQ4_0(const std::uint8_t* src, float* y, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, y += kQK4_0) {
        const auto block = loadBlock<BlockQ4_0>(src, b);
        const float d = fp16ToFloat(block.d);
        for (int j = 0; j < kQK4_0 / 2; ++j) {
            y[j] = static_cast<float>((block.qs[j] & 0xF) - 8) * d;
            y[j + kQK4_0 / 2] = static_cast<float>((block.qs[j] >> 4) - 8) * d;
        }
    }
}

void dequantQ4_1(const std::uint8_t* src, float* y, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, y += kQK4_1) {
        const auto block = loadBlock<BlockQ4_1>(src, b);
        const float d = fp16ToFloat(block.d);
        const float m = fp16ToFloat(block.m);
        for (int j = 0; j < kQK4_1 / 2; ++j) {
            y[j] = static_cast<float>(block.qs[j] & 0xF) * d + m;
            y[j + kQK4_1 / 2] = static_cast<float>(block.qs[j] >> 4) * d + m;
        }
    }
}

// Q5_0/Q5_1: bit j of the 32-bit qh is the fifth bit of element j (elements 0..15 low nibbles,
// 16..31 high nibbles).
std::uint32_t loadHighBits(const std::uint8_t (&qh)[4]) {
    return static_cast<std::uint32_t>(qh[0]) | (static_cast<std::uint32_t>(qh[1]) << 8) |
           (static_cast<std::uint32_t>(qh[2]) << 16) | (static_cast<std::uint32_t>(qh[3]) << 24);
}

void dequantQ5_0(const std::uint8_t* src, float* y, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, y += kQK5_0) {
        const auto block = loadBlock<BlockQ5_0>(src, b);
        const float d = fp16ToFloat(block.d);
        const std::uint32_t qh = loadHighBits(block.qh);
        for (int j = 0; j < kQK5_0 / 2; ++j) {
            const int high0 = static_cast<int>((qh >> j) & 1u) << 4;
            const int high1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
            y[j] = static_cast<float>(((block.qs[j] & 0xF) | high0) - 16) * d;
            y[j + kQK5_0 / 2] = static_cast<float>(((block.qs[j] >> 4) | high1) - 16) * d;
        }
    }
}

void dequantQ5_1(const std::uint8_t* src, float* y, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, y += kQK5_1) {
        const auto block = loadBlock<BlockQ5_1>(src, b);
        const float d = fp16ToFloat(block.d);
        const float m = fp16ToFloat(block.m);
        const std::uint32_t qh = loadHighBits(block.qh);
        for (int j = 0; j < kQK5_1 / 2; ++j) {
            const int high0 = static_cast<int>((qh >> j) & 1u) << 4;
            const int high1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
            y[j] = static_cast<float>((block.qs[j] & 0xF) | high0) * d + m;
            y[j + kQK5_1 / 2] = static_cast<float>((block.qs[j] >> 4) | high1) * d + m;
        }
    }
}

void dequantQ8_0(const std::uint8_t* src, float* y, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, y += kQK8_0) {
        const auto block = loadBlock<BlockQ8_0>(src, b);
        const float d = fp16ToFloat(block.d);
        for (int j = 0; j < kQK8_0; ++j)
            y[j] = static_cast<float>(block.qs[j]) * d;
    }
}

// Q2_K: 16 sub-blocks of 16; element order walks 128-element halves, each reading the 32 bytes of qs
// four times at shifts 0,2,4,6, with a new scale every 16 elements.
void dequantQ2_K(const std::uint8_t* src, float* y, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const auto block = loadBlock<BlockQ2_K>(src, b);
        const float d = fp16ToFloat(block.d);
        const float dmin = fp16ToFloat(block.dmin);
        int scaleIndex = 0;
        for (int half = 0; half < 2; ++half) {
            const std::uint8_t* q = block.qs + 32 * half;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int part = 0; part < 2; ++part) {
                    const std::uint8_t sc = block.scales[scaleIndex++];
                    const float dl = d * static_cast<float>(sc & 0xF);
                    const float ml = dmin * static_cast<float>(sc >> 4);
                    for (int l = 0; l < 16; ++l)
                        *y++ = dl * static_cast<float>((q[l + 16 * part] >> shift) & 3) - ml;
                }
            }
        }
    }
}

// Q3_K: 2 low bits in qs (same walk as Q2_K), the third bit in hmask (bit m of hmask[l] for pass m);
// a cleared hmask bit means "subtract 4". Scales are 6-bit, biased by 32.
void dequantQ3_K(const std::uint8_t* src, float* y, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const auto block = loadBlock<BlockQ3_K>(src, b);
        const float d = fp16ToFloat(block.d);
        int scaleIndex = 0;
        int maskBit = 0;
        for (int half = 0; half < 2; ++half) {
            const std::uint8_t* q = block.qs + 32 * half;
            for (int shift = 0; shift < 8; shift += 2, ++maskBit) {
                for (int part = 0; part < 2; ++part) {
                    const float dl = d * static_cast<float>(unpackScaleQ3K(scaleIndex++, block.scales) - 32);
                    for (int l = 16 * part; l < 16 * part + 16; ++l) {
                        const int low = (q[l] >> shift) & 3;
                        const int minus = (block.hmask[l] >> maskBit) & 1 ? 0 : 4;
                        *y++ = dl * static_cast<float>(low - minus);
                    }
                }
            }
        }
    }
}

// Q4_K: four 64-element groups; each group uses 32 bytes of qs, low nibbles then high nibbles, with
// scale/min pairs 2g and 2g+1.
void dequantQ4_K(const std::uint8_t* src, float* y, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const auto block = loadBlock<BlockQ4_K>(src, b);
        const float d = fp16ToFloat(block.d);
        const float dmin = fp16ToFloat(block.dmin);
        for (int group = 0; group < 4; ++group) {
            const std::uint8_t* q = block.qs + 32 * group;
            std::uint8_t sc = 0, mn = 0;
            unpackScaleMinK4(2 * group, block.scales, sc, mn);
            const float d1 = d * sc, m1 = dmin * mn;
            unpackScaleMinK4(2 * group + 1, block.scales, sc, mn);
            const float d2 = d * sc, m2 = dmin * mn;
            for (int l = 0; l < 32; ++l)
                *y++ = d1 * static_cast<float>(q[l] & 0xF) - m1;
            for (int l = 0; l < 32; ++l)
                *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
        }
    }
}

// Q5_K: like Q4_K plus a fifth bit from qh: bit 2g of qh[l] for the low nibbles, bit 2g+1 for the high.
void dequantQ5_K(const std::uint8_t* src, float* y, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const auto block = loadBlock<BlockQ5_K>(src, b);
        const float d = fp16ToFloat(block.d);
        const float dmin = fp16ToFloat(block.dmin);
        for (int group = 0; group < 4; ++group) {
            const std::uint8_t* q = block.qs + 32 * group;
            std::uint8_t sc = 0, mn = 0;
            unpackScaleMinK4(2 * group, block.scales, sc, mn);
            const float d1 = d * sc, m1 = dmin * mn;
            unpackScaleMinK4(2 * group + 1, block.scales, sc, mn);
            const float d2 = d * sc, m2 = dmin * mn;
            for (int l = 0; l < 32; ++l) {
                const int high = (block.qh[l] >> (2 * group)) & 1 ? 16 : 0;
                *y++ = d1 * static_cast<float>((q[l] & 0xF) + high) - m1;
            }
            for (int l = 0; l < 32; ++l) {
                const int high = (block.qh[l] >> (2 * group + 1)) & 1 ? 16 : 0;
                *y++ = d2 * static_cast<float>((q[l] >> 4) + high) - m2;
            }
        }
    }
}

// Q6_K: two 128-element halves; each uses 64 bytes of ql and 32 of qh. Element l + 32*k (k = 0..3) takes
// the low/high nibble of ql[l] or ql[l+32] and bits 2k..2k+1 of qh[l]; minus 32; scale index l/16 + 2k.
void dequantQ6_K(const std::uint8_t* src, float* y, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b) {
        const auto block = loadBlock<BlockQ6_K>(src, b);
        const float d = fp16ToFloat(block.d);
        for (int half = 0; half < 2; ++half, y += 128) {
            const std::uint8_t* ql = block.ql + 64 * half;
            const std::uint8_t* qh = block.qh + 32 * half;
            const std::int8_t* sc = block.scales + 8 * half;
            for (int l = 0; l < 32; ++l) {
                const int is = l / 16;
                const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = d * static_cast<float>(sc[is + 0]) * static_cast<float>(q1);
                y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
                y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
                y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
            }
        }
    }
}

void dequantQ8_K(const std::uint8_t* src, float* y, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, y += kQK_K) {
        const auto block = loadBlock<BlockQ8_K>(src, b);
        for (int j = 0; j < kQK_K; ++j)
            y[j] = block.d * static_cast<float>(block.qs[j]);
    }
}

} // namespace

bool canDequantize(GgmlType type) {
    switch (type) {
    case GgmlType::F32:
    case GgmlType::F16:
    case GgmlType::BF16:
    case GgmlType::Q4_0:
    case GgmlType::Q4_1:
    case GgmlType::Q5_0:
    case GgmlType::Q5_1:
    case GgmlType::Q8_0:
    case GgmlType::Q2_K:
    case GgmlType::Q3_K:
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
    case GgmlType::Q6_K:
    case GgmlType::Q8_K:
        return true;
    default:
        return false;
    }
}

void dequantizeRow(GgmlType type, const void* src, float* dst, std::int64_t n) {
    if (!canDequantize(type))
        throw std::invalid_argument("dequantizeRow: tensor type " + std::string(ggmlTypeName(type)) +
                                    " is not supported");
    const auto blockSize = static_cast<std::int64_t>(ggmlTypeTraits(type).blockSize);
    if (n < 0 || n % blockSize != 0)
        throw std::invalid_argument("dequantizeRow: element count " + std::to_string(n) +
                                    " is not a multiple of the " + std::string(ggmlTypeName(type)) +
                                    " block size " + std::to_string(blockSize));
    const auto* bytes = static_cast<const std::uint8_t*>(src);
    const std::int64_t nBlocks = n / blockSize;
    switch (type) {
    case GgmlType::F32:
        std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float));
        return;
    case GgmlType::F16: {
        const float* table = halfTable();
        for (std::int64_t i = 0; i < n; ++i) {
            std::uint16_t h;
            std::memcpy(&h, bytes + 2 * i, 2);
            dst[i] = table[h];
        }
        return;
    }
    case GgmlType::BF16:
        for (std::int64_t i = 0; i < n; ++i) {
            std::uint16_t h;
            std::memcpy(&h, bytes + 2 * i, 2);
            dst[i] = bf16ToFloat(h);
        }
        return;
    case GgmlType::Q4_0:
        return dequantQ4_0(bytes, dst, nBlocks);
    case GgmlType::Q4_1:
        return dequantQ4_1(bytes, dst, nBlocks);
    case GgmlType::Q5_0:
        return dequantQ5_0(bytes, dst, nBlocks);
    case GgmlType::Q5_1:
        return dequantQ5_1(bytes, dst, nBlocks);
    case GgmlType::Q8_0:
        return dequantQ8_0(bytes, dst, nBlocks);
    case GgmlType::Q2_K:
        return dequantQ2_K(bytes, dst, nBlocks);
    case GgmlType::Q3_K:
        return dequantQ3_K(bytes, dst, nBlocks);
    case GgmlType::Q4_K:
        return dequantQ4_K(bytes, dst, nBlocks);
    case GgmlType::Q5_K:
        return dequantQ5_K(bytes, dst, nBlocks);
    case GgmlType::Q6_K:
        return dequantQ6_K(bytes, dst, nBlocks);
    case GgmlType::Q8_K:
        return dequantQ8_K(bytes, dst, nBlocks);
    default:
        break;
    }
}

} // namespace wb
