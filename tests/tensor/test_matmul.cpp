// matVec / matMul against a naive double-precision loop over the dequantized weights, and bit-identical
// results for any thread count.
#include "engine/gguf/gguf_file.h"
#include "engine/tensor/dequantize.h"
#include "engine/tensor/matmul.h"
#include "engine/tensor/quantize.h"
#include "engine/tensor/weight_matrix.h"
#include "tests/support/test_models.h"
#include "tests/tensor/test_registry.h"

#include <QtTest>

#include <tbb/task_arena.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace {

using wb::GgmlType;

std::vector<float> gaussian(std::size_t n, unsigned seed, float sigma) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, sigma);
    std::vector<float> x(n);
    for (auto& v : x)
        v = dist(rng);
    return x;
}

// y = W x in double from the dequantized rows; also returns sum |w||x| per row as the error scale.
void referenceProduct(const wb::WeightMatrix& w, const float* x, std::vector<double>& y, std::vector<double>& scale) {
    std::vector<float> row(static_cast<std::size_t>(w.cols));
    y.assign(static_cast<std::size_t>(w.rows), 0.0);
    scale.assign(static_cast<std::size_t>(w.rows), 0.0);
    for (std::int64_t r = 0; r < w.rows; ++r) {
        wb::dequantizeRow(w.type, w.rowData(r), row.data(), w.cols);
        for (std::int64_t c = 0; c < w.cols; ++c) {
            y[r] += static_cast<double>(row[c]) * x[c];
            scale[r] += std::fabs(static_cast<double>(row[c]) * x[c]);
        }
    }
}

// Worst |y - reference| / sum|w||x| over all outputs of a batch.
double worstRelativeError(const wb::WeightMatrix& w, const std::vector<float>& x, std::int64_t nTokens,
                          const std::vector<float>& y) {
    double worst = 0;
    std::vector<double> ref, scale;
    for (std::int64_t t = 0; t < nTokens; ++t) {
        referenceProduct(w, x.data() + t * w.cols, ref, scale);
        for (std::int64_t r = 0; r < w.rows; ++r)
            worst = std::max(worst, std::fabs(y[t * w.rows + r] - ref[r]) / scale[r]);
    }
    return worst;
}

const GgmlType kAllTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0,
                              GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q2_K, GgmlType::Q3_K,
                              GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};

class MatMulTest : public QObject {
    Q_OBJECT
private slots:
    void floatPathMatchesDoubleReference() {
        const std::int64_t cols = 512, rows = 96, nTokens = 3;
        const auto master = gaussian(static_cast<std::size_t>(cols * rows), 11, 0.1f);
        const auto x = gaussian(static_cast<std::size_t>(cols * nTokens), 12, 1.0f);
        for (GgmlType type : kAllTypes) {
            const QByteArray name(wb::ggmlTypeName(type).data(), int(wb::ggmlTypeName(type).size()));
            std::vector<std::uint8_t> data(wb::rowByteSize(type, cols) * rows);
            for (std::int64_t r = 0; r < rows; ++r)
                wb::quantizeRow(type, master.data() + r * cols, data.data() + r * wb::rowByteSize(type, cols), cols);
            const auto w = wb::WeightMatrix::fromMemory(type, data.data(), cols, rows);
            std::vector<float> y(static_cast<std::size_t>(rows * nTokens));
            wb::matMul(w, x.data(), nTokens, y.data(), wb::KernelPath::Float);
            const double err = worstRelativeError(w, x, nTokens, y);
            QVERIFY2(err < 1e-6, qPrintable(name + " relative error " + QByteArray::number(err)));
            // matVec of each token equals the corresponding matMul column bit for bit.
            std::vector<float> single(static_cast<std::size_t>(rows));
            for (std::int64_t t = 0; t < nTokens; ++t) {
                wb::matVec(w, x.data() + t * cols, single.data(), wb::KernelPath::Float);
                QVERIFY2(std::memcmp(single.data(), y.data() + t * rows, single.size() * sizeof(float)) == 0,
                         name.constData());
            }
            // getRow returns the dequantized row.
            std::vector<float> row(static_cast<std::size_t>(cols)), expected(static_cast<std::size_t>(cols));
            wb::getRow(w, rows - 1, row.data());
            wb::dequantizeRow(type, w.rowData(rows - 1), expected.data(), cols);
            QCOMPARE(row, expected);
        }
    }

    void resultsDoNotDependOnThreadCount() {
        WB_REQUIRE_MODEL("zoo/zoo-llama-q4_k_m.gguf", path);
        const auto file = wb::gguf::GgufFile::open(path.toStdString());
        const auto x = gaussian(256 * 5, 21, 1.0f);
        for (const char* name : {"output.weight", "token_embd.weight", "blk.1.ffn_down.weight"}) {
            const auto w = wb::WeightMatrix::fromTensor(file, *file.findTensor(name));
            for (auto kernel : {wb::KernelPath::Float, wb::KernelPath::QuantizedActivations}) {
                std::vector<float> y1(static_cast<std::size_t>(w.rows * 5)), y2(y1.size());
                tbb::task_arena(1).execute([&] { wb::matMul(w, x.data(), 5, y1.data(), kernel); });
                tbb::task_arena(2).execute([&] { wb::matMul(w, x.data(), 5, y2.data(), kernel); });
                QVERIFY2(std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)) == 0, name);
            }
        }
    }

    void zooMatricesMatchDoubleReference() {
        WB_REQUIRE_MODEL("zoo/zoo-llama-q3_k.gguf", path);
        const auto file = wb::gguf::GgufFile::open(path.toStdString());
        const auto w = wb::WeightMatrix::fromTensor(file, *file.findTensor("output.weight"));
        const auto x = gaussian(256, 5, 1.0f);
        std::vector<float> y(static_cast<std::size_t>(w.rows));
        wb::matVec(w, x.data(), y.data(), wb::KernelPath::Float);
        QVERIFY(worstRelativeError(w, x, 1, y) < 1e-6);
    }

    void rejectsBadMatrices() {
        std::vector<std::uint8_t> data(4096);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, wb::WeightMatrix::fromMemory(GgmlType::Q4_0, data.data(), 48, 2));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, wb::WeightMatrix::fromMemory(GgmlType::IQ2_XS, data.data(), 256, 1));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, wb::WeightMatrix::fromMemory(GgmlType::F32, data.data(), 8, 0));
    }
};

} // namespace

WB_REGISTER_TENSOR_TEST(MatMulTest)
#include "test_matmul.moc"
