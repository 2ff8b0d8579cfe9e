#include "telemetry_output.h"

#include "engine/telemetry/machine_probe.h"
#include "engine/telemetry/roofline.h"
#include "engine/telemetry/trace_export.h"

namespace wb::cli {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

double percent(double part, double whole) {
    return whole > 0 ? 100.0 * part / whole : 0.0;
}

} // namespace

void printTelemetrySummary(std::FILE* out, const GenerationTelemetry& t) {
    if (!t.recorded) return;
    const auto& m = t.lastMemory;
    std::fprintf(out,
                 "telemetry: %d passes, op spans %.2f ms of %.2f ms in passes (%.1f %%) | weights resident "
                 "%.2f of %.2f MiB | KV %.2f of %.2f MiB | scratch %.2f MiB | RSS %.1f MiB\n",
                 t.passCount, t.opMs, t.passMs, percent(t.opMs, t.passMs),
                 double(m.weightsResidentBytes) / kMiB, double(m.weightsTotalBytes) / kMiB,
                 double(m.kvUsedBytes) / kMiB, double(m.kvAllocatedBytes) / kMiB,
                 double(m.scratchBytes) / kMiB, double(m.processRssBytes) / kMiB);
    if (t.traceCapped)
        std::fprintf(out, "telemetry: trace capped, %llu events left out\n",
                     static_cast<unsigned long long>(t.eventsLeftOut));
    if (t.eventsDropped > 0)
        std::fprintf(out, "telemetry: %llu events dropped (recorder ring full)\n",
                     static_cast<unsigned long long>(t.eventsDropped));
}

void printRooflineTable(std::FILE* out, const GenerationTelemetry& t) {
    if (!t.recorded) return;
    const telemetry::MachinePeaks& peaks = telemetry::machinePeaks();
    const telemetry::RooflineReport report = telemetry::buildRoofline(t.trace.events, peaks);
    std::fprintf(out,
                 "\nroofline: read bandwidth %.2f GB/s (%d threads), peak %.1f GFLOP/s (%s, %d threads)\n",
                 peaks.readBytesPerSecond / 1e9, peaks.bandwidthThreads, peaks.flopsPerSecond / 1e9,
                 peaks.computeKernel.c_str(), peaks.computeThreads);
    std::fprintf(out, "%-16s %8s %12s %12s %8s %8s\n", "op", "spans", "measured ms", "expected ms", "ratio",
                 "bound");
    const auto row = [&](const char* name, const telemetry::RooflineRow& r) {
        if (r.count == 0) return;
        const char* bound = r.memoryBound * 2 >= r.count ? "memory" : "compute";
        std::fprintf(out, "%-16s %8llu %12.3f %12.3f %8.2f %8s\n", name,
                     static_cast<unsigned long long>(r.count), r.measuredNs / 1e6, r.expectedNs / 1e6,
                     r.ratio(), bound);
    };
    for (int op = 0; op < telemetry::kOpKindCount; ++op)
        row(std::string(telemetry::opKindName(static_cast<telemetry::OpKind>(op))).c_str(),
            report.byOp[static_cast<std::size_t>(op)]);
    row("total", report.total);
    std::fprintf(out, "%-16s %8s %12s %12s %8s\n", "layer", "spans", "measured ms", "expected ms", "ratio");
    for (std::size_t l = 0; l < report.byLayer.size(); ++l)
        row(("blk." + std::to_string(l)).c_str(), report.byLayer[l]);
    row("outside blocks", report.global);
    if (t.traceCapped) std::fprintf(out, "(trace capped: the table covers the passes kept)\n");
}

nlohmann::json telemetryJson(const GenerationTelemetry& t) {
    const auto& m = t.lastMemory;
    return {{"passes", t.passCount},
            {"op_ms", t.opMs},
            {"pass_ms", t.passMs},
            {"events", t.trace.events.size()},
            {"trace_capped", t.traceCapped},
            {"events_left_out", t.eventsLeftOut},
            {"events_dropped", t.eventsDropped},
            {"memory",
             {{"weights_resident_bytes", m.weightsResidentBytes},
              {"weights_total_bytes", m.weightsTotalBytes},
              {"layer_resident_bytes", m.layerResidentBytes},
              {"kv_allocated_bytes", m.kvAllocatedBytes},
              {"kv_used_bytes", m.kvUsedBytes},
              {"scratch_bytes", m.scratchBytes},
              {"rss_bytes", m.processRssBytes}}}};
}

void writeTelemetryFiles(const GenerationTelemetry& t, const std::string& tracePath,
                         const std::string& csvPath) {
    if (!tracePath.empty()) telemetry::writeChromeTraceFile(tracePath, t.trace);
    if (!csvPath.empty()) telemetry::writeOpCsvFile(csvPath, t.trace);
}

} // namespace wb::cli
