#include "engine/telemetry/span_clock.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace wb::telemetry {

namespace {

struct Calibration {
    bool useCounter = false;
    std::uint64_t ticks = 0; // counter and steady clock read together, once per process
    std::uint64_t ns = 0;
};

// True when the line of /proc/cpuinfo that lists the first CPU's flags holds every flag named.
bool cpuFlagsInclude(std::initializer_list<std::string_view> wanted) {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.rfind("flags", 0) != 0) continue;
        std::istringstream words(line.substr(line.find(':') + 1));
        std::string word;
        std::size_t found = 0;
        while (words >> word)
            found += static_cast<std::size_t>(std::count(wanted.begin(), wanted.end(), word));
        return found == wanted.size();
    }
    return false;
}

bool kernelClockIsTsc() {
    std::ifstream source("/sys/devices/system/clocksource/clocksource0/current_clocksource");
    std::string name;
    return static_cast<bool>(source >> name) && name == "tsc";
}

// A (counter, steady) pair read as close together as the machine allows: the counter read between two
// steady reads, keeping the narrowest of a few tries; the steady time is their midpoint, so it is off by
// at most half of kMaxPairSpreadNs.
constexpr std::uint64_t kMaxPairSpreadNs = 4'000;
bool readPair(std::uint64_t& ticks, std::uint64_t& ns, int attempts) noexcept {
    std::uint64_t best = ~std::uint64_t{0};
    for (int attempt = 0; attempt < attempts; ++attempt) {
        const std::uint64_t before = steadyNowNs();
        const std::uint64_t counter = readTimeStampCounter();
        const std::uint64_t after = steadyNowNs();
        if (after - before < best) {
            best = after - before;
            ticks = counter;
            ns = before + (after - before) / 2;
        }
        if (best < kMaxPairSpreadNs / 4) break;
    }
    return best <= kMaxPairSpreadNs; // else preempted in every try: do not trust the pair
}

Calibration calibrate() noexcept {
    Calibration calibration;
#if WB_TELEMETRY_HAS_TSC
    try {
        const char* forced = std::getenv("WB_TELEMETRY_CLOCK");
        if (forced != nullptr && std::string_view(forced) == "steady") return calibration;
        if (!cpuFlagsInclude({"constant_tsc", "nonstop_tsc"}) || !kernelClockIsTsc()) return calibration;
        calibration.useCounter = readPair(calibration.ticks, calibration.ns, 50);
    } catch (...) { // reading /proc failed: the steady clock is always correct
        calibration.useCounter = false;
    }
#endif
    return calibration;
}

const Calibration& processCalibration() noexcept {
    static const Calibration calibration = calibrate();
    return calibration;
}

} // namespace

std::string_view spanClockSource() noexcept {
    return processCalibration().useCounter ? "tsc" : "steady";
}

void detail::warmSpanClock() noexcept {
    processCalibration();
}

std::uint64_t SpanClock::anchor() noexcept {
    const Calibration& calibration = processCalibration();
    windowTicks_ = 0;
    std::uint64_t ticks = 0;
    std::uint64_t ns = steadyNowNs();
    if (calibration.useCounter && ns - calibration.ns >= kMinCalibrationNs && readPair(ticks, ns, 3) &&
        ticks > calibration.ticks) {
        // Rate over everything since the process's pair, so the pairs' reading error (2 us at worst, about
        // 0.05 us typically) weighs less and less: under 2e-4 relative after the first 20 ms, under 4e-6
        // after a second. A failed pair leaves the window closed: the next read tries again.
        const double nsPerTick =
            static_cast<double>(ns - calibration.ns) / static_cast<double>(ticks - calibration.ticks);
        const auto rate = static_cast<std::uint64_t>(std::ldexp(nsPerTick, 32));
        if (rate != 0) {
            nsPerTickQ32_ = rate;
            windowTicks_ = static_cast<std::uint64_t>(static_cast<double>(kWindowNs) / nsPerTick);
            anchorTicks_ = ticks;
        }
    }
    anchorNs_ = std::max(ns, lastNs_); // never behind a value already handed out
    lastNs_ = anchorNs_;
    return anchorNs_;
}

} // namespace wb::telemetry
