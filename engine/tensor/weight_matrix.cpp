#include "engine/tensor/weight_matrix.h"

#include "engine/gguf/gguf_file.h"
#include "engine/tensor/dequantize.h"
#include "engine/util/cache_size.h"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace wb {
namespace {

std::size_t checkedRowBytes(GgmlType type, std::int64_t cols, const std::string& what) {
    if (!canDequantize(type))
        throw std::invalid_argument(what + ": tensor type " + std::string(ggmlTypeName(type)) +
                                    " is not supported for matrix products");
    const auto& traits = ggmlTypeTraits(type);
    if (cols <= 0 || cols % traits.blockSize != 0)
        throw std::invalid_argument(what + ": row length " + std::to_string(cols) +
                                    " is not a positive multiple of the " + std::string(traits.name) +
                                    " block size " + std::to_string(traits.blockSize));
    return static_cast<std::size_t>(cols / traits.blockSize) * traits.bytesPerBlock;
}

} // namespace

WeightMatrix WeightMatrix::fromTensor(const gguf::GgufFile& file, const gguf::TensorInfo& info) {
    const std::string what = "tensor '" + info.name + "' in " + file.sourceName();
    if (info.nDims < 1 || info.nDims > 2 || info.ne[2] != 1 || info.ne[3] != 1)
        throw std::invalid_argument(what + ": expected a 2-D tensor, got shape " + info.shapeString());
    WeightMatrix w;
    w.type = info.type;
    w.cols = static_cast<std::int64_t>(info.ne[0]);
    w.rows = static_cast<std::int64_t>(info.ne[1]);
    w.rowBytes = checkedRowBytes(info.type, w.cols, what);
    const auto bytes = file.tensorBytes(info);
    if (bytes.size() < w.rowBytes * static_cast<std::size_t>(w.rows))
        throw std::invalid_argument(what + ": holds " + std::to_string(bytes.size()) + " bytes, expected " +
                                    std::to_string(w.rowBytes * static_cast<std::size_t>(w.rows)));
    w.data = bytes.data();
    w.streamsFromLargePages =
        file.placement() == FilePlacement::HugePageCopy && file.fileSize() > lastLevelCacheBytes();
    return w;
}

WeightMatrix WeightMatrix::fromMemory(GgmlType type, const void* data, std::int64_t cols, std::int64_t rows) {
    if (rows <= 0)
        throw std::invalid_argument("weight matrix: row count " + std::to_string(rows) + " is not positive");
    WeightMatrix w;
    w.type = type;
    w.cols = cols;
    w.rows = rows;
    w.rowBytes = checkedRowBytes(type, cols, "weight matrix");
    w.data = static_cast<const std::uint8_t*>(data);
    return w;
}

} // namespace wb
