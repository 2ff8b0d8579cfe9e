#pragma once
// The roofline of each operation: the time it should take given the bytes it reads and the FLOPs it does
// on this machine, expected = max(bytes / bandwidth, flops / peak), and the measured / expected ratio
// aggregated per operation type and per layer.
#include "engine/telemetry/event.h"

#include <cstdint>
#include <span>
#include <vector>

namespace wb::telemetry {

struct MachinePeaks;

enum class Bound : std::uint8_t { Memory, Compute };

struct RooflineEstimate {
    double expectedNs = 0;
    Bound bound = Bound::Memory;
};

// Throws std::invalid_argument when a peak is not positive.
RooflineEstimate rooflineEstimate(std::uint64_t bytes, std::uint64_t flops, double bytesPerSecond,
                                  double flopsPerSecond);
// Arithmetic intensity (FLOPs per byte) at which the two roofs meet.
double ridgePoint(double bytesPerSecond, double flopsPerSecond);

struct RooflineRow {
    std::uint64_t count = 0; // op spans aggregated
    std::uint64_t bytes = 0;
    std::uint64_t flops = 0;
    double measuredNs = 0;
    double expectedNs = 0;
    std::uint64_t memoryBound = 0; // how many of the spans are memory bound
    // measured / expected: 1 = at the roof, larger = slower than the machine allows; 0 when expected is 0.
    double ratio() const { return expectedNs > 0 ? measuredNs / expectedNs : 0; }
};

struct RooflineReport {
    double bytesPerSecond = 0;
    double flopsPerSecond = 0;
    std::vector<RooflineRow> byOp;    // index = static_cast<int>(OpKind), kOpKindCount rows
    std::vector<RooflineRow> byLayer; // index = layer; ops outside the blocks go to `global`
    RooflineRow global;
    RooflineRow total;
};

// Aggregates the Op spans of `events` (Token and Layer spans are ignored).
RooflineReport buildRoofline(std::span<const Event> events, double bytesPerSecond, double flopsPerSecond);
RooflineReport buildRoofline(std::span<const Event> events, const MachinePeaks& peaks);

} // namespace wb::telemetry
