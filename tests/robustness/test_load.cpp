// Load: long generations at a 4,096-token context, 200 load/unload cycles without memory growth, and
// cancellation within one token at any point of a long generation. Label `load` (seconds in a release
// build; the RSS check is skipped under sanitizers, whose quarantine holds freed memory on purpose).
#include "engine/model/inference_context.h"
#include "engine/model/model.h"
#include "engine/session/generation_session.h"
#include "tests/support/test_models.h"

#include <QElapsedTimer>
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <thread>
#include <unistd.h>

using namespace wb;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// Resident set size in bytes (proc(5), /proc/self/statm field 2, in pages).
double residentBytes() {
    std::ifstream statm("/proc/self/statm");
    double sizePages = 0, residentPages = 0;
    statm >> sizePages >> residentPages;
    return residentPages * static_cast<double>(sysconf(_SC_PAGESIZE));
}

} // namespace

class TestLoad : public QObject {
    Q_OBJECT

private slots:
    void greedyFourThousandTokensAtContext4096() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        auto model = Model::load(path.toStdString());
        ContextOptions options;
        options.contextLength = 4096;
        InferenceContext context(model, options);
        QElapsedTimer timer;
        timer.start();
        // Greedy straight on the context (end-of-story tokens do not stop it): every position is used.
        std::int32_t token = 1; // BOS
        // Sanitizers slow the pass 10-50x; there a shorter run still walks the cache past its first pages.
        constexpr int kTokens = kSanitized ? 400 : 4000;
        for (int i = 0; i < kTokens; ++i) {
            const auto logits = context.evaluate(std::span<const std::int32_t>(&token, 1));
            for (const float logit : logits)
                if (!std::isfinite(logit)) QFAIL(qPrintable(QString("non-finite logit at position %1").arg(i)));
            token = static_cast<std::int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
        }
        QCOMPARE(context.position(), kTokens);
        qInfo("%d greedy tokens at context 4096: %.1f s", kTokens, timer.elapsed() / 1000.0);
        // Only 4096 - kTokens positions are left: one more token than that does not fit, state unchanged.
        const std::vector<std::int32_t> tooMany(static_cast<std::size_t>(4096 - kTokens + 1), token);
        QVERIFY_THROWS_EXCEPTION(std::length_error, context.evaluate(tooMany));
        QCOMPARE(context.position(), kTokens);
    }

    void twoHundredLoadUnloadCyclesDoNotGrowMemory() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        if (kSanitized) QSKIP("sanitizer quarantine keeps freed memory resident by design");
        ContextOptions options;
        options.contextLength = 256;
        options.threads = 2;
        GenerationOptions generation;
        generation.maxTokens = 8;
        generation.sampling.temperature = 0.0f;
        const auto cycle = [&] {
            auto session = GenerationSession::open(path.toStdString(), options);
            const auto result = session->generate("Once upon a time", generation);
            QVERIFY(!result.ids.empty());
        };
        for (int i = 0; i < 10; ++i) // warm-up: thread pools, tables and allocator arenas reach steady state
            cycle();
        const double before = residentBytes();
        for (int i = 0; i < 200; ++i)
            cycle();
        const double after = residentBytes();
        const double growth = (after - before) / before;
        qInfo("RSS %.1f MiB -> %.1f MiB after 200 cycles (%+.2f %%)", before / 1048576.0, after / 1048576.0,
              growth * 100.0);
        QVERIFY2(growth < 0.02, qPrintable(QString("RSS grew by %1 %").arg(growth * 100.0)));
    }

    void cancellationTakesEffectWithinOneTokenThroughout_data() {
        QTest::addColumn<int>("cancelAfter");
        for (const int n : {1, 17, 150, 600})
            QTest::addRow("after %d tokens", n) << n;
    }
    void cancellationTakesEffectWithinOneTokenThroughout() {
        QFETCH(int, cancelAfter);
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        ContextOptions options;
        options.contextLength = 4096;
        auto session = GenerationSession::open(path.toStdString(), options);
        GenerationOptions generation;
        generation.maxTokens = 4000;
        generation.sampling.temperature = 1.0f; // sampled stories run long; the seed makes it repeatable
        generation.sampling.seed = 7;
        std::atomic<int> produced{0};
        std::atomic<int> producedWhenCancelled{-1};
        std::atomic<bool> done{false};
        std::thread watcher([&] {
            while (!done.load() && produced.load() < cancelAfter)
                std::this_thread::yield();
            session->cancel();
            producedWhenCancelled.store(produced.load()); // read after cancel(): an upper bound
        });
        const auto result = session->generate("Once upon a time", generation, [&](const TokenEvent& event) {
            if (event.token != TokenEvent::kNoToken) produced.store(event.index + 1);
        });
        done.store(true);
        watcher.join();
        if (result.stopReason == StopReason::EndOfGeneration && static_cast<int>(result.ids.size()) < cancelAfter)
            QSKIP("the sampled story ended before the cancel point");
        QCOMPARE(stopReasonName(result.stopReason), std::string_view("cancelled"));
        QVERIFY2(static_cast<int>(result.ids.size()) <= producedWhenCancelled.load() + 1,
                 qPrintable(QString("%1 tokens, cancel seen at %2").arg(result.ids.size()).arg(
                     producedWhenCancelled.load())));
    }
};

QTEST_GUILESS_MAIN(TestLoad)
#include "test_load.moc"
