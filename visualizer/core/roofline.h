#pragma once
// GPU/CPU through a roofline: per decode step, time = max(bytes moved / bandwidth, FLOPs / peak), each
// derated by a user-set efficiency (MBU/MFU). Multi-device when the model does not fit one device.
#include "visualizer/core/hardware.h"
#include "visualizer/core/model_arch.h"
#include "visualizer/core/planner.h"

#include <string>
#include <vector>

namespace wb::sim {

struct RooflineLayer {
    int layer = 0; // -1 embedding (free), layers = output head
    double timeUs = 0;
    std::string bound; // "memory" or "compute"
    double bytes = 0, flops = 0;
};

struct RooflineResult {
    std::string hardwareId, hardwareName;
    int devices = 1;
    bool fitsInMemory = true;
    double efficiency = 1.0;
    NumberFormat computeFormat = NumberFormat::Fp16;
    double bandwidth = 0, peakFlops = 0; // of one device, before efficiency
    double bytesPerStep = 0;             // weights read + KV read for one decode step of the batch
    double flopsPerStep = 0;
    double tokenLatencyMs = 0;           // one decode step
    double tokensPerSecPerUser = 0;
    double throughputTokensPerSec = 0;   // whole batch
    double ttftMs = 0;
    std::string bound;                   // of the decode step
    std::vector<RooflineLayer> perLayer;
};

RooflineResult simulateRoofline(const ModelArchitecture& model, const HardwareDescription& hw,
                                const DeploymentOptions& options, double efficiency);

// Expected number of distinct experts a batch touches in one layer (top-k routing, uniform).
double expectedExpertsTouched(const ModelArchitecture& model, std::uint32_t batch);

} // namespace wb::sim
