#pragma once
// The numbers live views draw, computed from the PassReports and MemoryReports of one run: per-layer
// times stacked by operation (last pass and run average), per-layer operation tables, the token latency
// series with time to first token and tokens/s, memory series, the Gantt lanes of the last passes, and a
// TraceData of the retained passes for the exporters. Views only read these; they do no arithmetic.
//
// Conventions:
// - "Last pass" stacks and "run average" count only passes that ran the transformer blocks (the session's
//   final pass only samples). The run average is the mean per pass over the generated-token passes;
//   before the first one it is the mean over the prompt passes (so the chart is never empty while a long
//   prompt is processed).
// - Time to first token = (end of the last prompt pass - start of the first pass) + the first generated
//   token's latencyMs, which PassReport defines as measured from the prompt's end.
// - Tokens/s over the run = generated tokens / sum of their latencies; the rolling rate of a point is the
//   same over the last `rollingWindow` tokens.
// - Times in series are seconds since the run's origin: the earliest pass start or memory sample seen.
// Not thread-safe: one thread feeds and reads (the GUI thread in the app).
#include "engine/telemetry/event.h"
#include "engine/telemetry/op_kind.h"
#include "engine/telemetry/pass_report.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace wb::telemetry {

// Milliseconds of one layer (or of the ops outside the blocks), split by operation.
struct LayerStack {
    std::array<double, kOpKindCount> opMs{};
    double totalMs = 0;
};

// One row of a layer's operation table.
struct LayerOpRow {
    OpKind op = OpKind::Other;
    double lastMs = 0;       // in the last pass (all calls of the op in that layer summed)
    double meanMs = 0;       // per call, over the passes the run average uses
    double minMs = 0;        // per call
    double maxMs = 0;        // per call
    std::uint64_t calls = 0; // calls counted in mean/min/max
    double shareOfLayer = 0; // lastMs / the layer's last-pass total, in [0, 1]
    std::uint64_t lastBytes = 0;
    std::uint64_t lastFlops = 0;
    double lastGigabytesPerSecond = 0; // lastBytes / lastMs
    double lastGigaflopsPerSecond = 0; // lastFlops / lastMs
};

struct LatencyPoint {
    std::int32_t tokenIndex = 0; // generatedIndex of the pass
    double latencyMs = 0;
    double timeS = 0; // pass end, since the run origin
    double rollingTokensPerSecond = 0;
};

struct RunSummary {
    std::uint64_t passes = 0;
    std::int32_t promptTokens = 0;
    std::int32_t generatedTokens = 0;
    double promptMs = 0;          // first prompt pass start -> last prompt pass end
    std::optional<double> ttftMs; // once the first generated token arrived
    double promptTokensPerSecond = 0;
    double tokensPerSecond = 0; // generation, over the run
    double lastLatencyMs = 0;
    double meanLatencyMs = 0;
    double p50LatencyMs = 0;
    double p90LatencyMs = 0;
    double p99LatencyMs = 0;
    std::int32_t contextUsed = 0;
    std::int32_t contextSize = 0;
};

struct TimelineSpan {
    std::uint64_t startNs = 0; // since Timeline::originNs
    std::uint64_t durationNs = 0;
    OpKind op = OpKind::Other;
    std::int32_t layer = -1;
    std::int32_t passIndex = 0;
    std::uint64_t bytes = 0;
    std::uint64_t flops = 0;
    std::uint64_t endNs() const { return startNs + durationNs; }
};

// One worker thread's row of the Gantt chart; spans sorted by start.
struct TimelineLane {
    std::uint16_t thread = 0;
    std::vector<TimelineSpan> spans;
    std::uint64_t maxDurationNs = 0; // lets a view that culls by start time widen its search window
};

struct TimelinePass {
    std::int32_t passIndex = 0;
    bool isPrompt = false;
    std::int32_t generatedIndex = -1;
    std::uint64_t startNs = 0; // since Timeline::originNs
    std::uint64_t endNs = 0;
};

struct Timeline {
    std::uint64_t originNs = 0;      // steady clock time of the oldest shown pass' start
    std::uint64_t spanNs = 0;        // end of the newest shown pass, since originNs
    std::vector<TimelineLane> lanes; // sorted by thread id
    std::vector<TimelinePass> passes;
};

struct MemoryPoint {
    std::uint64_t timeNs = 0; // steady clock
    double timeS = 0;         // since the run origin
    std::uint64_t weightsResidentBytes = 0;
    std::uint64_t kvUsedBytes = 0;
    std::uint64_t kvAllocatedBytes = 0;
    std::uint64_t scratchBytes = 0;
    std::uint64_t processRssBytes = 0;
};

