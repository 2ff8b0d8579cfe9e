#pragma once
// How much of the mapped weights is in RAM right now (mincore), and the process' memory (statm).
// One mincore call covers the whole span of all tensors; a 1 GiB mapping is 262144 pages, a few ms.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace wb::gguf {
class GgufFile;
}

namespace wb::telemetry {

std::size_t systemPageSize();

// Resident bytes of [address, address + length): pages that mincore reports resident, clipped to the range.
// The range need not be page-aligned. Throws std::system_error when mincore fails (e.g. unmapped range).
std::uint64_t residentBytes(const void* address, std::size_t length);

struct TensorRange {
    std::string name;
    int layer = -1;           // block index parsed from "blk.N.", -1 for global tensors
    std::uint64_t offset = 0; // from the mapping's base
    std::uint64_t size = 0;
};

// Parses the block index of a GGUF tensor name ("blk.12.attn_q.weight" -> 12); -1 otherwise.
int layerOfTensorName(const std::string& name);
// Every tensor of a mapped GGUF file, with offsets from file.bytes().data().
std::vector<TensorRange> tensorRanges(const gguf::GgufFile& file);

struct TensorResidency {
    std::string name;
    int layer = -1;
    std::uint64_t size = 0;
    std::uint64_t resident = 0;
};

struct LayerResidency {
    int layer = -1; // -1 collects the global tensors (embedding, output, norms)
    std::uint64_t size = 0;
    std::uint64_t resident = 0;
};

struct ResidencySnapshot {
    std::uint64_t timeNs = 0; // steady clock
    std::vector<TensorResidency> tensors;
    std::vector<LayerResidency> layers; // sorted by layer, -1 first
    std::uint64_t totalSize = 0;
    std::uint64_t totalResident = 0;
    double sampleMs = 0; // how long the sampling took
};

// Samples the residency of `ranges` inside the mapping that starts at `base`. Ranges may overlap and need
// not be aligned or sorted; throws std::invalid_argument when a range overflows.
ResidencySnapshot sampleResidency(const void* base, std::span<const TensorRange> ranges);

struct ProcessMemory {
    std::uint64_t virtualBytes = 0;
    std::uint64_t residentBytes = 0;
    std::uint64_t sharedBytes = 0; // resident pages backed by files (includes the mapped weights)
};
// From /proc/self/statm. Throws std::runtime_error when it cannot be read.
ProcessMemory readProcessMemory();

// What the forward pass owns besides the weights; filled by the model and session.
struct EngineMemory {
    std::uint64_t kvAllocatedBytes = 0;
    std::uint64_t kvUsedBytes = 0; // positions filled so far
    std::uint64_t scratchBytes = 0;
};

} // namespace wb::telemetry

#include "engine/telemetry/event.h"

namespace wb::telemetry {
// Counter samples for the trace's counter tracks: "weights resident" (resident and mapped bytes) and
// "memory" (process RSS, KV allocated/used, scratch).
std::vector<CounterSample> memoryCounters(const ResidencySnapshot& weights, const ProcessMemory& process,
                                          const EngineMemory& engine);
} // namespace wb::telemetry
