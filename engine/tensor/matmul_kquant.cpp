#include "engine/tensor/matmul_kquant.h"

#include "engine/tensor/activation_quant.h"
#include "engine/tensor/block_layouts.h"
#include "engine/tensor/matmul_kquant_avx2.h"
#include "engine/tensor/matmul_kquant_avx512.h"
#include "engine/tensor/matmul_kquant_tiles_amx.h"
#include "engine/tensor/matvec_kinterleaved_avx512.h"
#include "engine/tensor/quant_dot.h"
#include "engine/util/parallel_work.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace wb {
namespace {

using avx512k::KType;

constexpr std::int64_t kRowGroup = 16;      // rows per generation kernel group (one lane each)
constexpr std::int64_t kStripRows = 32;     // weight rows unpacked at once for the panel kernel
constexpr std::int64_t kPanelMinTokens = 4; // below this, one generation pass per token

struct alignas(64) CacheLine {
    std::uint8_t bytes[64];
};

using parallel::forEachPiece;

// Rows of w in repacked groups (matvec_kinterleaved_avx512.h): its whole 16-row groups, or none.
std::int64_t interleavedRows(const WeightMatrix& w) {
    return w.interleaved != nullptr ? w.rows / kRowGroup * kRowGroup : 0;
}

// One pass per token over the repacked groups.
void interleavedPasses(const WeightMatrix& w, KType type, const std::vector<blocks::BlockQ8_K>& activations,
                       std::int64_t nTokens, float* y) {
    const std::int64_t nBlocks = w.cols / blocks::kQK_K;
    std::vector<std::int32_t> terms(static_cast<std::size_t>(nTokens * nBlocks * 16));
    for (std::int64_t t = 0; t < nTokens; ++t)
        avx512k::kActivationTerms(type, activations.data() + t * nBlocks, nBlocks,
                                  terms.data() + t * nBlocks * 16);
    forEachPiece(interleavedRows(w) / kRowGroup, kRowGroup * w.cols * nTokens,
                 [&](std::int64_t first, std::int64_t last) {
                     for (std::int64_t t = 0; t < nTokens; ++t)
                         avx512k::matVecKInterleaved16(
                             type, w.interleaved, nBlocks,
                             {activations.data() + t * nBlocks, terms.data() + t * nBlocks * 16}, first, last,
                             y + t * w.rows + first * kRowGroup);
                 });
}

// Rows [rowBegin, w.rows) in the file's layout, one pass per token.
void generationPasses(const WeightMatrix& w, KType type, const std::vector<blocks::BlockQ8_K>& activations,
                      std::int64_t nTokens, std::int64_t rowBegin, float* y) {
    const std::int64_t nBlocks = w.cols / blocks::kQK_K;
    std::vector<std::int8_t> reordered;
    if (type != KType::Q6_K) { // per 128 values: [0..31, 64..95, 32..63, 96..127]
        reordered.resize(static_cast<std::size_t>(nTokens * nBlocks * blocks::kQK_K));
        for (std::size_t b = 0; b < activations.size(); ++b)
            for (int g = 0; g < 2; ++g) {
                const std::int8_t* in = activations[b].qs + 128 * g;
                std::int8_t* out = reordered.data() + b * blocks::kQK_K + 128 * g;
                std::memcpy(out, in, 32);
                std::memcpy(out + 32, in + 64, 32);
                std::memcpy(out + 64, in + 32, 32);
                std::memcpy(out + 96, in + 96, 32);
            }
    }
    const std::int64_t groups = (w.rows - rowBegin + kRowGroup - 1) / kRowGroup;
    forEachPiece(groups, kRowGroup * w.cols * nTokens, [&](std::int64_t first, std::int64_t last) {
        // Per-thread scratch, kept between products (no allocation or zeroing per call).
        thread_local std::vector<CacheLine> scratch;
        const std::size_t lines =
            static_cast<std::size_t>(nBlocks) * avx512k::kMatVecScratchBytesPerBlock / sizeof(CacheLine) + 1;
        if (scratch.size() < lines) scratch.resize(lines);
        const std::int64_t pieceBegin = rowBegin + first * kRowGroup;
        const std::int64_t pieceEnd = std::min(w.rows, rowBegin + last * kRowGroup);
        avx512k::matVecK(type, w.data, w.rowBytes, nBlocks, activations.data(),
                         reordered.empty() ? nullptr : reordered.data(), nTokens, pieceBegin, pieceEnd,
                         y + pieceBegin, w.rows, scratch.data(), w.streamsFromLargePages);
    });
}

void panelProduct(const WeightMatrix& w, KType type, const std::vector<blocks::BlockQ8_K>& activations,
                  std::int64_t nTokens, float* y) {
    const std::int64_t nBlocks = w.cols / blocks::kQK_K;
    // Tokens in lanes: per panel of 16 tokens, super-block b: 64 dwords x 16 lanes, 16 scales, 8 bsum pairs.
    const std::int64_t panels = (nTokens + 15) / 16;
    const std::size_t panelWords = static_cast<std::size_t>(nBlocks * 64 * 16);
    const std::size_t panelPairs = static_cast<std::size_t>(nBlocks * 8 * 16);
    std::vector<std::int32_t> qs(static_cast<std::size_t>(panels) * panelWords, 0);
    std::vector<float> d(static_cast<std::size_t>(panels * nBlocks * 16), 0.0f);
    std::vector<std::int32_t> pairs(static_cast<std::size_t>(panels) * panelPairs, 0);
    forEachPiece(nTokens, w.cols, [&](std::int64_t firstToken, std::int64_t lastToken) {
        for (std::int64_t t = firstToken; t < lastToken; ++t) {
            const std::int64_t p = t / 16, lane = t % 16;
            for (std::int64_t b = 0; b < nBlocks; ++b) {
                const blocks::BlockQ8_K& block = activations[static_cast<std::size_t>(t * nBlocks + b)];
                std::int32_t* words =
                    qs.data() + static_cast<std::size_t>(p) * panelWords + b * 64 * 16 + lane;
                for (int k = 0; k < 64; ++k)
                    std::memcpy(words + k * 16, block.qs + 4 * k, 4);
                d[static_cast<std::size_t>((p * nBlocks + b) * 16 + lane)] = block.d;
                std::int32_t* pair =
                    pairs.data() + static_cast<std::size_t>(p) * panelPairs + b * 8 * 16 + lane;
                auto pack = [](int low, int high) {
                    return static_cast<std::int32_t>(
                        static_cast<std::uint32_t>(static_cast<std::uint16_t>(low)) |
                        (static_cast<std::uint32_t>(static_cast<std::uint16_t>(high)) << 16));
                };
                if (type == KType::Q6_K) {
                    for (int m = 0; m < 8; ++m)
                        pair[m * 16] = pack(block.bsums[2 * m], block.bsums[2 * m + 1]);
                } else {
                    for (int m = 0; m < 4; ++m)
                        pair[m * 16] = pack(block.bsums[4 * m] + block.bsums[4 * m + 1],
                                            block.bsums[4 * m + 2] + block.bsums[4 * m + 3]);
                }
            }
        }
    });
    const auto panelKernel =
        amxKernelsAvailable() && amxKernelsAllowed() ? amxk::matMulKPanel : avx512k::matMulKPanel;
    const std::int64_t repackedRows = interleavedRows(w);
    const auto groupAt = [&](std::int64_t row) {
        return w.interleaved + static_cast<std::size_t>(row / kRowGroup) * w.interleavedGroupBytes;
    };
    const std::int64_t strips = (w.rows + kStripRows - 1) / kStripRows;
    forEachPiece(strips, kStripRows * w.cols * nTokens, [&](std::int64_t first, std::int64_t last) {
        // Per-thread strip buffers, kept between products (no allocation or zeroing per call).
        const std::size_t rowBlocks = static_cast<std::size_t>(kStripRows * nBlocks);
        thread_local std::vector<CacheLine> values;
        thread_local std::vector<std::int32_t> scales, rowPairs;
        thread_local std::vector<float> weightD, weightDmin;
        if (weightD.size() < rowBlocks) {
            values.resize(rowBlocks * 256 / sizeof(CacheLine));
            scales.resize(rowBlocks * 16);
            rowPairs.resize(rowBlocks * 8);
            weightD.resize(rowBlocks);
            weightDmin.resize(rowBlocks);
        }
        const avx512k::KStrip strip{values.data()->bytes, scales.data(), rowPairs.data(), weightD.data(),
                                    weightDmin.data()};
        for (std::int64_t s = first; s < last; ++s) {
            const std::int64_t row0 = s * kStripRows, rows = std::min(kStripRows, w.rows - row0);
            // Whole repacked groups first, then any rows after the last one, in the file's layout.
            const std::int64_t grouped = std::clamp<std::int64_t>(repackedRows - row0, 0, rows);
            for (std::int64_t r = 0; r < grouped; r += kRowGroup)
                avx512k::unpackKInterleaved16(type, groupAt(row0 + r), nBlocks, strip, r);
            if (grouped < rows) {
                const avx512k::KStrip rest{strip.values + grouped * nBlocks * 256,
                                           strip.scales + grouped * nBlocks * 16,
                                           strip.pairs + grouped * nBlocks * 8, strip.d + grouped * nBlocks,
                                           strip.dmin + grouped * nBlocks};
                avx512k::unpackKRows(type, w.rowData(row0 + grouped), w.rowBytes, nBlocks, rows - grouped,
                                     rest);
            }
            // The next strip of this piece is prefetched while the panels run, a share per panel.
            const std::int64_t nextRows = s + 1 < last ? std::min(kStripRows, w.rows - row0 - kStripRows) : 0;
            const bool nextRepacked = nextRows > 0 && row0 + kStripRows < repackedRows;
            const std::uint8_t* next = nextRepacked
                                           ? groupAt(row0 + kStripRows)
                                           : w.rowData(row0) + static_cast<std::size_t>(rows) * w.rowBytes;
            const std::size_t nextBytes =
                nextRepacked ? static_cast<std::size_t>(
                                   std::min(repackedRows - row0 - kStripRows, kStripRows) / kRowGroup) *
                                   w.interleavedGroupBytes
                             : static_cast<std::size_t>(nextRows) * w.rowBytes;
            const std::size_t share = (nextBytes / static_cast<std::size_t>(panels) + 63) & ~std::size_t{63};
            for (std::int64_t p = 0; p < panels; ++p) {
                const std::size_t from = std::min(nextBytes, share * static_cast<std::size_t>(p));
                const std::size_t bytes = std::min(nextBytes - from, share);
                const avx512k::KPanel panel{
                    qs.data() + static_cast<std::size_t>(p) * panelWords, d.data() + p * nBlocks * 16,
                    pairs.data() + static_cast<std::size_t>(p) * panelPairs,
                    static_cast<std::int32_t>(std::min<std::int64_t>(16, nTokens - 16 * p))};
                panelKernel(type, strip, nBlocks, rows, panel, row0, y + 16 * p * w.rows, w.rows, next + from,
                            bytes);
            }
        }
    });
}

} // namespace

