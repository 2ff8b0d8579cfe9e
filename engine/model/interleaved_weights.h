#pragma once
// Repacking at load (llama.cpp repacks too, into its CPU_REPACK/AMX buffers): the Q4_0, Q8_0, Q4_K and Q6_K
// weight matrices copied once into 16-row interleaved groups (repacked_groups.h) in 2 MiB pages, where the
// generation kernels read each group as one stream with no reductions, and the prompt kernels unpack groups
// instead of gathering rows. Only with the AVX-512 kernels; every other kernel keeps reading the file's
// layout.
#include "engine/model/model_weights.h"
#include "engine/util/huge_page_buffer.h"

#include <atomic>
#include <cstdint>
#include <memory>

namespace wb {

class InterleavedWeights {
public:
    // Bytes of the repackable matrices (Q4_0/Q8_0/Q4_K/Q6_K with at least 16 rows; a tied output counted
    // once).
    static std::uint64_t repackableBytes(const ModelWeights& weights);
    // Repacks them and points their WeightMatrix::interleaved at the copy. With `fileIsMapped`, the repacked
    // matrices' file pages are then dropped from this process's resident set (the page cache keeps them, and
    // they come back on a read), so the copy does not count twice. Stops with a nullptr result as soon as
    // `cancel` is raised (the matrices are then left untouched). Call only when avx512KernelsAvailable().
    static std::unique_ptr<InterleavedWeights> build(ModelWeights& weights, bool fileIsMapped,
                                                     const std::atomic<bool>* cancel);
    std::size_t bytes() const { return buffer_.size(); }

private:
    HugePageBuffer buffer_;
};

} // namespace wb
