#pragma once
// LDTILECFG's 64-byte operand (Intel SDM vol. 2, LDTILECFG: palette 1, bytes per row and rows per tile),
// shared by the AMX kernels (matmul_block32_tiles_amx.cpp, matmul_kquant_tiles_amx.cpp).
#include <cstdint>

namespace wb::amx {

struct alignas(64) TileConfig {
    std::uint8_t palette = 1;
    std::uint8_t startRow = 0;
    std::uint8_t reserved[14] = {};
    std::uint16_t bytesPerRow[16] = {};
    std::uint8_t rows[16] = {};
};

} // namespace wb::amx
