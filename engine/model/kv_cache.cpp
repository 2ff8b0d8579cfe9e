#include "engine/model/kv_cache.h"

#include <cstdlib>
#include <fstream>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

namespace wb {
namespace {

// Memory a cache may take: MemAvailable (reclaimable page cache counts as free) plus free swap, capped by
// the address-space limit (RLIMIT_AS). 0 when unknown. Sources: proc(5) /proc/meminfo, getrlimit(2).
double availableMemoryBytes() {
    double available = 0;
    std::ifstream meminfo("/proc/meminfo");
    for (std::string key; meminfo >> key;) {
        double kib = 0;
        meminfo >> kib;
        if (key == "MemAvailable:" || key == "SwapFree:") available += kib * 1024.0;
        meminfo.ignore(256, '\n');
    }
    if (available == 0) {
        const long pages = sysconf(_SC_AVPHYS_PAGES);
        const long pageSize = sysconf(_SC_PAGESIZE);
        if (pages > 0 && pageSize > 0) available = static_cast<double>(pages) * static_cast<double>(pageSize);
    }
    rlimit limit{};
    if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        (available == 0 || static_cast<double>(limit.rlim_cur) < available))
        available = static_cast<double>(limit.rlim_cur);
    return available;
}

[[noreturn]] void throwNotEnoughMemory(double bytes, std::int32_t contextLength) {
    throw KvCacheMemoryError("not enough memory for a KV cache of " +
                             std::to_string(static_cast<std::uint64_t>(bytes / (1024.0 * 1024.0))) +
                             " MiB at context " + std::to_string(contextLength) +
                             "; try a smaller context (-c)");
}

} // namespace

KvCache::KvCache(KvCacheType type, std::int32_t layerCount, std::int32_t contextLength, std::int32_t kvDim)
    : type_(type), contextLength_(contextLength), kvDim_(kvDim) {
    if (layerCount <= 0 || contextLength <= 0 || kvDim <= 0)
        throw std::invalid_argument("KV cache: sizes must be positive (layers " + std::to_string(layerCount) +
                                    ", context " + std::to_string(contextLength) + ", kv dim " +
                                    std::to_string(kvDim) + ")");
    // Each factor is below 2^31: multiply step by step against the addressable limit.
    const std::uint64_t limit =
        static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max()) / sizeof(float);
    const std::uint64_t perLayer =
        2u * static_cast<std::uint64_t>(contextLength) * static_cast<std::uint64_t>(kvDim);
    if (perLayer > limit / static_cast<std::uint64_t>(layerCount))
        throw std::length_error("KV cache for a context of " + std::to_string(contextLength) +
                                " tokens is too large to allocate");
    elementCount_ = static_cast<std::size_t>(perLayer * static_cast<std::uint64_t>(layerCount));
    // Pages are committed lazily, but a context that could never be filled is refused up front, with
    // advice, instead of the process being OOM-killed halfway through a long generation.
    const double bytes = static_cast<double>(elementCount_) * static_cast<double>(elementBytes());
    if (const double available = availableMemoryBytes(); available > 0 && bytes > available)
        throwNotEnoughMemory(bytes, contextLength);
    // malloc, not a zero-filling container: untouched pages cost nothing.
    void* memory = std::malloc(elementCount_ * elementBytes());
    if (memory == nullptr) throwNotEnoughMemory(bytes, contextLength);
    data_ = std::unique_ptr<void, void (*)(void*)>(memory, std::free);
}

} // namespace wb
