#include "visualizer/core/roofline.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace wb::sim {

double expectedExpertsTouched(const ModelArchitecture& m, std::uint32_t batch) {
    if (m.experts <= 1) return 1.0;
    const double pUnused = std::pow(1.0 - double(m.expertsPerToken) / m.experts, double(std::max(1u, batch)));
    return m.experts * (1.0 - pUnused);
}

RooflineResult simulateRoofline(const ModelArchitecture& m, const HardwareDescription& hw,
                                const DeploymentOptions& o, double efficiency) {
    if (hw.kind == DeviceKind::Lpu)
        throw std::invalid_argument("hardware '" + hw.id + "' is an LPU; the roofline is for GPU/CPU descriptions");
    if (!(efficiency > 0 && efficiency <= 1))
        throw std::invalid_argument("efficiency must be in (0, 1], got " + std::to_string(efficiency));
    RooflineResult r;
    r.hardwareId = hw.id;
    r.hardwareName = hw.name;
    r.efficiency = efficiency;
    r.computeFormat = o.precision.activations;
    r.bandwidth = hw.roofline.memoryBandwidth;
    r.peakFlops = hw.roofline.peakFor(r.computeFormat);

    const double batch = std::max(1u, o.batch);
    const double w = bytesPerElement(o.precision.weights);
    const double kvElementBytes = bytesPerElement(o.precision.kvCache);
    const double totalBytes = m.layers * weightBytesPerLayer(m, o.precision) + headWeightBytes(m, o.precision) +
                              m.layers * kvBytesPerLayer(m, o);
    const int needed = static_cast<int>(std::ceil(totalBytes / hw.roofline.memoryBytes));
    r.fitsInMemory = needed <= 1;
    // GPUs scale out with ideal tensor parallelism; a CPU is one device (it would swap).
    r.devices = hw.kind == DeviceKind::Gpu ? std::max(1, needed) : 1;
    const double bw = r.bandwidth * r.devices * efficiency;
    const double peak = r.peakFlops * r.devices * efficiency;

    const double experts = expectedExpertsTouched(m, o.batch);
    const double layerBytes = (m.attentionParamsPerLayer() + experts * m.ffnParamsPerExpert() +
                               m.routerParamsPerLayer()) * w +
                              batch * 2.0 * m.kvHeads * m.headDim * double(o.context) * kvElementBytes;
    const double attentionFlops = 2.0 * 2.0 * double(o.context) * m.heads * m.headDim; // QK^T and PV
    const double layerFlops = batch * (2.0 * (m.activeParamsPerLayer() - 2.0 * m.hidden) + attentionFlops);
    const double headBytes = double(m.vocab) * m.hidden * w;
    const double headFlops = batch * 2.0 * double(m.vocab) * m.hidden;

    double total = 0;
    auto layerTime = [&](int layer, double bytes, double flops) {
        RooflineLayer l;
        l.layer = layer;
        l.bytes = bytes;
        l.flops = flops;
        const double memory = bytes / bw, compute = flops / peak;
        l.timeUs = std::max(memory, compute) * 1e6;
        l.bound = memory >= compute ? "memory" : "compute";
        total += l.timeUs;
        r.perLayer.push_back(l);
    };
    for (int layer = 0; layer < static_cast<int>(m.layers); ++layer) layerTime(layer, layerBytes, layerFlops);
    layerTime(static_cast<int>(m.layers), headBytes, headFlops);
    r.bytesPerStep = m.layers * layerBytes + headBytes;
    r.flopsPerStep = m.layers * layerFlops + headFlops;
    r.bound = r.bytesPerStep / bw >= r.flopsPerStep / peak ? "memory bandwidth" : "compute";
    r.tokenLatencyMs = total / 1e3;
    r.tokensPerSecPerUser = 1e3 / r.tokenLatencyMs;
    r.throughputTokensPerSec = batch * r.tokensPerSecPerUser;

    // Prefill: the whole prompt in one pass; weights read once, attention over the growing prompt.
    const double p = std::max(1u, o.promptTokens);
    const double promptFlops = p * 2.0 * (m.activeParams() - m.layers * 2.0 * m.hidden) +
                               m.layers * 2.0 * p * p * m.heads * m.headDim;
    const double promptBytes = m.layers * (m.attentionParamsPerLayer() +
                                           expectedExpertsTouched(m, static_cast<std::uint32_t>(p)) *
                                               m.ffnParamsPerExpert()) * w + headBytes;
    r.ttftMs = std::max(promptBytes / bw, promptFlops / peak) * 1e3;
    return r;
}

} // namespace wb::sim
