#pragma once
// This CPU, predicted vs measured: the simulator's per-layer roofline prediction for 'cpu-local' next to
// the engine's measured per-layer times of the same model file. Pure arithmetic on plain structs, so the
// simulator core stays free of the engine's session and telemetry: `iwb simulate --measure` runs the
// engine and fills MeasuredRun (app/cli/cmd_simulate.cpp).
#include "visualizer/core/simulation.h"

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace wb::sim {

// What the engine measured, as means per generated token (prompt passes left out).
struct MeasuredRun {
    std::vector<double> layerMs; // index = layer: the op spans of that block, summed
    double outsideMs = 0;        // op spans outside the blocks: embedding, output norm and head, sampling
    // Per operation type (engine names: "q_proj", "attention", "ffn_down", ...), summed over all layers.
    std::vector<std::pair<std::string, double>> opMs;
    int generatedTokens = 0;    // tokens the means are over
    double tokenLatencyMs = 0;  // mean latency of a generated token (op spans + everything between them)
    double tokensPerSecond = 0; // generated tokens / the sum of their latencies
    int threads = 0;
};

struct ComparisonRow {
    int layer = 0;    // 0.. layers-1; `layers` for the output row
    std::string name; // "0", "1", ..., "output"
    double predictedMs = 0;
    double measuredMs = 0;
    double ratio = 0; // measured / predicted (> 1: slower than predicted); 0 when nothing was predicted
};

struct OpShare {
    std::string op;
    double measuredMs = 0; // per token, all layers
    double share = 0;      // of the measured op time per token, in [0, 1]
};

struct MeasuredComparison {
    std::string hardwareId;
    std::vector<ComparisonRow> rows; // one per block, then "output" (embedding + output head + sampling)
    ComparisonRow blocks;            // the blocks summed
    ComparisonRow total;             // every row summed: the op time of a token
    std::vector<OpShare> ops;        // measured, largest first
    // Token level: the prediction against the measured latency, which also holds the time between ops
    // (thread hand-offs, the session loop) that no op span covers.
    double predictedTokenMs = 0, measuredTokenMs = 0;
    double predictedTokensPerSecond = 0, measuredTokensPerSecond = 0;
    double tokenRatio = 0;     // measured token ms / predicted token ms
    double unattributedMs = 0; // measured token latency - op spans per token (>= 0)
    int generatedTokens = 0;
    int threads = 0;
};

// `predicted` is a roofline summary (DeviceSummary::perLayerUs holds layers 0..L-1 and the output head at
// L). Throws std::invalid_argument when the prediction is not a roofline, or the measurement has a
// different number of layers or no generated token.
MeasuredComparison compareWithMeasurement(const DeviceSummary& predicted, const MeasuredRun& measured);

nlohmann::json toJson(const MeasuredComparison& comparison);

} // namespace wb::sim
