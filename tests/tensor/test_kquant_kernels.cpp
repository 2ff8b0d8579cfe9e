// The K-quant AVX-512 kernels (engine/tensor/matmul_kquant*.cpp: 16-row groups for one to three tokens,
// 16-token panels over unpacked 32-row strips from four tokens on) against the portable kernels, bit for bit:
// Q4_K, Q5_K and Q6_K; row counts that are not multiples of the 16-row groups, the 4-row tiles or the 32-row
// strips; one super-block and odd super-block counts (Q6_K pairs two super-blocks per scratch vector); token
// counts around the panel switch and the 16-token panels; real tensors of the zoo files (quantized by
// llama.cpp) on one and two threads.
#include "engine/gguf/gguf_file.h"
#include "engine/tensor/activation_quant.h"
#include "engine/tensor/matmul.h"
#include "engine/tensor/matmul_kquant.h"
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

struct Outputs {
    std::vector<float> fast, portable;
};

Outputs runBoth(const wb::WeightMatrix& w, const std::vector<float>& x, std::int64_t nTokens) {
    Outputs out{std::vector<float>(static_cast<std::size_t>(w.rows * nTokens), -1.0f),
                std::vector<float>(static_cast<std::size_t>(w.rows * nTokens), -2.0f)};
    wb::setForcePortableKernels(false);
    wb::matMul(w, x.data(), nTokens, out.fast.data(), wb::KernelPath::QuantizedActivations);
    wb::setForcePortableKernels(true);
    wb::matMul(w, x.data(), nTokens, out.portable.data(), wb::KernelPath::QuantizedActivations);
    wb::setForcePortableKernels(false);
    return out;
}

// Index of the first differing output, or -1.
std::int64_t firstDifference(const Outputs& o) {
    for (std::size_t i = 0; i < o.fast.size(); ++i)
        if (std::memcmp(&o.fast[i], &o.portable[i], sizeof(float)) != 0) return static_cast<std::int64_t>(i);
    return -1;
}

class KQuantKernelsTest : public QObject {
    Q_OBJECT
private slots:
    void equalPortable_data() {
        QTest::addColumn<int>("type");
        QTest::addColumn<int>("blocks");
        QTest::addColumn<int>("rows");
        for (auto [type, name] : {std::pair{GgmlType::Q4_K, "q4_K"}, std::pair{GgmlType::Q5_K, "q5_K"},
                                  std::pair{GgmlType::Q6_K, "q6_K"}}) {
            QTest::newRow(qPrintable(QString("%1 1 block 1 row").arg(name))) << int(type) << 1 << 1;
            QTest::newRow(qPrintable(QString("%1 1 block 19 rows").arg(name))) << int(type) << 1 << 19;
            QTest::newRow(qPrintable(QString("%1 2 blocks 16 rows").arg(name))) << int(type) << 2 << 16;
            QTest::newRow(qPrintable(QString("%1 3 blocks 53 rows").arg(name))) << int(type) << 3 << 53;
            QTest::newRow(qPrintable(QString("%1 22 blocks 70 rows").arg(name))) << int(type) << 22 << 70;
        }
    }
    void equalPortable() {
        if (!wb::avx512KernelsAvailable())
            QSKIP("no AVX-512 VNNI on this CPU: the fast K-quant kernels are unused");
        QFETCH(int, type);
        QFETCH(int, blocks);
        QFETCH(int, rows);
        const auto t = static_cast<GgmlType>(type);
        const int cols = 256 * blocks;
        const auto master = gaussian(static_cast<std::size_t>(cols) * rows, 11 + unsigned(rows), 0.05f);
        const std::size_t rowBytes = wb::rowByteSize(t, cols);
        std::vector<std::uint8_t> data(rowBytes * static_cast<std::size_t>(rows));
        for (int r = 0; r < rows; ++r)
            wb::quantizeRow(t, master.data() + static_cast<std::size_t>(r) * cols, data.data() + r * rowBytes,
                            cols);
        const auto w = wb::WeightMatrix::fromMemory(t, data.data(), cols, rows);
        for (std::int64_t nTokens : {1, 2, 3, 4, 5, 15, 16, 17, 40}) {
            auto x = gaussian(static_cast<std::size_t>(cols * nTokens), 200 + unsigned(nTokens), 1.0f);
            // An all-zero super-block (activation scale 0) and a large outlier (quants at +-127).
            if (nTokens > 1) std::fill(x.begin() + cols, x.begin() + cols + 256, 0.0f);
            x[5] = 40.0f;
            x[20] = -40.0f; // same magnitude: the first one sets the Q8_K scale
            const Outputs o = runBoth(w, x, nTokens);
            const std::int64_t at = firstDifference(o);
            QVERIFY2(at < 0, qPrintable(QString("%1 tokens: output %2 fast %3 portable %4")
                                            .arg(nTokens)
                                            .arg(at)
                                            .arg(at < 0 ? 0.0 : double(o.fast[at]), 0, 'g', 9)
                                            .arg(at < 0 ? 0.0 : double(o.portable[at]), 0, 'g', 9)));
            // Not a trivially equal pair: the outputs are finite and not all zero.
            bool nonZero = false;
            for (float v : o.fast) {
                QVERIFY(std::isfinite(v));
                nonZero = nonZero || v != 0.0f;
            }
            QVERIFY(nonZero);
        }
    }

