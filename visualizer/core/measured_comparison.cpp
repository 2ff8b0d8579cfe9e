#include "visualizer/core/measured_comparison.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace wb::sim {
namespace {

ComparisonRow row(int layer, std::string name, double predictedMs, double measuredMs) {
    ComparisonRow r;
    r.layer = layer;
    r.name = std::move(name);
    r.predictedMs = predictedMs;
    r.measuredMs = measuredMs;
    r.ratio = predictedMs > 0 ? measuredMs / predictedMs : 0.0;
    return r;
}

nlohmann::json rowJson(const ComparisonRow& r) {
    return {{"layer", r.layer},
            {"name", r.name},
            {"predicted_ms", r.predictedMs},
            {"measured_ms", r.measuredMs},
            {"ratio", r.ratio}};
}

} // namespace

MeasuredComparison compareWithMeasurement(const DeviceSummary& predicted, const MeasuredRun& measured) {
    if (predicted.method != "roofline")
        throw std::invalid_argument("the measured comparison needs a roofline prediction (cpu-local), got '" +
                                    predicted.method + "' for " + predicted.hardwareId);
    if (measured.generatedTokens < 1) throw std::invalid_argument("the measurement holds no generated token");
    const int layers = static_cast<int>(measured.layerMs.size());
    std::vector<double> layerUs(static_cast<std::size_t>(layers), -1.0);
    double outputUs = -1;
    for (const auto& [layer, us] : predicted.perLayerUs) {
        if (layer == layers)
            outputUs = us;
        else if (layer >= 0 && layer < layers)
            layerUs[static_cast<std::size_t>(layer)] = us;
        else if (layer >= 0)
            throw std::invalid_argument("the prediction has layer " + std::to_string(layer) +
                                        " but the measurement only " + std::to_string(layers) + " layers");
    }
    if (outputUs < 0 || std::count(layerUs.begin(), layerUs.end(), -1.0) > 0)
        throw std::invalid_argument("the prediction does not cover the measurement's " +
                                    std::to_string(layers) + " layers and output head");

    MeasuredComparison c;
    c.hardwareId = predicted.hardwareId;
    c.generatedTokens = measured.generatedTokens;
    c.threads = measured.threads;
    double predictedBlocks = 0, measuredBlocks = 0;
    for (int l = 0; l < layers; ++l) {
        const auto i = static_cast<std::size_t>(l);
        c.rows.push_back(row(l, std::to_string(l), layerUs[i] / 1e3, measured.layerMs[i]));
        predictedBlocks += layerUs[i] / 1e3;
        measuredBlocks += measured.layerMs[i];
    }
    c.rows.push_back(row(layers, "output", outputUs / 1e3, measured.outsideMs));
    c.blocks = row(-1, "blocks", predictedBlocks, measuredBlocks);
    c.total = row(-1, "total", predictedBlocks + outputUs / 1e3, measuredBlocks + measured.outsideMs);

    double opTotal = 0;
    for (const auto& [op, ms] : measured.opMs)
        opTotal += ms;
    for (const auto& [op, ms] : measured.opMs)
        if (ms > 0) c.ops.push_back({op, ms, opTotal > 0 ? ms / opTotal : 0.0});
    std::stable_sort(c.ops.begin(), c.ops.end(),
                     [](const OpShare& a, const OpShare& b) { return a.measuredMs > b.measuredMs; });

    c.predictedTokenMs = predicted.tokenLatencyMs;
    c.predictedTokensPerSecond = predicted.tokensPerSecPerUser;
    c.measuredTokenMs = measured.tokenLatencyMs;
    c.measuredTokensPerSecond = measured.tokensPerSecond;
    c.tokenRatio = c.predictedTokenMs > 0 ? c.measuredTokenMs / c.predictedTokenMs : 0.0;
    c.unattributedMs = std::max(0.0, c.measuredTokenMs - c.total.measuredMs);
    return c;
}

nlohmann::json toJson(const MeasuredComparison& c) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : c.rows)
        rows.push_back(rowJson(r));
    nlohmann::json ops = nlohmann::json::array();
    for (const auto& o : c.ops)
        ops.push_back({{"op", o.op}, {"measured_ms", o.measuredMs}, {"share", o.share}});
    return {{"hardware", c.hardwareId},
            {"generated_tokens", c.generatedTokens},
            {"threads", c.threads},
            {"per_layer", rows},
            {"blocks", rowJson(c.blocks)},
            {"total", rowJson(c.total)},
            {"ops", ops},
            {"predicted_token_ms", c.predictedTokenMs},
            {"measured_token_ms", c.measuredTokenMs},
            {"predicted_tokens_per_s", c.predictedTokensPerSecond},
            {"measured_tokens_per_s", c.measuredTokensPerSecond},
            {"token_ratio", c.tokenRatio},
            {"unattributed_ms", c.unattributedMs}};
}

} // namespace wb::sim
