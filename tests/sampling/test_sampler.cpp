// The sampler chain, step by step, against values computed independently here (brute force in double).
#include "engine/sampling/sampler.h"
#include "tests/support/test_models.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

using namespace wb;

namespace {

std::set<TokenId> idsOf(const std::vector<TokenCandidate>& candidates) {
    std::set<TokenId> ids;
    for (const auto& candidate : candidates)
        ids.insert(candidate.id);
    return ids;
}

// Logits whose softmax is exactly the given probabilities.
std::vector<float> logitsFor(const std::vector<double>& probabilities) {
    std::vector<float> logits;
    for (const double p : probabilities)
        logits.push_back(float(std::log(p)));
    return logits;
}

std::vector<double> softmaxOf(const std::vector<float>& logits, double temperature = 1.0) {
    const double maxLogit = *std::max_element(logits.begin(), logits.end());
    std::vector<double> out;
    for (const float logit : logits)
        out.push_back(std::exp((logit - maxLogit) / temperature));
    const double sum = std::accumulate(out.begin(), out.end(), 0.0);
    for (double& p : out)
        p /= sum;
    return out;
}

// 97 scrambled but fixed logits, all distinct.
std::vector<float> scrambledLogits() {
    std::vector<float> logits;
    for (int i = 0; i < 97; ++i)
        logits.push_back(float(((i * 37) % 97) - 48) * 0.125f);
    return logits;
}

SamplingParams unfiltered(float temperature = 1.0f, std::uint64_t seed = 1) {
    SamplingParams params;
    params.temperature = temperature;
    params.topK = 0;
    params.topP = 1.0f;
    params.minP = 0.0f;
    params.seed = seed;
    return params;
}

} // namespace

class TestSampler : public QObject {
    Q_OBJECT
private slots:
    void generatorMatchesPublishedSplitmixValue() {
        // splitmix64 from state 0: first output 0xE220A8397B1DCDAF (reference implementation output).
        std::uint64_t state = 0;
        QCOMPARE(Xoshiro256StarStar::splitmix64(state), 0xE220A8397B1DCDAFull);
        Xoshiro256StarStar a(123), b(123), c(124);
        const std::uint64_t first = a.next();
        QCOMPARE(b.next(), first);
        QVERIFY(c.next() != first);
        for (int i = 0; i < 1000; ++i) {
            const double u = a.nextUnit();
            QVERIFY(u >= 0.0 && u < 1.0);
        }
    }

