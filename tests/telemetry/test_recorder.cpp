// The recorder: several threads at once lose nothing and keep their order (also while rings rewind under
// a collector), the switch records nothing, full rings count their drops, scopes nest, the op timeline
// records what the scopes record, the nesting validator rejects bad traces. Prints the cost of one scope
// and one timeline op (measurements, not assertions).
#include "engine/telemetry/op_timeline.h"
#include "engine/telemetry/recorder.h"
#include "engine/telemetry/trace_nesting.h"
#include "tests/support/test_models.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <thread>

using namespace wb::telemetry;

namespace {

// A forward pass shaped like the real one: embedding, `layers` blocks of the block ops, then the head.
void simulatePass(Recorder* recorder, int token, int tokenCount, int layers) {
    TokenScope pass(recorder, token, tokenCount);
    { OpScope op(recorder, token, -1, OpKind::Embedding, 256, 0); }
    for (int layer = 0; layer < layers; ++layer) {
        LayerScope block(recorder, token, layer);
        for (OpKind kind : {OpKind::AttnNorm, OpKind::QProj, OpKind::KProj, OpKind::VProj, OpKind::Rope,
                            OpKind::Attention, OpKind::OProj, OpKind::FfnNorm, OpKind::FfnGate, OpKind::FfnUp,
                            OpKind::FfnActivation, OpKind::FfnDown}) {
            OpScope op(recorder, token, layer, kind, 1000 + static_cast<std::uint64_t>(layer), 2000);
        }
    }
    { OpScope op(recorder, token, -1, OpKind::OutputNorm, 256, 256); }
    { OpScope op(recorder, token, -1, OpKind::OutputHead, 131072, 65536); }
    { OpScope op(recorder, token, -1, OpKind::Sampling, 0, 512); }
}

// The same pass timed the way the forward pass does it: an OpTimeline for the embedding, the layers and
// the head (the head chained after the last block op), then sampling on its own. `throwInLayer` >= 0
// throws out of that layer's third op, as a failing pass would.
void simulateTimelinePass(Recorder* recorder, OpTimeline& timeline, int token, int tokenCount, int layers,
                          int throwInLayer = -1) {
    TokenScope pass(recorder, token, tokenCount);
    try {
        const OpTimeline::Pass timed(timeline, recorder, token);
        timeline.beginOp(-1, OpKind::Embedding, 256, 0);
        timeline.pause();
        for (int layer = 0; layer < layers; ++layer) {
            int index = 0;
            for (OpKind kind : {OpKind::AttnNorm, OpKind::QProj, OpKind::KProj, OpKind::VProj, OpKind::Rope,
                                OpKind::Attention, OpKind::OProj, OpKind::FfnNorm, OpKind::FfnGate,
                                OpKind::FfnUp, OpKind::FfnActivation, OpKind::FfnDown}) {
                timeline.beginOp(layer, kind, 1000 + static_cast<std::uint64_t>(layer), 2000);
                volatile int work = 0; // something to time
                for (int i = 0; i < 50; ++i)
                    work = work + i;
                if (layer == throwInLayer && ++index == 3) throw std::runtime_error("pass failed");
            }
        }
        timeline.beginOp(-1, OpKind::OutputNorm, 256, 256);
        timeline.beginOp(-1, OpKind::OutputHead, 131072, 65536);
    } catch (const std::runtime_error&) {
        return;
    }
    { OpScope op(recorder, token, -1, OpKind::Sampling, 0, 512); }
}

Event span(SpanKind kind, int token, int layer, OpKind op, std::uint64_t start, std::uint64_t end,
           std::uint16_t thread = 0) {
    Event event;
    event.kind = kind;
    event.token = token;
    event.layer = static_cast<std::int16_t>(layer);
    event.op = op;
    event.startNs = start;
    event.endNs = end;
    event.thread = thread;
    return event;
}

QString joined(const std::vector<std::string>& problems) {
    QStringList list;
    for (const auto& problem : problems)
        list << QString::fromStdString(problem);
    return list.join(QStringLiteral("\n"));
}

} // namespace

