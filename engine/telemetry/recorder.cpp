#include "engine/telemetry/recorder.h"

#include <algorithm>
#include <bit>
#include <iterator>
#include <stdexcept>

namespace wb::telemetry {

namespace {
std::atomic<std::uint64_t> nextRecorderId{1};
}

ThreadBuffer::ThreadBuffer(std::uint16_t id, std::string name, std::size_t capacityPow2)
    : events_(std::make_unique<Event[]>(capacityPow2)), capacity_(capacityPow2), mask_(capacityPow2 - 1),
      id_(id), name_(std::move(name)) {}

std::size_t ThreadBuffer::drainInto(std::vector<Event>& out) {
    // Head before tail, so that a rewind (rewindIfDrained) in between reads as an empty ring.
    const std::uint64_t head = head_.load(std::memory_order_acquire);
    const std::uint64_t tail = tail_.load(std::memory_order_acquire);
    if (head <= tail) return 0; // empty: no store, which could undo a rewind
    const std::size_t count = static_cast<std::size_t>(head - tail);
    // At most two contiguous pieces of the ring.
    const std::size_t first = static_cast<std::size_t>(tail & mask_);
    const std::size_t firstCount = std::min(count, capacity_ - first);
    out.insert(out.end(), events_.get() + first, events_.get() + first + firstCount);
    out.insert(out.end(), events_.get(), events_.get() + (count - firstCount));
    tail_.store(head, std::memory_order_release);
    return count;
}

Recorder::Recorder(bool enabled, std::size_t eventsPerThread)
    : id_(nextRecorderId.fetch_add(1, std::memory_order_relaxed)), creationNs_(steadyNowNs()),
      eventsPerThread_(std::bit_ceil(std::max<std::size_t>(eventsPerThread, 64))), enabled_(enabled) {
    detail::warmSpanClock(); // calibrate the counter now rather than in the first pass
}

Recorder::~Recorder() = default;

ThreadBuffer* Recorder::registerThreadSlow(std::string name) noexcept {
    try {
        const std::lock_guard lock(registryMutex_);
        const auto self = std::this_thread::get_id();
        ThreadBuffer* buffer = nullptr;
        for (const auto& [thread, owned] : owners_)
            if (thread == self) buffer = owned;
        if (buffer == nullptr) {
            const std::size_t index = bufferCount_.load(std::memory_order_relaxed);
            if (index >= kMaxThreads) {
                overflow_.fetch_add(1, std::memory_order_relaxed);
                return nullptr;
            }
            const auto id = static_cast<std::uint16_t>(index);
            buffers_[index] = std::make_unique<ThreadBuffer>(
                id, name.empty() ? "thread " + std::to_string(id) : std::move(name), eventsPerThread_);
            buffer = buffers_[index].get();
            owners_.emplace_back(self, buffer);
            bufferCount_.store(index + 1, std::memory_order_release);
        } else if (!name.empty()) {
            buffer->setName(std::move(name));
        }
        detail::tlsSlot = {id_, buffer};
        return buffer;
    } catch (...) { // out of memory: this thread records nothing rather than crash the forward pass
        overflow_.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
    }
}

std::uint16_t Recorder::registerCurrentThread(std::string name) {
    if (name.empty()) name = "worker";
    ThreadBuffer* buffer = registerThreadSlow(std::move(name));
    if (buffer == nullptr)
        throw std::runtime_error("telemetry: cannot register thread, more than " +
                                 std::to_string(kMaxThreads) + " threads or out of memory");
    return buffer->id();
}

void Recorder::record(const Event& event) noexcept {
    if (!enabled()) return;
    ThreadBuffer* buffer = threadBuffer();
    if (buffer == nullptr) return;
    Event copy = event;
    copy.thread = buffer->id();
    buffer->push(copy);
}

void Recorder::recordCounter(CounterSample sample) {
    if (!enabled()) return;
    const std::lock_guard lock(counterMutex_);
    counters_.push_back(std::move(sample));
}

std::size_t Recorder::drainEvents(std::vector<Event>& out) {
    const std::lock_guard lock(registryMutex_); // one collector at a time
    const std::size_t count = bufferCount_.load(std::memory_order_acquire);
    std::size_t added = 0;
    for (std::size_t i = 0; i < count; ++i)
        added += buffers_[i]->drainInto(out);
    return added;
}

void Recorder::collect(TraceData& out) {
    drainEvents(out.events);
    {
        const std::lock_guard lock(counterMutex_);
        std::move(counters_.begin(), counters_.end(), std::back_inserter(out.counters));
        counters_.clear();
    }
    out.threads = threads();
    if (out.originNs == 0) out.originNs = creationNs_;
}

std::vector<ThreadInfo> Recorder::threads() const {
    const std::lock_guard lock(registryMutex_);
    std::vector<ThreadInfo> result;
    const std::size_t count = bufferCount_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < count; ++i)
        result.push_back({buffers_[i]->id(), buffers_[i]->name()});
    return result;
}

std::uint64_t Recorder::droppedEvents() const {
    const std::lock_guard lock(registryMutex_);
    std::uint64_t total = 0;
    const std::size_t count = bufferCount_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < count; ++i)
        total += buffers_[i]->dropped();
    return total;
}

} // namespace wb::telemetry
