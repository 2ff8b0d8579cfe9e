// fp16 / bf16 conversions: exact values, subnormals, infinities, NaN and round-to-nearest-even ties.
#include "engine/tensor/fp16.h"
#include "tests/tensor/test_registry.h"

#include <QtTest>

#include <bit>
#include <cmath>
#include <cstdint>

namespace {

float fromBits(std::uint32_t bits) {
    return std::bit_cast<float>(bits);
}

class Fp16Test : public QObject {
    Q_OBJECT
private slots:
    void halfToFloatKnownValues() {
        QCOMPARE(wb::fp16ToFloat(0x3C00), 1.0f);
        QCOMPARE(wb::fp16ToFloat(0xC000), -2.0f);
        QCOMPARE(wb::fp16ToFloat(0x3800), 0.5f);
        QCOMPARE(wb::fp16ToFloat(0x7BFF), 65504.0f);
        QCOMPARE(wb::fp16ToFloat(0x3555), 0.333251953125f);
        QCOMPARE(wb::fp16ToFloat(0x0400), std::ldexp(1.0f, -14)); // smallest normal
        QCOMPARE(wb::fp16ToFloat(0x0001), std::ldexp(1.0f, -24)); // smallest subnormal
        QCOMPARE(wb::fp16ToFloat(0x03FF), 1023.0f * std::ldexp(1.0f, -24));
        QCOMPARE(wb::fp16ToFloat(0x8001), -std::ldexp(1.0f, -24));
        QVERIFY(std::signbit(wb::fp16ToFloat(0x8000)) && wb::fp16ToFloat(0x8000) == 0.0f);
        QVERIFY(std::isinf(wb::fp16ToFloat(0x7C00)) && wb::fp16ToFloat(0x7C00) > 0);
        QVERIFY(std::isinf(wb::fp16ToFloat(0xFC00)) && wb::fp16ToFloat(0xFC00) < 0);
        QVERIFY(std::isnan(wb::fp16ToFloat(0x7E00)));
        QVERIFY(std::isnan(wb::fp16ToFloat(0x7C01)));
    }

