#pragma once
// How the engine splits a step over the oneTBB arena it runs in. A parallel region costs the calling
// thread a task hand-off and a join, and, when the worker has gone to sleep since the last region, a wake-up
// through the kernel: microseconds on a VM. Steps smaller than that (every step of a 260K-parameter model,
// the norms and rope of one generated token of any model) run on the calling thread. Before this,
// stories260K generated 1.8x slower with two threads than with one (docs/performance.md).
//
// Either way each item is computed by the same instructions, so results never depend on the split.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <cstdint>

namespace wb::parallel {

// Element operations (multiply-adds, or values touched) that one task should at least do.
inline constexpr std::int64_t kMinTaskWork = std::int64_t{1} << 15;

// Items per task so that a task holds at least minTaskWork.
inline std::int64_t itemsPerTask(std::int64_t workPerItem, std::int64_t minTaskWork = kMinTaskWork) {
    return workPerItem >= minTaskWork ? 1 : minTaskWork / std::max<std::int64_t>(workPerItem, 1);
}

// body(first, last) over contiguous pieces of [0, count): one piece per worker (static partition), or the
// whole range on the calling thread when it is less than two tasks' work.
template <class Body> void forEachPiece(std::int64_t count, std::int64_t workPerItem, Body&& body) {
    if (count <= 0) return;
    if (count < 2 * itemsPerTask(workPerItem)) {
        body(std::int64_t{0}, count);
        return;
    }
    tbb::parallel_for(
        tbb::blocked_range<std::int64_t>(0, count, 1),
        [&](const tbb::blocked_range<std::int64_t>& range) { body(range.begin(), range.end()); },
        tbb::static_partitioner());
}

// body(i) for every i in [0, count), in tasks of at least kMinTaskWork (load-balanced); on the calling
// thread when it is less than two tasks' work.
template <class Index, class Body> void forEachItem(Index count, std::int64_t workPerItem, Body&& body) {
    if (count <= 0) return;
    const std::int64_t grain = itemsPerTask(workPerItem);
    if (count < 2 * grain) {
        for (Index i = 0; i < count; ++i)
            body(i);
        return;
    }
    tbb::parallel_for(tbb::blocked_range<Index>(0, count, static_cast<std::size_t>(grain)),
                      [&](const tbb::blocked_range<Index>& range) {
                          for (Index i = range.begin(); i != range.end(); ++i)
                              body(i);
                      });
}

} // namespace wb::parallel
