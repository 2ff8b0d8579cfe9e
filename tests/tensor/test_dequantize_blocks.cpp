// Dequantization of hand-built blocks. Each block's bytes are written here from the layout description in
// ggml/src/ggml-common.h (ggml-org/llama.cpp), and the expected values are worked out independently.
#include "engine/tensor/dequantize.h"
#include "engine/tensor/quantize.h"
#include "tests/tensor/test_registry.h"

#include <QtTest>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace {

using wb::GgmlType;

struct Bytes {
    std::vector<std::uint8_t> data;
    void u8(int v) { data.push_back(static_cast<std::uint8_t>(v)); }
    void u16(std::uint16_t v) { u8(v & 0xFF), u8(v >> 8); }
    void f32(float v) {
        std::uint8_t raw[4];
        std::memcpy(raw, &v, 4);
        data.insert(data.end(), raw, raw + 4);
    }
};

std::vector<float> dequant(GgmlType type, const Bytes& bytes, int n) {
    [&] { QCOMPARE(bytes.data.size(), wb::rowByteSize(type, n)); }();
    std::vector<float> out(static_cast<std::size_t>(n));
    wb::dequantizeRow(type, bytes.data.data(), out.data(), n);
    return out;
}

// Half bit patterns used below: 0x3C00 = 1, 0x3800 = 0.5, 0x3400 = 0.25, 0x3000 = 0.125, 0xC000 = -2,
// 0xBC00 = -1, 0x4000 = 2.

class DequantizeBlocksTest : public QObject {
    Q_OBJECT
private slots:
    void q4_0() {
        Bytes b;
        b.u16(0x3800); // d = 0.5
        for (int j = 0; j < 16; ++j)
            b.u8(j | ((15 - j) << 4));
        b.u16(0xC000); // second block: d = -2, all nibbles 0 -> (0 - 8) * -2 = 16
        for (int j = 0; j < 16; ++j)
            b.u8(0);
        const auto y = dequant(GgmlType::Q4_0, b, 64);
        for (int j = 0; j < 16; ++j) {
            QCOMPARE(y[j], (j - 8) * 0.5f);      // low nibbles are elements 0..15
            QCOMPARE(y[16 + j], (7 - j) * 0.5f); // high nibbles are elements 16..31
        }
        for (int j = 32; j < 64; ++j)
            QCOMPARE(y[j], 16.0f);
    }

    void q4_1() {
        Bytes b;
        b.u16(0x3400); // d = 0.25
        b.u16(0xBC00); // m = -1
        for (int j = 0; j < 16; ++j)
            b.u8(0xF0 | j);
        const auto y = dequant(GgmlType::Q4_1, b, 32);
        for (int j = 0; j < 16; ++j) {
            QCOMPARE(y[j], j * 0.25f - 1.0f);
            QCOMPARE(y[16 + j], 2.75f);
        }
    }

    void q5_0() {
        Bytes b;
        b.u16(0x3C00);                         // d = 1
        for (int v : {0x21, 0x00, 0x00, 0x80}) // qh = 0x80000021: fifth bit of elements 0, 5, 31
            b.u8(v);
        for (int j = 0; j < 16; ++j)
            b.u8(j == 0 ? 0x0F : j == 15 ? 0xF0 : 0x00);
        const auto y = dequant(GgmlType::Q5_0, b, 32);
        QCOMPARE(y[0], 15.0f); // 0xF | 16 = 31, minus 16
        QCOMPARE(y[5], 0.0f);  // 0 | 16 = 16, minus 16
        QCOMPARE(y[15], -16.0f);
        QCOMPARE(y[16], -16.0f);
        QCOMPARE(y[31], 15.0f); // high nibble of qs[15] = 15, plus bit 31
        QCOMPARE(y[7], -16.0f);
    }

    void q5_1() {
        Bytes b;
        b.u16(0x3800);                         // d = 0.5
        b.u16(0x4000);                         // m = 2
        for (int v : {0x00, 0x00, 0x01, 0x00}) // qh bit 16: element 16
            b.u8(v);
        for (int j = 0; j < 16; ++j)
            b.u8(j == 0 ? 0x21 : 0x00);
        const auto y = dequant(GgmlType::Q5_1, b, 32);
        QCOMPARE(y[0], 2.5f);   // 1 * 0.5 + 2
        QCOMPARE(y[16], 11.0f); // (2 | 16) * 0.5 + 2
        QCOMPARE(y[1], 2.0f);
        QCOMPARE(y[17], 2.0f);
    }

    void q8_0() {
        Bytes b;
        b.u16(0x3000); // d = 0.125
        for (int j = 0; j < 32; ++j)
            b.u8(static_cast<std::uint8_t>(static_cast<std::int8_t>(j - 16)));
        const auto y = dequant(GgmlType::Q8_0, b, 32);
        for (int j = 0; j < 32; ++j)
            QCOMPARE(y[j], (j - 16) * 0.125f);
    }

