// The AVX-512 attention kernels (engine/model/attention_avx512.h) against the attention formula evaluated
// here in double, on F16 and F32 caches, with head sizes that are not multiples of 16 lanes, interleaved
// heads (stride > head size) and 1..70 visible positions (scores batched 16 positions at a time equal the
// single-position ones bit for bit); and the F16 store against wb::floatToFp16 bit for bit. Skipped on CPUs
// without AVX-512 VNNI (the scalar attention runs there).
#include "engine/model/attention_avx512.h"
#include "engine/model/inference_context.h"
#include "engine/model/ops.h"
#include "engine/model/ops_avx512.h"
#include "engine/tensor/fp16.h"
#include "engine/tensor/matmul.h"
#include "engine/tensor/quant_dot.h"
#include "tests/support/test_models.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace wb;

namespace {

std::vector<float> gaussian(std::size_t n, unsigned seed, float sigma) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, sigma);
    std::vector<float> x(n);
    for (auto& v : x)
        v = dist(rng);
    return x;
}

double roundF16(double v) {
    return fp16ToFloat(floatToFp16(static_cast<float>(v)));
}

// Random keys and values of `positions` cached positions, `stride` elements each, in F32 and as F16 bits.
struct RandomKv {
    std::vector<float> keys, values;
    std::vector<std::uint16_t> keys16, values16;
    int stride;
    RandomKv(int positions, int strideElements, unsigned seed)
        : keys(gaussian(static_cast<std::size_t>(positions) * strideElements, seed, 1.0f)),
          values(gaussian(static_cast<std::size_t>(positions) * strideElements, seed + 1, 1.0f)),
          keys16(keys.size()), values16(values.size()), stride(strideElements) {
        for (std::size_t i = 0; i < keys.size(); ++i) {
            keys16[i] = floatToFp16(keys[i]);
            values16[i] = floatToFp16(values[i]);
        }
    }
    // The kernels' view from position `first` on.
    attention_avx512::Head head(bool f16, int headDim, int first = 0) const {
        const std::size_t at = static_cast<std::size_t>(first) * stride;
        return {f16 ? static_cast<const void*>(keys16.data() + at) : keys.data() + at,
                f16 ? static_cast<const void*>(values16.data() + at) : values.data() + at, stride, headDim,
                f16};
    }
};

} // namespace

class TestAttentionKernels : public QObject {
    Q_OBJECT
private slots:
    void init() {
        if (!avx512KernelsAvailable()) QSKIP("no AVX-512 VNNI on this CPU: the scalar attention runs");
    }

