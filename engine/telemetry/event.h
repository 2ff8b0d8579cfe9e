#pragma once
// What the recorder stores: one fixed-size record per timed span, and the data the exporters read.
#include "engine/telemetry/op_kind.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace wb::telemetry {

// Spans nest strictly on one thread: a Token span (one forward pass: a prompt batch or one generated
// token) contains Layer spans, which contain Op spans. Ops outside the blocks (embedding, output head,
// sampling) sit directly in the Token span with layer -1.
enum class SpanKind : std::uint8_t { Token, Layer, Op };

// 48 bytes, trivially copyable: written by value into a per-thread ring without allocation.
struct Event {
    std::uint64_t startNs = 0; // steady clock
    std::uint64_t endNs = 0;
    std::uint64_t bytes = 0;     // weight bytes read (Op spans)
    std::uint64_t flops = 0;     // floating-point operations (Op spans)
    std::int32_t token = 0;      // the pass's index as the driver numbers it (by convention: first position)
    std::int32_t tokenCount = 0; // tokens the pass processes (Token spans; 0 elsewhere)
    std::int16_t layer = -1;     // block index; -1 outside the blocks and for Token spans
    OpKind op = OpKind::Other;   // Op spans only
    SpanKind kind = SpanKind::Op;
    std::uint16_t thread = 0; // the recorder's small thread id
    std::uint16_t reserved = 0;

    std::uint64_t durationNs() const { return endNs >= startNs ? endNs - startNs : 0; }
};
static_assert(sizeof(Event) == 48, "Event is meant to stay one 48-byte record");

// A sampled value series for counter tracks (resident bytes, KV bytes, ...). Not on the hot path.
struct CounterSample {
    std::uint64_t timeNs = 0;                           // steady clock
    std::string name;                                   // track name, e.g. "residency"
    std::vector<std::pair<std::string, double>> series; // each key becomes one line of the track
};

struct ThreadInfo {
    std::uint16_t id = 0;
    std::string name;
};

// Everything one export needs; the Recorder's collect() fills it.
struct TraceData {
    std::vector<Event> events;
    std::vector<CounterSample> counters;
    std::vector<ThreadInfo> threads;
    std::uint64_t originNs = 0; // exported times are relative to this; 0 = earliest time in the data
    std::string processName = "Inference Workbench";
    std::vector<std::pair<std::string, std::string>> otherData; // run metadata: model, n_ctx, ...
};

} // namespace wb::telemetry