    void q2_K() {
        // Sub-block j (elements 16j..16j+15) has scale j and min 15-j; d = 1, dmin = 0.5.
        Bytes b;
        for (int j = 0; j < 16; ++j)
            b.u8(j | ((15 - j) << 4));
        // qs byte 0 carries elements 0, 32, 64, 96 at bit shifts 0, 2, 4, 6; byte 63 carries 255 at shift 6.
        for (int i = 0; i < 64; ++i)
            b.u8(i == 0 ? 0xE4 : i == 63 ? 0xC0 : 0x00);
        b.u16(0x3C00);
        b.u16(0x3800);
        const auto y = dequant(GgmlType::Q2_K, b, 256);
        QCOMPARE(y[0], -7.5f); // 0*0 - 0.5*15
        QCOMPARE(y[1], -7.5f);
        QCOMPARE(y[17], -7.0f);  // 1*0 - 0.5*14
        QCOMPARE(y[32], -4.5f);  // 2*1 - 0.5*13
        QCOMPARE(y[64], 2.5f);   // 4*2 - 0.5*11
        QCOMPARE(y[96], 13.5f);  // 6*3 - 0.5*9
        QCOMPARE(y[255], 45.0f); // 15*3 - 0.5*0
        QCOMPARE(y[254], 0.0f);
    }

    void q3_K() {
        // Scale i stored as 24+i (6 bits, biased by 32) so the effective scale is i-8; d = 0.5.
        // Bytes 0..7: low nibble = low 4 bits of scale k, high nibble = low 4 bits of scale k+8.
        // Bytes 8..11: 2-bit fields holding the top bits of scales m, m+4, m+8, m+12 (1, 1, 2, 2) = 0xA5.
        Bytes b;
        for (int i = 0; i < 32; ++i) // hmask: set bit = no subtraction; clear for elements 1, 200
            b.u8(i == 1 ? 0xFE : i == 8 ? 0xBF : 0xFF);
        for (int i = 0; i < 64; ++i)
            b.u8(i == 0 ? 0xE4 : i == 63 ? 0xC0 : 0x00);
        for (int k = 0; k < 8; ++k)
            b.u8((8 + k) | (k << 4));
        for (int m = 0; m < 4; ++m)
            b.u8(0xA5);
        b.u16(0x3800);
        const auto y = dequant(GgmlType::Q3_K, b, 256);
        QCOMPARE(y[1], 16.0f);   // scale -8, q 0-4 -> 0.5*-8*-4
        QCOMPARE(y[32], -3.0f);  // scale -6, q 1 -> 0.5*-6*1
        QCOMPARE(y[64], -4.0f);  // scale -4, q 2
        QCOMPARE(y[96], -3.0f);  // scale -2, q 3
        QCOMPARE(y[255], 10.5f); // scale 7, q 3
        QCOMPARE(y[200], -8.0f); // scale 4, q 0-4
        QCOMPARE(y[150], 0.0f);
    }

