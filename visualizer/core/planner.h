#pragma once
// The capacity planner and partitioner: how many chips, which chip holds what, and why.
#include "visualizer/core/hardware.h"
#include "visualizer/core/model_arch.h"
#include "visualizer/core/number_format.h"

#include <string>
#include <vector>

namespace wb::sim {

struct DeploymentOptions {
    Precision precision;
    std::uint32_t context = 4096;     // tokens each user keeps in the KV cache
    std::uint32_t batch = 1;          // concurrent users decoding together
    std::uint32_t promptTokens = 512; // for time to first token
    int chips = 0;                    // 0: the planner decides
    int tensorParallel = 0;           // 0: chosen automatically
};

// Bytes of each tensor class, whole deployment.
struct MemoryFootprint {
    double weights = 0;
    double kvCache = 0;
    double activations = 0;
    double instructions = 0;
    double total() const { return weights + kvCache + activations + instructions; }
};

enum class ChipRole { Head, Layers, Spare };
std::string_view chipRoleName(ChipRole role);

// What one chip holds.
struct ChipAssignment {
    int chip = 0;
    ChipRole role = ChipRole::Spare;
    int stage = -1; // pipeline stage (layer chips), -1 otherwise
    int firstLayer = -1;
    int layerCount = 0;
    int tpRank = 0; // rank inside its tensor-parallel group
    int tpDegree = 1;
    MemoryFootprint bytes;
    double kvBytesPerToken = 0; // KV growth on this chip per token of context (all its users)
};

struct Partition {
    int chips = 0;
    int tensorParallel = 1; // chips per layer group
    int stages = 0;         // pipeline stages (layer groups)
    int layersPerStage = 1; // the largest number of layers one stage holds
    int headChips = 0;      // embedding table + output projection
    int spareChips = 0;
    bool automatic = true;
    std::vector<int> stageFirstLayer; // per stage
    std::vector<int> stageLayerCount; // per stage
    int headFirstChip() const { return 0; }
    int stageFirstChip(int stage) const { return headChips + stage * tensorParallel; }
    int stageOfLayer(int layer) const;
};

struct CapacityPlan {
    int minimumChips = 0;
    std::string decidedBy; // "weights", "kv_cache", "activations" or "instructions"
    std::string explanation;
    MemoryFootprint totals; // at the minimum chip count
    double sramPerChip = 0;
    double usablePerChip = 0; // after instruction memory
    int chipsWithoutWeights = 0, chipsWithoutKv = 0, chipsWithoutActivations = 0,
        chipsWithoutInstructions = 0;
};

// Sizes independent of the chip count.
double weightBytesPerLayer(const ModelArchitecture& model, const Precision& precision);
double headWeightBytes(const ModelArchitecture& model, const Precision& precision);
// One layer's weights on one rank of a `tp`-wide tensor-parallel group, split the way the compiler splits
// them (whole attention heads, so ranks beyond the head count repeat heads). Equals weightBytesPerLayer at 1.
double weightBytesPerRank(const ModelArchitecture& model, const Precision& precision, int tp);
// The widest useful tensor-parallel group: every rank holds at least one whole query head; only when one
// layer's KV cache does not fit on that many chips is it wider (the extra ranks split the cached
// positions), just wide enough. partitionModel refuses a wider forced degree with this reason.
int maxTensorParallel(const ModelArchitecture& model, const HardwareDescription& hw,
                      const DeploymentOptions& options);
double kvBytesPerLayer(const ModelArchitecture& model, const DeploymentOptions& options);

// The fewest chips for which everything fits, and which tensor class decided. Throws std::runtime_error
// when nothing up to 200,000 chips fits.
CapacityPlan planCapacity(const ModelArchitecture& model, const HardwareDescription& hw,
                          const DeploymentOptions& options);
// Places the model on `chips` chips (automatic or with options.tensorParallel). Throws std::runtime_error
// naming the shortfall when it does not fit.
Partition partitionModel(const ModelArchitecture& model, const HardwareDescription& hw,
                         const DeploymentOptions& options, int chips);
// True when partitionModel would succeed.
bool fitsOnChips(const ModelArchitecture& model, const HardwareDescription& hw,
                 const DeploymentOptions& options, int chips);
// Per-chip contents of a partition.
std::vector<ChipAssignment> assignChips(const ModelArchitecture& model, const HardwareDescription& hw,
                                        const DeploymentOptions& options, const Partition& partition);

} // namespace wb::sim
