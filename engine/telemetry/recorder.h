#pragma once
// The event recorder of the forward pass. Each thread writes into its own pre-allocated single-producer
// ring (no lock, no allocation, no shared cache line on the hot path); one collector drains all rings.
// A disabled recorder (or a null Recorder*) costs one branch per scope and never reads the clock.
// Times come from each thread's SpanClock (span_clock.h): the time-stamp counter on the steady clock's
// scale. A hot loop that times consecutive steps uses OpTimeline (op_timeline.h: one clock read per step
// boundary, events pushed once per pass).
//
//   telemetry::TokenScope pass(recorder, token, tokenCount);
//   for (layer...) {
//       telemetry::LayerScope block(recorder, token, layer);
//       { telemetry::OpScope op(recorder, token, layer, OpKind::QProj, bytes, flops); matmul(...); }
//   }
//
// Threads register on first use (one allocation per thread and recorder, off the hot path after that)
// or up front with registerCurrentThread(name).
#include "engine/telemetry/event.h"
#include "engine/telemetry/span_clock.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace wb::telemetry {

// One thread's ring of events. Written only by its thread, read only by the collector.
class ThreadBuffer {
public:
    ThreadBuffer(std::uint16_t id, std::string name, std::size_t capacityPow2);

    // Producer side: this thread's span clock (steady-clock nanoseconds, nondecreasing).
    std::uint64_t now() noexcept { return clock_.now(); }

    // Producer side. When the collector has fallen a whole ring behind, the event is counted as dropped
    // rather than blocking the forward pass.
    void push(const Event& event) noexcept {
        const std::uint64_t head = head_.load(std::memory_order_relaxed);
        if (head - cachedTail_ >= capacity_) {
            cachedTail_ = tail_.load(std::memory_order_acquire);
            if (head - cachedTail_ >= capacity_) {
                dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
                return;
            }
        }
        events_[head & mask_] = event;
        head_.store(head + 1, std::memory_order_release);
    }

    // Producer side, between passes: when the collector has taken every event, moves both ends of the ring
    // back to its first slot. A thread drained after every pass then writes the same few KiB each pass,
    // which stay in cache; otherwise each pass would write fresh lines of a ring larger than the caches
    // (on stories260K, stores to those lines took 1 % of a token). The collector can never see the move
    // half done: tail goes first (drainInto reads head before tail and takes nothing while head <= tail),
    // and the move happens only while tail == head, when a collector has nothing to copy or store.
    // Returns true when the ring is empty and the next event goes to the first slot.
    bool rewindIfDrained() noexcept {
        const std::uint64_t head = head_.load(std::memory_order_relaxed);
        if (tail_.load(std::memory_order_relaxed) != head) return false;
        if ((head & mask_) == 0) return true;
        const std::uint64_t start = (head | mask_) + 1; // the next multiple of the capacity
        std::uint64_t expected = head;
        if (!tail_.compare_exchange_strong(expected, start, std::memory_order_acq_rel,
                                           std::memory_order_relaxed))
            return false;
        cachedTail_ = start;
        head_.store(start, std::memory_order_release);
        return true;
    }
    // The ring slot the next event goes to (for tests).
    std::size_t nextSlot() const noexcept {
        return static_cast<std::size_t>(head_.load(std::memory_order_relaxed) & mask_);
    }

    // Collector side: appends everything written so far, in the thread's order, and frees the slots.
    std::size_t drainInto(std::vector<Event>& out);

    std::uint16_t id() const { return id_; }
    const std::string& name() const { return name_; }
    void setName(std::string name) { name_ = std::move(name); }
    std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
    std::size_t capacity() const { return capacity_; }

private:
    alignas(64) std::atomic<std::uint64_t> head_{0};
    std::uint64_t cachedTail_ = 0; // producer's last view of tail_, saves a shared read per event
    SpanClock clock_;              // producer only
    std::atomic<std::uint64_t> dropped_{0};
    // Written by the collector, and by the producer in rewindIfDrained().
    alignas(64) std::atomic<std::uint64_t> tail_{0};
    alignas(64) std::unique_ptr<Event[]> events_;
    std::size_t capacity_;
    std::uint64_t mask_;
    std::uint16_t id_;
    std::string name_;
};

namespace detail {
// The calling thread's buffer for the recorder it used last. Recorder ids are never reused, so a stale
// entry of a destroyed recorder can never match a new one.
struct ThreadSlot {
    std::uint64_t recorderId = 0;
    ThreadBuffer* buffer = nullptr;
};
inline thread_local ThreadSlot tlsSlot{};
} // namespace detail

class Recorder {
public:
    static constexpr std::size_t kMaxThreads = 256;
    static constexpr std::size_t kDefaultEventsPerThread = std::size_t{1} << 16; // 3 MiB per thread

    // eventsPerThread is rounded up to a power of two.
    explicit Recorder(bool enabled = true, std::size_t eventsPerThread = kDefaultEventsPerThread);
    ~Recorder();
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    // The switch. Scopes read it once when they open.
    bool enabled() const noexcept { return enabled_.load(std::memory_order_relaxed); }
    void setEnabled(bool on) noexcept { enabled_.store(on, std::memory_order_relaxed); }