class RecorderTest : public QObject {
    Q_OBJECT
private slots:
    void opNamesRoundTrip() {
        QSet<QString> names;
        for (int i = 0; i < kOpKindCount; ++i) {
            const auto op = static_cast<OpKind>(i);
            const std::string_view name = opKindName(op);
            names.insert(QString::fromUtf8(name.data(), static_cast<qsizetype>(name.size())));
            QCOMPARE(opKindFromName(name), std::optional<OpKind>(op));
        }
        QCOMPARE(names.size(), kOpKindCount); // unique
        QCOMPARE(opKindName(OpKind::QProj), std::string_view("q_proj"));
        QVERIFY(!opKindFromName("matmul").has_value());
        QVERIFY(isLayerOp(OpKind::FfnDown) && !isLayerOp(OpKind::OutputHead) &&
                !isLayerOp(OpKind::Embedding));
    }

    void concurrentThreadsLoseNothingAndKeepOrder() {
        constexpr int kThreads = 4;
        constexpr int kEventsPerThread = 50'000;
        Recorder recorder(true, 1 << 16);
        std::atomic<int> finished{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&recorder, &finished, t] {
                recorder.registerCurrentThread("producer " + std::to_string(t));
                for (int i = 0; i < kEventsPerThread; ++i) {
                    // bytes carries the sequence number, flops the producer index.
                    OpScope op(recorder, i, t, OpKind::QProj, static_cast<std::uint64_t>(i),
                               static_cast<std::uint64_t>(t));
                }
                finished.fetch_add(1);
            });
        // Collect while the producers run, as the live charts do.
        std::vector<Event> events;
        int drains = 0;
        while (finished.load() < kThreads) {
            recorder.drainEvents(events);
            ++drains;
            std::this_thread::yield();
        }
        for (auto& thread : threads)
            thread.join();
        recorder.drainEvents(events);