    void floatToHalfRounding() {
        QCOMPARE(wb::floatToFp16(1.0f), std::uint16_t{0x3C00});
        QCOMPARE(wb::floatToFp16(-0.0f), std::uint16_t{0x8000});
        QCOMPARE(wb::floatToFp16(65504.0f), std::uint16_t{0x7BFF});
        QCOMPARE(wb::floatToFp16(65519.99f), std::uint16_t{0x7BFF});
        QCOMPARE(wb::floatToFp16(65520.0f), std::uint16_t{0x7C00}); // tie rounds to even = overflow
        QCOMPARE(wb::floatToFp16(1e6f), std::uint16_t{0x7C00});
        QCOMPARE(wb::floatToFp16(-INFINITY), std::uint16_t{0xFC00});
        // Ties in the normal range: 1 + 2^-11 lies halfway between 0x3C00 and 0x3C01 -> even 0x3C00.
        QCOMPARE(wb::floatToFp16(1.0f + std::ldexp(1.0f, -11)), std::uint16_t{0x3C00});
        QCOMPARE(wb::floatToFp16(1.0f + 3 * std::ldexp(1.0f, -11)), std::uint16_t{0x3C02});
        QCOMPARE(wb::floatToFp16(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)), std::uint16_t{0x3C01});
        // Subnormal results and their ties.
        QCOMPARE(wb::floatToFp16(std::ldexp(1.0f, -24)), std::uint16_t{0x0001});
        QCOMPARE(wb::floatToFp16(std::ldexp(1.0f, -25)), std::uint16_t{0x0000});     // tie -> 0
        QCOMPARE(wb::floatToFp16(3 * std::ldexp(1.0f, -25)), std::uint16_t{0x0002}); // tie -> 2
        QCOMPARE(wb::floatToFp16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), std::uint16_t{0x0001});
        QCOMPARE(wb::floatToFp16(std::ldexp(1.0f, -14) - std::ldexp(1.0f, -25)), std::uint16_t{0x0400});
        QCOMPARE(wb::floatToFp16(-1023.0f * std::ldexp(1.0f, -24)), std::uint16_t{0x83FF});
        QCOMPARE(wb::floatToFp16(1e-10f), std::uint16_t{0x0000});
        const std::uint16_t nan = wb::floatToFp16(NAN);
        QVERIFY((nan & 0x7C00) == 0x7C00 && (nan & 0x3FF) != 0);
        // A float NaN whose payload lives only in the low bits must still be a NaN, not infinity.
        const std::uint16_t lowPayloadNan = wb::floatToFp16(fromBits(0x7F800001));
        QVERIFY((lowPayloadNan & 0x7C00) == 0x7C00 && (lowPayloadNan & 0x3FF) != 0);
    }

    void everyHalfRoundTrips() {
        for (std::uint32_t h = 0; h <= 0xFFFF; ++h) {
            const float f = wb::fp16ToFloat(static_cast<std::uint16_t>(h));
            const std::uint16_t back = wb::floatToFp16(f);
            if (std::isnan(f))
                QVERIFY(std::isnan(wb::fp16ToFloat(back)));
            else if (back != h)
                QFAIL(qPrintable(QString("half 0x%1 came back as 0x%2").arg(h, 4, 16).arg(back, 4, 16)));
        }
    }

    // Every float between two neighbouring halves must go to the nearer one (ties to the even one).
    void floatToHalfMatchesNearestHalf() {
        for (std::uint32_t bits = 0; bits < 0x477FF000u; bits += 4093) {
            const float f = fromBits(bits);
            const std::uint16_t h = wb::floatToFp16(f);
            const double value = wb::fp16ToFloat(h);
            const double below = wb::fp16ToFloat(static_cast<std::uint16_t>(h - (h > 0 ? 1 : 0)));
            const double above = wb::fp16ToFloat(static_cast<std::uint16_t>(h + 1));
            const double err = std::fabs(value - f);
            if (err > std::fabs(below - f) || err > std::fabs(above - f) ||
                (err == std::fabs(above - f) && (h & 1)) || (h > 0 && err == std::fabs(below - f) && (h & 1)))
                QFAIL(qPrintable(QString("float bits 0x%1 -> half 0x%2 is not the nearest-even half")
                                     .arg(bits, 8, 16)
                                     .arg(h, 4, 16)));
        }
    }

    void bf16() {
        QCOMPARE(wb::bf16ToFloat(0x3F80), 1.0f);
        QCOMPARE(wb::bf16ToFloat(0xC040), -3.0f);
        QCOMPARE(wb::bf16ToFloat(0x0001), fromBits(0x00010000)); // subnormal
        QCOMPARE(wb::floatToBf16(1.0f), std::uint16_t{0x3F80});
        QCOMPARE(wb::floatToBf16(fromBits(0x3F808000)), std::uint16_t{0x3F80}); // tie -> even
        QCOMPARE(wb::floatToBf16(fromBits(0x3F818000)), std::uint16_t{0x3F82}); // tie -> even (up)
        QCOMPARE(wb::floatToBf16(fromBits(0x3F808001)), std::uint16_t{0x3F81});
        QCOMPARE(wb::floatToBf16(fromBits(0x00018000)), std::uint16_t{0x0002}); // subnormal tie
        QCOMPARE(wb::floatToBf16(fromBits(0x7F7FFFFF)), std::uint16_t{0x7F80}); // FLT_MAX rounds to inf
        QCOMPARE(wb::floatToBf16(INFINITY), std::uint16_t{0x7F80});
        QCOMPARE(wb::floatToBf16(-INFINITY), std::uint16_t{0xFF80});
        QVERIFY(std::isnan(wb::bf16ToFloat(wb::floatToBf16(NAN))));
        QVERIFY(std::isnan(wb::bf16ToFloat(wb::floatToBf16(fromBits(0x7F800001))))); // would truncate to inf
        QVERIFY(std::isnan(wb::bf16ToFloat(wb::floatToBf16(fromBits(0xFFFFFFFF)))));
        for (std::uint32_t b = 0; b <= 0xFFFF; ++b) {
            const float f = wb::bf16ToFloat(static_cast<std::uint16_t>(b));
            if (!std::isnan(f) && wb::floatToBf16(f) != b)
                QFAIL(qPrintable(QString("bf16 0x%1 does not round-trip").arg(b, 4, 16)));
        }
    }
};

} // namespace

WB_REGISTER_TENSOR_TEST(Fp16Test)
#include "test_fp16.moc"
