// The AVX-512 matrix kernels (rows in lanes for small batches, tokens in lanes for prompts) against the
// portable kernels, bit for bit, on awkward shapes: odd block counts, row counts that are not multiples of
// the 16-row groups or 48-row strips, token counts around the 8-token switch and the 16-token panels.
#include "engine/gguf/gguf_file.h"
#include "engine/tensor/activation_quant.h"
#include "engine/tensor/matmul.h"
#include "engine/tensor/matmul_avx512.h"
#include "engine/tensor/matvec_kinterleaved_avx512.h"
#include "engine/tensor/quant_dot.h"
#include "engine/tensor/quantize.h"
#include "engine/tensor/repacked_groups.h"
#include "engine/tensor/weight_matrix.h"
#include "tests/support/test_models.h"
#include "tests/tensor/test_registry.h"

#include <QtTest>

#include <tbb/task_arena.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

namespace {

using wb::GgmlType;

std::vector<float> gaussian(std::size_t n, unsigned seed, float sigma) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, sigma);
    std::vector<float> x(n);
    for (auto& v : x)
        v = dist(rng);
    return x;
}

// The matrix's full 16-row groups repacked as InterleavedWeights does at load (repacked_groups.h), in 64-byte
// aligned memory; empty when the type has no repacked kernels or the CPU no AVX-512.
struct Repacked {
    std::unique_ptr<std::uint8_t[], decltype(&std::free)> bytes{nullptr, &std::free};
    std::size_t groupBytes = 0;
};
Repacked repack(const wb::WeightMatrix& w) {
    Repacked out;
    if (!wb::avx512KernelsAvailable() || wb::repackedGroupBytes(w) == 0) return out;
    out.groupBytes = wb::repackedGroupBytes(w);
    const std::size_t bytes = out.groupBytes * static_cast<std::size_t>(w.rows / 16);
    out.bytes.reset(static_cast<std::uint8_t*>(std::aligned_alloc(64, bytes)));
    for (std::int64_t g = 0; g < w.rows / 16; ++g)
        wb::repackGroup(w, g, out.bytes.get() + static_cast<std::size_t>(g) * out.groupBytes);
    return out;
}

// Runs the product on the fastest kernels (with and, where the CPU has it, without AMX; with the prefetch
// distances of ordinary and of 2 MiB pages; from the file's layout and, for Q4_0/Q8_0/Q4_K/Q6_K, repacked)
// and on the portable ones; true when all outputs are identical.
bool fastEqualsPortable(const wb::WeightMatrix& w, const std::vector<float>& x, std::int64_t nTokens) {
    const auto size = static_cast<std::size_t>(w.rows * nTokens);
    std::vector<float> portable(size, -2.0f);
    wb::setForcePortableKernels(true);
    wb::matMul(w, x.data(), nTokens, portable.data(), wb::KernelPath::QuantizedActivations);
    wb::setForcePortableKernels(false);
    const Repacked repacked = repack(w);
    bool same = true;
    for (bool allowAmx : {true, false}) {
        if (!allowAmx && !wb::amxKernelsAvailable()) continue;
        for (bool largePages : {false, true})
            for (bool useRepacked : {false, true}) {
                if (useRepacked && !repacked.bytes) continue;
                wb::WeightMatrix view = w;
                view.streamsFromLargePages = largePages;
                if (useRepacked) {
                    view.interleaved = repacked.bytes.get();
                    view.interleavedGroupBytes = repacked.groupBytes;
                }
                std::vector<float> fast(size, -1.0f);
                wb::setAllowAmxKernels(allowAmx);
                wb::matMul(view, x.data(), nTokens, fast.data(), wb::KernelPath::QuantizedActivations);
                wb::setAllowAmxKernels(true);
                same = same && std::memcmp(fast.data(), portable.data(), size * sizeof(float)) == 0;
            }
    }
    return same;
}