    void greedyPicksHighestAndTiesGoToLowestId() {
        Sampler sampler(unfiltered(0.0f));
        QCOMPARE(sampler.sample(std::vector<float>{1.0f, 3.0f, 3.0f, 2.0f}), 1);
        QCOMPARE(sampler.sample(std::vector<float>{0.5f, 0.5f, 0.5f}), 0);
        QCOMPARE(sampler.sample(std::vector<float>{-5.0f, -1.0f, -2.0f, -1.0f}), 1);
        const auto logits = scrambledLogits();
        const auto expected = std::max_element(logits.begin(), logits.end()) - logits.begin();
        QCOMPARE(sampler.sample(logits), TokenId(expected));
        SamplingParams negative = unfiltered(-1.0f);
        QCOMPARE(Sampler(negative).sample(std::vector<float>{0.0f, 0.0f, 9.0f}), 2);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, sampler.sample(std::vector<float>{}));
    }

    void topKKeepsTheKHighest() {
        const auto logits = scrambledLogits();
        for (const int k : {1, 5, 40}) {
            auto candidates = sampling::candidatesFrom(logits);
            sampling::topK(candidates, k);
            std::set<TokenId> expected; // a token stays when fewer than k logits are higher
            for (std::size_t i = 0; i < logits.size(); ++i) {
                const auto higher =
                    std::count_if(logits.begin(), logits.end(), [&](float l) { return l > logits[i]; });
                if (higher < k) expected.insert(TokenId(i));
            }
            QCOMPARE(idsOf(candidates), expected);
            QVERIFY(std::is_sorted(candidates.begin(), candidates.end(),
                                   [](const auto& a, const auto& b) { return a.logit > b.logit; }));
        }
        auto all = sampling::candidatesFrom(logits);
        sampling::topK(all, 0); // off
        QCOMPARE(all.size(), logits.size());
    }

    void topPKeepsSmallestPrefixReachingP() {
        const auto logits = logitsFor({0.1, 0.5, 0.15, 0.25});
        auto check = [&](float p, std::set<TokenId> expected) {
            auto candidates = sampling::candidatesFrom(logits);
            sampling::topP(candidates, p);
            QCOMPARE(idsOf(candidates), expected);
        };
        check(0.4f, {1});           // 0.5 alone reaches 0.4
        check(0.7f, {1, 3});        // 0.5 + 0.25
        check(0.8f, {1, 3, 2});     // 0.9
        check(0.95f, {1, 3, 2, 0}); // needs everything
        check(1.0f, {0, 1, 2, 3});  // off
        check(0.0f, {1});           // always keeps one

        // Against brute force on a bigger vector.
        const auto scrambled = scrambledLogits();
        const auto probabilities = softmaxOf(scrambled);
        std::vector<std::size_t> order(scrambled.size());
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(),
                  [&](auto a, auto b) { return probabilities[a] > probabilities[b]; });
        double mass = 0.0;
        std::set<TokenId> expected;
        for (const auto index : order) {
            expected.insert(TokenId(index));
            mass += probabilities[index];
            if (mass >= 0.9) break;
        }
        auto candidates = sampling::candidatesFrom(scrambled);
        sampling::topP(candidates, 0.9f);
        QCOMPARE(idsOf(candidates), expected);
    }

    void minPKeepsTokensAboveFractionOfBest() {
        const auto logits = logitsFor({0.1, 0.5, 0.15, 0.25});
        auto check = [&](float p, std::set<TokenId> expected) {
            auto candidates = sampling::candidatesFrom(logits);
            sampling::minP(candidates, p);
            QCOMPARE(idsOf(candidates), expected);
        };
        check(0.4f, {1, 3});       // threshold 0.2
        check(0.25f, {1, 3, 2});   // threshold 0.125
        check(0.1f, {0, 1, 2, 3}); // threshold 0.05
        check(0.99f, {1});
        check(0.0f, {0, 1, 2, 3}); // off
    }

    void penaltiesFollowLlamaCppArithmetic() {
        std::vector<float> logits{2.0f, -2.0f, 1.0f, 0.5f, 0.0f};
        const std::vector<TokenId> history{0, 1, 0, 4};
        sampling::applyPenalties(logits, history, 1.5f, 0.1f, 0.2f);
        QVERIFY(std::abs(logits[0] - (2.0f / 1.5f - (2 * 0.2f + 0.1f))) < 1e-6f); // seen twice, positive
        QVERIFY(std::abs(logits[1] - (-2.0f * 1.5f - (0.2f + 0.1f))) < 1e-6f);    // seen once, negative
        QCOMPARE(logits[2], 1.0f);                                                // not seen
        QCOMPARE(logits[3], 0.5f);
        QVERIFY(std::abs(logits[4] - (-0.3f)) < 1e-6f); // zero counts as "not positive": 0 * 1.5 - 0.3

        // The sampler's window holds only the last repeatLastN accepted tokens.
        SamplingParams params = unfiltered(0.0f);
        params.repeatPenalty = 100.0f;
        params.repeatLastN = 2;
        Sampler sampler(params);
        const std::vector<float> flat{3.0f, 2.9f, 2.8f};
        QCOMPARE(sampler.sample(flat), 0);
        sampler.accept(0);
        QCOMPARE(sampler.sample(flat), 1); // 0 is penalised
        sampler.accept(1);
        QCOMPARE(sampler.sample(flat), 2);
        sampler.accept(2); // window is now {1, 2}: 0 is free again
        QCOMPARE(sampler.sample(flat), 0);
        sampler.reset();
        QCOMPARE(sampler.sample(flat), 0);
    }

    void distributionMatchesChainComputedByHand() {
        SamplingParams params;
        params.temperature = 0.7f;
        params.topK = 10;
        params.topP = 0.9f;
        params.minP = 0.05f;
        const auto logits = scrambledLogits();
        const auto result = Sampler(params).distribution(logits);

        // Independent chain: top-10 ids, then top-p on their renormalised probabilities, then min-p.
        std::vector<std::size_t> order(logits.size());
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](auto a, auto b) { return logits[a] > logits[b]; });
        order.resize(10);
        std::vector<float> kept;
        for (auto index : order)
            kept.push_back(logits[index]);
        const auto p = softmaxOf(kept);
        std::size_t keep = 0;
        for (double mass = 0.0; keep < p.size() && mass < 0.9; ++keep)
            mass += p[keep];
        std::size_t keepMin = 0;
        while (keepMin < keep && p[keepMin] >= 0.05 * p[0])
            ++keepMin;
        QCOMPARE(result.size(), keepMin);
        std::vector<float> finalLogits(kept.begin(), kept.begin() + long(keepMin));
        const auto expected = softmaxOf(finalLogits, 0.7);
        for (std::size_t i = 0; i < keepMin; ++i) {
            QCOMPARE(result[i].id, TokenId(order[i]));
            QVERIFY2(std::abs(result[i].probability - expected[i]) < 1e-5, qPrintable(QString::number(i)));
        }
    }

    void sameSeedSameTokensDifferentSeedsDiffer() {
        const auto logits = scrambledLogits();
        auto draw = [&](std::uint64_t seed) {
            SamplingParams params = unfiltered(2.0f, seed);
            Sampler sampler(params);
            std::vector<TokenId> out;
            for (int i = 0; i < 200; ++i)
                out.push_back(sampler.sample(logits));
            return out;
        };
        QCOMPARE(draw(42), draw(42));
        QVERIFY(draw(42) != draw(43));

        // reset() restarts the generator.
        Sampler sampler(unfiltered(2.0f, 9));
        std::vector<TokenId> first, second;
        for (int i = 0; i < 50; ++i)
            first.push_back(sampler.sample(logits));
        sampler.reset();
        for (int i = 0; i < 50; ++i)
            second.push_back(sampler.sample(logits));
        QCOMPARE(first, second);
    }

    void drawFrequenciesFollowTheDistribution() {
        const std::vector<double> probabilities{0.5, 0.3, 0.2};
        const auto logits = logitsFor(probabilities);
        constexpr int kDraws = 20000;
        for (const double temperature : {1.0, 0.5}) {
            Sampler sampler(unfiltered(float(temperature), 2024));
            std::vector<int> counts(3, 0);
            for (int i = 0; i < kDraws; ++i)
                ++counts[std::size_t(sampler.sample(logits))];
            const auto expected = softmaxOf(logits, temperature); // T=0.5: proportional to p^2
            for (std::size_t id = 0; id < 3; ++id) {
                const double observed = double(counts[id]) / kDraws;
                // 4 standard deviations of a binomial proportion: fails by chance about once in 15000 runs
                // with a random seed; the seed is fixed, so this is deterministic anyway.
                const double sigma = std::sqrt(expected[id] * (1 - expected[id]) / kDraws);
                QVERIFY2(std::abs(observed - expected[id]) < 4 * sigma,
                         qPrintable(QString("T=%1 id %2: observed %3 expected %4")
                                        .arg(temperature)
                                        .arg(id)
                                        .arg(observed)
                                        .arg(expected[id])));
            }
        }
    }

    void filteredTokensAreNeverDrawn() {
        SamplingParams params = unfiltered(1.5f, 5);
        params.topK = 3;
        const auto logits = scrambledLogits();
        auto top = sampling::candidatesFrom(logits);
        sampling::topK(top, 3);
        const auto allowed = idsOf(top);
        Sampler sampler(params);
        std::set<TokenId> seen;
        for (int i = 0; i < 2000; ++i)
            seen.insert(sampler.sample(logits));
        QCOMPARE(seen, allowed); // every allowed token shows up, nothing else does
    }

    void nanAndInfinityDoNotBreakSampling() {
        const float inf = std::numeric_limits<float>::infinity();
        std::vector<float> logits{std::nanf(""), -inf, 1.0f, -inf};
        QCOMPARE(Sampler(unfiltered(0.0f)).sample(logits), 2);
        Sampler sampler(unfiltered(1.0f));
        for (int i = 0; i < 100; ++i)
            QCOMPARE(sampler.sample(logits), 2);
    }
};

QTEST_GUILESS_MAIN(TestSampler)
#include "test_sampler.moc"
