#include "visualizer/core/cpu_probe.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <vector>

namespace wb::sim {
namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

template <typename Work>
double runOnThreads(int threads, Work work) {
    std::vector<std::thread> pool;
    const auto start = Clock::now();
    for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
    for (auto& th : pool) th.join();
    return seconds(start, Clock::now());
}

// Streaming read of a buffer much larger than the caches; best of a few passes.
double measureBandwidth(int threads) {
    constexpr std::size_t kBytes = 128u << 20;
    const std::size_t count = kBytes / sizeof(std::uint64_t);
    std::vector<std::uint64_t> buffer(count);
    for (std::size_t i = 0; i < count; ++i) buffer[i] = i; // touch every page before timing
    std::vector<std::uint64_t> sinks(static_cast<std::size_t>(threads) * 8, 0);
    double best = 0;
    for (int pass = 0; pass < 3; ++pass) {
        const double elapsed = runOnThreads(threads, [&](int t) {
            const std::size_t begin = count * static_cast<std::size_t>(t) / static_cast<std::size_t>(threads);
            const std::size_t end = count * static_cast<std::size_t>(t + 1) / static_cast<std::size_t>(threads);
            std::uint64_t a = 0, b = 0, c = 0, d = 0;
            std::size_t i = begin;
            for (; i + 4 <= end; i += 4) {
                a += buffer[i];
                b += buffer[i + 1];
                c += buffer[i + 2];
                d += buffer[i + 3];
            }
            for (; i < end; ++i) a += buffer[i];
            sinks[static_cast<std::size_t>(t) * 8] = a + b + c + d; // keeps the loop from being removed
        });
        best = std::max(best, double(kBytes) / elapsed);
    }
    return best;
}

// Independent multiply-add chains on small float arrays that stay in registers/L1.
double measureFlops(int threads) {
    constexpr int kWidth = 64;
    constexpr int kIterations = 400000;
    std::vector<float> sinks(static_cast<std::size_t>(threads) * 16, 0.0f);
    double best = 0;
    for (int pass = 0; pass < 2; ++pass) {
        const double elapsed = runOnThreads(threads, [&](int t) {
            float acc[kWidth];
            float mul[kWidth];
            for (int k = 0; k < kWidth; ++k) {
                acc[k] = 0.001f * float(k + t);
                mul[k] = 0.999f;
            }
            for (int it = 0; it < kIterations; ++it)
                for (int k = 0; k < kWidth; ++k) acc[k] = acc[k] * mul[k] + 0.0001f;
            float sum = 0;
            for (float v : acc) sum += v;
            sinks[static_cast<std::size_t>(t) * 16] = sum;
        });
        best = std::max(best, 2.0 * kWidth * double(kIterations) * threads / elapsed);
    }
    return best;
}

} // namespace

const CpuMeasurement& measureLocalCpu() {
    static CpuMeasurement result;
    static std::once_flag once;
    std::call_once(once, [] {
        const auto start = Clock::now();
        result.threads = std::max(1u, std::thread::hardware_concurrency());
        result.memoryBandwidth = measureBandwidth(result.threads);
        result.fp32Flops = measureFlops(result.threads);
        result.memoryBytes = double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGESIZE));
        result.probeSeconds = seconds(start, Clock::now());
    });
    return result;
}

} // namespace wb::sim
