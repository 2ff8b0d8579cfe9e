#include "engine/telemetry/residency.h"

#include "engine/gguf/gguf_file.h"
#include "engine/telemetry/recorder.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <map>
#include <stdexcept>
#include <system_error>

namespace wb::telemetry {

std::size_t systemPageSize() {
    static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return size;
}

namespace {

// mincore's vector for [first page of begin, page after end); entry i is page i.
std::vector<unsigned char> pageResidency(std::uintptr_t begin, std::uintptr_t end,
                                         std::uintptr_t& alignedBegin) {
    const std::uintptr_t page = systemPageSize();
    alignedBegin = begin & ~(page - 1);
    const std::uintptr_t alignedEnd = (end + page - 1) & ~(page - 1);
    std::vector<unsigned char> pages((alignedEnd - alignedBegin) / page);
    if (!pages.empty() &&
        ::mincore(reinterpret_cast<void*>(alignedBegin), alignedEnd - alignedBegin, pages.data()) != 0)
        throw std::system_error(errno, std::generic_category(),
                                "mincore on a range of " + std::to_string(alignedEnd - alignedBegin) +
                                    " bytes");
    return pages;
}

// Sums the resident bytes of [begin, end) given a prefix count of resident pages.
std::uint64_t residentInRange(const std::vector<std::uint64_t>& prefix,
                              const std::vector<unsigned char>& pages, std::uintptr_t alignedBegin,
                              std::uintptr_t begin, std::uintptr_t end) {
    if (end <= begin) return 0;
    const std::uintptr_t page = systemPageSize();
    const std::size_t first = (begin - alignedBegin) / page;
    const std::size_t last = (end - 1 - alignedBegin) / page;
    const auto resident = [&](std::size_t i) { return (pages[i] & 1u) != 0; };
    if (first == last) return resident(first) ? end - begin : 0;
    std::uint64_t bytes = 0;
    if (resident(first)) bytes += alignedBegin + (first + 1) * page - begin;
    if (resident(last)) bytes += end - (alignedBegin + last * page);
    bytes += (prefix[last] - prefix[first + 1]) * page; // whole pages strictly between
    return bytes;
}

} // namespace

std::uint64_t residentBytes(const void* address, std::size_t length) {
    if (length == 0) return 0;
    const auto begin = reinterpret_cast<std::uintptr_t>(address);
    std::uintptr_t alignedBegin = 0;
    const auto pages = pageResidency(begin, begin + length, alignedBegin);
    std::vector<std::uint64_t> prefix(pages.size() + 1, 0);
    for (std::size_t i = 0; i < pages.size(); ++i)
        prefix[i + 1] = prefix[i] + (pages[i] & 1u);
    return residentInRange(prefix, pages, alignedBegin, begin, begin + length);
}

int layerOfTensorName(const std::string& name) {
    if (name.rfind("blk.", 0) != 0) return -1;
    std::size_t i = 4;
    int layer = 0;
    bool digits = false;
    while (i < name.size() && name[i] >= '0' && name[i] <= '9' && layer < 1'000'000) {
        layer = layer * 10 + (name[i] - '0');
        digits = true;
        ++i;
    }
    return digits && i < name.size() && name[i] == '.' ? layer : -1;
}

std::vector<TensorRange> tensorRanges(const gguf::GgufFile& file) {
    std::vector<TensorRange> ranges;
    ranges.reserve(file.tensors().size());
    for (const gguf::TensorInfo& tensor : file.tensors())
        ranges.push_back({tensor.name, layerOfTensorName(tensor.name), file.dataOffset() + tensor.offset,
                          tensor.byteSize});
    return ranges;
}

ResidencySnapshot sampleResidency(const void* base, std::span<const TensorRange> ranges) {
    const std::uint64_t startNs = steadyNowNs();
    ResidencySnapshot snapshot;
    snapshot.timeNs = startNs;
    if (ranges.empty()) return snapshot;
    const auto baseAddress = reinterpret_cast<std::uintptr_t>(base);
    std::uint64_t lowest = UINT64_MAX;
    std::uint64_t highest = 0;
    for (const TensorRange& range : ranges) {
        if (range.offset + range.size < range.offset || baseAddress + range.offset + range.size < baseAddress)
            throw std::invalid_argument("residency: range of tensor " + range.name + " overflows");
        lowest = std::min(lowest, range.offset);
        highest = std::max(highest, range.offset + range.size);
    }
    std::uintptr_t alignedBegin = 0;
    const auto pages =
        pageResidency(baseAddress + lowest, baseAddress + std::max(highest, lowest + 1), alignedBegin);
    std::vector<std::uint64_t> prefix(pages.size() + 1, 0);
    for (std::size_t i = 0; i < pages.size(); ++i)
        prefix[i + 1] = prefix[i] + (pages[i] & 1u);

    std::map<int, LayerResidency> layers;
    snapshot.tensors.reserve(ranges.size());
    for (const TensorRange& range : ranges) {
        const std::uintptr_t begin = baseAddress + range.offset;
        const std::uint64_t resident =
            residentInRange(prefix, pages, alignedBegin, begin, begin + range.size);
        snapshot.tensors.push_back({range.name, range.layer, range.size, resident});
        LayerResidency& layer = layers[range.layer];
        layer.layer = range.layer;
        layer.size += range.size;
        layer.resident += resident;
        snapshot.totalSize += range.size;
        snapshot.totalResident += resident;
    }
    for (const auto& [index, layer] : layers)
        snapshot.layers.push_back(layer);
    snapshot.sampleMs = static_cast<double>(steadyNowNs() - startNs) / 1e6;
    return snapshot;
}

ProcessMemory readProcessMemory() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size = 0, resident = 0, shared = 0;
    if (!(statm >> size >> resident >> shared)) throw std::runtime_error("cannot read /proc/self/statm");
    const std::uint64_t page = systemPageSize();
    return {size * page, resident * page, shared * page};
}

} // namespace wb::telemetry

namespace wb::telemetry {

std::vector<CounterSample> memoryCounters(const ResidencySnapshot& weights, const ProcessMemory& process,
                                          const EngineMemory& engine) {
    const auto d = [](std::uint64_t v) { return static_cast<double>(v); };
    std::vector<CounterSample> samples;
    samples.push_back(
        {weights.timeNs,
         "weights resident",
         {{"resident_bytes", d(weights.totalResident)}, {"mapped_bytes", d(weights.totalSize)}}});
    samples.push_back({weights.timeNs,
                       "memory",
                       {{"rss_bytes", d(process.residentBytes)},
                        {"kv_allocated_bytes", d(engine.kvAllocatedBytes)},
                        {"kv_used_bytes", d(engine.kvUsedBytes)},
                        {"scratch_bytes", d(engine.scratchBytes)}}});
    return samples;
}

} // namespace wb::telemetry
