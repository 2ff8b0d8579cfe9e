// Hand-checkable tests of the forward pass operators. Expected values are computed here independently
// (in double, from the textbook formulas), never by calling the code under test.
#include "engine/model/ops.h"

#include <QtTest>

#include <cmath>
#include <vector>

using namespace wb;

class TestModelOps : public QObject {
    Q_OBJECT
private slots:
    void rmsNormMatchesFormula() {
        // x = [1, 2, 3, 4]: mean of squares = 30/4 = 7.5.
        const std::vector<float> x{1, 2, 3, 4};
        const std::vector<float> weight{1.0f, 0.5f, 2.0f, -1.0f};
        const float eps = 1e-5f;
        std::vector<float> out(4);
        ops::rmsNorm(x.data(), weight.data(), 4, eps, out.data());
        const double inv = 1.0 / std::sqrt(7.5 + 1e-5);
        for (int i = 0; i < 4; ++i)
            QVERIFY(std::abs(out[i] - x[i] * inv * weight[i]) < 1e-6);
        QVERIFY(std::abs(out[0] - 0.36514813) < 1e-6); // 1 / sqrt(7.50001)
    }

    void rmsNormEpsilonMatters() {
        // All zeros: the result is 0 (not NaN) because of eps.
        const std::vector<float> x(8, 0.0f), weight(8, 1.0f);
        std::vector<float> out(8, 1.0f);
        ops::rmsNorm(x.data(), weight.data(), 8, 1e-6f, out.data());
        for (float v : out)
            QCOMPARE(v, 0.0f);
    }

    void softmaxMatchesFormula() {
        std::vector<float> x{1.0f, 2.0f, 3.0f, -1.0f};
        ops::softmax(x.data(), 4);
        const double denom = std::exp(1.0) + std::exp(2.0) + std::exp(3.0) + std::exp(-1.0);
        const double expected[] = {std::exp(1.0) / denom, std::exp(2.0) / denom, std::exp(3.0) / denom,
                                   std::exp(-1.0) / denom};
        for (int i = 0; i < 4; ++i)
            QVERIFY2(std::abs(x[i] - expected[i]) < 1e-7, qPrintable(QString::number(i)));
        QVERIFY(std::abs(x[2] - 0.65723302) < 1e-6); // e^3 / (e + e^2 + e^3 + e^-1)
    }

    void softmaxIsStableForLargeValues() {
        std::vector<float> x{1000.0f, 1000.0f, -1000.0f};
        ops::softmax(x.data(), 3);
        QVERIFY(std::abs(x[0] - 0.5f) < 1e-7);
        QVERIFY(std::abs(x[1] - 0.5f) < 1e-7);
        QCOMPARE(x[2], 0.0f);
    }

    void siluMultiplyMatchesFormula() {
        std::vector<float> gate{0.0f, 1.0f, -2.0f};
        const std::vector<float> up{3.0f, 2.0f, 0.5f};
        ops::siluMultiply(gate.data(), up.data(), 3);
        QCOMPARE(gate[0], 0.0f);
        QVERIFY(std::abs(gate[1] - 2.0 * (1.0 / (1.0 + std::exp(-1.0)))) < 1e-6); // 1.4621172
        QVERIFY(std::abs(gate[2] - 0.5 * (-2.0 / (1.0 + std::exp(2.0)))) < 1e-6);
    }

