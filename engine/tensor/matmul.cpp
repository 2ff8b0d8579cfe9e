#include "engine/tensor/matmul.h"

#include "engine/tensor/activation_quant.h"
#include "engine/tensor/dequantize.h"
#include "engine/tensor/float_dot.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/matmul_avx512.h"
#include "engine/tensor/matmul_block32_tiles_amx.h"
#include "engine/tensor/matmul_block32_tiles_avx512.h"
#include "engine/tensor/matmul_kquant.h"
#include "engine/tensor/matvec_interleaved_avx512.h"
#include "engine/tensor/quant_dot.h"
#include "engine/util/parallel_work.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace wb {
namespace {

std::atomic<KernelPath> gKernelPath{KernelPath::Float};

// body(first, last) over pieces of the rows: tasks of at least 64K multiply-adds (simple partitioner,
// for the portable paths), or all rows on the calling thread when that is less than two tasks.
template <class Body> void forEachRows(const WeightMatrix& w, std::int64_t nTokens, Body&& body) {
    constexpr std::int64_t kRowTaskWork = std::int64_t{1} << 16;
    const std::int64_t grain = parallel::itemsPerTask(w.cols * nTokens, kRowTaskWork);
    if (w.rows < 2 * grain) {
        body(std::int64_t{0}, w.rows);
        return;
    }
    tbb::parallel_for(
        tbb::blocked_range<std::int64_t>(0, w.rows, static_cast<std::size_t>(grain)),
        [&](const tbb::blocked_range<std::int64_t>& range) { body(range.begin(), range.end()); },
        tbb::simple_partitioner());
}

void checkMatrix(const WeightMatrix& w) {
    if (w.data == nullptr || w.rows <= 0 || w.cols <= 0)
        throw std::invalid_argument("matrix product: empty weight matrix");
}

// Float path: dequantize each weight row once, dot it against every token in fixed order.
void matMulFloat(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y) {
    forEachRows(w, nTokens, [&](std::int64_t first, std::int64_t last) {
        std::vector<float> rowBuffer(w.type == GgmlType::F32 ? 0 : static_cast<std::size_t>(w.cols));
        for (std::int64_t r = first; r != last; ++r) {
            const float* row = rowBuffer.data();
            if (w.type == GgmlType::F32)
                row = reinterpret_cast<const float*>(w.rowData(r));
            else
                dequantizeRow(w.type, w.rowData(r), rowBuffer.data(), w.cols);
            for (std::int64_t t = 0; t < nTokens; ++t)
                y[t * w.rows + r] = dotFloat(row, x + t * w.cols, w.cols);
        }
    });
}

// ggml rounds activations to BF16 before a BF16 dot product; the products of two bf16 values are exact in
// float, so dequantize-and-dot in float then matches it up to summation order.
void matMulBf16Activations(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y) {
    std::vector<float> rounded(static_cast<std::size_t>(w.cols * nTokens));
    for (std::size_t i = 0; i < rounded.size(); ++i)
        rounded[i] = bf16ToFloat(floatToBf16(x[i]));
    matMulFloat(w, rounded.data(), nTokens, y);
}

// Quantized activations: each token's x is quantized once (Q8_0/Q8_1 or Q8_K), then every output element is
// one integer-kernel dot product over the row, blocks in order.
template <class ActivationBlock>
void matMulQuantized(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y,
                     void (*quantizeActivations)(const float*, ActivationBlock*, std::int64_t),
                     std::int64_t blockSize) {
    const std::int64_t blocksPerToken = w.cols / blockSize;
    std::vector<ActivationBlock> activations(static_cast<std::size_t>(blocksPerToken * nTokens));
    for (std::int64_t t = 0; t < nTokens; ++t)
        quantizeActivations(x + t * w.cols, activations.data() + t * blocksPerToken, w.cols);
    forEachRows(w, nTokens, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t r = first; r != last; ++r)
            for (std::int64_t t = 0; t < nTokens; ++t)
                y[t * w.rows + r] =
                    quantizedDot(w.type, w.rowData(r), activations.data() + t * blocksPerToken, w.cols);
    });
}

