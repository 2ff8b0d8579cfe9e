#pragma once
// This machine's memory read bandwidth and float compute peak, the two roofs of the roofline.
// Measured once per process in well under half a second and cached; callers may also run the probes with
// their own sizes.
#include <cstddef>
#include <string>

namespace wb::telemetry {

struct MachinePeaks {
    double readBytesPerSecond = 0; // streaming read, bandwidthThreads threads, best of N
    double flopsPerSecond = 0;     // float multiply-add loop on computeThreads threads, best of N
    int bandwidthThreads = 0;
    int computeThreads = 0;
    std::string computeKernel; // "avx2-fma" or "baseline-sse2"
    double probeMs = 0;        // wall time the probes took
};

struct ProbeOptions {
    std::size_t bufferBytes = std::size_t{128} << 20; // 4x the 32 MiB L3 of the dev machine
    int bandwidthThreads = 2;                         // capped at the hardware threads
    int computeThreads = 0;                           // 0 = all hardware threads
    int repetitions = 3;
    bool allowAvx2 = true; // false forces the baseline kernel (for tests)
};

// Streams a buffer of `bytes` on `threads` threads `repetitions` times; returns the best bytes/second.
double measureReadBandwidth(std::size_t bytes, int threads, int repetitions);
// Runs the FMA loop on `threads` threads; returns the best FLOP/s and names the kernel used.
double measureComputePeak(int threads, int repetitions, bool allowAvx2, std::string* kernelName = nullptr);

MachinePeaks probeMachine(const ProbeOptions& options = {});
// probeMachine() with the defaults, run on first call only (thread-safe).
const MachinePeaks& machinePeaks();

namespace detail {
// FMA loops: `iterations` rounds over independent accumulators; return a value the caller must consume.
// Each reports the FLOPs one call performs through flopsOut.
float fmaLoopBaseline(std::size_t iterations, float seed, double* flopsOut);
float fmaLoopAvx2(std::size_t iterations, float seed, double* flopsOut);
bool cpuHasAvx2Fma();
} // namespace detail

} // namespace wb::telemetry
