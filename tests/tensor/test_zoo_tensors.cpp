// Dequantizers checked against real ggml output: the zoo files were quantized by llama.cpp's llama-quantize
// from zoo-llama-f32.gguf, so each dequantized tensor must lie within that type's quantization error of the
// F32 master. The legacy quantizers follow ggml's reference ones and must reproduce the files byte for byte.
#include "engine/gguf/gguf_file.h"
#include "engine/tensor/dequantize.h"
#include "engine/tensor/matmul.h"
#include "engine/tensor/quantize.h"
#include "engine/tensor/weight_matrix.h"
#include "tests/support/test_models.h"
#include "tests/tensor/test_registry.h"

#include <QtTest>

#include <cmath>
#include <cstring>
#include <vector>

namespace {

using wb::GgmlType;

std::vector<float> dequantizeTensor(const wb::gguf::GgufFile& file, const char* name) {
    const auto* info = file.findTensor(name);
    if (!info) throw std::runtime_error(std::string("missing tensor ") + name + " in " + file.sourceName());
    const auto w = wb::WeightMatrix::fromTensor(file, *info);
    std::vector<float> out(static_cast<std::size_t>(w.rows * w.cols));
    for (std::int64_t r = 0; r < w.rows; ++r)
        wb::getRow(w, r, out.data() + r * w.cols);
    return out;
}

struct Stats {
    double maxAbs = 0, rms = 0;
};

Stats compare(const std::vector<float>& a, const std::vector<float>& b) {
    Stats s;
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = static_cast<double>(a[i]) - b[i];
        s.maxAbs = std::max(s.maxAbs, std::fabs(d));
        sum += d * d;
    }
    s.rms = std::sqrt(sum / static_cast<double>(a.size()));
    return s;
}