    void ropeAnglesMatchFormula() {
        ops::RopeParams params;
        params.dimensions = 4;
        params.freqBase = 100.0f;
        std::vector<float> c(2), s(2);
        ops::ropeAngles(params, 3, c.data(), s.data());
        // theta_0 = 3 * 100^0 = 3, theta_1 = 3 * 100^(-2/4) = 0.3
        QVERIFY(std::abs(c[0] - std::cos(3.0)) < 1e-7);
        QVERIFY(std::abs(s[0] - std::sin(3.0)) < 1e-7);
        QVERIFY(std::abs(c[1] - std::cos(0.3)) < 1e-7);
        QVERIFY(std::abs(s[1] - std::sin(0.3)) < 1e-7);

        // Llama-3.1 factors divide the angle; linear scaling multiplies the position.
        const std::vector<float> factors{1.0f, 4.0f};
        params.freqFactors = factors;
        params.freqScale = 0.5f;
        ops::ropeAngles(params, 3, c.data(), s.data());
        QVERIFY(std::abs(s[0] - std::sin(1.5)) < 1e-7);
        QVERIFY(std::abs(s[1] - std::sin(0.3 * 0.5 / 4.0)) < 1e-7);
    }

    void ropeNormalRotatesAdjacentPairs() {
        // Head of 6 with 4 rotated dims: pairs (0,1), (2,3); dims 4, 5 untouched.
        std::vector<float> head{1, 2, 3, 4, 5, 6};
        const double t0 = 0.7, t1 = 0.2;
        const std::vector<float> c{float(std::cos(t0)), float(std::cos(t1))};
        const std::vector<float> s{float(std::sin(t0)), float(std::sin(t1))};
        ops::applyRope(head.data(), 4, false, c.data(), s.data());
        QVERIFY(std::abs(head[0] - (1 * std::cos(t0) - 2 * std::sin(t0))) < 1e-6);
        QVERIFY(std::abs(head[1] - (1 * std::sin(t0) + 2 * std::cos(t0))) < 1e-6);
        QVERIFY(std::abs(head[2] - (3 * std::cos(t1) - 4 * std::sin(t1))) < 1e-6);
        QVERIFY(std::abs(head[3] - (3 * std::sin(t1) + 4 * std::cos(t1))) < 1e-6);
        QCOMPARE(head[4], 5.0f);
        QCOMPARE(head[5], 6.0f);
    }

    void ropeNeoxRotatesHalves() {
        // NeoX: pairs (0,2), (1,3) for 4 rotated dims.
        std::vector<float> head{1, 2, 3, 4, 5, 6};
        const double t0 = 0.7, t1 = 0.2;
        const std::vector<float> c{float(std::cos(t0)), float(std::cos(t1))};
        const std::vector<float> s{float(std::sin(t0)), float(std::sin(t1))};
        ops::applyRope(head.data(), 4, true, c.data(), s.data());
        QVERIFY(std::abs(head[0] - (1 * std::cos(t0) - 3 * std::sin(t0))) < 1e-6);
        QVERIFY(std::abs(head[2] - (1 * std::sin(t0) + 3 * std::cos(t0))) < 1e-6);
        QVERIFY(std::abs(head[1] - (2 * std::cos(t1) - 4 * std::sin(t1))) < 1e-6);
        QVERIFY(std::abs(head[3] - (2 * std::sin(t1) + 4 * std::cos(t1))) < 1e-6);
        QCOMPARE(head[4], 5.0f);
    }

    void ropeAtPositionZeroIsIdentity() {
        ops::RopeParams params;
        params.dimensions = 8;
        std::vector<float> c(4), s(4);
        ops::ropeAngles(params, 0, c.data(), s.data());
        std::vector<float> head{1, -2, 3, -4, 5, -6, 7, -8};
        const auto before = head;
        ops::applyRope(head.data(), 8, true, c.data(), s.data());
        QCOMPARE(head, before);
    }

    void ropePreservesNorm() {
        ops::RopeParams params;
        params.dimensions = 8;
        std::vector<float> c(4), s(4);
        ops::ropeAngles(params, 17, c.data(), s.data());
        std::vector<float> head{1, -2, 3, -4, 5, -6, 7, -8};
        ops::applyRope(head.data(), 8, false, c.data(), s.data());
        double norm = 0;
        for (float v : head)
            norm += double(v) * v;
        QVERIFY(std::abs(norm - 204.0) < 1e-4);
    }
};

QTEST_GUILESS_MAIN(TestModelOps)
#include "test_model_ops.moc"
