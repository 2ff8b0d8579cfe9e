#include "visualizer/core/view_queries.h"

namespace wb::sim {

ResidencyMap residencyAtContext(const HardwareDescription& hw, const ResidencyMap& simulated,
                                const DeploymentOptions& options, double tokens) {
    std::vector<ChipAssignment> chips = simulated.chips;
    const double positions = tokens < 0 ? 0.0 : tokens;
    // kvBytesPerToken already covers all users of the chip (planner.h), so it scales with positions only.
    for (auto& chip : chips)
        chip.bytes.kvCache = chip.kvBytesPerToken * positions;
    return buildResidency(hw, chips, options);
}

namespace {

void reprice(DeviceSummary& summary, const std::map<std::string, DevicePricing>& pricing) {
    const auto found = pricing.find(summary.hardwareId);
    if (found == pricing.end()) return;
    HardwareDescription priced;
    priced.powerWatts = found->second.powerWatts;
    priced.pricePerHour = found->second.pricePerHour;
    summary.economics = economicsFor(priced, summary.chips, summary.throughputTokensPerSec);
}

} // namespace

void applyDevicePricing(SimulationResult& result, const std::map<std::string, DevicePricing>& pricing) {
    reprice(result.summary, pricing);
    for (auto& device : result.comparison)
        reprice(device, pricing);
}

} // namespace wb::sim
