#include "engine/tensor/quantize_k.h"

#include "engine/tensor/block_layouts.h"
#include "engine/tensor/fp16.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

// K-quant quantizers. The block layouts, the meaning of scales/mins and the super-block scale scheme follow
// ggml/src/ggml-quants.c (quantize_row_q*_K_ref, ggml-org/llama.cpp). The per-sub-block scale search is our
// own, simpler than ggml's: a few candidate scales, each refitted by least squares, keeping the one with the
// smallest squared error. Q8_K follows quantize_row_q8_K_ref exactly.

namespace wb {
namespace {

using namespace blocks;

// Round to nearest, ties to even (what ggml's nearest_int does with its 1.5*2^23 trick).
int nearestInt(float v) {
    return static_cast<int>(std::nearbyint(v));
}

template <class Block> void storeBlock(std::uint8_t* bytes, std::int64_t index, const Block& block) {
    std::memcpy(bytes + index * static_cast<std::int64_t>(sizeof(Block)), &block, sizeof(Block));
}

// Symmetric fit x ~ scale * q with q in [-nmin, nmax-1]... expressed as levels [lo, hi]. Returns the scale.
float fitSymmetric(const float* x, int n, int lo, int hi) {
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < n; ++i)
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            max = x[i];
        }
    if (amax == 0.0f) return 0.0f;
    float bestScale = 0.0f, bestError = INFINITY;
    // The extreme value maps to the wider end of the range (lo is negative, |lo| > hi), as in ggml.
    for (int step = -9; step <= 9; ++step) {
        const float iscale = (static_cast<float>(-lo) + 0.1f * static_cast<float>(step)) / -max;
        float sumXQ = 0.0f, sumQQ = 0.0f;
        for (int i = 0; i < n; ++i) {
            const int q = std::clamp(nearestInt(iscale * x[i]), lo, hi);
            sumXQ += x[i] * static_cast<float>(q);
            sumQQ += static_cast<float>(q * q);
        }
        if (sumQQ <= 0.0f) continue;
        const float scale = sumXQ / sumQQ;
        float error = 0.0f;
        for (int i = 0; i < n; ++i) {
            const int q = std::clamp(nearestInt(x[i] / scale), lo, hi);
            const float diff = x[i] - scale * static_cast<float>(q);
            error += diff * diff;
        }
        if (error < bestError) {
            bestError = error;
            bestScale = scale;
        }
    }
    return bestScale;
}

// Affine fit x ~ scale * q - offset with q in [0, nmax], scale >= 0, offset >= 0 (ggml stores the min as a
// positive amount to subtract and forces it so). Starts from min/max and refits by least squares.
void fitAffine(const float* x, int n, int nmax, float& scaleOut, float& offsetOut) {
    float min = *std::min_element(x, x + n);
    const float max = *std::max_element(x, x + n);
    min = std::min(min, 0.0f);
    if (max <= min) {
        scaleOut = 0.0f;
        offsetOut = -min;
        return;
    }
    float scale = (max - min) / static_cast<float>(nmax);
    float offset = -min;
    float bestScale = scale, bestOffset = offset, bestError = INFINITY;
    for (int iteration = 0; iteration < 6; ++iteration) {
        float error = 0.0f, sumQ = 0.0f, sumQQ = 0.0f, sumX = 0.0f, sumXQ = 0.0f;
        for (int i = 0; i < n; ++i) {
            const int q = std::clamp(nearestInt((x[i] + offset) / scale), 0, nmax);
            const float diff = x[i] - (scale * static_cast<float>(q) - offset);
            error += diff * diff;
            sumQ += static_cast<float>(q);
            sumQQ += static_cast<float>(q * q);
            sumX += x[i];
            sumXQ += x[i] * static_cast<float>(q);
        }
        if (error < bestError) {
            bestError = error;
            bestScale = scale;
            bestOffset = offset;
        }
        // Least squares for x = scale*q + c over the current assignment, then c = -offset clamped to <= 0.
        const float fn = static_cast<float>(n);
        const float det = fn * sumQQ - sumQ * sumQ;
        if (det <= 0.0f) break;
        float newScale = (fn * sumXQ - sumQ * sumX) / det;
        float c = (sumX - newScale * sumQ) / fn;
        if (c > 0.0f) {
            c = 0.0f;
            newScale = sumXQ / sumQQ;
        }
        if (!(newScale > 0.0f)) break;
        scale = newScale;
        offset = -c;
    }
    scaleOut = bestScale;
    offsetOut = bestOffset;
}

