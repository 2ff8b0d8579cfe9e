#pragma once
// Telemetry output shared by the CLI subcommands: the one-line summary, the roofline table (stderr), the
// JSON summary and the trace/CSV files.
#include "engine/session/session_telemetry.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace wb::cli {

// "telemetry: 12 passes, op spans 41.2 ms of 42.0 ms in passes (98.1 %), ..." (one line).
void printTelemetrySummary(std::FILE* out, const GenerationTelemetry& telemetry);
// Per op type: spans, measured ms, expected ms (roofline on this machine's measured peaks), ratio, bound.
void printRooflineTable(std::FILE* out, const GenerationTelemetry& telemetry);
nlohmann::json telemetryJson(const GenerationTelemetry& telemetry);
// Writes the Chrome trace and/or the per-op CSV; an empty path is skipped.
void writeTelemetryFiles(const GenerationTelemetry& telemetry, const std::string& tracePath,
                         const std::string& csvPath);

} // namespace wb::cli
