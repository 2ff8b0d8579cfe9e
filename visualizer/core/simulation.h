#pragma once
// One simulation: a model on one device, plus the same model on comparison devices through the
// roofline. The result structs are what the views draw (Gantt, residency map, bound waterfall, device
// comparison) and what `iwb simulate --json` prints.
#include "visualizer/core/hardware.h"
#include "visualizer/core/lpu_compiler.h"
#include "visualizer/core/model_arch.h"
#include "visualizer/core/planner.h"
#include "visualizer/core/roofline.h"
#include "visualizer/core/schedule.h"

#include <atomic>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace wb::sim {

enum class SliceContent : std::uint8_t { Free, Instructions, Weights, KvCache, Activations };
char sliceContentCode(SliceContent content); // '.', 'I', 'W', 'K', 'A'

// Chips x MEM slices: what each slice mostly holds at the simulated context, and how the KV cache grows.
struct ResidencyMap {
    int slicesPerChip = 0;
    double sliceBytes = 0;
    std::vector<ChipAssignment> chips;
    std::vector<std::vector<SliceContent>> slices; // [chip][slice]
    // Tokens of context (all users) at which the first chip runs out of SRAM; 0 if unbounded.
    double contextLimitTokens = 0;
};
ResidencyMap buildResidency(const HardwareDescription& hw, const std::vector<ChipAssignment>& chips,
                            const DeploymentOptions& options);

struct Economics {
    double powerWatts = 0;           // whole deployment
    double costPerHour = 0;          // whole deployment
    double energyPerTokenJoules = 0; // at the simulated aggregate throughput
    double costPerMillionTokens = 0; // USD
};
Economics economicsFor(const HardwareDescription& hw, int devices, double throughputTokensPerSec);

struct LpuResult {
    CapacityPlan plan;
    Partition partition;
    ResidencyMap residency;
    Schedule decode;      // one micro-batch decode step, every op of every chip
    int microBatches = 1; // in flight through the pipeline
    int microBatchRows = 1;
    std::int64_t stageCycles = 0; // longest pipeline stage at decode
    int prefillChunk = 1;
    double prefillLatencyMs = 0; // one chunk through all stages
};

// The numbers every device reports, side by side.
struct DeviceSummary {
    std::string hardwareId, hardwareName, kind;
    std::string method; // "static schedule" or "roofline"
    int chips = 0;      // chips or devices
    double tokenLatencyMs = 0;
    double tokensPerSecPerUser = 0;
    double throughputTokensPerSec = 0;
    double ttftMs = 0;
    std::string bound;
    Economics economics;
    std::vector<std::pair<int, double>> perLayerUs; // (layer, time)
    std::vector<std::string> perLayerBound;
    std::string note;
};

struct SimulationResult {
    ModelArchitecture model;
    HardwareDescription hardware;
    DeploymentOptions options;
    double efficiency = 0.75;
    std::optional<LpuResult> lpu;
    std::optional<RooflineResult> roofline;
    DeviceSummary summary;
    std::vector<DeviceSummary> comparison;
    double simulateSeconds = 0; // wall time of the simulation of the main device
};

struct SimulationSettings {
    double efficiency = 0.75;             // roofline MBU/MFU for GPU/CPU
    std::vector<std::string> compareWith; // built-in hardware ids simulated alongside
    // Raised by another thread to drop a run that is no longer wanted: simulate() then throws
    // SimulationCancelled (checked between layers of every pass). Must outlive the call.
    const std::atomic<bool>* cancel = nullptr;
};

SimulationResult simulate(const ModelArchitecture& model, const HardwareDescription& hw,
                          const DeploymentOptions& options, const SimulationSettings& settings);

// The result as JSON (chips, tokens_per_s_per_user, ttft_ms, token_latency_ms, throughput_tokens_per_s,
// per_layer [{layer, time_us, bound}], residency, ...). The full op list is left out unless asked for.
nlohmann::json toJson(const SimulationResult& result, bool includeSchedule = false);

} // namespace wb::sim