bool matMulKQuantAvx512Tiled(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y) {
    KType type;
    switch (w.type) {
    case GgmlType::Q4_K:
        type = KType::Q4_K;
        break;
    case GgmlType::Q5_K:
        type = KType::Q5_K;
        break;
    case GgmlType::Q6_K:
        type = KType::Q6_K;
        break;
    default:
        return false;
    }
    const std::int64_t nBlocks = w.cols / blocks::kQK_K;
    std::vector<blocks::BlockQ8_K> activations(static_cast<std::size_t>(nBlocks * nTokens));
    const auto quantizeTokens = [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t t = first; t < last; ++t)
            avx512k::quantizeQ8K(x + t * w.cols, activations.data() + t * nBlocks, nBlocks);
    };
    if (nTokens < kPanelMinTokens) // generation: microseconds of work, not worth a parallel region
        quantizeTokens(0, nTokens);
    else
        forEachPiece(nTokens, w.cols, quantizeTokens);
    if (nTokens < kPanelMinTokens) {
        const std::int64_t repackedRows = interleavedRows(w);
        if (repackedRows > 0) interleavedPasses(w, type, activations, nTokens, y);
        if (repackedRows < w.rows) generationPasses(w, type, activations, nTokens, repackedRows, y);
    } else
        panelProduct(w, type, activations, nTokens, y);
    return true;
}