    // Every K-quant tensor of the zoo files (real llama.cpp quantizations): generation (1 token), the
    // 3-token row-group path and a 21-token prompt (two panels), on one and two threads.
    void equalPortableOnZooTensors() {
        WB_REQUIRE_MODEL("zoo/zoo-llama-q4_k_m.gguf", anyPath);
        if (!wb::avx512KernelsAvailable())
            QSKIP("no AVX-512 VNNI on this CPU: the fast K-quant kernels are unused");
        int checked = 0;
        for (const char* relative :
             {"zoo/zoo-llama-q4_k_m.gguf", "zoo/zoo-llama-q4_k.gguf", "zoo/zoo-llama-q5_k.gguf",
              "zoo/zoo-llama-q6_k.gguf", "zoo/zoo-qwen2-q4_k_m.gguf"}) {
            WB_REQUIRE_MODEL(relative, filePath);
            const auto file = wb::gguf::GgufFile::open(filePath.toStdString());
            for (const auto& info : file.tensors()) {
                const auto w = wb::WeightMatrix::fromTensor(file, info);
                if (w.rows < 2 ||
                    (w.type != GgmlType::Q4_K && w.type != GgmlType::Q5_K && w.type != GgmlType::Q6_K))
                    continue;
                for (std::int64_t nTokens : {1, 3, 21}) {
                    const auto x =
                        gaussian(static_cast<std::size_t>(w.cols * nTokens), 300 + unsigned(nTokens), 1.0f);
                    for (int threads : {1, 2}) {
                        std::int64_t at = 0;
                        tbb::task_arena(threads).execute(
                            [&] { at = firstDifference(runBoth(w, x, nTokens)); });
                        QVERIFY2(at < 0, qPrintable(QString("%1 %2, %3 tokens, %4 threads: output %5 differs")
                                                        .arg(relative)
                                                        .arg(QString::fromStdString(info.name))
                                                        .arg(nTokens)
                                                        .arg(threads)
                                                        .arg(at)));
                    }
                }
                ++checked;
            }
        }
        QVERIFY(checked >= 30);
        qInfo("%d K-quant zoo tensors bit-identical to the portable kernels", checked);
    }