class FastKernelsTest : public QObject {
    Q_OBJECT
private slots:
    void reportsPath() {
        qInfo("AVX-512 VNNI kernels: %s",
              wb::avx512KernelsAvailable() ? "used" : "not available on this CPU");
        qInfo("AMX prompt kernels: %s (the AVX-512 ones are compared as well)",
              wb::amxKernelsAvailable() ? "used" : "not available on this CPU or OS");
    }

    void equalPortableOnAwkwardShapes_data() {
        QTest::addColumn<int>("type");
        QTest::addColumn<int>("cols");
        QTest::addColumn<int>("rows");
        QTest::newRow("q4_0 odd blocks") << int(GgmlType::Q4_0) << 32 * 15 << 37;
        QTest::newRow("q4_0 even blocks") << int(GgmlType::Q4_0) << 32 * 16 << 100;
        QTest::newRow("q8_0 odd blocks") << int(GgmlType::Q8_0) << 32 * 15 << 37;
        QTest::newRow("q8_0 one block") << int(GgmlType::Q8_0) << 32 << 5;
        QTest::newRow("q4_0 one row") << int(GgmlType::Q4_0) << 32 * 3 << 1;
        QTest::newRow("q8_0 17 rows") << int(GgmlType::Q8_0) << 32 * 7 << 17;
        QTest::newRow("q4_0 wide") << int(GgmlType::Q4_0) << 32 * 176 << 33;
        // Generation kernel chunks of 32 blocks: whole chunks only, and whole chunks plus a short tail (read
        // unmasked when later rows follow, masked for the last rows of a range).
        QTest::newRow("q4_0 two chunks") << int(GgmlType::Q4_0) << 32 * 64 << 19;
        QTest::newRow("q4_0 chunk and tail") << int(GgmlType::Q4_0) << 32 * 37 << 50;
        QTest::newRow("q8_0 chunk and tail") << int(GgmlType::Q8_0) << 32 * 45 << 35;
        QTest::newRow("q4_K") << int(GgmlType::Q4_K) << 256 * 3 << 53;
        QTest::newRow("q6_K") << int(GgmlType::Q6_K) << 256 * 3 << 53;
        QTest::newRow("q4_K one group") << int(GgmlType::Q4_K) << 256 << 16;
        QTest::newRow("q6_K one group") << int(GgmlType::Q6_K) << 256 << 16;
        QTest::newRow("q4_K wide") << int(GgmlType::Q4_K) << 256 * 11 << 70;
        QTest::newRow("q6_K wide") << int(GgmlType::Q6_K) << 256 * 11 << 70;
    }
    void equalPortableOnAwkwardShapes() {
        QFETCH(int, type);
        QFETCH(int, cols);
        QFETCH(int, rows);
        const auto t = static_cast<GgmlType>(type);
        const auto master = gaussian(static_cast<std::size_t>(cols) * rows, 7, 0.05f);
        const std::size_t rowBytes = wb::rowByteSize(t, cols);
        std::vector<std::uint8_t> data(rowBytes * static_cast<std::size_t>(rows));
        for (int r = 0; r < rows; ++r)
            wb::quantizeRow(t, master.data() + static_cast<std::size_t>(r) * cols, data.data() + r * rowBytes,
                            cols);
        const auto w = wb::WeightMatrix::fromMemory(t, data.data(), cols, rows);
        // 1-3 tokens: generation kernel per token; from 4 on the packed prompt kernel, whose token tiles of 8
        // (16 with AMX) leave every remainder somewhere in this list.
        for (std::int64_t nTokens : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 30, 33, 64}) {
            auto x = gaussian(static_cast<std::size_t>(cols * nTokens), 100 + unsigned(nTokens), 1.0f);
            x[3] = 0.0f; // a block with a zero and, below, an all-zero block (scale 0)
            if (nTokens > 1) std::fill(x.begin() + cols, x.begin() + cols + 32, 0.0f);
            QVERIFY2(fastEqualsPortable(w, x, nTokens), qPrintable(QString("%1 tokens").arg(nTokens)));
        }
    }

    // The repacked groups are what the kernels read when a matrix has them: zeroing them zeroes exactly the
    // rows of the whole groups, for one token (generation) and for a prompt batch.
    void repackedGroupsAreTheOnesRead() {
        if (!wb::avx512KernelsAvailable()) QSKIP("no AVX-512 VNNI on this CPU");
        for (const GgmlType t : {GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q6_K}) {
            const bool kQuant = t == GgmlType::Q4_K || t == GgmlType::Q6_K;
            const int cols = kQuant ? 256 * 2 : 32 * 5,
                      rows = 37; // two whole groups, 5 rows in the file's layout
            const auto master = gaussian(static_cast<std::size_t>(cols) * rows, 3, 0.05f);
            const std::size_t rowBytes = wb::rowByteSize(t, cols);
            std::vector<std::uint8_t> data(rowBytes * rows);
            for (int r = 0; r < rows; ++r)
                wb::quantizeRow(t, master.data() + static_cast<std::size_t>(r) * cols,
                                data.data() + r * rowBytes, cols);
            wb::WeightMatrix w = wb::WeightMatrix::fromMemory(t, data.data(), cols, rows);
            const Repacked repacked = repack(w);
            std::memset(repacked.bytes.get(), 0, repacked.groupBytes * 2); // scales 0: every product 0
            w.interleaved = repacked.bytes.get();
            w.interleavedGroupBytes = repacked.groupBytes;
            for (std::int64_t nTokens : {1, 20}) {
                const auto x = gaussian(static_cast<std::size_t>(cols * nTokens), 5, 1.0f);
                std::vector<float> y(static_cast<std::size_t>(rows * nTokens), -1.0f);
                wb::matMul(w, x.data(), nTokens, y.data(), wb::KernelPath::QuantizedActivations);
                for (std::int64_t token = 0; token < nTokens; ++token)
                    for (int r = 0; r < rows; ++r) {
                        const float value = y[static_cast<std::size_t>(token * rows + r)];
                        QVERIFY2(r < 32 ? value == 0.0f : value != 0.0f,
                                 qPrintable(QString("%1 tokens, row %2: %3").arg(nTokens).arg(r).arg(value)));
                    }
            }
        }
    }

    // The prompt kernels' strip unpacked from repacked groups equals the one unpacked from the file's layout,
    // byte for byte, on quantized Gaussian rows with outliers (large 6-bit scales and mins use every bit).
    void kStripFromRepackedGroupsEqualsFileLayout() {
        if (!wb::avx512KernelsAvailable()) QSKIP("no AVX-512 VNNI on this CPU");
        for (const GgmlType t : {GgmlType::Q4_K, GgmlType::Q6_K}) {
            const int cols = 256 * 3, rows = 32, nBlocks = cols / 256;
            auto master = gaussian(static_cast<std::size_t>(cols) * rows, 17, 0.05f);
            for (std::size_t i = 0; i < master.size(); i += 97)
                master[i] *= 40.0f;
            const std::size_t rowBytes = wb::rowByteSize(t, cols);
            std::vector<std::uint8_t> data(rowBytes * rows);
            for (int r = 0; r < rows; ++r)
                wb::quantizeRow(t, master.data() + static_cast<std::size_t>(r) * cols,
                                data.data() + r * rowBytes, cols);
            const auto w = wb::WeightMatrix::fromMemory(t, data.data(), cols, rows);
            const Repacked repacked = repack(w);
            QVERIFY(repacked.bytes != nullptr);
            const auto type = t == GgmlType::Q4_K ? wb::avx512k::KType::Q4_K : wb::avx512k::KType::Q6_K;
            struct Strip {
                std::vector<std::uint8_t> values = std::vector<std::uint8_t>(rows * 256 * 3, 0x11);
                std::vector<std::int32_t> scales = std::vector<std::int32_t>(rows * 16 * 3, 0),
                                          pairs = std::vector<std::int32_t>(rows * 8 * 3, 0);
                std::vector<float> d = std::vector<float>(rows * 3, 0.0f), dmin = d;
                wb::avx512k::KStrip view() {
                    return {values.data(), scales.data(), pairs.data(), d.data(), dmin.data()};
                }
            } fromFile, fromGroups;
            wb::avx512k::unpackKRows(type, data.data(), rowBytes, nBlocks, rows, fromFile.view());
            for (int g = 0; g < rows / 16; ++g)
                wb::avx512k::unpackKInterleaved16(type, repacked.bytes.get() + g * repacked.groupBytes,
                                                  nBlocks, fromGroups.view(), 16 * g);
            const QByteArray name(wb::ggmlTypeName(t).data(), qsizetype(wb::ggmlTypeName(t).size()));
            QVERIFY2(fromFile.values == fromGroups.values, name);
            QVERIFY2(fromFile.scales == fromGroups.scales, name);
            QVERIFY2(fromFile.pairs == fromGroups.pairs, name);
            QVERIFY2(fromFile.d == fromGroups.d, name);
            QVERIFY2(fromFile.dmin == fromGroups.dmin, name);
        }
    }

    // The AVX-512 activation quantizer against quantizeActivationsQ8_0, every byte of every block, on
    // Gaussian values of several magnitudes with zero blocks, exact .5 ties and tiny and huge values.
    void activationQuantizerEqualsPortable() {
        if (!wb::avx512KernelsAvailable()) QSKIP("no AVX-512 VNNI on this CPU");
        for (float sigma : {1e-6f, 0.02f, 1.0f, 300.0f}) {
            auto x = gaussian(32 * 41, 11, sigma);
            std::fill(x.begin() + 64, x.begin() + 96, 0.0f); // all-zero block: d = 0
            for (int j = 0; j < 32; ++j)                     // q = x * 127/amax lands exactly on .5 ties
                x[static_cast<std::size_t>(128 + j)] = (j == 0 ? 127.0f : static_cast<float>(j % 9) + 0.5f);
            x[200] = 1e30f;
            x[300] = -1e-30f;
            std::vector<wb::ActivationBlock32> fast(41), portable(41);
            std::memset(fast.data(), 0x5A, fast.size() * sizeof(wb::ActivationBlock32));
            std::memset(portable.data(), 0x5A, portable.size() * sizeof(wb::ActivationBlock32));
            wb::avx512::quantizeActivationsQ8_0(x.data(), fast.data(), static_cast<std::int64_t>(x.size()));
            wb::quantizeActivationsQ8_0(x.data(), portable.data(), static_cast<std::int64_t>(x.size()));
            QVERIFY2(std::memcmp(fast.data(), portable.data(), fast.size() * sizeof(wb::ActivationBlock32)) ==
                         0,
                     qPrintable(QString("sigma %1").arg(double(sigma))));
        }
    }

    // Real tensors of the zoo files (Q4_0/Q8_0/Q4_K/Q6_K), prompt-sized batches, one and two threads.
    void equalPortableOnZooTensors() {
        WB_REQUIRE_MODEL("zoo/zoo-llama-q4_k_m.gguf", path);
        const auto x = gaussian(256 * 20, 43, 1.0f);
        for (const char* relative :
             {"zoo/zoo-llama-q4_k_m.gguf", "zoo/zoo-llama-q8_0.gguf", "zoo/zoo-llama-q4_0.gguf"}) {
            WB_REQUIRE_MODEL(relative, filePath);
            const auto file = wb::gguf::GgufFile::open(filePath.toStdString());
            for (const char* name : {"output.weight", "blk.1.ffn_down.weight", "blk.0.attn_q.weight"}) {
                const auto w = wb::WeightMatrix::fromTensor(file, *file.findTensor(name));
                const std::vector<float> xs(x.begin(), x.begin() + w.cols * 20);
                bool same = false;
                tbb::task_arena(2).execute([&] { same = fastEqualsPortable(w, xs, 20); });
                QVERIFY2(same, qPrintable(QString(relative) + " " + name));
                tbb::task_arena(1).execute([&] { same = fastEqualsPortable(w, xs, 20); });
                QVERIFY2(same, qPrintable(QString(relative) + " " + name + " one thread"));
            }
        }
    }
};

} // namespace

WB_REGISTER_TENSOR_TEST(FastKernelsTest)
#include "test_fast_kernels.moc"
