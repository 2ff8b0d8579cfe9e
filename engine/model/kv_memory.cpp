#include "engine/model/kv_memory.h"

#include <algorithm>

namespace wb {

std::uint32_t kvElementBytes(KvCacheType type) {
    return type == KvCacheType::F32 ? 4u : 2u;
}

std::uint64_t kvCacheBytesFor(const ModelConfig& config, std::int32_t contextLength, KvCacheType type) {
    if (contextLength <= 0 || config.blockCount <= 0 || config.kvDim() <= 0) return 0;
    return 2u * static_cast<std::uint64_t>(config.blockCount) * static_cast<std::uint64_t>(contextLength) *
           static_cast<std::uint64_t>(config.kvDim()) * kvElementBytes(type);
}

std::int32_t defaultContextLength(const ModelConfig& config) {
    constexpr std::int32_t kDefaultCap = 4096;
    return config.contextLength > 0 ? std::min(config.contextLength, kDefaultCap) : kDefaultCap;
}

} // namespace wb
