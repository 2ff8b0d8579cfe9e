#include "engine/tensor/matmul.h"

#include "engine/tensor/activation_quant.h"
#include "engine/tensor/dequantize.h"
#include "engine/tensor/float_dot.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/quant_dot.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

namespace wb {
namespace {

std::atomic<KernelPath> gKernelPath{KernelPath::Float};

// Rows per task: enough work to amortize scheduling, small enough to balance two to many cores.
std::size_t rowGrain(const WeightMatrix& w, std::int64_t nTokens) {
    const std::int64_t work = w.cols * nTokens;
    const std::int64_t grain = work > 0 ? (1 << 16) / work : 1;
    return static_cast<std::size_t>(grain < 1 ? 1 : grain);
}

void checkMatrix(const WeightMatrix& w) {
    if (w.data == nullptr || w.rows <= 0 || w.cols <= 0)
        throw std::invalid_argument("matrix product: empty weight matrix");
}

// Float path: dequantize each weight row once, dot it against every token in fixed order.
void matMulFloat(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y) {
    tbb::parallel_for(
        tbb::blocked_range<std::int64_t>(0, w.rows, rowGrain(w, nTokens)),
        [&](const tbb::blocked_range<std::int64_t>& range) {
            std::vector<float> rowBuffer(static_cast<std::size_t>(w.cols));
            for (std::int64_t r = range.begin(); r != range.end(); ++r) {
                const float* row = rowBuffer.data();
                if (w.type == GgmlType::F32)
                    row = reinterpret_cast<const float*>(w.rowData(r));
                else
                    dequantizeRow(w.type, w.rowData(r), rowBuffer.data(), w.cols);
                for (std::int64_t t = 0; t < nTokens; ++t)
                    y[t * w.rows + r] = dotFloat(row, x + t * w.cols, w.cols);
            }
        },
        tbb::simple_partitioner());
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
    tbb::parallel_for(
        tbb::blocked_range<std::int64_t>(0, w.rows, rowGrain(w, nTokens)),
        [&](const tbb::blocked_range<std::int64_t>& range) {
            for (std::int64_t r = range.begin(); r != range.end(); ++r)
                for (std::int64_t t = 0; t < nTokens; ++t)
                    y[t * w.rows + r] =
                        quantizedDot(w.type, w.rowData(r), activations.data() + t * blocksPerToken, w.cols);
        },
        tbb::simple_partitioner());
}

} // namespace

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