// The signed value with the largest magnitude (first one on ties).
float signedMax(const float* x, int n) {
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < n; ++i)
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            max = x[i];
        }
    return max;
}

// Q2_K / Q3_K element e of a super-block lives in byte 32*(e/128) + e%32 of qs at bit 2*((e%128)/32).
void put2Bits(std::uint8_t* qs, int e, int value) {
    qs[32 * (e / 128) + e % 32] |= static_cast<std::uint8_t>(value << (2 * ((e % 128) / 32)));
}

void quantQ2_K(const float* x, std::uint8_t* dst, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, x += kQK_K) {
        float scales[16], offsets[16];
        float maxScale = 0.0f, maxOffset = 0.0f;
        for (int j = 0; j < 16; ++j) {
            fitAffine(x + 16 * j, 16, 3, scales[j], offsets[j]);
            maxScale = std::max(maxScale, scales[j]);
            maxOffset = std::max(maxOffset, offsets[j]);
        }
        BlockQ2_K block{};
        block.d = floatToFp16(maxScale / 15.0f);
        block.dmin = floatToFp16(maxOffset / 15.0f);
        const float d = fp16ToFloat(block.d), dmin = fp16ToFloat(block.dmin);
        for (int j = 0; j < 16; ++j) {
            const int ls = d > 0.0f ? std::clamp(nearestInt(scales[j] / d), 0, 15) : 0;
            const int lm = dmin > 0.0f ? std::clamp(nearestInt(offsets[j] / dmin), 0, 15) : 0;
            block.scales[j] = static_cast<std::uint8_t>(ls | (lm << 4));
            const float dl = d * static_cast<float>(ls), ml = dmin * static_cast<float>(lm);
            for (int i = 0; i < 16; ++i) {
                const int q = dl > 0.0f ? std::clamp(nearestInt((x[16 * j + i] + ml) / dl), 0, 3) : 0;
                put2Bits(block.qs, 16 * j + i, q);
            }
        }
        storeBlock(dst, b, block);
    }
}

void quantQ3_K(const float* x, std::uint8_t* dst, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, x += kQK_K) {
        float scales[16];
        for (int j = 0; j < 16; ++j)
            scales[j] = fitSymmetric(x + 16 * j, 16, -4, 3);
        const float maxScale = signedMax(scales, 16);
        BlockQ3_K block{};
        // Sub-block scales are 6-bit signed (-32..31); the largest maps to -32 as in ggml.
        const float iscale = maxScale != 0.0f ? -32.0f / maxScale : 0.0f;
        block.d = floatToFp16(iscale != 0.0f ? 1.0f / iscale : 0.0f);
        const float d = fp16ToFloat(block.d);
        for (int j = 0; j < 16; ++j) {
            const int l = std::clamp(nearestInt(iscale * scales[j]), -32, 31) + 32;
            if (j < 8)
                block.scales[j] |= static_cast<std::uint8_t>(l & 0xF);
            else
                block.scales[j - 8] |= static_cast<std::uint8_t>((l & 0xF) << 4);
            block.scales[8 + j % 4] |= static_cast<std::uint8_t>((l >> 4) << (2 * (j / 4)));
            const float dl = d * static_cast<float>(l - 32);
            for (int i = 0; i < 16; ++i) {
                const int e = 16 * j + i;
                const int q = dl != 0.0f ? std::clamp(nearestInt(x[e] / dl), -4, 3) + 4 : 4;
                put2Bits(block.qs, e, q & 3);
                if (q > 3) // a set hmask bit means "do not subtract 4"
                    block.hmask[e % 32] |= static_cast<std::uint8_t>(1u << (e / 32));
            }
        }
        storeBlock(dst, b, block);
    }
}

