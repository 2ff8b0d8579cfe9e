// matVec / matMul against a naive double-precision loop over the dequantized weights, and bit-identical
// results for any thread count.
#include "engine/gguf/gguf_file.h"
#include "engine/tensor/dequantize.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/matmul.h"
#include "engine/tensor/quant_dot.h"
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
void referenceProduct(const wb::WeightMatrix& w, const float* x, std::vector<double>& y,
                      std::vector<double>& scale) {
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

// The activations as llama.cpp quantizes them, written out independently from the engine's code
// (zoo README 6.2): per 32 values q = round_half_even(x * 127/amax), d = fp16(amax/127); per 256 values
// ggml's Q8_K reference quantizer (wb::quantizeRow(Q8_K) is tested against its definition separately).
std::vector<float> roundActivations(GgmlType weightType, const float* x, std::int64_t n) {
    std::vector<float> out(x, x + n);
    if (weightType == GgmlType::F32 || weightType == GgmlType::F16) {
        // ggml keeps float activations for these.
    } else if (weightType == GgmlType::BF16) {
        for (std::int64_t i = 0; i < n; ++i)
            out[i] = wb::bf16ToFloat(wb::floatToBf16(x[i]));
    } else if (wb::activationFormatFor(weightType) == wb::ActivationFormat::Q8_0) {
        for (std::int64_t b = 0; b < n; b += 32) {
            float amax = 0;
            for (int j = 0; j < 32; ++j)
                amax = std::max(amax, std::fabs(x[b + j]));
            const float d = wb::fp16ToFloat(wb::floatToFp16(amax / 127.0f));
            for (int j = 0; j < 32; ++j)
                out[b + j] = amax == 0 ? 0.0f : std::nearbyint(x[b + j] * (127.0f / amax)) * d;
        }
    } else {
        std::vector<std::uint8_t> q8k(wb::rowByteSize(GgmlType::Q8_K, n));
        wb::quantizeRow(GgmlType::Q8_K, x, q8k.data(), n);
        wb::dequantizeRow(GgmlType::Q8_K, q8k.data(), out.data(), n);
    }
    return out;
}

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
                wb::quantizeRow(type, master.data() + r * cols, data.data() + r * wb::rowByteSize(type, cols),
                                cols);
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

    // The integer kernels must equal a double-precision product of the dequantized weights with the
    // rounded activations, up to float rounding of the block combination. Q4_1/Q5_1 also carry ggml's
    // fp16 rounding of the activation block sum s (relative 2^-11 of the min term).
    void quantizedActivationsMatchDoubleReference() {
        const std::int64_t cols = 512, rows = 64;
        const auto master = gaussian(static_cast<std::size_t>(cols * rows), 31, 0.1f);
        const auto x = gaussian(static_cast<std::size_t>(cols), 32, 1.0f);
        for (GgmlType type : kAllTypes) {
            const QByteArray name(wb::ggmlTypeName(type).data(), int(wb::ggmlTypeName(type).size()));
            std::vector<std::uint8_t> data(wb::rowByteSize(type, cols) * rows);
            for (std::int64_t r = 0; r < rows; ++r)
                wb::quantizeRow(type, master.data() + r * cols, data.data() + r * wb::rowByteSize(type, cols),
                                cols);
            const auto w = wb::WeightMatrix::fromMemory(type, data.data(), cols, rows);
            const auto rounded = roundActivations(type, x.data(), cols);
            std::vector<double> ref, scale;
            referenceProduct(w, rounded.data(), ref, scale);
            for (bool portable : {true, false}) {
                wb::setForcePortableKernels(portable);
                std::vector<float> y(static_cast<std::size_t>(rows));
                wb::matVec(w, x.data(), y.data(), wb::KernelPath::QuantizedActivations);
                const double tolerance = (type == GgmlType::Q4_1 || type == GgmlType::Q5_1) ? 2e-4 : 2e-6;
                double worst = 0;
                for (std::int64_t r = 0; r < rows; ++r)
                    worst = std::max(worst, std::fabs(y[r] - ref[r]) / scale[r]);
                QVERIFY2(worst < tolerance,
                         qPrintable(name + " relative error " + QByteArray::number(worst)));
            }
            wb::setForcePortableKernels(false);
        }
    }

    void avx2KernelsEqualPortable() {
        if (!wb::avx2KernelsAvailable()) qInfo("this CPU has no AVX2: both runs use the portable kernels");
        WB_REQUIRE_MODEL("zoo/zoo-llama-q4_k_m.gguf", path);
        const char* files[] = {"zoo/zoo-llama-q4_k_m.gguf", "zoo/zoo-llama-q8_0.gguf",
                               "zoo/zoo-llama-q4_0.gguf"};
        const auto x = gaussian(256 * 4, 41, 1.0f);
        for (const char* relative : files) {
            WB_REQUIRE_MODEL(relative, filePath);
            const auto file = wb::gguf::GgufFile::open(filePath.toStdString());
            for (const char* name : {"output.weight", "blk.1.ffn_down.weight", "blk.0.attn_q.weight"}) {
                const auto w = wb::WeightMatrix::fromTensor(file, *file.findTensor(name));
                std::vector<float> fast(static_cast<std::size_t>(w.rows * 4)), portable(fast.size());
                wb::setForcePortableKernels(false);
                wb::matMul(w, x.data(), 4, fast.data(), wb::KernelPath::QuantizedActivations);
                wb::setForcePortableKernels(true);
                wb::matMul(w, x.data(), 4, portable.data(), wb::KernelPath::QuantizedActivations);
                wb::setForcePortableKernels(false);
                QVERIFY2(std::memcmp(fast.data(), portable.data(), fast.size() * sizeof(float)) == 0,
                         qPrintable(QString(relative) + " " + name));
            }
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
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 wb::WeightMatrix::fromMemory(GgmlType::Q4_0, data.data(), 48, 2));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 wb::WeightMatrix::fromMemory(GgmlType::IQ2_XS, data.data(), 256, 1));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 wb::WeightMatrix::fromMemory(GgmlType::F32, data.data(), 8, 0));
    }
};

} // namespace

WB_REGISTER_TENSOR_TEST(MatMulTest)
#include "test_matmul.moc"
