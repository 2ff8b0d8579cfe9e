#pragma once
// The LPU compiler: lowers a partitioned model to a static schedule of one forward pass (a decode step
// for a micro-batch of users, or a prompt chunk) and reads per-layer time and bounds from it.
#include "visualizer/core/hardware.h"
#include "visualizer/core/model_arch.h"
#include "visualizer/core/planner.h"
#include "visualizer/core/schedule.h"

#include <atomic>
#include <stdexcept>

namespace wb::sim {

struct PassShape {
    int rows = 1;              // token rows processed together
    std::uint32_t context = 1; // KV positions attention reads
    bool rowsShareKv = false;  // prefill chunk: rows are one user's tokens and read the same KV
};

// Thrown when the caller's cancel flag was raised while a simulation ran.
class SimulationCancelled : public std::runtime_error {
public:
    SimulationCancelled() : std::runtime_error("simulation cancelled") {}
};

// Builds the schedule. Deterministic: equal inputs give an identical schedule. `cancel`, when given, is
// checked between layers; once it reads true the build stops with SimulationCancelled.
Schedule compileForwardPass(const ModelArchitecture& model, const HardwareDescription& hw,
                            const DeploymentOptions& options, const Partition& partition,
                            const PassShape& shape, const std::atomic<bool>* cancel = nullptr);

// The longest time one pipeline stage (a layer group, or the embedding/output chips) is busy with a
// pass: how often a new micro-batch can enter the pipeline.
std::int64_t longestStageCycles(const Schedule& schedule, const Partition& partition);

} // namespace wb::sim