    void matchesFormula_data() {
        QTest::addColumn<bool>("f16");
        QTest::addColumn<int>("headDim");
        QTest::addColumn<int>("stride");
        for (bool f16 : {true, false}) {
            const char* type = f16 ? "f16" : "f32";
            QTest::newRow(qPrintable(QString("%1 dim 64 stride 256").arg(type))) << f16 << 64 << 256;
            QTest::newRow(qPrintable(QString("%1 dim 5").arg(type))) << f16 << 5 << 5;
            QTest::newRow(qPrintable(QString("%1 dim 72 stride 150").arg(type))) << f16 << 72 << 150;
            QTest::newRow(qPrintable(QString("%1 dim 300 (wide)").arg(type))) << f16 << 300 << 300;
        }
    }
    void matchesFormula() {
        QFETCH(bool, f16);
        QFETCH(int, headDim);
        QFETCH(int, stride);
        constexpr int kPositions = 70;
        const RandomKv kv(kPositions, stride, 3);
        const auto query = gaussian(static_cast<std::size_t>(headDim), 5, 1.0f);
        // Elements as the kernel sees them (F16 storage rounds them).
        auto key = [&](int p, int d) -> double {
            const std::size_t i = static_cast<std::size_t>(p) * stride + d;
            return f16 ? fp16ToFloat(kv.keys16[i]) : kv.keys[i];
        };
        auto value = [&](int p, int d) -> double {
            const std::size_t i = static_cast<std::size_t>(p) * stride + d;
            return f16 ? fp16ToFloat(kv.values16[i]) : kv.values[i];
        };
        const attention_avx512::Head head = kv.head(f16, headDim);
        const float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
        for (int visible : {1, 2, 15, 16, 17, 33, kPositions}) {
            std::vector<float> scores(static_cast<std::size_t>(visible));
            attention_avx512::scores(head, query.data(), visible, scale, scores.data());
            for (int p = 0; p < visible; ++p) {
                double dot = 0.0, magnitude = 0.0;
                for (int d = 0; d < headDim; ++d) {
                    const double q = f16 ? roundF16(query[static_cast<std::size_t>(d)]) : query[d];
                    dot += q * key(p, d);
                    magnitude += std::abs(q * key(p, d));
                }
                const double expected = dot * scale;
                QVERIFY2(std::abs(scores[static_cast<std::size_t>(p)] - expected) <=
                             1e-6 * magnitude * scale + 1e-7,
                         qPrintable(QString("score %1 of %2: %3 vs %4")
                                        .arg(p)
                                        .arg(visible)
                                        .arg(scores[static_cast<std::size_t>(p)])
                                        .arg(expected)));
            }
            // Positions are summed 16 at a time with one shared reduction; each score equals, bit for bit,
            // the one the kernel computes for that position alone.
            for (int p = 0; p < visible; ++p) {
                const attention_avx512::Head one = kv.head(f16, headDim, p);
                float alone = 0.0f;
                attention_avx512::scores(one, query.data(), 1, scale, &alone);
                QVERIFY2(std::memcmp(&alone, &scores[static_cast<std::size_t>(p)], sizeof alone) == 0,
                         qPrintable(QString("score %1 of %2: %3 alone, %4 batched")
                                        .arg(p)
                                        .arg(visible)
                                        .arg(alone)
                                        .arg(scores[static_cast<std::size_t>(p)])));
            }
            // Weights that sum to one (any values work; these are not exactly representable in F16).
            std::vector<float> weights(static_cast<std::size_t>(visible));
            for (int p = 0; p < visible; ++p)
                weights[static_cast<std::size_t>(p)] =
                    (1.0f + 0.37f * static_cast<float>(p % 7)) / (2.2f * visible);
            std::vector<float> out(static_cast<std::size_t>(headDim) + 1, 12345.0f);
            attention_avx512::weightedValues(head, weights.data(), visible, out.data());
            for (int d = 0; d < headDim; ++d) {
                double expected = 0.0, magnitude = 0.0;
                for (int p = 0; p < visible; ++p) {
                    const double w = f16 ? roundF16(weights[static_cast<std::size_t>(p)])
                                         : weights[static_cast<std::size_t>(p)];
                    expected += w * value(p, d);
                    magnitude += std::abs(w * value(p, d));
                }
                QVERIFY2(std::abs(out[static_cast<std::size_t>(d)] - expected) <= 1e-6 * magnitude + 1e-7,
                         qPrintable(QString("value dim %1 of %2").arg(d).arg(visible)));
            }
            QCOMPARE(out[static_cast<std::size_t>(headDim)], 12345.0f); // nothing written past the head
        }
    }

    // Query heads sharing one KV head, computed together: the same bits as head by head, for every head
    // size class (one chunk, a masked tail, 8 chunks, and wider heads that fall back to head by head).
    void groupedHeadsEqualHeadByHead_data() {
        QTest::addColumn<bool>("f16");
        QTest::addColumn<int>("headDim");
        QTest::addColumn<int>("heads");
        for (bool f16 : {true, false}) {
            const char* type = f16 ? "f16" : "f32";
            QTest::newRow(qPrintable(QString("%1 dim 64, 8 heads").arg(type))) << f16 << 64 << 8;
            QTest::newRow(qPrintable(QString("%1 dim 5, 2 heads").arg(type))) << f16 << 5 << 2;
            QTest::newRow(qPrintable(QString("%1 dim 72, 3 heads").arg(type))) << f16 << 72 << 3;
            QTest::newRow(qPrintable(QString("%1 dim 128, 4 heads").arg(type))) << f16 << 128 << 4;
            QTest::newRow(qPrintable(QString("%1 dim 150 (wide), 2 heads").arg(type))) << f16 << 150 << 2;
        }
    }
    void groupedHeadsEqualHeadByHead() {
        QFETCH(bool, f16);
        QFETCH(int, headDim);
        QFETCH(int, heads);
        constexpr int kPositions = 70;
        const int stride = headDim + 3; // interleaved KV heads
        const RandomKv kv(kPositions, stride, 13);
        const auto queries = gaussian(static_cast<std::size_t>(headDim) * heads, 15, 1.0f);
        const attention_avx512::Head head = kv.head(f16, headDim);
        const float scale = 0.125f;
        for (int visible : {1, 15, 16, 17, 33, kPositions}) {
            const std::int64_t scoreStride = kPositions + 5;
            std::vector<float> grouped(static_cast<std::size_t>(scoreStride * heads), -7.0f);
            std::vector<float> single(grouped.size(), -7.0f);
            attention_avx512::groupScores(head, queries.data(), heads, visible, scale, grouped.data(),
                                          scoreStride);
            for (int h = 0; h < heads; ++h)
                attention_avx512::scores(head, queries.data() + h * headDim, visible, scale,
                                         single.data() + h * scoreStride);
            QVERIFY2(std::memcmp(grouped.data(), single.data(), grouped.size() * sizeof(float)) == 0,
                     qPrintable(QString("scores, %1 visible").arg(visible)));
            // Weights: the scores themselves (any values work).
            std::vector<float> groupedOut(static_cast<std::size_t>(headDim * heads) + 1, 99.0f);
            std::vector<float> singleOut(groupedOut.size(), 99.0f);
            attention_avx512::groupWeightedValues(head, single.data(), scoreStride, heads, visible,
                                                  groupedOut.data());
            for (int h = 0; h < heads; ++h)
                attention_avx512::weightedValues(head, single.data() + h * scoreStride, visible,
                                                 singleOut.data() + h * headDim);
            QVERIFY2(std::memcmp(groupedOut.data(), singleOut.data(), groupedOut.size() * sizeof(float)) == 0,
                     qPrintable(QString("weighted values, %1 visible").arg(visible)));
            QCOMPARE(groupedOut.back(), 99.0f); // nothing written past the last head
        }
    }

