#include "engine/tensor/matmul.h"

#include "engine/tensor/dequantize.h"
#include "engine/tensor/float_dot.h"

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

} // namespace

void setKernelPath(KernelPath path) { gKernelPath.store(path, std::memory_order_relaxed); }
KernelPath kernelPath() { return gKernelPath.load(std::memory_order_relaxed); }

void matVec(const WeightMatrix& w, const float* x, float* y) { matMul(w, x, 1, y, kernelPath()); }
void matVec(const WeightMatrix& w, const float* x, float* y, KernelPath path) { matMul(w, x, 1, y, path); }

void matMul(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y) {
    matMul(w, x, nTokens, y, kernelPath());
}

void matMul(const WeightMatrix& w, const float* x, std::int64_t nTokens, float* y, KernelPath path) {
    checkMatrix(w);
    if (nTokens <= 0)
        return;
    (void)path; // quantized-activation kernels come next; until then every path computes in float
    matMulFloat(w, x, nTokens, y);
}

void getRow(const WeightMatrix& w, std::int64_t row, float* out) {
    checkMatrix(w);
    if (row < 0 || row >= w.rows)
        throw std::out_of_range("getRow: row " + std::to_string(row) + " outside [0, " + std::to_string(w.rows) +
                                ")");
    dequantizeRow(w.type, w.rowData(row), out, w.cols);
}

} // namespace wb
