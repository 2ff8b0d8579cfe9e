#include "engine/model/kv_cache.h"

#include <cstdlib>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>

namespace wb {

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
    // malloc, not a zero-filling container: untouched pages cost nothing.
    void* memory = std::malloc(elementCount_ * elementBytes());
    if (memory == nullptr) throw std::bad_alloc();
    data_ = std::unique_ptr<void, void (*)(void*)>(memory, std::free);
}

} // namespace wb
