#include "engine/tensor/repacked_groups.h"

#include "engine/tensor/matvec_interleaved_avx512.h"
#include "engine/tensor/matvec_kinterleaved_avx512.h"

namespace wb {

std::size_t repackedGroupBytes(const WeightMatrix& w) {
    if (w.rows < kRepackedGroupRows) return 0;
    switch (w.type) {
    case GgmlType::Q4_0:
        return avx512::interleavedGroupBytes(avx512::Block32Type::Q4_0, w.cols / 32);
    case GgmlType::Q8_0:
        return avx512::interleavedGroupBytes(avx512::Block32Type::Q8_0, w.cols / 32);
    case GgmlType::Q4_K:
        return avx512k::interleavedKGroupBytes(avx512k::KType::Q4_K, w.cols / 256);
    case GgmlType::Q6_K:
        return avx512k::interleavedKGroupBytes(avx512k::KType::Q6_K, w.cols / 256);
    default:
        return 0;
    }
}

void repackGroup(const WeightMatrix& w, std::int64_t g, std::uint8_t* out) {
    const std::uint8_t* first = w.rowData(g * kRepackedGroupRows);
    switch (w.type) {
    case GgmlType::Q4_0:
        avx512::interleaveRows16(avx512::Block32Type::Q4_0, first, w.rowBytes, w.cols / 32, out);
        break;
    case GgmlType::Q8_0:
        avx512::interleaveRows16(avx512::Block32Type::Q8_0, first, w.rowBytes, w.cols / 32, out);
        break;
    case GgmlType::Q4_K:
        avx512k::interleaveKRows16(avx512k::KType::Q4_K, first, w.rowBytes, w.cols / 256, out);
        break;
    case GgmlType::Q6_K:
        avx512k::interleaveKRows16(avx512k::KType::Q6_K, first, w.rowBytes, w.cols / 256, out);
        break;
    default:
        break;
    }
}

} // namespace wb
