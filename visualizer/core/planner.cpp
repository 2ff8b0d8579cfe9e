#include "visualizer/core/planner.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

namespace wb::sim {
namespace {

constexpr int kMaxChips = 200000;

// Which tensor classes count (the planner asks "how many chips without X?").
struct Mask {
    bool weights = true, kv = true, activations = true, instructions = true;
};

double usableBytes(const LpuParameters& p, const Mask& mask) {
    const int slices = p.memSlices - (mask.instructions ? p.instructionMemSlices : 0);
    return slices * p.memSliceBytes;
}

// Working buffers of one layer chip: inputs, outputs, attention scores, FFN intermediate, double-buffered.
double layerActivationBytes(const ModelArchitecture& m, const DeploymentOptions& o, int tp) {
    const double a = bytesPerElement(o.precision.activations);
    const double rows = std::max<std::uint32_t>(o.batch, 1);
    const double headsLocal = std::ceil(double(m.heads) / tp);
    const double perRow =
        4.0 * m.hidden + 2.0 * m.ffn * m.expertsPerToken / tp + headsLocal * o.context / 8.0;
    return 2.0 * rows * perRow * a;
}

double headActivationBytes(const ModelArchitecture& m, const DeploymentOptions& o, int headChips) {
    return 2.0 * std::max<std::uint32_t>(o.batch, 1) * (double(m.vocab) / headChips * 4.0 + 2.0 * m.hidden);
}

int headChipsNeeded(const ModelArchitecture& m, const HardwareDescription& hw, const DeploymentOptions& o,
                    const Mask& mask) {
    const double usable = usableBytes(hw.lpu, mask);
    const double weights = mask.weights ? headWeightBytes(m, o.precision) : 0.0;
    for (int h = 1; h < kMaxChips; ++h) {
        const double act = mask.activations ? headActivationBytes(m, o, h) : 0.0;
        if (weights / h + act <= usable) return h;
    }
    return kMaxChips;
}

double kvShare(const ModelArchitecture& m, int tp) {
    // KV heads are split across the group; with more ranks than KV heads the positions of each head are
    // split too (each rank keeps a slice of the sequence).
    if (static_cast<std::uint32_t>(tp) > m.kvHeads) return 1.0 / tp;
    return std::ceil(double(m.kvHeads) / tp) / m.kvHeads;
}

// Largest per-chip demand of a layer stage of `layers` layers on `tp` chips.
double layerChipBytes(const ModelArchitecture& m, const DeploymentOptions& o, int layers, int tp,
                      const Mask& mask) {
    double bytes = 0;
    if (mask.weights) bytes += layers * weightBytesPerRank(m, o.precision, tp);
    if (mask.kv) bytes += layers * kvBytesPerLayer(m, o) * kvShare(m, tp);
    if (mask.activations) bytes += layerActivationBytes(m, o, tp);
    return bytes;
}

// The widest tensor-parallel group: one query head per rank (wider ranks would only repeat heads), unless
// one layer's KV cache does not fit on that many chips; then the group widens until it does, the ranks
// beyond the head count splitting the cached positions (sequence parallel, as the compiler models it).
// Per-chip demand never grows with the width, so the narrowest such width is found by bisection.
int widestGroup(const ModelArchitecture& m, const HardwareDescription& hw, const DeploymentOptions& o,
                const Mask& mask) {
    const int heads = static_cast<int>(std::max(1u, m.heads));
    const double usable = usableBytes(hw.lpu, mask);
    auto fits = [&](int tp) { return layerChipBytes(m, o, 1, tp, mask) <= usable; };
    if (fits(heads) || !fits(kMaxChips)) return heads;
    int lo = heads, hi = kMaxChips; // fits(lo) is false, fits(hi) is true
    while (hi - lo > 1) {
        const int mid = lo + (hi - lo) / 2;
        (fits(mid) ? hi : lo) = mid;
    }
    return hi;
}

std::optional<Partition> tryPartition(const ModelArchitecture& m, const HardwareDescription& hw,
                                      const DeploymentOptions& o, int chips, const Mask& mask) {
    const int widest = widestGroup(m, hw, o, mask);
    const int head = headChipsNeeded(m, hw, o, mask);
    const int layerChips = chips - head;
    if (layerChips < 1) return std::nullopt;
    const double usable = usableBytes(hw.lpu, mask);
    const int L = static_cast<int>(m.layers);
    auto build = [&](int stages, int tp) -> std::optional<Partition> {
        if (stages < 1 || tp < 1 || stages * tp > layerChips) return std::nullopt;
        const int perStage = (L + stages - 1) / stages;
        if (layerChipBytes(m, o, perStage, tp, mask) > usable) return std::nullopt;
        Partition p;
        p.chips = chips;
        p.tensorParallel = tp;
        p.stages = stages;
        p.layersPerStage = perStage;
        p.headChips = head;
        p.spareChips = layerChips - stages * tp;
        p.automatic = o.tensorParallel == 0;
        // Spread layers so stage sizes differ by at most one.
        int layer = 0;
        for (int s = 0; s < stages; ++s) {
            const int count = L / stages + (s < L % stages ? 1 : 0);
            p.stageFirstLayer.push_back(layer);
            p.stageLayerCount.push_back(count);
            layer += count;
        }
        return p;
    };
    if (o.tensorParallel > 0) {
        const int tp = o.tensorParallel;
        if (tp > widest) return std::nullopt;
        return build(std::min(L, layerChips / tp), tp);
    }
    // Fewest layers per stage first (shortest pipeline stages), then the widest tensor-parallel group.
    for (int perStage = 1; perStage <= L; ++perStage) {
        const int stages = (L + perStage - 1) / perStage;
        const int tp = std::min(layerChips / stages, widest);
        if (tp < 1) continue;
        if (auto p = build(stages, tp)) return p;
    }
    return std::nullopt;
}

int minimumChips(const ModelArchitecture& m, const HardwareDescription& hw, const DeploymentOptions& o,
                 const Mask& mask) {
    double total = 0;
    if (mask.weights)
        total += m.layers * weightBytesPerLayer(m, o.precision) + headWeightBytes(m, o.precision);
    if (mask.kv) total += m.layers * kvBytesPerLayer(m, o);
    const int lower = std::max(2, static_cast<int>(std::floor(total / usableBytes(hw.lpu, mask))));
    for (int n = lower; n <= kMaxChips; ++n)
        if (tryPartition(m, hw, o, n, mask)) return n;
    return kMaxChips + 1;
}

void requireLpu(const HardwareDescription& hw) {
    if (hw.kind != DeviceKind::Lpu)
        throw std::invalid_argument("hardware '" + hw.id + "' is a " + std::string(deviceKindName(hw.kind)) +
                                    "; chip planning needs an LPU description");
}

} // namespace

std::string_view chipRoleName(ChipRole role) {
    switch (role) {
    case ChipRole::Head:
        return "embedding+output";
    case ChipRole::Layers:
        return "layers";
    case ChipRole::Spare:
        return "spare";
    }
    return "?";
}

int Partition::stageOfLayer(int layer) const {
    for (int s = 0; s < stages; ++s)
        if (layer < stageFirstLayer[s] + stageLayerCount[s]) return s;
    return stages - 1;
}

double weightBytesPerLayer(const ModelArchitecture& m, const Precision& p) {
    // Norm weights stay in activation precision; everything else in the weight format.
    return (m.paramsPerLayer() - 2.0 * m.hidden) * bytesPerElement(p.weights) +
           2.0 * m.hidden * bytesPerElement(p.activations);
}

double weightBytesPerRank(const ModelArchitecture& m, const Precision& p, int tp) {
    // The compiler's Megatron split (lpu_compiler.cpp, transformerLayer): whole query heads for Wq/Wo,
    // whole KV heads for Wk/Wv (at least one each, so ranks beyond the head count repeat them), FFN
    // columns rounded up, the MoE router on every rank, norms in activation precision.
    const double t = std::max(1, tp);
    const double qHeads = std::ceil(double(m.heads) / t), kvHeadsLocal = std::ceil(double(m.kvHeads) / t);
    const double attention = 2.0 * double(m.hidden) * m.headDim * (qHeads + kvHeadsLocal);
    const double ffn = double(m.experts) * 3.0 * m.hidden * std::ceil(double(m.ffn) / t);
    const double router = m.experts > 1 ? double(m.hidden) * m.experts : 0.0;
    return (attention + ffn + router) * bytesPerElement(p.weights) +
           2.0 * m.hidden * bytesPerElement(p.activations);
}

int maxTensorParallel(const ModelArchitecture& m, const HardwareDescription& hw, const DeploymentOptions& o) {
    requireLpu(hw);
    return widestGroup(m, hw, o, Mask{});
}

double headWeightBytes(const ModelArchitecture& m, const Precision& p) {
    return (m.embeddingParams() + m.outputParams()) * bytesPerElement(p.weights) +
           double(m.hidden) * bytesPerElement(p.activations);
}

double kvBytesPerLayer(const ModelArchitecture& m, const DeploymentOptions& o) {
    return 2.0 * m.kvHeads * m.headDim * double(o.context) * std::max<std::uint32_t>(o.batch, 1) *
           bytesPerElement(o.precision.kvCache);
}

CapacityPlan planCapacity(const ModelArchitecture& m, const HardwareDescription& hw,
                          const DeploymentOptions& o) {
    requireLpu(hw);
    CapacityPlan plan;
    plan.sramPerChip = hw.lpu.sramBytes();
    plan.usablePerChip = usableBytes(hw.lpu, Mask{});
    plan.minimumChips = minimumChips(m, hw, o, Mask{});
    if (plan.minimumChips > kMaxChips)
        throw std::runtime_error("model " + m.name + " does not fit on " + std::to_string(kMaxChips) +
                                 " chips");
    plan.chipsWithoutWeights = minimumChips(m, hw, o, Mask{false, true, true, true});
    plan.chipsWithoutKv = minimumChips(m, hw, o, Mask{true, false, true, true});
    plan.chipsWithoutActivations = minimumChips(m, hw, o, Mask{true, true, false, true});
    plan.chipsWithoutInstructions = minimumChips(m, hw, o, Mask{true, true, true, false});
    const std::pair<const char*, int> saved[] = {
        {"weights", plan.minimumChips - plan.chipsWithoutWeights},
        {"kv_cache", plan.minimumChips - plan.chipsWithoutKv},
        {"activations", plan.minimumChips - plan.chipsWithoutActivations},
        {"instructions", plan.minimumChips - plan.chipsWithoutInstructions}};
    const auto* best = std::max_element(std::begin(saved), std::end(saved),
                                        [](const auto& a, const auto& b) { return a.second < b.second; });
    plan.decidedBy = best->first;
    const Partition p = partitionModel(m, hw, o, plan.minimumChips);
    for (const auto& chip : assignChips(m, hw, o, p)) {
        plan.totals.weights += chip.bytes.weights;
        plan.totals.kvCache += chip.bytes.kvCache;
        plan.totals.activations += chip.bytes.activations;
        plan.totals.instructions += chip.bytes.instructions;
    }
    plan.explanation = std::to_string(plan.minimumChips) + " chips; " + plan.decidedBy +
                       " decided: without them " + std::to_string(plan.minimumChips - best->second) +
                       " chips would do (without weights " + std::to_string(plan.chipsWithoutWeights) +
                       ", KV cache " + std::to_string(plan.chipsWithoutKv) + ", activations " +
                       std::to_string(plan.chipsWithoutActivations) + ", instruction memory " +
                       std::to_string(plan.chipsWithoutInstructions) + ")";
    return plan;
}

bool fitsOnChips(const ModelArchitecture& m, const HardwareDescription& hw, const DeploymentOptions& o,
                 int chips) {
    requireLpu(hw);
    return tryPartition(m, hw, o, chips, Mask{}).has_value();
}

Partition partitionModel(const ModelArchitecture& m, const HardwareDescription& hw,
                         const DeploymentOptions& o, int chips) {
    requireLpu(hw);
    if (chips < 2)
        throw std::runtime_error("at least 2 chips are needed (one for embedding/output, one for layers)");
    if (const int widest = maxTensorParallel(m, hw, o); o.tensorParallel > widest) {
        std::string why = "tensor-parallel degree " + std::to_string(o.tensorParallel) + " is wider than " +
                          std::to_string(widest) + ": ";
        why += widest == static_cast<int>(std::max(1u, m.heads))
                   ? m.name + " has " + std::to_string(m.heads) +
                         " attention heads and every rank holds at least one whole head"
                   : "beyond " + m.name + "'s " + std::to_string(m.heads) +
                         " attention heads, ranks are only added to split one layer's KV cache, and " +
                         std::to_string(widest) + " ranks already hold it";
        throw std::runtime_error(why);
    }
    if (auto p = tryPartition(m, hw, o, chips, Mask{})) return *p;
    const int needed = minimumChips(m, hw, o, Mask{});
    std::string why = m.name + " with " + std::string(formatName(o.precision.weights)) + " weights, " +
                      std::to_string(o.context) + " tokens of context and " + std::to_string(o.batch) +
                      " user(s) does not fit on " + std::to_string(chips) + " chips";
    if (o.tensorParallel > 0) why += " with tensor-parallel degree " + std::to_string(o.tensorParallel);
    why += ": weights alone are " +
           std::to_string(static_cast<long long>(
               (m.layers * weightBytesPerLayer(m, o.precision) + headWeightBytes(m, o.precision)) / 1e9)) +
           " GB against " +
           std::to_string(static_cast<long long>(chips * usableBytes(hw.lpu, Mask{}) / 1e9)) +
           " GB of usable SRAM; " +
           (needed > kMaxChips ? std::string("no chip count fits with these settings")
                               : "the planner needs " + std::to_string(needed) + " chips");
    throw std::runtime_error(why);
}

std::vector<ChipAssignment> assignChips(const ModelArchitecture& m, const HardwareDescription& hw,
                                        const DeploymentOptions& o, const Partition& p) {
    std::vector<ChipAssignment> chips(static_cast<std::size_t>(p.chips));
    const double instr = hw.lpu.instructionMemSlices * hw.lpu.memSliceBytes;
    const double kvPerTokenPerLayer = 2.0 * m.kvHeads * m.headDim * bytesPerElement(o.precision.kvCache) *
                                      std::max<std::uint32_t>(o.batch, 1);
    for (int c = 0; c < p.chips; ++c) {
        auto& a = chips[static_cast<std::size_t>(c)];
        a.chip = c;
        a.bytes.instructions = instr;
        if (c < p.headChips) {
            a.role = ChipRole::Head;
            a.tpRank = c;
            a.tpDegree = p.headChips;
            a.bytes.weights = headWeightBytes(m, o.precision) / p.headChips;
            a.bytes.activations = headActivationBytes(m, o, p.headChips);
            continue;
        }
        const int layerIndex = c - p.headChips;
        const int stage = layerIndex / p.tensorParallel;
        if (stage >= p.stages) {
            a.role = ChipRole::Spare;
            continue;
        }
        a.role = ChipRole::Layers;
        a.stage = stage;
        a.firstLayer = p.stageFirstLayer[stage];
        a.layerCount = p.stageLayerCount[stage];
        a.tpRank = layerIndex % p.tensorParallel;
        a.tpDegree = p.tensorParallel;
        a.bytes.weights = a.layerCount * weightBytesPerRank(m, o.precision, p.tensorParallel);
        a.bytes.kvCache = a.layerCount * kvBytesPerLayer(m, o) * kvShare(m, p.tensorParallel);
        a.bytes.activations = layerActivationBytes(m, o, p.tensorParallel);
        a.kvBytesPerToken = a.layerCount * kvPerTokenPerLayer * kvShare(m, p.tensorParallel);
    }
    return chips;
}

} // namespace wb::sim
