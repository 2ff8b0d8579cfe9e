#pragma once
// In-memory layouts of ggml's quantized blocks, byte for byte as stored in GGUF files.
// Source: ggml/src/ggml-common.h (ggml-org/llama.cpp): block_q4_0, block_q4_1, block_q5_0, block_q5_1,
// block_q8_0, block_q2_K, block_q3_K, block_q4_K, block_q5_K, block_q6_K, block_q8_K. Half-precision
// fields are raw IEEE binary16 bits (ggml_half). All blocks are packed without padding.
#include <cstdint>

namespace wb::blocks {

inline constexpr int kQK4_0 = 32, kQK4_1 = 32, kQK5_0 = 32, kQK5_1 = 32, kQK8_0 = 32;
inline constexpr int kQK_K = 256;       // super-block size of the K-quants
inline constexpr int kKScaleBytes = 12; // K_SCALE_SIZE: packed 6-bit scales and mins (Q4_K, Q5_K)

struct BlockQ4_0 {
    std::uint16_t d;
    std::uint8_t qs[kQK4_0 / 2];
};
struct BlockQ4_1 {
    std::uint16_t d;
    std::uint16_t m;
    std::uint8_t qs[kQK4_1 / 2];
};
struct BlockQ5_0 {
    std::uint16_t d;
    std::uint8_t qh[4];
    std::uint8_t qs[kQK5_0 / 2];
};
struct BlockQ5_1 {
    std::uint16_t d;
    std::uint16_t m;
    std::uint8_t qh[4];
    std::uint8_t qs[kQK5_1 / 2];
};
struct BlockQ8_0 {
    std::uint16_t d;
    std::int8_t qs[kQK8_0];
};

// 2-bit quants; scales[i] low nibble = scale, high nibble = min of 16-element sub-block i.
struct BlockQ2_K {
    std::uint8_t scales[kQK_K / 16];
    std::uint8_t qs[kQK_K / 4];
    std::uint16_t d;
    std::uint16_t dmin;
};
// 3-bit quants: low 2 bits in qs, high bit in hmask; sixteen 6-bit scales packed into 12 bytes.
struct BlockQ3_K {
    std::uint8_t hmask[kQK_K / 8];
    std::uint8_t qs[kQK_K / 4];
    std::uint8_t scales[12];
    std::uint16_t d;
};
// 4-bit quants; eight 6-bit scales and mins packed into 12 bytes.
struct BlockQ4_K {
    std::uint16_t d;
    std::uint16_t dmin;
    std::uint8_t scales[kKScaleBytes];
    std::uint8_t qs[kQK_K / 2];
};
struct BlockQ5_K {
    std::uint16_t d;
    std::uint16_t dmin;
    std::uint8_t scales[kKScaleBytes];
    std::uint8_t qh[kQK_K / 8];
    std::uint8_t qs[kQK_K / 2];
};
// 6-bit quants: low 4 bits in ql, high 2 bits in qh, 8-bit signed scales per 16 elements.
struct BlockQ6_K {
    std::uint8_t ql[kQK_K / 2];
    std::uint8_t qh[kQK_K / 4];
    std::int8_t scales[kQK_K / 16];
    std::uint16_t d;
};
// Activation format for K-quant dot products: float scale, int8 quants, sums of each 16 quants.
struct BlockQ8_K {
    float d;
    std::int8_t qs[kQK_K];
    std::int16_t bsums[kQK_K / 16];
};

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24 && sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210 && sizeof(BlockQ8_K) == 292);

// The helpers below have internal linkage (static) so that the copies compiled into *_avx2.cpp files are
// never chosen by the linker for baseline code.

// Unpacks scale/min j (0..7) of a Q4_K/Q5_K block: the first four are the low 6 bits of bytes 0..3 and 4..7;
// the last four combine a nibble of bytes 8..11 with the top 2 bits of bytes 0..7.
// Source: get_scale_min_k4 in ggml/src/ggml-quants.c.
static inline void unpackScaleMinK4(int j, const std::uint8_t* q, std::uint8_t& scale, std::uint8_t& min) {
    if (j < 4) {
        scale = q[j] & 63;
        min = q[j + 4] & 63;
    } else {
        scale = static_cast<std::uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        min = static_cast<std::uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

// Unpacks the 16 6-bit scales of a Q3_K block (still biased by 32). The low 4 bits of scale i are the low
// nibble of byte i (i < 8) or the high nibble of byte i-8; its top 2 bits are bits 2*(i/4).. of byte 8+i%4.
// Source: dequantize_row_q3_K (kmask1/kmask2 unpacking) in ggml/src/ggml-quants.c.
static inline int unpackScaleQ3K(int i, const std::uint8_t* scales) {
    const int low = i < 8 ? (scales[i] & 0xF) : (scales[i - 8] >> 4);
    const int high = (scales[8 + i % 4] >> (2 * (i / 4))) & 3;
    return low | (high << 4);
}

} // namespace wb::blocks