    // The AVX2 row-group kernels (8 rows in lanes; used where AVX-512 VNNI is missing) on the synthetic
    // shapes and every K-quant zoo tensor, 1, 3 and 9 tokens.
    void avx2RowGroupsEqualPortable() {
        if (!wb::avx2KernelsAvailable()) QSKIP("no AVX2 on this CPU: the AVX2 kernels are unused");
        std::vector<wb::WeightMatrix> matrices;
        std::vector<std::vector<std::uint8_t>> storage;
        for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K})
            for (auto [blocks, rows] : {std::pair{1, 1}, std::pair{3, 13}, std::pair{22, 17}}) {
                const int cols = 256 * blocks;
                const auto master = gaussian(static_cast<std::size_t>(cols) * rows, 17, 0.05f);
                const std::size_t rowBytes = wb::rowByteSize(t, cols);
                storage.emplace_back(rowBytes * static_cast<std::size_t>(rows));
                for (int r = 0; r < rows; ++r)
                    wb::quantizeRow(t, master.data() + static_cast<std::size_t>(r) * cols,
                                    storage.back().data() + r * rowBytes, cols);
                matrices.push_back(wb::WeightMatrix::fromMemory(t, storage.back().data(), cols, rows));
            }
        std::vector<wb::gguf::GgufFile> files;
        if (!wb::test::modelsDir().isEmpty())
            for (const char* relative : {"zoo/zoo-llama-q4_k_m.gguf", "zoo/zoo-llama-q5_k.gguf"}) {
                const QString path = wb::test::modelPath(relative);
                if (QFileInfo::exists(path)) files.push_back(wb::gguf::GgufFile::open(path.toStdString()));
            }
        for (const auto& file : files)
            for (const auto& info : file.tensors()) {
                const auto w = wb::WeightMatrix::fromTensor(file, info);
                if (w.type == GgmlType::Q4_K || w.type == GgmlType::Q5_K || w.type == GgmlType::Q6_K)
                    matrices.push_back(w);
            }
        for (const auto& w : matrices)
            for (std::int64_t nTokens : {1, 3, 9}) {
                auto x = gaussian(static_cast<std::size_t>(w.cols * nTokens), 500 + unsigned(nTokens), 1.0f);
                x[2] = 30.0f;
                std::vector<float> fast(static_cast<std::size_t>(w.rows * nTokens), -1.0f),
                    portable(fast.size());
                QVERIFY(wb::matMulKQuantAvx2Rows(w, x.data(), nTokens, fast.data()));
                wb::setForcePortableKernels(true);
                wb::matMul(w, x.data(), nTokens, portable.data(), wb::KernelPath::QuantizedActivations);
                wb::setForcePortableKernels(false);
                QVERIFY2(std::memcmp(fast.data(), portable.data(), fast.size() * sizeof(float)) == 0,
                         qPrintable(QString("type %1, %2 x %3, %4 tokens")
                                        .arg(int(w.type))
                                        .arg(w.rows)
                                        .arg(w.cols)
                                        .arg(nTokens)));
            }
        qInfo("%d matrices checked", int(matrices.size()));
    }

    // The per-row AVX2 dot products (quant_dot_avx2.cpp; used where AVX-512 VNNI is missing) on every row of
    // the zoo's Q4_K, Q5_K and Q6_K tensors.
    void avx2RowKernelsEqualPortable() {
        WB_REQUIRE_MODEL("zoo/zoo-llama-q4_k_m.gguf", anyPath);
        if (!wb::avx2KernelsAvailable()) QSKIP("no AVX2 on this CPU: the AVX2 kernels are unused");
        int checked = 0;
        for (const char* relative :
             {"zoo/zoo-llama-q4_k_m.gguf", "zoo/zoo-llama-q5_k.gguf", "zoo/zoo-llama-q6_k.gguf"}) {
            WB_REQUIRE_MODEL(relative, filePath);
            const auto file = wb::gguf::GgufFile::open(filePath.toStdString());
            for (const auto& info : file.tensors()) {
                const auto w = wb::WeightMatrix::fromTensor(file, info);
                if (w.type != GgmlType::Q4_K && w.type != GgmlType::Q5_K && w.type != GgmlType::Q6_K)
                    continue;
                const auto x = gaussian(static_cast<std::size_t>(w.cols), 400, 1.0f);
                std::vector<wb::blocks::BlockQ8_K> a(static_cast<std::size_t>(w.cols / 256));
                wb::quantizeActivationsQ8_K(x.data(), a.data(), w.cols);
                for (std::int64_t r = 0; r < w.rows; ++r) {
                    const float fast = wb::quantizedDot(w.type, w.rowData(r), a.data(), w.cols);
                    const float portable = wb::quantizedDotPortable(w.type, w.rowData(r), a.data(), w.cols);
                    QVERIFY2(std::memcmp(&fast, &portable, sizeof(float)) == 0,
                             qPrintable(QString("%1 %2 row %3")
                                            .arg(relative)
                                            .arg(QString::fromStdString(info.name))
                                            .arg(r)));
                }
                ++checked;
            }
        }
        QVERIFY(checked >= 20);
    }
};

} // namespace

WB_REGISTER_TENSOR_TEST(KQuantKernelsTest)
#include "test_kquant_kernels.moc"
