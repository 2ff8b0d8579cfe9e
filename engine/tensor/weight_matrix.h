#pragma once
// A 2-D GGUF tensor viewed in its stored layout: `rows` rows of `cols` elements, each row rowBytes long.
#include "engine/gguf/ggml_types.h"

#include <cstddef>
#include <cstdint>

namespace wb::gguf {
class GgufFile;
struct TensorInfo;
} // namespace wb::gguf

namespace wb {

struct WeightMatrix {
    GgmlType type = GgmlType::F32;
    const std::uint8_t* data = nullptr;
    std::int64_t cols = 0; // ne[0], contiguous
    std::int64_t rows = 0; // ne[1]
    std::size_t rowBytes = 0;
    // The bytes sit in 2 MiB pages (a FilePlacement::HugePageCopy file) and the file is larger than the
    // last-level cache, so every token streams them from DRAM: the generation kernels then prefetch a
    // shorter distance ahead (2 KiB; measured faster there, slower for a model that stays in L3:
    // docs/performance.md).
    bool streamsFromLargePages = false;
    // Q4_0/Q8_0/Q4_K/Q6_K repacked at load (InterleavedWeights): the full 16-row groups, rows
    // [0, rows / 16 * 16), in the layout of repacked_groups.h, groups interleavedGroupBytes apart (in 2 MiB
    // pages); nullptr when not repacked. `data` still holds every row in the file's layout for the other
    // kernels.
    const std::uint8_t* interleaved = nullptr;
    std::size_t interleavedGroupBytes = 0;

    // Validates that the tensor is 2-D (or 1-D, as one row), that its type can be dequantized and that
    // its row length is a multiple of the block size. Throws std::invalid_argument naming the tensor.
    static WeightMatrix fromTensor(const gguf::GgufFile& file, const gguf::TensorInfo& info);
    // A view of caller-owned memory (e.g. generated test data); validates the geometry the same way.
    static WeightMatrix fromMemory(GgmlType type, const void* data, std::int64_t cols, std::int64_t rows);

    const std::uint8_t* rowData(std::int64_t row) const {
        return data + static_cast<std::size_t>(row) * rowBytes;
    }
};

} // namespace wb
