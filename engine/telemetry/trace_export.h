#pragma once
// Exports of recorded telemetry:
// - Chrome Trace Event JSON (opens in Perfetto and chrome://tracing): {"traceEvents":[...]} with "X"
//   complete events for token, layer and op spans (ts/dur in microseconds, relative to the trace origin),
//   "C" counter events, "M" process/thread name metadata. Format: Trace Event Format (Google, "Trace Event
//   Format" document, linked from Perfetto docs/getting-started/other-formats.md).
// - CSV of the per-op table: token,layer,op,thread,start_us,dur_us,bytes,flops (one row per op per pass).
// - llama-bench style JSON lines (field names of llama.cpp examples/llama-bench, "-o jsonl").
#include "engine/telemetry/event.h"
#include "engine/telemetry/trace_nesting.h"

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace wb::telemetry {

// Streams the trace; events are written sorted so that each parent precedes its children.
void writeChromeTrace(std::ostream& out, const TraceData& trace);
// Writes to a file; throws std::runtime_error naming the path when it cannot be written.
void writeChromeTraceFile(const std::string& path, const TraceData& trace);

inline constexpr const char* kOpCsvHeader = "token,layer,op,thread,start_us,dur_us,bytes,flops";
void writeOpCsv(std::ostream& out, const TraceData& trace);
void writeOpCsvFile(const std::string& path, const TraceData& trace);

// One benchmark test (a pp or tg run repeated samplesNs.size() times), as llama-bench reports it.
struct BenchRecord {
    std::string buildCommit = "unknown";
    int buildNumber = 0;
    std::string cpuInfo;
    std::string gpuInfo;
    std::string backends = "CPU";
    std::string modelFilename;
    std::string modelType;       // e.g. "llama 260K all F32"
    std::uint64_t modelSize = 0; // bytes of weights
    std::uint64_t modelNParams = 0;
    int nBatch = 0;
    int nUbatch = 0;
    int nThreads = 0;
    std::string typeK = "f32";
    std::string typeV = "f32";
    int nGpuLayers = 0;
    int nPrompt = 0;
    int nGen = 0;
    int nDepth = 0;
    std::string testTime; // ISO 8601 UTC, e.g. "2025-01-31T12:00:00Z"
    std::vector<std::uint64_t> samplesNs;

    // llama-bench statistics: t/s of a sample = (nPrompt + nGen) / seconds; stddev with Bessel's correction.
    double avgNs() const;
    double stddevNs() const;
    std::vector<double> samplesTs() const;
    double avgTs() const;
    double stddevTs() const;
};

// One JSON object on one line, terminated by '\n'.
void writeBenchJsonLine(std::ostream& out, const BenchRecord& record);
// The current UTC time in the testTime format.
std::string isoUtcNow();

} // namespace wb::telemetry
