#include "engine/model/interleaved_weights.h"

#include "engine/tensor/repacked_groups.h"
#include "engine/util/parallel_work.h"

#include <sys/mman.h>
#include <unistd.h>

#include <initializer_list>
#include <vector>

namespace wb {

namespace {

constexpr std::int64_t kGroupRows = kRepackedGroupRows;

// f(matrix) for every matrix the forward pass multiplies with, once (the output may be the token embedding
// itself, which is otherwise only read row by row).
template <class Weights, class F> void forEachMultiplied(Weights& weights, F&& f) {
    for (auto& layer : weights.layers)
        for (auto* w : {&layer.attnQ, &layer.attnK, &layer.attnV, &layer.attnOutput, &layer.ffnGate,
                        &layer.ffnUp, &layer.ffnDown})
            f(*w);
    f(weights.output);
}

// Drops the whole pages of [data, data + bytes) of a read-only file mapping from the resident set.
void dropMappedPages(const std::uint8_t* data, std::size_t bytes) {
    const long pageSize = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
    const auto page = static_cast<std::uintptr_t>(pageSize);
    const auto begin = (reinterpret_cast<std::uintptr_t>(data) + page - 1) / page * page;
    const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) / page * page;
    if (end > begin) (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

} // namespace

std::uint64_t InterleavedWeights::repackableBytes(const ModelWeights& weights) {
    std::uint64_t bytes = 0;
    forEachMultiplied(weights, [&](const WeightMatrix& w) {
        if (repackedGroupBytes(w) != 0) bytes += static_cast<std::uint64_t>(w.rows) * w.rowBytes;
    });
    return bytes;
}

std::unique_ptr<InterleavedWeights> InterleavedWeights::build(ModelWeights& weights, bool fileIsMapped,
                                                              const std::atomic<bool>* cancel) {
    std::vector<WeightMatrix*> matrices;
    std::size_t total = 0;
    forEachMultiplied(weights, [&](WeightMatrix& w) {
        if (repackedGroupBytes(w) == 0) return;
        matrices.push_back(&w);
        total += static_cast<std::size_t>(w.rows / kGroupRows) * repackedGroupBytes(w);
    });
    auto result = std::unique_ptr<InterleavedWeights>(new InterleavedWeights());
    if (matrices.empty()) return result;
    result->buffer_ = HugePageBuffer(total, "the repacked weights");
    std::vector<std::size_t> offsets;
    std::size_t offset = 0;
    for (const WeightMatrix* w : matrices) {
        if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return nullptr;
        const std::size_t groupBytes = repackedGroupBytes(*w);
        const std::int64_t groups = w->rows / kGroupRows;
        std::uint8_t* out = result->buffer_.data() + offset;
        parallel::forEachPiece(groups, kGroupRows * w->cols, [&](std::int64_t first, std::int64_t last) {
            for (std::int64_t g = first; g < last; ++g)
                repackGroup(*w, g, out + static_cast<std::size_t>(g) * groupBytes);
        });
        offsets.push_back(offset);
        offset += static_cast<std::size_t>(groups) * groupBytes;
        // Matrix by matrix, so that the file's pages and the copy are never both resident in full (peak RSS).
        // The token embedding's rows are still read (one per token), so its pages stay.
        if (fileIsMapped && w->data != weights.tokenEmbedding.data)
            dropMappedPages(w->data, static_cast<std::size_t>(groups * kGroupRows) * w->rowBytes);
    }
    result->buffer_.makeReadOnly();
    for (std::size_t i = 0; i < matrices.size(); ++i) {
        matrices[i]->interleaved = result->buffer_.data() + offsets[i];
        matrices[i]->interleavedGroupBytes = repackedGroupBytes(*matrices[i]);
    }
    return result;
}

} // namespace wb