class RunAggregator {
public:
    struct Options {
        int timelinePasses = 8;                // passes kept for the Gantt chart
        std::size_t maxSeriesPoints = 100'000; // latency and memory series drop their oldest points beyond
        std::size_t maxTracePasses = 4096;     // passes kept with all their ops for traceData()
        int rollingWindow = 8;                 // tokens in the rolling tokens/s
    };

    RunAggregator();
    explicit RunAggregator(Options options);

    // Passes are expected in run order; a pass whose passIndex is not above the previous one starts a new
    // run (the session numbers passes from 0 on each generate()), as does reset().
    void addPass(const PassReport& pass);
    void addMemory(const MemoryReport& memory);
    void reset();

    const Options& options() const { return options_; }
    std::uint64_t passCount() const { return passCount_; }
    std::uint64_t memoryCount() const { return memoryCount_; }

    // Layer charts. Indexes are layers 0..layerCount()-1.
    int layerCount() const { return static_cast<int>(lastLayers_.size()); }
    const std::vector<LayerStack>& lastPassLayers() const { return lastLayers_; }
    const LayerStack& lastPassOutsideLayers() const { return lastOutside_; }
    std::vector<LayerStack> averageLayers() const;
    LayerStack averageOutsideLayers() const;
    // The pass the "last" stacks show (the last one that ran the blocks), without its ops.
    std::optional<PassReport> lastPassHeader() const;
    bool averageUsesGeneratedPasses() const { return generated_.passes > 0; }
    std::uint64_t averagedPassCount() const { return averageSource().passes; }
    // One row per operation seen in `layer` (-1: the ops outside the blocks), in OpKind order.
    std::vector<LayerOpRow> layerOpTable(int layer) const;

    // Token latency.
    const std::deque<LatencyPoint>& latencySeries() const { return latency_; }
    RunSummary summary() const;

    // Memory.
    const std::optional<MemoryReport>& lastMemory() const { return lastMemory_; }
    // Resident / total weight bytes per layer of the last MemoryReport, in [0, 1] (0 for an empty layer).
    std::vector<double> layerResidentFraction() const;
    const std::deque<MemoryPoint>& memorySeries() const { return memory_; }

    // Gantt lanes of the last options().timelinePasses passes.
    Timeline timeline() const;
    // Token, layer and op spans of the retained passes plus memory counters, nested as the exporters
    // expect (validateTraceNesting holds).
    TraceData traceData() const;

private:
    // Per (layer + 1, op) statistics of one kind of pass (prompt or generated).
    struct OpAccumulator {
        std::uint64_t calls = 0;
        std::uint64_t totalNs = 0;
        std::uint64_t minNs = 0;
        std::uint64_t maxNs = 0;
    };
    struct PassKindStats {
        std::uint64_t passes = 0;
        std::vector<std::array<OpAccumulator, kOpKindCount>> opStats; // index layer + 1
    };
    struct LastOp {
        std::uint64_t ns = 0;
        std::uint64_t bytes = 0;
        std::uint64_t flops = 0;
        bool seen = false;
    };

    const PassKindStats& averageSource() const;
    void ensureLayers(int layerCount);
    double secondsSinceOrigin(std::uint64_t ns) const;

    Options options_;
    std::uint64_t passCount_ = 0;
    std::uint64_t memoryCount_ = 0;
    std::optional<std::int32_t> lastPassIndex_;
    std::optional<std::uint64_t> originNs_;

    std::vector<LayerStack> lastLayers_;
    LayerStack lastOutside_;
    std::vector<std::array<LastOp, kOpKindCount>> lastOps_; // index layer + 1
    std::optional<PassReport> lastStackPass_;               // header only
    PassKindStats prompt_;
    PassKindStats generated_;

    std::optional<std::uint64_t> firstPassStartNs_;
    std::optional<std::uint64_t> firstPromptStartNs_;
    std::optional<std::uint64_t> lastPromptEndNs_;
    std::int32_t promptTokens_ = 0;
    std::optional<double> firstTokenLatencyMs_;
    std::vector<double> latencies_; // every generated token's latency (percentiles, tokens/s)
    double latencySumMs_ = 0;
    std::deque<LatencyPoint> latency_;
    std::int32_t contextUsed_ = 0;
    std::int32_t contextSize_ = 0;

    std::optional<MemoryReport> lastMemory_;
    std::deque<MemoryPoint> memory_;
    std::deque<PassReport> retained_; // newest last, at most maxTracePasses
};

} // namespace wb::telemetry