        QCOMPARE(recorder.droppedEvents(), std::uint64_t{0});
        QCOMPARE(events.size(), std::size_t{kThreads * kEventsPerThread});
        std::map<std::uint64_t, std::uint16_t> threadOfProducer;
        std::map<std::uint16_t, std::int64_t> lastSequence;
        std::map<std::uint16_t, std::uint64_t> lastStart;
        for (const Event& event : events) {
            const auto [it, inserted] = threadOfProducer.emplace(event.flops, event.thread);
            QVERIFY2(it->second == event.thread, "one producer's events carry two thread ids");
            const auto previous = lastSequence.count(event.thread) ? lastSequence[event.thread] : -1;
            QCOMPARE(static_cast<std::int64_t>(event.bytes), previous + 1); // in order, none missing
            lastSequence[event.thread] = static_cast<std::int64_t>(event.bytes);
            QVERIFY(event.startNs >= lastStart[event.thread]);
            QVERIFY(event.endNs >= event.startNs);
            lastStart[event.thread] = event.startNs;
        }
        QCOMPARE(threadOfProducer.size(), std::size_t{kThreads});
        const auto threadsSeen = recorder.threads();
        QCOMPARE(threadsSeen.size(), std::size_t{kThreads});
        for (const ThreadInfo& info : threadsSeen)
            QVERIFY2(QString::fromStdString(info.name).startsWith("producer "), info.name.c_str());
        qInfo("%d events from %d threads collected in %d concurrent drains", kThreads * kEventsPerThread,
              kThreads, drains);
    }

    // A drained ring moves back to its first slot; one with events waiting does not move.
    void drainedRingRewindsToItsFirstSlot() {
        Recorder recorder(true, 64);
        ThreadBuffer* buffer = recorder.threadBuffer();
        QVERIFY(buffer != nullptr);
        for (int i = 0; i < 10; ++i)
            OpScope op(recorder, i, 0, OpKind::FfnUp, 0, 0);
        QCOMPARE(buffer->nextSlot(), std::size_t{10});
        QVERIFY(!buffer->rewindIfDrained()); // 10 events waiting
        QCOMPARE(buffer->nextSlot(), std::size_t{10});
        std::vector<Event> events;
        QCOMPARE(recorder.drainEvents(events), std::size_t{10});
        QVERIFY(buffer->rewindIfDrained());
        QCOMPARE(buffer->nextSlot(), std::size_t{0});
        QVERIFY(buffer->rewindIfDrained()); // already there
        // The ring is whole again: a full ring's worth fits, in order, with nothing dropped.
        for (int i = 0; i < 64; ++i)
            OpScope op(recorder, 100 + i, 0, OpKind::FfnUp, 0, 0);
        QCOMPARE(recorder.droppedEvents(), std::uint64_t{0});
        events.clear();
        QCOMPARE(recorder.drainEvents(events), std::size_t{64});
        for (int i = 0; i < 64; ++i)
            QCOMPARE(events[static_cast<std::size_t>(i)].token, 100 + i);
        QCOMPARE(recorder.drainEvents(events), std::size_t{0});
    }

    // Rewinds race a collector on another thread: every event still arrives once, in order.
    void rewindsRacingTheCollectorLoseNothing() {
        constexpr int kPasses = 3000;
        constexpr int kEventsPerPass = 70;
        Recorder recorder(true, 256);
        std::atomic<bool> done{false};
        std::vector<Event> events;
        std::thread collector([&] {
            while (!done.load())
                recorder.drainEvents(events);
            recorder.drainEvents(events);
        });
        ThreadBuffer* buffer = recorder.threadBuffer();
        int rewound = 0;
        for (int pass = 0; pass < kPasses; ++pass) {
            for (int i = 0; i < kEventsPerPass; ++i)
                OpScope op(recorder, pass, i, OpKind::QProj,
                           static_cast<std::uint64_t>(pass * kEventsPerPass + i), 0);
            // Every other pass waits for the collector and rewinds; the others go on at once.
            if (pass % 2 == 0) {
                while (!buffer->rewindIfDrained())
                    std::this_thread::yield();
                ++rewound;
            } else {
                buffer->rewindIfDrained();
            }
        }
        done.store(true);
        collector.join();
        QCOMPARE(recorder.droppedEvents(), std::uint64_t{0});
        QCOMPARE(events.size(), std::size_t{kPasses * kEventsPerPass});
        for (std::size_t i = 0; i < events.size(); ++i)
            QCOMPARE(events[i].bytes, static_cast<std::uint64_t>(i));
        QCOMPARE(rewound, kPasses / 2);
    }

    void fullRingCountsDropsInsteadOfBlocking() {
        Recorder recorder(true, 64);
        for (int i = 0; i < 100; ++i)
            OpScope op(recorder, i, 0, OpKind::FfnUp, 0, 0);
        QCOMPARE(recorder.droppedEvents(), std::uint64_t{36});
        std::vector<Event> events;
        QCOMPARE(recorder.drainEvents(events), std::size_t{64});
        QCOMPARE(events.front().token, 0);
        QCOMPARE(events.back().token, 63);
        // Drained slots are free again.
        for (int i = 0; i < 64; ++i)
            OpScope op(recorder, i, 0, OpKind::FfnUp, 0, 0);
        QCOMPARE(recorder.droppedEvents(), std::uint64_t{36});
    }

    void disabledRecorderRecordsNothing() {
        Recorder recorder(false);
        simulatePass(&recorder, 0, 1, 3);
        simulatePass(nullptr, 0, 1, 3); // a null recorder is "telemetry off" too
        recorder.record(span(SpanKind::Op, 0, 0, OpKind::QProj, 1, 2));
        recorder.recordCounter({1, "memory", {{"rss", 1.0}}});
        TraceData data;
        recorder.collect(data);
        QVERIFY(data.events.empty());
        QVERIFY(data.counters.empty());
        QVERIFY2(data.threads.empty(), "a disabled recorder must not even register threads");

        recorder.setEnabled(true);
        simulatePass(&recorder, 1, 1, 3);
        recorder.setEnabled(false);
        simulatePass(&recorder, 2, 1, 3);
        recorder.collect(data);
        QCOMPARE(data.events.size(), std::size_t{1 + 1 + 3 * (1 + 12) + 3});
        for (const Event& event : data.events)
            QCOMPARE(event.token, 1);
    }

    void scopesNestStrictly() {
        Recorder recorder;
        for (int token = 0; token < 4; ++token)
            simulatePass(&recorder, token, token == 0 ? 7 : 1, 5);
        std::vector<Event> events;
        recorder.drainEvents(events);
        QCOMPARE(events.size(), std::size_t{4 * (1 + 1 + 5 * 13 + 3)});
        const auto problems = validateTraceNesting(events);
        QVERIFY2(problems.empty(), qPrintable(joined(problems)));
        int tokens = 0;
        for (const Event& event : events)
            if (event.kind == SpanKind::Token) {
                QCOMPARE(event.tokenCount, event.token == 0 ? 7 : 1);
                ++tokens;
            }
        QCOMPARE(tokens, 4);
    }

    void validatorCatchesBadTraces() {
        const Event token = span(SpanKind::Token, 3, -1, OpKind::Other, 100, 1000);
        const Event layer = span(SpanKind::Layer, 3, 0, OpKind::Other, 200, 500);
        const Event op = span(SpanKind::Op, 3, 0, OpKind::QProj, 250, 300);
        const std::vector<Event> good = {token, layer, op,
                                         span(SpanKind::Op, 3, -1, OpKind::Sampling, 600, 700)};
        QVERIFY2(validateTraceNesting(good).empty(), qPrintable(joined(validateTraceNesting(good))));

        const auto expectProblem = [](std::vector<Event> events, const char* needle) {
            const auto problems = validateTraceNesting(events);
            QVERIFY2(!problems.empty(), needle);
            QVERIFY2(joined(problems).contains(needle), qPrintable(joined(problems)));
        };
        // An op of layer 0 outside its layer span.
        expectProblem({token, layer, span(SpanKind::Op, 3, 0, OpKind::FfnUp, 600, 700)},
                      "not inside the span of its layer");
        // An op that runs past the end of its layer.
        expectProblem({token, layer, span(SpanKind::Op, 3, 0, OpKind::FfnUp, 450, 550)}, "without nesting");
        // An op labelled with another layer.
        expectProblem({token, layer, span(SpanKind::Op, 3, 1, OpKind::KProj, 250, 300)},
                      "not inside the span of its layer");
        // A layer with no token span.
        expectProblem({layer, op}, "not inside the span of its token");
        // A layer inside the span of another token.
        expectProblem({token, span(SpanKind::Layer, 4, 0, OpKind::Other, 200, 500)},
                      "not inside the span of its token");
        // Two overlapping ops.
        expectProblem({token, layer, op, span(SpanKind::Op, 3, 0, OpKind::KProj, 290, 320)},
                      "without nesting");
        // A token inside a token, and a span that ends before it starts.
        expectProblem({token, span(SpanKind::Token, 4, -1, OpKind::Other, 150, 160)}, "lies inside");
        expectProblem({span(SpanKind::Token, 1, -1, OpKind::Other, 10, 5)}, "ends before it starts");
        // The same spans on different threads do not contain each other.
        Event otherThreadOp = op;
        otherThreadOp.thread = 1;
        expectProblem({token, layer, otherThreadOp}, "not inside the span of its layer");
    }

    void registeredThreadKeepsItsIdAcrossRecorders() {
        Recorder first;
        Recorder second;
        const auto idFirst = first.registerCurrentThread("decode");
        { OpScope op(second, 0, 0, OpKind::QProj, 0, 0); }
        { OpScope op(first, 0, 0, OpKind::QProj, 0, 0); }
        std::vector<Event> events;
        first.drainEvents(events);
        QCOMPARE(events.size(), std::size_t{1});
        QCOMPARE(events.front().thread, idFirst);
        QCOMPARE(first.threads().size(), std::size_t{1});
        QCOMPARE(QString::fromStdString(first.threads().front().name), QStringLiteral("decode"));
        events.clear();
        second.drainEvents(events);
        QCOMPARE(events.size(), std::size_t{1});
    }

    // The span clock (TSC where invariant, else steady_clock) reads the steady clock's time: between two
    // steady reads around it, within the calibration error (microseconds at worst; the bound is 50 us
    // so that it cannot flake), never backwards on a thread, and consistent across threads.
    void spanClockFollowsSteadyClock() {
        const char* forced = std::getenv("WB_TELEMETRY_CLOCK");
        if (forced != nullptr && std::string_view(forced) == "steady")
            QCOMPARE(spanClockSource(), std::string_view("steady"));
        qInfo("span clock source: %s", std::string(spanClockSource()).c_str());
        Recorder recorder;
        // Past the first SpanClock::kMinCalibrationNs of the process, when the counter takes over.
        std::this_thread::sleep_for(std::chrono::nanoseconds(SpanClock::kMinCalibrationNs + 5'000'000));
        constexpr std::uint64_t kToleranceNs = 50'000;
        const auto checkThread = [&](std::uint64_t durationNs) {
            ThreadBuffer* buffer = recorder.threadBuffer();
            QVERIFY(buffer != nullptr);
            std::uint64_t previous = 0;
            int reads = 0;
            const std::uint64_t stopAt = steadyNowNs() + durationNs;
            for (std::uint64_t before = 0; (before = steadyNowNs()) < stopAt; ++reads) {
                const std::uint64_t now = buffer->now();
                const std::uint64_t after = steadyNowNs();
                if (now < previous) QFAIL("the span clock went backwards");
                if (now + kToleranceNs < before || now > after + kToleranceNs)
                    QFAIL(qPrintable(
                        QStringLiteral("span clock %1 outside [%2, %3] ns").arg(now).arg(before).arg(after)));
                previous = now;
                // Also across the 1 ms re-anchoring windows and after sleeping (other cores, other rate).
                if (reads % 4096 == 4095) std::this_thread::sleep_for(std::chrono::microseconds(300));
            }
            QVERIFY(reads > 100);
        };
        checkThread(60'000'000);
        std::thread other([&] { checkThread(30'000'000); });
        other.join();

        // Hand-offs between two threads: what one thread reads after seeing the other's reading is not
        // earlier than it (beyond the tolerance).
        std::atomic<std::uint64_t> baton{0};
        std::atomic<bool> failed{false};
        constexpr int kRounds = 200;
        std::thread ponger([&] {
            ThreadBuffer* buffer = recorder.threadBuffer();
            for (int round = 0; round < kRounds; ++round) {
                std::uint64_t seen = 0;
                while ((seen = baton.load(std::memory_order_acquire)) == 0 || (seen & 1) == 0)
                    std::this_thread::yield();
                if (buffer->now() + kToleranceNs < (seen >> 1)) failed = true;
                baton.store(buffer->now() << 1, std::memory_order_release); // even: the main thread's turn
            }
        });
        ThreadBuffer* buffer = recorder.threadBuffer();
        for (int round = 0; round < kRounds; ++round) {
            baton.store((buffer->now() << 1) | 1, std::memory_order_release); // odd: the other thread's turn
            std::uint64_t seen = 0;
            while ((seen = baton.load(std::memory_order_acquire)) & 1)
                std::this_thread::yield();
            if (buffer->now() + kToleranceNs < (seen >> 1)) failed = true;
        }
        ponger.join();
        QVERIFY2(!failed, "a thread read an earlier time than another thread had read before the hand-off");
    }

    // OpTimeline records what OpScope and LayerScope record, in the same order, with one clock read per op
    // boundary: ops tile their layer, a layer runs from its first op's start to its last op's end. 20 layers
    // hold more marks than the timeline keeps between flushes, so a layer is split across one.
    void opTimelineRecordsTheSameSpansTiled_data() {
        QTest::addColumn<int>("layers");
        QTest::newRow("3 layers") << 3;
        QTest::newRow("20 layers (flushed mid-pass)") << 20;
    }
    void opTimelineRecordsTheSameSpansTiled() {
        QFETCH(int, layers);
        QVERIFY2(layers < 5 || layers * 12 > static_cast<int>(OpTimeline::kCapacity),
                 "must overflow the marks");
        Recorder recorder(true);
        OpTimeline timeline;
        std::vector<Event> scoped, timed;
        simulatePass(&recorder, 7, 1, layers);
        recorder.drainEvents(scoped);
        simulateTimelinePass(&recorder, timeline, 7, 1, layers);
        recorder.drainEvents(timed);
        QCOMPARE(timed.size(), scoped.size());
        QCOMPARE(timed.size(), static_cast<std::size_t>(1 + layers * 13 + 4));
        for (std::size_t i = 0; i < timed.size(); ++i) {
            QCOMPARE(timed[i].kind, scoped[i].kind);
            QCOMPARE(timed[i].layer, scoped[i].layer);
            QCOMPARE(timed[i].op, scoped[i].op);
            QCOMPARE(timed[i].token, scoped[i].token);
            QCOMPARE(timed[i].bytes, scoped[i].bytes);
            QCOMPARE(timed[i].flops, scoped[i].flops);
            QCOMPARE(timed[i].thread, scoped[i].thread);
        }
        QCOMPARE(joined(validateTraceNesting(timed)), QString());

        const Event* previousOp = nullptr;
        const Event* previousLayer = nullptr;
        const Event* firstOfLayer = nullptr;
        for (const Event& event : timed) {
            if (event.kind == SpanKind::Op && event.op != OpKind::Embedding && event.op != OpKind::Sampling) {
                if (previousOp != nullptr && previousOp->op != OpKind::Embedding)
                    QCOMPARE(event.startNs, previousOp->endNs); // one read per boundary
                if (firstOfLayer == nullptr && event.layer >= 0) firstOfLayer = &event;
                QVERIFY(event.endNs >= event.startNs);
            }
            if (event.kind == SpanKind::Layer) {
                QVERIFY(firstOfLayer != nullptr && previousOp != nullptr);
                QCOMPARE(event.startNs, firstOfLayer->startNs);
                QCOMPARE(event.endNs, previousOp->endNs);
                if (previousLayer != nullptr) QCOMPARE(event.startNs, previousLayer->endNs);
                previousLayer = &event;
                firstOfLayer = nullptr;
            }
            if (event.kind == SpanKind::Op) previousOp = &event;
        }
        QVERIFY(previousLayer != nullptr);

        // Off: a null or disabled recorder records nothing, and every call is a no-op.
        Recorder off(false);
        simulateTimelinePass(&off, timeline, 8, 1, layers);
        simulateTimelinePass(nullptr, timeline, 9, 1, layers);
        QVERIFY(!timeline.active());
        std::vector<Event> none;
        QCOMPARE(off.drainEvents(none), std::size_t{0});
        QCOMPARE(recorder.drainEvents(none), std::size_t{0});
    }

    // With op events discarded (iwb bench --telemetry clock) a timed pass leaves only what the scopes record.
    void opTimelineDiscardsOnRequest() {
        Recorder recorder(true);
        recorder.setOpEventsDiscarded(true);
        OpTimeline timeline;
        simulateTimelinePass(&recorder, timeline, 5, 1, 20);
        std::vector<Event> events;
        recorder.drainEvents(events);
        QCOMPARE(events.size(), std::size_t{2});
        QCOMPARE(events[0].op, OpKind::Sampling); // an OpScope of its own
        QCOMPARE(events[1].kind, SpanKind::Token);

        recorder.setOpEventsDiscarded(false);
        simulateTimelinePass(&recorder, timeline, 6, 1, 2);
        events.clear();
        recorder.drainEvents(events);
        QCOMPARE(events.size(), std::size_t{1 + 2 * 13 + 4});
    }

    // A pass that throws still leaves closed, nested spans: the ops up to the failing one and their layer.
    void opTimelineClosesAFailedPass() {
        Recorder recorder(true);
        OpTimeline timeline;
        simulateTimelinePass(&recorder, timeline, 3, 1, 4, 1);
        QVERIFY(!timeline.active());
        std::vector<Event> events;
        recorder.drainEvents(events);
        QCOMPARE(joined(validateTraceNesting(events)), QString());
        // Embedding, 12 ops and layer 0, 3 ops and layer 1, the token.
        QCOMPARE(events.size(), std::size_t{1 + 13 + 4 + 1});
        QCOMPARE(events[17].kind, SpanKind::Layer);
        QCOMPARE(events[17].layer, std::int16_t{1});
        QCOMPARE(events[16].op, OpKind::KProj);
        QCOMPARE(events[18].kind, SpanKind::Token);

        // The next pass on the same timeline starts clean.
        simulateTimelinePass(&recorder, timeline, 4, 1, 2);
        events.clear();
        recorder.drainEvents(events);
        QCOMPARE(events.size(), std::size_t{1 + 2 * 13 + 4});
        QCOMPARE(joined(validateTraceNesting(events)), QString());
    }

    // The cost of one scope, printed for the report. Not asserted: timing depends on the machine's load.
    void scopeCostMicroBenchmark() {
        constexpr int kScopes = 1'000'000;
        const auto perScopeNs = [](Recorder* recorder) {
            std::vector<Event> sink;
            double best = 1e30;
            for (int rep = 0; rep < 5; ++rep) {
                const std::uint64_t start = steadyNowNs();
                for (int i = 0; i < kScopes; ++i) {
                    OpScope op(recorder, i, 0, OpKind::QProj, 16384, 8192);
                    if ((i & 0xffff) == 0xffff && recorder)
                        recorder->drainEvents(sink), sink.clear(); // keep the ring from filling
                }
                best = std::min(best, static_cast<double>(steadyNowNs() - start) / kScopes);
                if (recorder) recorder->drainEvents(sink), sink.clear();
            }
            return best;
        };
        // One block op of the forward pass's OpTimeline (one clock read), in passes of 13 layers x 12 ops.
        const auto perTimelineOpNs = [](Recorder* recorder) {
            std::vector<Event> sink;
            OpTimeline timeline;
            double best = 1e30;
            for (int rep = 0; rep < 5; ++rep) {
                const std::uint64_t start = steadyNowNs();
                for (int pass = 0; pass < kScopes / 156; ++pass) {
                    {
                        const OpTimeline::Pass timed(timeline, recorder, pass);
                        for (int layer = 0; layer < 13; ++layer)
                            for (int op = 0; op < 12; ++op)
                                timeline.beginOp(layer, OpKind::QProj, 16384, 8192);
                    }
                    if ((pass & 0xff) == 0xff) recorder->drainEvents(sink), sink.clear();
                }
                best = std::min(best, static_cast<double>(steadyNowNs() - start) / kScopes);
                recorder->drainEvents(sink), sink.clear();
            }
            return best;
        };
        Recorder on(true);
        Recorder off(false);
        const double timelineOp = perTimelineOpNs(&on);
        qInfo("timeline op span: %.1f ns recording (clock: %s)", timelineOp,
              std::string(spanClockSource()).c_str());
        const double enabled = perScopeNs(&on);
        const double disabled = perScopeNs(&off);
        const double none = perScopeNs(nullptr);
        // An empty loop of the same shape, to separate loop overhead from the scope.
        volatile std::uint64_t counter = 0;
        const std::uint64_t start = steadyNowNs();
        for (int i = 0; i < kScopes; ++i)
            counter = counter + 1;
        const double loop = static_cast<double>(steadyNowNs() - start) / kScopes;
        qInfo("scope cost: enabled %.1f ns, disabled %.2f ns, null recorder %.2f ns, empty loop %.2f ns "
              "(per scope, best of 5 x %d)",
              enabled, disabled, none, loop, kScopes);
        QCOMPARE(on.droppedEvents(), std::uint64_t{0});
    }
};

QTEST_GUILESS_MAIN(RecorderTest)
#include "test_recorder.moc"