class ZooTensorsTest : public QObject {
    Q_OBJECT
private slots:
    void dequantizedMatchesF32Master_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("type");
        QTest::addColumn<double>("maxAbsBound");
        QTest::addColumn<double>("rmsBound");
        // The weights are N(0, 0.1). Bounds are about half a quantization step of each format at that scale
        // (max) and ~1.3x the measured RMS error; a misplaced nibble or scale exceeds them by far.
        QTest::newRow("f16") << "zoo-llama-f16.gguf" << int(GgmlType::F16) << 2.5e-4 << 3e-5;
        QTest::newRow("bf16") << "zoo-llama-bf16.gguf" << int(GgmlType::BF16) << 1.6e-3 << 4e-4;
        QTest::newRow("q8_0") << "zoo-llama-q8_0.gguf" << int(GgmlType::Q8_0) << 2.5e-3 << 7e-4;
        QTest::newRow("q6_K") << "zoo-llama-q6_k.gguf" << int(GgmlType::Q6_K) << 9e-3 << 2.3e-3;
        QTest::newRow("q5_0") << "zoo-llama-q5_0.gguf" << int(GgmlType::Q5_0) << 0.02 << 5.5e-3;
        QTest::newRow("q5_1") << "zoo-llama-q5_1.gguf" << int(GgmlType::Q5_1) << 0.015 << 5e-3;
        QTest::newRow("q5_K") << "zoo-llama-q5_k.gguf" << int(GgmlType::Q5_K) << 0.016 << 4.7e-3;
        QTest::newRow("q4_0") << "zoo-llama-q4_0.gguf" << int(GgmlType::Q4_0) << 0.045 << 0.011;
        QTest::newRow("q4_1") << "zoo-llama-q4_1.gguf" << int(GgmlType::Q4_1) << 0.03 << 0.010;
        QTest::newRow("q4_K") << "zoo-llama-q4_k.gguf" << int(GgmlType::Q4_K) << 0.033 << 0.0093;
        QTest::newRow("q3_K") << "zoo-llama-q3_k.gguf" << int(GgmlType::Q3_K) << 0.075 << 0.02;
        QTest::newRow("q2_K") << "zoo-llama-q2_k.gguf" << int(GgmlType::Q2_K) << 0.16 << 0.039;
    }

    void dequantizedMatchesF32Master() {
        QFETCH(QString, file);
        QFETCH(int, type);
        QFETCH(double, maxAbsBound);
        QFETCH(double, rmsBound);
        WB_REQUIRE_MODEL("zoo/zoo-llama-f32.gguf", masterPath);
        WB_REQUIRE_MODEL("zoo/" + file, path);
        const auto master = wb::gguf::GgufFile::open(masterPath.toStdString());
        const auto quant = wb::gguf::GgufFile::open(path.toStdString());
        for (const char* name : {"blk.0.attn_q.weight", "blk.1.ffn_down.weight", "token_embd.weight"}) {
            QCOMPARE(int(quant.findTensor(name)->type), type);
            const auto stats = compare(dequantizeTensor(quant, name), dequantizeTensor(master, name));
            qInfo("%s %s: max abs error %.3g, RMS error %.3g", QTest::currentDataTag(), name, stats.maxAbs,
                  stats.rms);
            QVERIFY2(stats.maxAbs < maxAbsBound, name);
            QVERIFY2(stats.rms < rmsBound, name);
            QVERIFY(stats.rms > 0);
        }
    }

    // Our quantizers applied to the F32 master: the legacy types and F16/BF16 follow ggml's reference
    // algorithm exactly, so the bytes must equal llama-quantize's; the K-quants use a simpler search and
    // must stay within 25 % of ggml's RMS error.
    void quantizersAgainstLlamaQuantize_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("type");
        QTest::addColumn<bool>("byteIdentical");
        QTest::newRow("f16") << "zoo-llama-f16.gguf" << int(GgmlType::F16) << true;
        QTest::newRow("bf16") << "zoo-llama-bf16.gguf" << int(GgmlType::BF16) << true;
        QTest::newRow("q8_0") << "zoo-llama-q8_0.gguf" << int(GgmlType::Q8_0) << true;
        QTest::newRow("q5_0") << "zoo-llama-q5_0.gguf" << int(GgmlType::Q5_0) << true;
        QTest::newRow("q5_1") << "zoo-llama-q5_1.gguf" << int(GgmlType::Q5_1) << true;
        QTest::newRow("q4_0") << "zoo-llama-q4_0.gguf" << int(GgmlType::Q4_0) << true;
        QTest::newRow("q4_1") << "zoo-llama-q4_1.gguf" << int(GgmlType::Q4_1) << true;
        QTest::newRow("q6_K") << "zoo-llama-q6_k.gguf" << int(GgmlType::Q6_K) << false;
        QTest::newRow("q5_K") << "zoo-llama-q5_k.gguf" << int(GgmlType::Q5_K) << false;
        QTest::newRow("q4_K") << "zoo-llama-q4_k.gguf" << int(GgmlType::Q4_K) << false;
        QTest::newRow("q3_K") << "zoo-llama-q3_k.gguf" << int(GgmlType::Q3_K) << false;
        QTest::newRow("q2_K") << "zoo-llama-q2_k.gguf" << int(GgmlType::Q2_K) << false;
    }

    void quantizersAgainstLlamaQuantize() {
        QFETCH(QString, file);
        QFETCH(int, type);
        QFETCH(bool, byteIdentical);
        WB_REQUIRE_MODEL("zoo/zoo-llama-f32.gguf", masterPath);
        WB_REQUIRE_MODEL("zoo/" + file, path);
        const auto master = wb::gguf::GgufFile::open(masterPath.toStdString());
        const auto quant = wb::gguf::GgufFile::open(path.toStdString());
        const char* name = "blk.0.attn_q.weight";
        const auto original = dequantizeTensor(master, name);
        const auto t = static_cast<GgmlType>(type);
        const auto n = static_cast<std::int64_t>(original.size());
        std::vector<std::uint8_t> ours(wb::rowByteSize(t, n));
        wb::quantizeRow(t, original.data(), ours.data(), n);
        const auto theirs = quant.tensorBytes(*quant.findTensor(name));
        QCOMPARE(theirs.size(), ours.size());
        if (byteIdentical) {
            std::size_t firstDiff = ours.size();
            for (std::size_t i = 0; i < ours.size() && firstDiff == ours.size(); ++i)
                if (ours[i] != theirs[i]) firstDiff = i;
            QVERIFY2(firstDiff == ours.size(),
                     qPrintable(QString("first differing byte at %1").arg(firstDiff)));
            return;
        }
        std::vector<float> back(original.size());
        wb::dequantizeRow(t, ours.data(), back.data(), n);
        const double ourRms = compare(back, original).rms;
        const double ggmlRms = compare(dequantizeTensor(quant, name), original).rms;
        qInfo("%s: our quantizer RMS error %.4g, llama-quantize %.4g (ratio %.3f)", QTest::currentDataTag(),
              ourRms, ggmlRms, ourRms / ggmlRms);
        QVERIFY(ourRms < 1.25 * ggmlRms);
    }

    void weightMatrixValidatesShape() {
        WB_REQUIRE_MODEL("zoo/zoo-llama-q4_k.gguf", path);
        const auto file = wb::gguf::GgufFile::open(path.toStdString());
        const auto w = wb::WeightMatrix::fromTensor(file, *file.findTensor("token_embd.weight"));
        QCOMPARE(w.cols, std::int64_t{256});
        QCOMPARE(w.rows, std::int64_t{512});
        QCOMPARE(w.rowBytes, std::size_t{144});
        QVERIFY_THROWS_EXCEPTION(std::out_of_range, [&] {
            std::vector<float> row(256);
            wb::getRow(w, 512, row.data());
        }());
        // A norm vector is 1-D: it is accepted as a single row.
        const auto norm = wb::WeightMatrix::fromTensor(file, *file.findTensor("output_norm.weight"));
        QCOMPARE(norm.rows, std::int64_t{1});
        // A 3-D tensor is rejected with its name in the message.
        auto info = *file.findTensor("blk.0.attn_q.weight");
        info.nDims = 3;
        info.ne[2] = 2;
        try {
            (void)wb::WeightMatrix::fromTensor(file, info);
            QFAIL("a 3-D tensor must be rejected");
        } catch (const std::invalid_argument& e) {
            QVERIFY2(QString(e.what()).contains("blk.0.attn_q.weight"), e.what());
        }
    }
};

} // namespace

WB_REGISTER_TENSOR_TEST(ZooTensorsTest)
#include "test_zoo_tensors.moc"
