#pragma once
// A short measurement of this machine's memory bandwidth and float throughput (about 0.2 s), run once
// per process; the "cpu-local" hardware description is filled from it.
namespace wb::sim {

struct CpuMeasurement {
    double memoryBandwidth = 0; // B/s, streaming read, all hardware threads
    double fp32Flops = 0;       // FLOP/s, multiply-add on float vectors, all hardware threads
    double memoryBytes = 0;     // physical memory
    int threads = 0;
    double probeSeconds = 0;
};

// Runs the probe on first call (thread-safe); later calls return the cached result.
const CpuMeasurement& measureLocalCpu();

} // namespace wb::sim