// Packs eight 6-bit scales and mins into the 12 bytes read by unpackScaleMinK4.
void packScaleMinK4(std::uint8_t* packed, const int* ls, const int* lm) {
    for (int j = 0; j < 8; ++j) {
        if (j < 4) {
            packed[j] = static_cast<std::uint8_t>(ls[j]);
            packed[j + 4] = static_cast<std::uint8_t>(lm[j]);
        } else {
            packed[j + 4] = static_cast<std::uint8_t>((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
            packed[j - 4] |= static_cast<std::uint8_t>((ls[j] >> 4) << 6);
            packed[j] |= static_cast<std::uint8_t>((lm[j] >> 4) << 6);
        }
    }
}

// Shared by Q4_K (nmax 15) and Q5_K (nmax 31): 8 sub-blocks of 32 with 6-bit scale and min each.
// Writes d, dmin, the packed scales and the levels (0..nmax) of the 256 elements.
void quantizeScaleMinK(const float* x, int nmax, std::uint16_t& dOut, std::uint16_t& dminOut,
                       std::uint8_t* packedScales, std::uint8_t* levels) {
    float scales[8], offsets[8];
    float maxScale = 0.0f, maxOffset = 0.0f;
    for (int j = 0; j < 8; ++j) {
        fitAffine(x + 32 * j, 32, nmax, scales[j], offsets[j]);
        maxScale = std::max(maxScale, scales[j]);
        maxOffset = std::max(maxOffset, offsets[j]);
    }
    dOut = floatToFp16(maxScale / 63.0f);
    dminOut = floatToFp16(maxOffset / 63.0f);
    const float d = fp16ToFloat(dOut), dmin = fp16ToFloat(dminOut);
    int ls[8], lm[8];
    for (int j = 0; j < 8; ++j) {
        ls[j] = d > 0.0f ? std::clamp(nearestInt(scales[j] / d), 0, 63) : 0;
        lm[j] = dmin > 0.0f ? std::clamp(nearestInt(offsets[j] / dmin), 0, 63) : 0;
        const float dl = d * static_cast<float>(ls[j]), ml = dmin * static_cast<float>(lm[j]);
        for (int i = 0; i < 32; ++i)
            levels[32 * j + i] = static_cast<std::uint8_t>(
                dl > 0.0f ? std::clamp(nearestInt((x[32 * j + i] + ml) / dl), 0, nmax) : 0);
    }
    packScaleMinK4(packedScales, ls, lm);
}

void quantQ4_K(const float* x, std::uint8_t* dst, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, x += kQK_K) {
        BlockQ4_K block{};
        std::uint8_t levels[kQK_K];
        quantizeScaleMinK(x, 15, block.d, block.dmin, block.scales, levels);
        // Group g (64 elements) uses qs[32g..32g+31]: first 32 elements in the low nibbles, next 32 high.
        for (int g = 0; g < 4; ++g)
            for (int l = 0; l < 32; ++l)
                block.qs[32 * g + l] =
                    static_cast<std::uint8_t>(levels[64 * g + l] | (levels[64 * g + 32 + l] << 4));
        storeBlock(dst, b, block);
    }
}

void quantQ5_K(const float* x, std::uint8_t* dst, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, x += kQK_K) {
        BlockQ5_K block{};
        std::uint8_t levels[kQK_K];
        quantizeScaleMinK(x, 31, block.d, block.dmin, block.scales, levels);
        for (int g = 0; g < 4; ++g)
            for (int l = 0; l < 32; ++l) {
                const int low = levels[64 * g + l], high = levels[64 * g + 32 + l];
                block.qs[32 * g + l] = static_cast<std::uint8_t>((low & 0xF) | ((high & 0xF) << 4));
                block.qh[l] |=
                    static_cast<std::uint8_t>(((low >> 4) << (2 * g)) | ((high >> 4) << (2 * g + 1)));
            }
        storeBlock(dst, b, block);
    }
}

