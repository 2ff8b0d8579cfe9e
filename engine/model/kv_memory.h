#pragma once
// How much memory a KV cache takes, before allocating it: what the app's model card shows for the context
// the user picks. Uses the same layout as KvCache (per layer, keys and values of kvDim elements per
// position), so the estimate equals KvCache::byteSize() / InferenceContext::kvCacheBytes() exactly.
#include "engine/model/kv_cache.h"
#include "engine/model/model_config.h"

#include <cstdint>

namespace wb {

// Bytes per element of a cache type: 4 for F32, 2 for F16.
std::uint32_t kvElementBytes(KvCacheType type);

// 2 (keys, values) x layers x contextLength x kvDim x element bytes. 0 for a non-positive context.
std::uint64_t kvCacheBytesFor(const ModelConfig& config, std::int32_t contextLength, KvCacheType type);

// The context an InferenceContext picks for ContextOptions::contextLength == 0: min(trained, 4096).
std::int32_t defaultContextLength(const ModelConfig& config);

} // namespace wb
