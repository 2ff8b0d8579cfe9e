// Quantize -> dequantize round trips on generated data: error bounds per type and edge cases.
#include "engine/tensor/dequantize.h"
#include "engine/tensor/quantize.h"
#include "tests/tensor/test_registry.h"

#include <QtTest>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

namespace {

using wb::GgmlType;

struct RoundTripError {
    double rmsRelative; // RMS error / RMS value
    double maxAbs;
};

RoundTripError roundTrip(GgmlType type, const std::vector<float>& x) {
    const auto n = static_cast<std::int64_t>(x.size());
    std::vector<std::uint8_t> blocks(wb::rowByteSize(type, n));
    const std::size_t written = wb::quantizeRow(type, x.data(), blocks.data(), n);
    [&] { QCOMPARE(written, blocks.size()); }();
    std::vector<float> back(x.size());
    wb::dequantizeRow(type, blocks.data(), back.data(), n);
    double sumErr = 0, sumVal = 0, maxAbs = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double err = static_cast<double>(back[i]) - x[i];
        sumErr += err * err;
        sumVal += static_cast<double>(x[i]) * x[i];
        maxAbs = std::max(maxAbs, std::fabs(err));
    }
    return {sumVal > 0 ? std::sqrt(sumErr / sumVal) : std::sqrt(sumErr), maxAbs};
}

std::vector<float> gaussian(std::size_t n, unsigned seed, float sigma = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, sigma);
    std::vector<float> x(n);
    for (auto& v : x)
        v = dist(rng);
    return x;
}

class QuantizeTest : public QObject {
    Q_OBJECT
private slots:
    void roundTripErrorBounds_data() {
        QTest::addColumn<int>("type");
        QTest::addColumn<double>("maxRmsRelative");
        // Bounds sit a little above what ggml's reference quantizers give on Gaussian data
        // (e.g. ~0.5 % for Q8_0, ~8 % for Q4_0, ~27 % for Q2_K at sigma 0.1).
        QTest::newRow("f16") << int(GgmlType::F16) << 0.0004;
        QTest::newRow("bf16") << int(GgmlType::BF16) << 0.003;
        QTest::newRow("q8_0") << int(GgmlType::Q8_0) << 0.006;
        QTest::newRow("q6_K") << int(GgmlType::Q6_K) << 0.022;
        QTest::newRow("q5_0") << int(GgmlType::Q5_0) << 0.05;
        QTest::newRow("q5_1") << int(GgmlType::Q5_1) << 0.045;
        QTest::newRow("q5_K") << int(GgmlType::Q5_K) << 0.045;
        QTest::newRow("q4_0") << int(GgmlType::Q4_0) << 0.10;
        QTest::newRow("q4_1") << int(GgmlType::Q4_1) << 0.09;
        QTest::newRow("q4_K") << int(GgmlType::Q4_K) << 0.09;
        QTest::newRow("q3_K") << int(GgmlType::Q3_K) << 0.16;
        QTest::newRow("q2_K") << int(GgmlType::Q2_K) << 0.33;
        QTest::newRow("q8_K") << int(GgmlType::Q8_K) << 0.008;
    }

    void roundTripErrorBounds() {
        QFETCH(int, type);
        QFETCH(double, maxRmsRelative);
        const auto t = static_cast<GgmlType>(type);
        QVERIFY(wb::canQuantize(t));
        const auto x = gaussian(4096, 7, 0.1f);
        const auto err = roundTrip(t, x);
        qInfo("%s: RMS relative error %.5f, max abs error %.5f (sigma 0.1)", QTest::currentDataTag(),
              err.rmsRelative, err.maxAbs);
        QVERIFY2(err.rmsRelative < maxRmsRelative, qPrintable(QString::number(err.rmsRelative)));
        QVERIFY(err.rmsRelative > 0.0); // a quantizer that returns its input unchanged would be a bug here
    }

    void zerosConstantsAndOutliers() {
        const GgmlType types[] = {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0,
                                  GgmlType::Q5_1, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K,
                                  GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::Q8_K, GgmlType::F16,
                                  GgmlType::BF16};
        for (GgmlType t : types) {
            const QByteArray name(wb::ggmlTypeName(t).data(), static_cast<int>(wb::ggmlTypeName(t).size()));
            // All zeros must come back exactly zero (no NaN from a zero scale).
            const auto zero = roundTrip(t, std::vector<float>(512, 0.0f));
            QVERIFY2(zero.maxAbs == 0.0, name.constData());
            // A constant positive block: the affine types reproduce it closely, symmetric ones within a step.
            const auto constant = roundTrip(t, std::vector<float>(512, 0.75f));
            QVERIFY2(constant.rmsRelative < 0.05 && std::isfinite(constant.maxAbs), name.constData());
            // One large outlier per block must not produce NaN/inf or overflow the integer levels.
            auto x = gaussian(512, 3);
            for (std::size_t i = 0; i < x.size(); i += 32)
                x[i] = (i / 32) % 2 ? 40.0f : -40.0f;
            const auto outlier = roundTrip(t, x);
            QVERIFY2(std::isfinite(outlier.maxAbs) && outlier.maxAbs < 10.0, name.constData());
        }
    }

    void rejectsBadRequests() {
        std::vector<float> x(256, 1.0f);
        std::vector<std::uint8_t> out(4096);
        QVERIFY(!wb::canQuantize(GgmlType::IQ4_NL));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 wb::quantizeRow(GgmlType::IQ4_NL, x.data(), out.data(), 256));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 wb::quantizeRow(GgmlType::Q4_K, x.data(), out.data(), 128));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 wb::quantizeRow(GgmlType::Q8_0, x.data(), out.data(), 40));
    }
};

} // namespace

WB_REGISTER_TENSOR_TEST(QuantizeTest)
#include "test_quantize.moc"