void quantQ6_K(const float* x, std::uint8_t* dst, std::int64_t nBlocks) {
    for (std::int64_t b = 0; b < nBlocks; ++b, x += kQK_K) {
        float scales[16];
        for (int j = 0; j < 16; ++j)
            scales[j] = fitSymmetric(x + 16 * j, 16, -32, 31);
        const float maxScale = signedMax(scales, 16);
        BlockQ6_K block{};
        // 8-bit signed sub-block scales; the largest maps to -128 as in ggml.
        const float iscale = maxScale != 0.0f ? -128.0f / maxScale : 0.0f;
        block.d = floatToFp16(iscale != 0.0f ? 1.0f / iscale : 0.0f);
        const float d = fp16ToFloat(block.d);
        int levels[kQK_K];
        for (int j = 0; j < 16; ++j) {
            const int sc = std::clamp(nearestInt(iscale * scales[j]), -128, 127);
            block.scales[j] = static_cast<std::int8_t>(sc);
            const float dl = d * static_cast<float>(sc);
            for (int i = 0; i < 16; ++i)
                levels[16 * j + i] =
                    dl != 0.0f ? std::clamp(nearestInt(x[16 * j + i] / dl), -32, 31) + 32 : 32;
        }
        // Inverse of dequantQ6_K: half h, l in 0..31, four elements l + 32k share qh[32h + l].
        for (int h = 0; h < 2; ++h) {
            const int* lv = levels + 128 * h;
            for (int l = 0; l < 32; ++l) {
                block.ql[64 * h + l] = static_cast<std::uint8_t>((lv[l] & 0xF) | ((lv[l + 64] & 0xF) << 4));
                block.ql[64 * h + l + 32] =
                    static_cast<std::uint8_t>((lv[l + 32] & 0xF) | ((lv[l + 96] & 0xF) << 4));
                block.qh[32 * h + l] =
                    static_cast<std::uint8_t>((lv[l] >> 4) | ((lv[l + 32] >> 4) << 2) |
                                              ((lv[l + 64] >> 4) << 4) | ((lv[l + 96] >> 4) << 6));
            }
        }
        storeBlock(dst, b, block);
    }
}

} // namespace

void quantizeRowQ8_K(const float* x, void* dst, std::int64_t nBlocks) {
    auto* out = static_cast<std::uint8_t*>(dst);
    for (std::int64_t b = 0; b < nBlocks; ++b, x += kQK_K) {
        BlockQ8_K block{};
        const float max = signedMax(x, kQK_K);
        if (max != 0.0f) {
            const float iscale = -127.0f / max;
            for (int j = 0; j < kQK_K; ++j)
                block.qs[j] = static_cast<std::int8_t>(std::min(127, nearestInt(iscale * x[j])));
            for (int j = 0; j < kQK_K / 16; ++j) {
                int sum = 0;
                for (int i = 0; i < 16; ++i)
                    sum += block.qs[16 * j + i];
                block.bsums[j] = static_cast<std::int16_t>(sum);
            }
            block.d = 1.0f / iscale;
        }
        storeBlock(out, b, block);
    }
}

bool canQuantizeK(GgmlType type) {
    switch (type) {
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

void quantizeRowK(GgmlType type, const float* src, std::uint8_t* dst, std::int64_t nBlocks) {
    switch (type) {
    case GgmlType::Q2_K:
        return quantQ2_K(src, dst, nBlocks);
    case GgmlType::Q3_K:
        return quantQ3_K(src, dst, nBlocks);
    case GgmlType::Q4_K:
        return quantQ4_K(src, dst, nBlocks);
    case GgmlType::Q5_K:
        return quantQ5_K(src, dst, nBlocks);
    case GgmlType::Q6_K:
        return quantQ6_K(src, dst, nBlocks);
    case GgmlType::Q8_K:
        return quantizeRowQ8_K(src, dst, nBlocks);
    default:
        throw std::invalid_argument("quantizeRow: cannot quantize to tensor type " +
                                    std::string(ggmlTypeName(type)));
    }
}

} // namespace wb
