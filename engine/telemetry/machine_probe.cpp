#include "engine/telemetry/machine_probe.h"

#include "engine/telemetry/recorder.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace wb::telemetry {

namespace detail {

float fmaLoopBaseline(std::size_t iterations, float seed, double* flopsOut) {
    // 32 floats = 8 SSE registers of independent multiply-add chains; the compiler vectorises the inner
    // loop at baseline x86-64 (mulps + addps, no FMA).
    constexpr int kLanes = 32;
    float acc[kLanes];
    for (int i = 0; i < kLanes; ++i)
        acc[i] = seed + static_cast<float>(i) * 1e-3f;
    const float a = 0.999f;
    const float b = 0.001f;
    for (std::size_t it = 0; it < iterations; ++it)
        for (int i = 0; i < kLanes; ++i)
            acc[i] = acc[i] * a + b;
    float sum = 0;
    for (float value : acc)
        sum += value;
    *flopsOut = static_cast<double>(iterations) * kLanes * 2;
    return sum;
}

bool cpuHasAvx2Fma() {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

} // namespace detail

namespace {

int hardwareThreads() {
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

// Anonymous mapping so the kernel can back it with huge pages (fewer faults while filling it).
class ProbeBuffer {
public:
    explicit ProbeBuffer(std::size_t bytes) : bytes_(bytes) {
        data_ = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (data_ == MAP_FAILED)
            throw std::runtime_error("machine probe: cannot map " + std::to_string(bytes) + " bytes");
        // No MADV_HUGEPAGE: with THP defrag on madvise, compaction stalls cost up to half a second.
    }
    ~ProbeBuffer() { ::munmap(data_, bytes_); }
    ProbeBuffer(const ProbeBuffer&) = delete;
    ProbeBuffer& operator=(const ProbeBuffer&) = delete;
    std::uint64_t* words() const { return static_cast<std::uint64_t*>(data_); }
    std::size_t wordCount() const { return bytes_ / sizeof(std::uint64_t); }

private:
    void* data_;
    std::size_t bytes_;
};

std::uint64_t sumWords(const std::uint64_t* words, std::size_t count) {
    // Four independent sums let the compiler keep several loads in flight.
    std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::size_t i = 0;
    for (; i + 4 <= count; i += 4) {
        s0 += words[i];
        s1 += words[i + 1];
        s2 += words[i + 2];
        s3 += words[i + 3];
    }
    for (; i < count; ++i)
        s0 += words[i];
    return s0 + s1 + s2 + s3;
}

// Runs body(threadIndex) on `threads` threads started together; returns the wall time in seconds.
template <typename Body> double timedOnThreads(int threads, Body body) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            ready.fetch_add(1);
            while (!go.load(std::memory_order_acquire))
                std::this_thread::yield();
            body(t);
        });
    while (ready.load() != threads)
        std::this_thread::yield();
    const std::uint64_t start = steadyNowNs();
    go.store(true, std::memory_order_release);
    for (auto& worker : workers)
        worker.join();
    return static_cast<double>(steadyNowNs() - start) / 1e9;
}

std::atomic<std::uint64_t> sink{0}; // keeps the probe loops from being optimised away

} // namespace

double measureReadBandwidth(std::size_t bytes, int threads, int repetitions) {
    if (bytes < (std::size_t{1} << 20) || threads < 1 || repetitions < 1)
        throw std::invalid_argument("machine probe: bandwidth needs >= 1 MiB, >= 1 thread, >= 1 repetition");
    ProbeBuffer buffer(bytes);
    std::uint64_t* words = buffer.words();
    const std::size_t count = buffer.wordCount();
    for (std::size_t i = 0; i < count; ++i)
        words[i] = i;
    const std::size_t perThread = count / static_cast<std::size_t>(threads);
    double best = 0;
    for (int rep = 0; rep < repetitions; ++rep) {
        const double seconds = timedOnThreads(threads, [&](int t) {
            const std::size_t first = perThread * static_cast<std::size_t>(t);
            const std::size_t n = t == threads - 1 ? count - first : perThread;
            sink.fetch_add(sumWords(words + first, n), std::memory_order_relaxed);
        });
        if (seconds > 0) best = std::max(best, static_cast<double>(count * sizeof(std::uint64_t)) / seconds);
    }
    return best;
}

double measureComputePeak(int threads, int repetitions, bool allowAvx2, std::string* kernelName) {
    if (threads < 1 || repetitions < 1)
        throw std::invalid_argument("machine probe: compute needs >= 1 thread, >= 1 repetition");
    const bool avx2 = allowAvx2 && detail::cpuHasAvx2Fma();
    const auto kernel = avx2 ? detail::fmaLoopAvx2 : detail::fmaLoopBaseline;
    if (kernelName) *kernelName = avx2 ? "avx2-fma" : "baseline-sse2";
    // About 10 ms per repetition on a core doing a few GFLOP/s per lane group.
    constexpr std::size_t kIterations = 4'000'000;
    double best = 0;
    for (int rep = 0; rep < repetitions; ++rep) {
        std::vector<double> flops(static_cast<std::size_t>(threads), 0.0);
        const double seconds = timedOnThreads(threads, [&](int t) {
            const float result =
                kernel(kIterations, 0.5f + static_cast<float>(t), &flops[static_cast<std::size_t>(t)]);
            sink.fetch_add(static_cast<std::uint64_t>(result), std::memory_order_relaxed);
        });
        double total = 0;
        for (double f : flops)
            total += f;
        if (seconds > 0) best = std::max(best, total / seconds);
    }
    return best;
}

MachinePeaks probeMachine(const ProbeOptions& options) {
    const std::uint64_t start = steadyNowNs();
    MachinePeaks peaks;
    peaks.bandwidthThreads = std::clamp(options.bandwidthThreads, 1, hardwareThreads());
    peaks.computeThreads = options.computeThreads > 0 ? options.computeThreads : hardwareThreads();
    peaks.readBytesPerSecond =
        measureReadBandwidth(options.bufferBytes, peaks.bandwidthThreads, options.repetitions);
    peaks.flopsPerSecond = measureComputePeak(peaks.computeThreads, options.repetitions, options.allowAvx2,
                                              &peaks.computeKernel);
    peaks.probeMs = static_cast<double>(steadyNowNs() - start) / 1e6;
    return peaks;
}

const MachinePeaks& machinePeaks() {
    static const MachinePeaks peaks = probeMachine();
    return peaks;
}

} // namespace wb::telemetry