    // The AVX-512 softmax of the attention against ops::softmax: a few ulp apart (its exp is accurate to
    // about one ulp and it sums in another order), summing to one, on score rows of every tail length, wide
    // ranges (whole terms underflow to zero) and equal values.
    void vectorSoftmaxMatchesScalar() {
        for (int n : {1, 5, 16, 17, 100, 1000}) {
            for (float sigma : {0.5f, 30.0f}) {
                auto x = gaussian(static_cast<std::size_t>(n), 21 + unsigned(n), sigma);
                auto expected = x;
                ops::softmax(expected.data(), n);
                ops_avx512::softmax(x.data(), n);
                double sum = 0.0;
                for (int i = 0; i < n; ++i) {
                    const float e = expected[static_cast<std::size_t>(i)], v = x[static_cast<std::size_t>(i)];
                    QVERIFY2(std::abs(v - e) <= 4e-7f * e + 1e-37f,
                             qPrintable(QString("n %1 sigma %2, element %3: %4 vs %5")
                                            .arg(n)
                                            .arg(sigma)
                                            .arg(i)
                                            .arg(v)
                                            .arg(e)));
                    sum += v;
                }
                QVERIFY2(std::abs(sum - 1.0) < 1e-5, qPrintable(QString("n %1: sum %2").arg(n).arg(sum)));
            }
        }
        std::vector<float> equal(37, 2.5f);
        ops_avx512::softmax(equal.data(), 37);
        for (float v : equal)
            QVERIFY(std::abs(v - 1.0f / 37.0f) <= 1e-7f);
    }