// --- AVX-512 VNNI paths (matmul_avx512.cpp); layouts are prepared here, in baseline code -----------------

bool detectAvx512() {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return avx2KernelsAvailable() && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni");
#else
    return false;
#endif
}

bool fastKernelsEnabled() {
    return avx512KernelsAvailable() && !portableKernelsForced();
}

// From this many tokens on, a batch goes through the packed-group kernel (weights repacked once per group).
constexpr std::int64_t kPanelMinTokens = 4;
constexpr std::int64_t kRowGroup = 16; // rows per rows-in-lanes kernel call

using parallel::forEachPiece;

void matMulBlock32Avx512(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y) {
    const auto type = w.type == GgmlType::Q4_0 ? avx512::Block32Type::Q4_0 : avx512::Block32Type::Q8_0;
    const std::int32_t bias = w.type == GgmlType::Q4_0 ? 8 : 128;
    const std::int64_t nBlocks = w.cols / 32;
    std::vector<ActivationBlock32> quantized(static_cast<std::size_t>(nBlocks * nTokens));
    const auto quantizeTokens = [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t t = first; t < last; ++t)
            avx512::quantizeActivationsQ8_0(x + t * w.cols, quantized.data() + t * nBlocks, w.cols);
    };
    if (nTokens < kPanelMinTokens) // a few microseconds: not worth a parallel region (generation)
        quantizeTokens(0, nTokens);
    else
        forEachPiece(nTokens, w.cols, quantizeTokens);
    auto blockSum = [](const ActivationBlock32& block) {
        std::int32_t sum = 0;
        for (std::int8_t q : block.qs)
            sum += q;
        return sum;
    };

    const std::int64_t interleavedRows = w.interleaved != nullptr ? w.rows / kRowGroup * kRowGroup : 0;
    if (nTokens < kPanelMinTokens && interleavedRows > 0) {
        // Repacked groups: the tokens' blocks in plain order.
        std::vector<std::int8_t> qs(static_cast<std::size_t>(nTokens * nBlocks * 32));
        std::vector<float> d(static_cast<std::size_t>(nTokens * nBlocks));
        std::vector<std::int32_t> offset(d.size());
        for (std::size_t i = 0; i < quantized.size(); ++i) {
            std::memcpy(qs.data() + 32 * i, quantized[i].qs, 32);
            d[i] = quantized[i].d;
            offset[i] = -bias * blockSum(quantized[i]);
        }
        const std::int64_t groups = interleavedRows / kRowGroup;
        forEachPiece(groups, kRowGroup * w.cols * nTokens, [&](std::int64_t first, std::int64_t last) {
            for (std::int64_t t = 0; t < nTokens; ++t) {
                const avx512::Block32Activations token{qs.data() + t * nBlocks * 32, d.data() + t * nBlocks,
                                                       offset.data() + t * nBlocks};
                avx512::matVecInterleaved16(type, w.interleaved, w.interleavedGroupBytes, nBlocks, token,
                                            first, last, y + t * w.rows + first * kRowGroup);
            }
        });
        if (interleavedRows == w.rows) return;
    }
    if (nTokens < kPanelMinTokens) { // rows in the file's layout: all of them, or those after the last group
        const std::int64_t padded = avx512::paddedBlocks32(nBlocks);
        std::vector<std::int8_t> qs(static_cast<std::size_t>(nTokens * padded * 32), 0);
        std::vector<float> d(static_cast<std::size_t>(nTokens * padded), 0.0f);
        std::vector<std::int32_t> offset(d.size(), 0);
        for (std::int64_t t = 0; t < nTokens; ++t)
            for (std::int64_t b = 0; b < nBlocks; ++b) {
                const ActivationBlock32& block = quantized[static_cast<std::size_t>(t * nBlocks + b)];
                std::int64_t half = 0;
                std::int8_t* out = qs.data() + (t * padded + (b / 32) * 32) * 32 +
                                   avx512::block32ChunkOffset(type, b % 32, half);
                std::memcpy(out, block.qs, 16);
                std::memcpy(out + half, block.qs + 16, 16);
                d[static_cast<std::size_t>(t * padded + b)] = block.d;
                offset[static_cast<std::size_t>(t * padded + b)] = -bias * blockSum(block);
            }
        const std::int64_t rawRows = w.rows - interleavedRows;
        const std::int64_t groups = (rawRows + kRowGroup - 1) / kRowGroup;
        forEachPiece(groups, kRowGroup * w.cols * nTokens, [&](std::int64_t first, std::int64_t last) {
            const std::int64_t rowBegin = interleavedRows + first * kRowGroup;
            const std::int64_t rowEnd = std::min(w.rows, interleavedRows + last * kRowGroup);
            std::vector<float> scratch(static_cast<std::size_t>(kRowGroup * padded), 0.0f);
            for (std::int64_t t = 0; t < nTokens; ++t) {
                const avx512::Block32Token token{qs.data() + t * padded * 32, d.data() + t * padded,
                                                 offset.data() + t * padded};
                avx512::matVecBlock32(type, w.data, w.rowBytes, nBlocks, token, rowBegin, rowEnd,
                                      y + t * w.rows + rowBegin, scratch.data(), w.streamsFromLargePages);
            }
        });
        return;
    }

    // Rows in lanes for batches: each 16-row group is repacked once (L1/L2-sized) and reused for every
    // token. The tokens' blocks are interleaved by tiles (8 tokens for the AVX-512 kernel; 16 for AMX, the
    // last tile padded with zero tokens) so that a tile reads one stream.
    const bool amx = amxKernelsAvailable() && amxKernelsAllowed();
    const std::int64_t storedTokens = amx ? amx::paddedTokens(nTokens) : nTokens;
    const std::size_t entries = static_cast<std::size_t>(storedTokens * nBlocks);
    std::vector<std::int8_t> tileQs(entries * 32, 0);
    std::vector<float> tileD(entries, 0.0f);
    std::vector<std::int32_t> tileOffset(amx ? 0 : entries);
    forEachPiece(nTokens, nBlocks * 32, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t t = first; t < last; ++t)
            for (std::int64_t b = 0; b < nBlocks; ++b) {
                const ActivationBlock32& block = quantized[static_cast<std::size_t>(t * nBlocks + b)];
                const auto i = static_cast<std::size_t>(
                    amx ? amx::tileIndex(t, b, nBlocks) : avx512::block32TileIndex(t, b, nBlocks, nTokens));
                std::memcpy(tileQs.data() + 32 * i, block.qs, 32);
                tileD[i] = block.d;
                if (!amx) tileOffset[i] = avx512::kBlock32SumStart - bias * blockSum(block);
            }
    });
    const avx512::Block32TokenTiles tiles{tileQs.data(), tileD.data(), amx ? nullptr : tileOffset.data()};
    const auto packedBytes = amx ? avx512::PackedBytes::Signed : avx512::PackedBytes::Unsigned;
    const auto groupKernel = amx ? amx::matMulBlock32Tiles : avx512::matMulBlock32Tiles;
    const std::int64_t groups = (w.rows + kRowGroup - 1) / kRowGroup;
    forEachPiece(groups, kRowGroup * w.cols * nTokens, [&](std::int64_t first, std::int64_t last) {
        std::vector<std::int32_t> packed(static_cast<std::size_t>(nBlocks * 8 * kRowGroup));
        std::vector<float> scales(static_cast<std::size_t>(nBlocks * kRowGroup));
        for (std::int64_t g = first; g < last; ++g) {
            const std::int64_t row0 = g * kRowGroup;
            const auto rows = static_cast<std::int32_t>(std::min(kRowGroup, w.rows - row0));
            const auto repacked = [&](std::int64_t group) {
                return w.interleaved + static_cast<std::size_t>(group) * w.interleavedGroupBytes;
            };
            if (row0 < interleavedRows)
                avx512::unpackInterleaved16(type, repacked(g), nBlocks, packed.data(), scales.data(),
                                            packedBytes);
            else
                avx512::packBlock32Rows16(type, w.rowData(row0), w.rowBytes, nBlocks, rows, packed.data(),
                                          scales.data(), packedBytes);
            const std::int64_t next = row0 + kRowGroup;
            const std::int64_t nextRows = std::min(kRowGroup, std::max<std::int64_t>(0, w.rows - next));
            const bool nextRepacked = next < interleavedRows;
            groupKernel(packed.data(), scales.data(), nBlocks, rows, tiles, nTokens, y + row0, w.rows,
                        g + 1 < last ? (nextRepacked ? repacked(g + 1) : w.rowData(next)) : nullptr,
                        nextRepacked ? w.interleavedGroupBytes
                                     : static_cast<std::size_t>(nextRows) * w.rowBytes);
        }
    });
}

