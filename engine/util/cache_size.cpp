#include "engine/util/cache_size.h"

#include <initializer_list>

#include <unistd.h>

namespace wb {

std::uint64_t lastLevelCacheBytes() {
    static const std::uint64_t bytes = [] {
        for (int level : {_SC_LEVEL3_CACHE_SIZE, _SC_LEVEL2_CACHE_SIZE}) {
            const long size = sysconf(level);
            if (size > 0) return static_cast<std::uint64_t>(size);
        }
        return std::uint64_t{0};
    }();
    return bytes;
}

} // namespace wb