    // Whole passes (40-token prompt, then 4 greedy steps) with the AVX-512 attention/SiLU and with the scalar
    // ones. Float activations, so that last-bit differences are not absorbed by 8-bit activation rounding:
    // the logits must agree to float rounding (they do differ in the last bits).
    void fastAndPortablePassesAgree_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<bool>("f16");
        QTest::newRow("q8_0 f16 kv") << QStringLiteral("zoo/zoo-llama-q8_0.gguf") << true;
        QTest::newRow("q4_0 f32 kv") << QStringLiteral("zoo/zoo-llama-q4_0.gguf") << false;
    }
    void fastAndPortablePassesAgree() {
        QFETCH(QString, file);
        QFETCH(bool, f16);
        WB_REQUIRE_MODEL(file, path);
        const auto model = Model::load(path.toStdString());
        std::vector<std::int32_t> prompt;
        for (int i = 0; i < 40; ++i)
            prompt.push_back((i * 53 + 7) % model->config().vocabSize);
        const KernelPath savedPath = kernelPath();
        setKernelPath(KernelPath::Float);
        std::vector<std::vector<float>> runs;
        for (bool portable : {false, true}) {
            setForcePortableKernels(portable);
            InferenceContext context(model, {.contextLength = 64,
                                             .threads = 2,
                                             .kvCacheType = f16 ? KvCacheType::F16 : KvCacheType::F32});
            std::vector<float> all;
            auto logits = context.evaluate(prompt);
            for (int step = 0; step < 4; ++step) {
                all.insert(all.end(), logits.begin(), logits.end());
                const auto next = static_cast<std::int32_t>(std::max_element(logits.begin(), logits.end()) -
                                                            logits.begin());
                logits = context.evaluate(std::span(&next, 1));
            }
            runs.push_back(std::move(all));
        }
        setForcePortableKernels(false);
        setKernelPath(savedPath);
        QCOMPARE(runs[0].size(), runs[1].size());
        float largest = 0.0f, difference = 0.0f;
        for (std::size_t i = 0; i < runs[0].size(); ++i) {
            largest = std::max(largest, std::abs(runs[1][i]));
            difference = std::max(difference, std::abs(runs[0][i] - runs[1][i]));
        }
        qInfo("fast vs portable: max |difference| %.3g, max |logit| %.3g", double(difference),
              double(largest));
        // An F16 cache rounds keys and values to 11 bits, so a last-bit difference upstream can move a cached
        // value by one F16 step (5e-4 relative); F32 keeps float rounding throughout.
        const float tolerance = (f16 ? 1e-3f : 2e-5f) * std::max(1.0f, largest);
        QVERIFY2(difference <= tolerance, qPrintable(QString::number(double(difference))));
    }

    // The vectorized SiLU (its own exp) against the formula in double, including saturating inputs and
    // every tail length.
    void siluMatchesFormula() {
        std::vector<float> gate = gaussian(1000, 21, 6.0f), up = gaussian(1000, 22, 1.0f);
        const float specials[] = {0.0f,  -0.0f,  88.0f,  -88.0f,  89.0f, -89.0f, 104.0f, -104.0f,
                                  1e30f, -1e30f, 1e-30f, -1e-30f, 0.5f,  -0.5f,  20.0f,  -20.0f};
        for (std::size_t i = 0; i < std::size(specials); ++i)
            gate[i * 13] = specials[i];
        for (std::int64_t n :
             {std::int64_t{1}, std::int64_t{15}, std::int64_t{16}, std::int64_t{37}, std::int64_t{1000}}) {
            std::vector<float> out(gate.begin(), gate.end());
            ops_avx512::siluMultiply(out.data(), up.data(), n);
            for (std::int64_t i = 0; i < n; ++i) {
                const double g = gate[static_cast<std::size_t>(i)];
                const double expected = g / (1.0 + std::exp(-g)) * up[static_cast<std::size_t>(i)];
                const double got = out[static_cast<std::size_t>(i)];
                QVERIFY2(std::abs(got - expected) <= 1e-6 * std::abs(expected) + 1e-37,
                         qPrintable(QString("gate %1: %2 vs %3").arg(g).arg(got).arg(expected)));
            }
            for (std::size_t i = static_cast<std::size_t>(n); i < out.size(); ++i)
                QCOMPARE(out[i], gate[i]); // nothing written past n
        }
    }

    void f16StoreIsBitIdentical() {
        std::vector<float> in = gaussian(1000 + 7, 9, 3.0f);
        // Ties, subnormals, overflow, infinities, zeros of both signs.
        const float specials[] = {0.0f,
                                  -0.0f,
                                  65504.0f,
                                  65519.0f,
                                  65520.0f,
                                  -70000.0f,
                                  1e-5f,
                                  -6.1e-5f,
                                  5.96e-8f,
                                  2.98e-8f,
                                  1e-9f,
                                  1.00048828125f,
                                  1.0014648f,
                                  std::numeric_limits<float>::infinity(),
                                  -std::numeric_limits<float>::infinity(),
                                  3.0f};
        for (std::size_t i = 0; i < std::size(specials); ++i)
            in[i * 17] = specials[i];
        for (std::size_t n :
             {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17}, in.size()}) {
            std::vector<std::uint16_t> out(in.size(), 0xABCD);
            attention_avx512::floatsToF16(in.data(), out.data(), n);
            for (std::size_t i = 0; i < n; ++i)
                QVERIFY2(out[i] == floatToFp16(in[i]),
                         qPrintable(QString("value %1 (%2)").arg(i).arg(in[i])));
            for (std::size_t i = n; i < out.size(); ++i)
                QCOMPARE(out[i], std::uint16_t{0xABCD});
        }
    }
};

QTEST_GUILESS_MAIN(TestAttentionKernels)
#include "test_attention_kernels.moc"
