#pragma once
// The session's side of telemetry: between forward passes it drains the recorder, turns the pass's spans
// into a PassReport for live views, samples memory (weights residency, KV cache, scratch, RSS) at a bounded
// rate, and accumulates the run's TraceData for the exports. Nothing here runs inside a pass.
#include "engine/telemetry/event.h"
#include "engine/telemetry/pass_report.h"
#include "engine/telemetry/recorder.h"
#include "engine/telemetry/residency.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace wb {

class Model;
class InferenceContext;

struct TelemetryOptions {
    // The switch. Off: the forward pass reads no clock and records nothing, and the callbacks never run.
    bool enabled = false;
    // Called on the generating thread after every pass (prompt chunk or generated token).
    std::function<void(const telemetry::PassReport&)> onPass;
    // Called on the generating thread with a memory sample: before the prompt, then after a pass when at
    // least memoryIntervalMs have passed since the last sample, and once at the end of the run.
    std::function<void(const telemetry::MemoryReport&)> onMemory;
    int memoryIntervalMs = 250;
    bool sampleResidency = true; // mincore over the mapped weights in each memory sample
    bool keepTrace = true;       // accumulate the run's events into GenerationTelemetry::trace
    // Events kept in the trace at most; passes beyond it are left out whole and the trace says so.
    std::size_t maxTraceEvents = std::size_t{1} << 21; // 96 MiB of events
};

// What a run recorded, in GenerationResult::telemetry.
struct GenerationTelemetry {
    bool recorded = false; // telemetry was on for this run
    std::int32_t passCount = 0;
    telemetry::TraceData trace; // events (passes in order), memory counters, thread names, run metadata
    bool traceCapped = false;   // some passes were left out of `trace` because of maxTraceEvents
    std::uint64_t eventsLeftOut = 0;
    std::uint64_t eventsDropped = 0; // lost in a full recorder ring (the collector fell behind)
    std::int32_t memorySamples = 0;
    telemetry::MemoryReport lastMemory;
    double opMs = 0;   // sum of all Op spans
    double passMs = 0; // sum of all Token spans
};

// What the session knows about a pass when its Token span has closed.
struct PassInfo {
    bool isPrompt = false;
    std::int32_t tokenCount = 1;
    std::int32_t generatedIndex = -1;
    std::int32_t firstPosition = 0;
};

class SessionTelemetry {
public:
    // `recorder` may be null when options.enabled is false; everything is then a no-op.
    SessionTelemetry(const Model& model, const InferenceContext& context, telemetry::Recorder* recorder,
                     const TelemetryOptions& options);

    // The recorder the pass scopes use: null when off, so the scopes cost one branch.
    telemetry::Recorder* recorder() const { return active_ ? recorder_ : nullptr; }
    bool active() const { return active_; }

    void runStarted();                          // discards stale events, first memory sample
    void passFinished(const PassInfo& info);    // after the pass's Token span closed
    void runFinished(GenerationTelemetry& out); // last memory sample; moves the trace out

    telemetry::MemoryReport sampleMemory();

private:
    void maybeSampleMemory(bool force);

    const Model& model_;
    const InferenceContext& context_;
    telemetry::Recorder* recorder_;
    const TelemetryOptions& options_;
    bool active_ = false;
    std::vector<telemetry::TensorRange> ranges_;
    std::vector<telemetry::Event> drained_; // reused between passes
    telemetry::PassReport report_;          // reused between passes
    GenerationTelemetry result_;
    std::int32_t passIndex_ = 0;
    std::uint64_t lastTokenNs_ = 0; // when the previous token was sampled (or the prompt ended)
    std::uint64_t lastMemoryNs_ = 0;
    bool residencyFailed_ = false;
    std::uint64_t droppedAtStart_ = 0;
};

} // namespace wb
