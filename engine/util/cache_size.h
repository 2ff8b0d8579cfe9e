#pragma once
// The size of this machine's largest CPU cache, for choices that depend on whether the weights can stay in
// cache (weight placement, prefetch distance).
#include <cstdint>

namespace wb {

// The largest cache level the C library reports (L3, else L2), in bytes; 0 when none is known.
std::uint64_t lastLevelCacheBytes();

} // namespace wb