    // Diagnostic (`iwb bench --telemetry clock`): op timelines still read the clock at every op boundary
    // but keep no op or layer events, which shows what the clock reads alone cost.
    bool opEventsDiscarded() const noexcept { return discardOpEvents_.load(std::memory_order_relaxed); }
    void setOpEventsDiscarded(bool discard) noexcept {
        discardOpEvents_.store(discard, std::memory_order_relaxed);
    }

    // The calling thread's buffer, registering the thread on first use; nullptr when kMaxThreads
    // threads are already registered (their events are then counted in overflowEvents()).
    ThreadBuffer* threadBuffer() noexcept {
        const detail::ThreadSlot& slot = detail::tlsSlot;
        if (slot.recorderId == id_) [[likely]]
            return slot.buffer;
        return registerThreadSlow({});
    }
    // Registers (or renames) the calling thread; returns its small id.
    std::uint16_t registerCurrentThread(std::string name);

    // Records a finished span from the calling thread (for callers that time with begin/end hooks).
    void record(const Event& event) noexcept;

    // Counter samples come from a sampling thread at a few Hz; they take a lock.
    void recordCounter(CounterSample sample);

    // Collector: moves every event recorded so far (per thread in order, threads one after another) and
    // every counter into `out`, and refreshes out.threads. Safe to call while threads are recording.
    void collect(TraceData& out);
    // Events only, appended to `out`. Returns how many were added.
    std::size_t drainEvents(std::vector<Event>& out);

    std::vector<ThreadInfo> threads() const;
    std::uint64_t droppedEvents() const; // lost because a ring was full
    std::uint64_t overflowEvents() const { return overflow_.load(std::memory_order_relaxed); }
    std::uint64_t creationNs() const { return creationNs_; }
    std::uint64_t id() const { return id_; }

private:
    ThreadBuffer* registerThreadSlow(std::string name) noexcept;

    const std::uint64_t id_;
    const std::uint64_t creationNs_;
    const std::size_t eventsPerThread_;
    std::atomic<bool> enabled_;
    std::atomic<bool> discardOpEvents_{false};
    std::atomic<std::uint64_t> overflow_{0};
    mutable std::mutex registryMutex_; // registration and collection only
    std::array<std::unique_ptr<ThreadBuffer>, kMaxThreads> buffers_;
    std::atomic<std::size_t> bufferCount_{0};
    std::vector<std::pair<std::thread::id, ThreadBuffer*>> owners_; // under registryMutex_
    std::mutex counterMutex_;
    std::vector<CounterSample> counters_;
};

// RAII span: opens on construction, records on destruction. All members are set only when the recorder
// is on, so a disabled scope is one test of the flag.
class SpanScope {
public:
    SpanScope(const SpanScope&) = delete;
    SpanScope& operator=(const SpanScope&) = delete;
    ~SpanScope() {
        if (buffer_) {
            event_.endNs = buffer_->now();
            buffer_->push(event_);
        }
    }
    bool active() const { return buffer_ != nullptr; }

protected:
    SpanScope() = default;
    // Returns true when the span records; the caller then fills the event's identity.
    bool open(Recorder* recorder) noexcept {
        if (recorder == nullptr || !recorder->enabled()) return false;
        buffer_ = recorder->threadBuffer();
        if (buffer_ == nullptr) return false;
        event_.thread = buffer_->id();
        return true;
    }
    void start() noexcept { event_.startNs = buffer_->now(); }

    ThreadBuffer* buffer_ = nullptr;
    Event event_;
};

// One forward pass (a prompt batch or one generated token).
class TokenScope : public SpanScope {
public:
    TokenScope(Recorder* recorder, std::int32_t token, std::int32_t tokenCount = 1) noexcept {
        if (open(recorder)) {
            event_.kind = SpanKind::Token;
            event_.token = token;
            event_.tokenCount = tokenCount;
            event_.layer = -1;
            start();
        }
    }
    TokenScope(Recorder& recorder, std::int32_t token, std::int32_t tokenCount = 1) noexcept
        : TokenScope(&recorder, token, tokenCount) {}
};

// One transformer block inside a pass.
class LayerScope : public SpanScope {
public:
    LayerScope(Recorder* recorder, std::int32_t token, std::int32_t layer) noexcept {
        if (open(recorder)) {
            event_.kind = SpanKind::Layer;
            event_.token = token;
            event_.layer = static_cast<std::int16_t>(layer);
            start();
        }
    }
    LayerScope(Recorder& recorder, std::int32_t token, std::int32_t layer) noexcept
        : LayerScope(&recorder, token, layer) {}
};

// One operation; layer -1 for operations outside the blocks.
class OpScope : public SpanScope {
public:
    OpScope(Recorder* recorder, std::int32_t token, std::int32_t layer, OpKind op, std::uint64_t bytes,
            std::uint64_t flops) noexcept {
        if (open(recorder)) {
            event_.kind = SpanKind::Op;
            event_.token = token;
            event_.layer = static_cast<std::int16_t>(layer);
            event_.op = op;
            event_.bytes = bytes;
            event_.flops = flops;
            start();
        }
    }
    OpScope(Recorder& recorder, std::int32_t token, std::int32_t layer, OpKind op, std::uint64_t bytes,
            std::uint64_t flops) noexcept
        : OpScope(&recorder, token, layer, op, bytes, flops) {}
};

} // namespace wb::telemetry
