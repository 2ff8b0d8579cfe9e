#pragma once
// The clock of the span recorder: steady-clock nanoseconds, read per thread from the processor's
// time-stamp counter where that counter is invariant, else from std::chrono::steady_clock.
//
// Why: a recorded span reads the clock at both ends, and a forward pass of a small model has hundreds of
// spans per millisecond. steady_clock::now() goes through libstdc++, libc and the vDSO (about 70 ns per
// read on the 2-core VM of docs/performance.md); RDTSC is one instruction (about 30 ns there, less on bare
// metal).
//
// How it stays on the steady clock's scale: once per process a (counter, steady) pair is read. Each
// thread's SpanClock then re-anchors itself on the steady clock every kWindowNs (one steady read and one
// division) with the ticks-per-nanosecond rate measured since that first pair, and between anchors
// converts counter ticks with one multiply and shift. So its readings stay within a few nanoseconds of
// steady_clock, wherever they are taken, and never go backwards on one thread (each anchor starts no
// earlier than the last value handed out), which keeps nesting and ordering exact.
//
// The counter is used only when /proc/cpuinfo lists both constant_tsc (fixed rate whatever the core
// frequency) and nonstop_tsc (keeps counting in deep sleep states) and the kernel itself uses the TSC as
// its clock source (it switches away when it finds the counters of the CPUs out of sync), see the Linux
// kernel's Documentation/virt/kvm/x86/timekeeping.rst. WB_TELEMETRY_CLOCK=steady forces the fallback.
#include <chrono>
#include <cstdint>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define WB_TELEMETRY_HAS_TSC 1
#else
#define WB_TELEMETRY_HAS_TSC 0
#endif

namespace wb::telemetry {

inline std::uint64_t steadyNowNs() noexcept {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

inline std::uint64_t readTimeStampCounter() noexcept {
#if WB_TELEMETRY_HAS_TSC
    return __rdtsc();
#else
    return 0;
#endif
}

// "tsc" or "steady": which source span times come from in this process (decided once, on first use).
std::string_view spanClockSource() noexcept;

// One thread's clock. Not thread-safe: each ThreadBuffer owns one and only its thread reads it.
class SpanClock {
public:
    static constexpr std::uint64_t kWindowNs = 1'000'000;          // re-anchor on the steady clock every 1 ms
    static constexpr std::uint64_t kMinCalibrationNs = 20'000'000; // steady clock only in the first 20 ms

    // Nanoseconds on the steady clock's scale; nondecreasing on this thread.
    std::uint64_t now() noexcept {
        if (windowTicks_ != 0) {
            // Unsigned: a counter behind the anchor (never expected) is far outside the window.
            const std::uint64_t elapsed = readTimeStampCounter() - anchorTicks_;
            if (elapsed < windowTicks_) [[likely]] {
                lastNs_ = anchorNs_ + ((elapsed * nsPerTickQ32_) >> 32);
                return lastNs_;
            }
        }
        return anchor();
    }

private:
    // Reads the steady clock, and where the counter is usable starts a new window. Out of line: once per
    // window.
    std::uint64_t anchor() noexcept;

    std::uint64_t anchorTicks_ = 0;
    std::uint64_t anchorNs_ = 0;
    std::uint64_t windowTicks_ = 0;  // 0: the next read goes to anchor() (no counter, or not calibrated yet)
    std::uint64_t nsPerTickQ32_ = 0; // nanoseconds per tick, 32 fraction bits
    std::uint64_t lastNs_ = 0;       // the last value handed out
};

namespace detail {
// Takes the process's calibration pair now if it was not taken yet (the Recorder does so when it is
// created, so that the counter is calibrated by the time the first passes run).
void warmSpanClock() noexcept;
} // namespace detail

} // namespace wb::telemetry