    void q4_K() {
        const int sc[8] = {10, 17, 24, 31, 38, 45, 52, 59};
        const int mn[8] = {60, 52, 44, 36, 28, 20, 12, 4};
        Bytes b;
        b.u16(0x3800); // d = 0.5
        b.u16(0x3400); // dmin = 0.25
        // 12 scale bytes: 0..3 = scale j | top bits of scale j+4; 4..7 = min j | top bits of min j+4;
        // 8..11 = low nibbles of scale j+4 and min j+4.
        for (int j = 0; j < 4; ++j)
            b.u8(sc[j] | ((sc[j + 4] >> 4) << 6));
        for (int j = 0; j < 4; ++j)
            b.u8(mn[j] | ((mn[j + 4] >> 4) << 6));
        for (int j = 0; j < 4; ++j)
            b.u8((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
        for (int i = 0; i < 128; ++i)
            b.u8((i % 16) | ((15 - i % 16) << 4));
        const auto y = dequant(GgmlType::Q4_K, b, 256);
        for (int e = 0; e < 256; ++e) {
            // Element e is in group e/64; its byte is qs[32*(e/64) + e%32], low nibble in the first 32.
            const int byte = 32 * (e / 64) + e % 32;
            const int value = (byte % 16) | ((15 - byte % 16) << 4);
            const int q = (e % 64) < 32 ? (value & 0xF) : (value >> 4);
            QCOMPARE(y[e], 0.5f * sc[e / 32] * q - 0.25f * mn[e / 32]);
        }
    }

    void q5_K() {
        const int sc[8] = {63, 1, 33, 16, 47, 15, 32, 0};
        const int mn[8] = {0, 63, 5, 48, 17, 31, 62, 9};
        Bytes b;
        b.u16(0x3400); // d = 0.25
        b.u16(0x3C00); // dmin = 1
        for (int j = 0; j < 4; ++j)
            b.u8(sc[j] | ((sc[j + 4] >> 4) << 6));
        for (int j = 0; j < 4; ++j)
            b.u8(mn[j] | ((mn[j + 4] >> 4) << 6));
        for (int j = 0; j < 4; ++j)
            b.u8((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
        for (int l = 0; l < 32; ++l) // qh[l]: bit 2g = fifth bit of the low-nibble element of group g
            b.u8(l % 2 ? 0xAA : 0x55);
        for (int i = 0; i < 128; ++i)
            b.u8((i * 7) & 0xFF);
        const auto y = dequant(GgmlType::Q5_K, b, 256);
        for (int e = 0; e < 256; ++e) {
            const int l = e % 32;
            const int value = ((32 * (e / 64) + l) * 7) & 0xFF;
            const bool lowNibble = (e % 64) < 32;
            const int fifth = (l % 2 == 0) == lowNibble ? 16 : 0; // 0x55 marks low, 0xAA high elements
            const int q = (lowNibble ? (value & 0xF) : (value >> 4)) + fifth;
            QCOMPARE(y[e], 0.25f * sc[e / 32] * q - 1.0f * mn[e / 32]);
        }
    }

    void q6_K() {
        Bytes b;
        for (int i = 0; i < 128; ++i)
            b.u8((i * 7) & 0xFF);
        for (int i = 0; i < 64; ++i)
            b.u8((i * 13 + 5) & 0xFF);
        for (int i = 0; i < 16; ++i)
            b.u8(static_cast<std::uint8_t>(static_cast<std::int8_t>(i - 8)));
        b.u16(0x3400); // d = 0.25
        const auto y = dequant(GgmlType::Q6_K, b, 256);
        for (int e = 0; e < 256; ++e) {
            // Half h = e/128 uses ql[64h..], qh[32h..]; quarter k = (e%128)/32 and lane l = e%32.
            const int h = e / 128, k = (e % 128) / 32, l = e % 32;
            const int qlByte = ((64 * h + l + (k % 2) * 32) * 7) & 0xFF;
            const int low = k < 2 ? (qlByte & 0xF) : (qlByte >> 4);
            const int qhByte = ((32 * h + l) * 13 + 5) & 0xFF;
            const int q = (low | (((qhByte >> (2 * k)) & 3) << 4)) - 32;
            QCOMPARE(y[e], 0.25f * static_cast<float>(e / 16 - 8) * static_cast<float>(q));
        }
    }

    void q8_K() {
        Bytes b;
        b.f32(0.5f);
        for (int i = 0; i < 256; ++i)
            b.u8(static_cast<std::uint8_t>(static_cast<std::int8_t>(i - 128)));
        for (int i = 0; i < 16; ++i)
            b.u16(0);
        const auto y = dequant(GgmlType::Q8_K, b, 256);
        for (int i = 0; i < 256; ++i)
            QCOMPARE(y[i], 0.5f * static_cast<float>(i - 128));
    }

    void f16AndBf16Rows() {
        Bytes h, bf;
        for (std::uint16_t v : {0x3C00, 0xC000, 0x0001, 0x7BFF})
            h.u16(v);
        for (std::uint16_t v : {0x3F80, 0xC040, 0x0000, 0x4049})
            bf.u16(v);
        const auto yh = dequant(GgmlType::F16, h, 4);
        const auto yb = dequant(GgmlType::BF16, bf, 4);
        QCOMPARE(yh, (std::vector<float>{1.0f, -2.0f, 0x1p-24f, 65504.0f}));
        QCOMPARE(yb, (std::vector<float>{1.0f, -3.0f, 0.0f, 3.140625f}));
    }

    void badInputThrows() {
        std::vector<std::uint8_t> raw(1024);
        std::vector<float> out(512);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 wb::dequantizeRow(GgmlType::Q4_0, raw.data(), out.data(), 33));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 wb::dequantizeRow(GgmlType::Q4_K, raw.data(), out.data(), 128));
        try {
            wb::dequantizeRow(GgmlType::IQ2_XXS, raw.data(), out.data(), 256);
            QFAIL("IQ2_XXS should be rejected");
        } catch (const std::invalid_argument& e) {
            QVERIFY2(QString(e.what()).contains("iq2_xxs"), e.what());
        }
        QVERIFY(!wb::canDequantize(GgmlType::IQ4_NL));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, wb::rowByteSize(GgmlType::Q6_K, 100));
        QCOMPARE(wb::rowByteSize(GgmlType::Q6_K, 512), std::size_t{420});
        QCOMPARE(wb::rowByteSize(GgmlType::F16, 3), std::size_t{6});
    }
};

} // namespace

WB_REGISTER_TENSOR_TEST(DequantizeBlocksTest)
#include "test_dequantize_blocks.moc"
