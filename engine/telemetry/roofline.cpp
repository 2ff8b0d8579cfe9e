#include "engine/telemetry/roofline.h"

#include "engine/telemetry/machine_probe.h"

#include <algorithm>
#include <stdexcept>

namespace wb::telemetry {

RooflineEstimate rooflineEstimate(std::uint64_t bytes, std::uint64_t flops, double bytesPerSecond,
                                  double flopsPerSecond) {
    if (!(bytesPerSecond > 0) || !(flopsPerSecond > 0))
        throw std::invalid_argument("roofline: bandwidth and compute peak must be positive");
    const double memoryNs = static_cast<double>(bytes) / bytesPerSecond * 1e9;
    const double computeNs = static_cast<double>(flops) / flopsPerSecond * 1e9;
    return computeNs > memoryNs ? RooflineEstimate{computeNs, Bound::Compute}
                                : RooflineEstimate{memoryNs, Bound::Memory};
}

double ridgePoint(double bytesPerSecond, double flopsPerSecond) {
    if (!(bytesPerSecond > 0) || !(flopsPerSecond > 0))
        throw std::invalid_argument("roofline: bandwidth and compute peak must be positive");
    return flopsPerSecond / bytesPerSecond;
}

namespace {
void add(RooflineRow& row, const Event& event, const RooflineEstimate& estimate) {
    ++row.count;
    row.bytes += event.bytes;
    row.flops += event.flops;
    row.measuredNs += static_cast<double>(event.durationNs());
    row.expectedNs += estimate.expectedNs;
    if (estimate.bound == Bound::Memory) ++row.memoryBound;
}
} // namespace

RooflineReport buildRoofline(std::span<const Event> events, double bytesPerSecond, double flopsPerSecond) {
    RooflineReport report;
    report.bytesPerSecond = bytesPerSecond;
    report.flopsPerSecond = flopsPerSecond;
    report.byOp.resize(kOpKindCount);
    for (const Event& event : events) {
        if (event.kind != SpanKind::Op) continue;
        const RooflineEstimate estimate =
            rooflineEstimate(event.bytes, event.flops, bytesPerSecond, flopsPerSecond);
        const auto op = static_cast<std::size_t>(event.op);
        if (op < report.byOp.size()) add(report.byOp[op], event, estimate);
        if (event.layer >= 0) {
            const auto layer = static_cast<std::size_t>(event.layer);
            if (report.byLayer.size() <= layer) report.byLayer.resize(layer + 1);
            add(report.byLayer[layer], event, estimate);
        } else {
            add(report.global, event, estimate);
        }
        add(report.total, event, estimate);
    }
    return report;
}

RooflineReport buildRoofline(std::span<const Event> events, const MachinePeaks& peaks) {
    return buildRoofline(events, peaks.readBytesPerSecond, peaks.flopsPerSecond);
}

} // namespace wb::telemetry
