#pragma once
// Derived numbers the simulator views need that a SimulationResult does not carry directly: the residency
// map at another context length (the token scrubber) and economics with the user's own prices and power.
#include "visualizer/core/simulation.h"

#include <map>
#include <string>

namespace wb::sim {

// The residency map when every user holds `tokens` positions of KV cache: each chip's KV bytes become
// kvBytesPerToken x tokens, everything else stays as simulated. At tokens == options.context this equals
// the simulated map. Slices past the end of SRAM are not drawn; `tokens` above contextLimitTokens means
// the cache no longer fits.
ResidencyMap residencyAtContext(const HardwareDescription& hw, const ResidencyMap& simulated,
                                const DeploymentOptions& options, double tokens);

// Power and price of one device (chip, GPU or CPU), as the user edits them.
struct DevicePricing {
    double powerWatts = 0;
    double pricePerHour = 0; // USD
};

// Recomputes the economics of result.summary and every result.comparison entry whose hardware id is in
// `pricing` (devices x power/price at the simulated throughput). Devices not listed keep their values.
// Idempotent: it depends only on chips, throughput and the given prices.
void applyDevicePricing(SimulationResult& result, const std::map<std::string, DevicePricing>& pricing);

} // namespace wb::sim