// True when an AVX-512 kernel computed the product.
bool matMulFast(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y) {
    if (!fastKernelsEnabled()) return false;
    switch (w.type) {
    case GgmlType::Q4_0:
    case GgmlType::Q8_0:
        matMulBlock32Avx512(w, x, nTokens, y);
        return true;
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
    case GgmlType::Q6_K: // matmul_kquant.cpp
        return matMulKQuantAvx512Tiled(w, x, nTokens, y);
    default:
        return false;
    }
}

} // namespace

bool avx512KernelsAvailable() {
    static const bool available = detectAvx512();
    return available;
}

void setKernelPath(KernelPath path) {
    gKernelPath.store(path, std::memory_order_relaxed);
}
KernelPath kernelPath() {
    return gKernelPath.load(std::memory_order_relaxed);
}

void matVec(const WeightMatrix& w, const float* x, float* y) {
    matMul(w, x, 1, y, kernelPath());
}
void matVec(const WeightMatrix& w, const float* x, float* y, KernelPath path) {
    matMul(w, x, 1, y, path);
}

void matMul(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y) {
    matMul(w, x, nTokens, y, kernelPath());
}

void matMul(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y, KernelPath path) {
    checkMatrix(w);
    if (nTokens <= 0) return;
    if (path == KernelPath::QuantizedActivations) {
        if (w.type == GgmlType::BF16) return matMulBf16Activations(w, x, nTokens, y);
        if (matMulFast(w, x, nTokens, y)) return;
        if (avx2KernelsAvailable() && !portableKernelsForced() && matMulKQuantAvx2Rows(w, x, nTokens, y))
            return;
        switch (activationFormatFor(w.type)) {
        case ActivationFormat::Q8_0:
            return matMulQuantized<ActivationBlock32>(w, x, nTokens, y, quantizeActivationsQ8_0, 32);
        case ActivationFormat::Q8_K:
            return matMulQuantized<blocks::BlockQ8_K>(w, x, nTokens, y, quantizeActivationsQ8_K,
                                                      blocks::kQK_K);
        case ActivationFormat::Float:
            break; // F32/F16 keep float activations in ggml too
        }
    }
    matMulFloat(w, x, nTokens, y);
}

void getRow(const WeightMatrix& w, std::int64_t row, float* out) {
    checkMatrix(w);
    if (row < 0 || row >= w.rows)
        throw std::out_of_range("getRow: row " + std::to_string(row) + " outside [0, " +
                                std::to_string(w.rows) + ")");
    dequantizeRow(w.type, w.rowData(row), out, w.cols);
}

} // namespace wb
