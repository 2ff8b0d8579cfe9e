#pragma once
// A static, deterministic schedule: every operation on every functional unit of every chip, in cycles.
// Views draw a Gantt from `ops` (rows = unitRows), bound waterfalls from `layers`.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wb::sim {

enum class UnitKind : std::uint8_t { Mem, Vxm, Mxm, Sxm, C2c };
std::string_view unitKindName(UnitKind unit);

// What a stretch of the critical path was waiting for.
enum class BoundKind : std::uint8_t { Mxm, Vxm, Mem, Sxm, C2c, Dependency };
constexpr int kBoundKinds = 6;
std::string_view boundKindName(BoundKind bound);

enum class OpKind : std::uint8_t {
    WeightRead, // MEM streams weights (or KV) to a consumer
    KvWrite,    // MEM stores the new K/V rows
    Dequantize, // VXM converts stored elements to the MXM's compute format on the fly
    MatMul,     // MXM
    Vector,     // VXM element-wise work (norms, RoPE, softmax, SiLU, residual adds)
    LaneReduce, // SXM cross-lane reductions/permutes
    Send,       // C2C transfer on one link
};
std::string_view opKindName(OpKind kind);

struct ScheduledOp {
    std::int32_t chip = 0;
    UnitKind unit = UnitKind::Mem;
    std::int16_t unitIndex = 0; // link number for C2C, 0 otherwise
    OpKind kind = OpKind::Vector;
    std::int32_t layer = -1;    // -1: embedding, layers..: output head
    const char* label = "";     // static text, e.g. "ffn_gate_up"
    std::int64_t start = 0;     // first busy cycle
    std::int64_t end = 0;       // one past the last busy cycle (the unit is free again)
    std::int64_t readyAt = 0;   // result usable by dependants (end + pipeline/link latency)
    std::int32_t peerChip = -1; // receiver of a Send (the first, when it carries messages to several)
    std::int32_t peerCount = 0; // receivers whose messages a Send carries back to back on its link
    double bytes = 0;
    std::int32_t firstDep = 0, depCount = 0;   // into Schedule::deps
    std::int32_t criticalPred = -1;            // the op whose completion decided this op's start
    std::int32_t groupHead = -1;               // first member of a streamed group (MEM -> VXM -> MXM)
    BoundKind binding = BoundKind::Dependency; // for group tails: which member's throughput set the time
};

struct Dependency {
    std::int32_t op = 0;
    bool streamed = false; // consumer starts `offset` after the producer starts and ends no earlier
    std::int64_t offset = 0;
};

struct LayerTiming {
    int layer = 0; // -1 embedding, model layers = output head
    int stage = 0;
    std::int64_t startCycle = 0, endCycle = 0;
    double timeUs = 0;
    BoundKind bound = BoundKind::Dependency;
    std::array<double, kBoundKinds> breakdownUs{}; // critical-path time by bound kind
};

// A row of the Gantt chart.
struct UnitRow {
    std::int32_t chip;
    UnitKind unit;
    std::int16_t index;
};

struct Schedule {
    std::vector<ScheduledOp> ops; // in issue order; per unit in start order
    std::vector<Dependency> deps;
    std::vector<LayerTiming> layers;
    int chips = 0;
    int linksPerChip = 0;
    double clockHz = 0;
    std::int64_t makespan = 0; // cycles of one token (micro-batch) from embedding to sampled id
    int rows = 1;              // token rows per chip pass (micro-batch users, or prompt chunk)

    std::vector<UnitRow> unitRows() const; // every unit of every chip
    double cyclesToUs(std::int64_t cycles) const { return double(cycles) / clockHz * 1e6; }
};

} // namespace wb::sim