bool matMulKQuantAvx2Rows(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y) {
    KType type;
    switch (w.type) {
    case GgmlType::Q4_K:
        type = KType::Q4_K;
        break;
    case GgmlType::Q5_K:
        type = KType::Q5_K;
        break;
    case GgmlType::Q6_K:
        type = KType::Q6_K;
        break;
    default:
        return false;
    }
    const std::int64_t nBlocks = w.cols / blocks::kQK_K;
    std::vector<blocks::BlockQ8_K> activations(static_cast<std::size_t>(nBlocks * nTokens));
    const auto quantizeTokens = [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t t = first; t < last; ++t)
            quantizeActivationsQ8_K(x + t * w.cols, activations.data() + t * nBlocks, w.cols);
    };
    if (nTokens < kPanelMinTokens)
        quantizeTokens(0, nTokens);
    else
        forEachPiece(nTokens, w.cols, quantizeTokens);
    constexpr std::int64_t kGroup = 8;
    const std::int64_t groups = (w.rows + kGroup - 1) / kGroup;
    forEachPiece(groups, kGroup * w.cols * nTokens, [&](std::int64_t first, std::int64_t last) {
        thread_local std::vector<CacheLine> scratch;
        const std::size_t lines =
            static_cast<std::size_t>(nBlocks) * avx2k::kScratchBytesPerBlock / sizeof(CacheLine) + 1;
        if (scratch.size() < lines) scratch.resize(lines);
        const std::int64_t rowBegin = first * kGroup, rowEnd = std::min(w.rows, last * kGroup);
        avx2k::matMulRowsK(type, w.data, w.rowBytes, nBlocks, activations.data(), nTokens, rowBegin, rowEnd,
                           y + rowBegin, w.rows, scratch.data());
    });
    return true;
}

} // namespace wb
