// Corrupt and hostile GGUF files, generated here: every one must be refused with a GgufError that names
// the right field, never a crash, a hang or an allocation larger than the file.
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "tests/support/test_models.h"

#include <cstring>

using namespace wb;
using namespace wb::gguf;

namespace {

// A small but complete model-like file: a few keys (one an array), two tensors.
GgufWriter sampleWriter() {
    GgufWriter writer;
    writer.setString("general.architecture", "llama");
    writer.setUInt32("llama.block_count", 1);
    writer.setStringArray("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a", "b"});
    writer.addTensorF32("token_embd.weight", {32, 2}, std::vector<float>(64, 0.5f));
    writer.addTensorF32("output_norm.weight", {32}, std::vector<float>(32, 1.0f));
    return writer;
}

template <typename T> void poke(std::vector<std::uint8_t>& bytes, std::uint64_t offset, T value) {
    std::memcpy(bytes.data() + offset, &value, sizeof value);
}

// Parses and returns the error; fails the test when the file is accepted.
QString rejection(const std::vector<std::uint8_t>& bytes) {
    try {
        GgufFile::parse(bytes);
    } catch (const GgufError& error) {
        return QString::fromStdString(error.what());
    }
    return {};
}

#define EXPECT_REJECTED(bytes, needle)                                                                      \
    do {                                                                                                    \
        const QString message = rejection(bytes);                                                           \
        QVERIFY2(!message.isEmpty(), "file was accepted");                                                  \
        QVERIFY2(message.contains(needle), qPrintable("unexpected message: " + message));                   \
    } while (false)

} // namespace

class GgufCorruptTest : public QObject {
    Q_OBJECT
private slots:
    void sampleIsValid() {
        const auto bytes = sampleWriter().toBytes();
        const auto file = GgufFile::parse(bytes);
        QCOMPARE(file.tensors().size(), std::size_t{2});
    }

    void truncatedAnywhereIsRefused() {
        const GgufWriter writer = sampleWriter();
        const auto bytes = writer.toBytes();
        const auto layout = writer.layout();
        // Every prefix shorter than the whole file is refused, and the error says "truncated"
        // or names a field that ran past the end.
        for (std::size_t length = 0; length < bytes.size(); ++length) {
            std::vector<std::uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
            const QString message = rejection(prefix);
            QVERIFY2(!message.isEmpty(), qPrintable(QString("prefix of %1 bytes accepted").arg(length)));
            QVERIFY2(message.contains("truncated") || message.contains("exceeds") || message.contains("cannot fit"),
                     qPrintable(QString("prefix %1: %2").arg(length).arg(message)));
        }
        // Spot checks that the field named matches the section the cut falls in.
        auto cut = [&](std::uint64_t length) {
            return rejection(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length)));
        };
        QVERIFY(cut(2).contains("magic"));
        QVERIFY(cut(6).contains("version"));
        QVERIFY(cut(layout.tensorCountOffset + 3).contains("tensor_count"));
        QVERIFY(cut(layout.kvOffsets[2] + 12).contains("metadata"));
        QVERIFY(cut(layout.tensorInfoOffsets[1] + 9).contains("tensor #1") ||
                cut(layout.tensorInfoOffsets[1] + 9).contains("output_norm"));
        QVERIFY(cut(layout.dataOffset + 100).contains("token_embd.weight"));
        QVERIFY(cut(layout.totalSize - 1).contains("output_norm.weight"));
    }

    void badMagic() {
        auto bytes = sampleWriter().toBytes();
        bytes[0] = 'X';
        EXPECT_REJECTED(bytes, "magic at byte 0: not a GGUF file");
    }

    void unknownVersions() {
        for (std::uint32_t version : {0u, 1u, 4u, 1000u}) {
            auto bytes = sampleWriter().toBytes();
            poke<std::uint32_t>(bytes, 4, version);
            EXPECT_REJECTED(bytes, "version at byte 4: unsupported GGUF version " + QString::number(version));
        }
        auto bytes = sampleWriter().toBytes();
        poke<std::uint32_t>(bytes, 4, 0x03000000u);
        EXPECT_REJECTED(bytes, "big-endian");
    }

    void absurdCounts() {
        const GgufWriter writer = sampleWriter();
        const auto layout = writer.layout();
        auto bytes = writer.toBytes();
        poke<std::uint64_t>(bytes, layout.tensorCountOffset, 1ull << 60);
        EXPECT_REJECTED(bytes, "tensor_count at byte 8");
        bytes = writer.toBytes();
        poke<std::uint64_t>(bytes, layout.kvCountOffset, ~0ull);
        EXPECT_REJECTED(bytes, "metadata_kv_count");
        // More key-value pairs than written: the reader runs into the tensor infos and must still stop cleanly.
        bytes = writer.toBytes();
        poke<std::uint64_t>(bytes, layout.kvCountOffset, 40);
        QVERIFY(!rejection(bytes).isEmpty());
        // Array element count (the tokens array) far beyond the file.
        bytes = writer.toBytes();
        const std::uint64_t tokensKey = layout.kvOffsets[2];
        const std::uint64_t countAt = tokensKey + 8 + std::strlen("tokenizer.ggml.tokens") + 4 + 4;
        poke<std::uint64_t>(bytes, countAt, 1ull << 61);
        EXPECT_REJECTED(bytes, "'tokenizer.ggml.tokens' element count at byte " + QString::number(countAt));
        // String length far beyond the file.
        bytes = writer.toBytes();
        poke<std::uint64_t>(bytes, layout.kvOffsets[0], 1ull << 62);
        EXPECT_REJECTED(bytes, "metadata key #0 at byte " + QString::number(layout.kvOffsets[0]));
    }

    void unknownValueType() {
        const GgufWriter writer = sampleWriter();
        auto bytes = writer.toBytes();
        const std::uint64_t typeAt = writer.layout().kvOffsets[1] + 8 + std::strlen("llama.block_count");
        poke<std::uint32_t>(bytes, typeAt, 13);
        EXPECT_REJECTED(bytes, "unknown metadata value type 13");
    }

    void arraysNestedTooDeep() {
        Value value{ValueType::Int32, std::int64_t{1}};
        for (int depth = 0; depth < 12; ++depth) {
            ArrayValue wrap{value.type, {value}};
            value = Value{ValueType::Array, wrap};
        }
        GgufWriter writer;
        writer.set("deep", value);
        EXPECT_REJECTED(writer.toBytes(), "nested deeper");
    }

    void outOfRangeOffsets() {
        const GgufWriter writer = sampleWriter();
        const auto layout = writer.layout();
        const std::uint64_t nameLength = std::strlen("output_norm.weight");
        const std::uint64_t offsetField = layout.tensorInfoOffsets[1] + 8 + nameLength + 4 + 8 + 4;
        auto bytes = writer.toBytes();
        poke<std::uint64_t>(bytes, offsetField, 1ull << 40);
        EXPECT_REJECTED(bytes, "tensor 'output_norm.weight' data");
        bytes = writer.toBytes();
        poke<std::uint64_t>(bytes, offsetField, ~0ull & ~31ull); // aligned, and offset + size overflows
        EXPECT_REJECTED(bytes, "out of range");
        bytes = writer.toBytes();
        poke<std::uint64_t>(bytes, offsetField, 36); // not a multiple of 32
        EXPECT_REJECTED(bytes, "not a multiple of the alignment");
        bytes = writer.toBytes();
        poke<std::uint64_t>(bytes, offsetField, 0); // overlaps token_embd
        EXPECT_REJECTED(bytes, "overlaps");
    }

    void overflowingShapes() {
        const GgufWriter writer = sampleWriter();
        const auto layout = writer.layout();
        const std::uint64_t dimsAt = layout.tensorInfoOffsets[0] + 8 + std::strlen("token_embd.weight") + 4;
        auto bytes = writer.toBytes();
        poke<std::uint64_t>(bytes, dimsAt, 1ull << 40);
        poke<std::uint64_t>(bytes, dimsAt + 8, 1ull << 40);
        EXPECT_REJECTED(bytes, "element count overflows");
        bytes = writer.toBytes();
        poke<std::uint64_t>(bytes, dimsAt + 8, 0);
        EXPECT_REJECTED(bytes, "dimension is zero");
        bytes = writer.toBytes();
        poke<std::uint32_t>(bytes, dimsAt - 4, 5);
        EXPECT_REJECTED(bytes, "n_dims is 5");
        bytes = writer.toBytes();
        poke<std::uint64_t>(bytes, dimsAt, 1ull << 31); // huge but representable: data out of range
        EXPECT_REJECTED(bytes, "out of range");
    }

    void unknownAndRemovedTypes() {
        const GgufWriter writer = sampleWriter();
        const auto layout = writer.layout();
        const std::uint64_t typeAt = layout.tensorInfoOffsets[0] + 8 + std::strlen("token_embd.weight") + 4 + 16;
        for (std::uint32_t type : {4u, 5u, 31u, 99u}) {
            auto bytes = writer.toBytes();
            poke<std::uint32_t>(bytes, typeAt, type);
            EXPECT_REJECTED(bytes, "unknown or removed ggml type " + QString::number(type));
        }
        auto bytes = writer.toBytes();
        poke<std::uint32_t>(bytes, typeAt, static_cast<std::uint32_t>(GgmlType::Q4_K)); // 32 % 256 != 0
        EXPECT_REJECTED(bytes, "not a multiple of the q4_K block size 256");
    }

    void duplicateNames() {
        GgufWriter dupKeys;
        dupKeys.setString("a.key", "1");
        dupKeys.setString("b.key", "2");
        auto dupKeyBytes = dupKeys.toBytes();
        dupKeyBytes[dupKeys.layout().kvOffsets[1] + 8] = 'a';
        EXPECT_REJECTED(dupKeyBytes, "metadata 'a.key' at byte " + QString::number(dupKeys.layout().kvOffsets[1]) +
                                         ": duplicate key");

        GgufWriter tensors;
        tensors.addTensorF32("w.a", {32}, std::vector<float>(32, 1));
        tensors.addTensorF32("w.b", {32}, std::vector<float>(32, 2));
        auto tensorBytes = tensors.toBytes();
        tensorBytes[tensors.layout().tensorInfoOffsets[1] + 8 + 2] = 'a';
        EXPECT_REJECTED(tensorBytes, "tensor 'w.a' at byte " +
                                         QString::number(tensors.layout().tensorInfoOffsets[1]) +
                                         ": duplicate tensor name");
    }

    void badAlignment() {
        for (std::uint32_t alignment : {0u, 3u, 48u}) {
            GgufWriter writer;
            writer.setUInt32("general.alignment", alignment);
            EXPECT_REJECTED(writer.toBytes(), "alignment must be a u32 power of two");
        }
        GgufWriter wrongType;
        wrongType.setString("general.alignment", "32");
        EXPECT_REJECTED(wrongType.toBytes(), "general.alignment");
    }

    void invalidBoolAndLongNames() {
        GgufWriter writer;
        writer.setBool("flag", true);
        auto bytes = writer.toBytes();
        bytes.back() = 7;
        EXPECT_REJECTED(bytes, "bool value 7");

        GgufWriter names;
        names.addTensorF32(std::string(65, 'n'), {32}, std::vector<float>(32, 1));
        EXPECT_REJECTED(names.toBytes(), "exceeds the limit of 64 bytes");
    }

    void randomCorruptionNeverCrashes() {
        // Flip bytes across the header and metadata with a fixed-seed generator: each file either parses
        // or is refused with a GgufError — any other exception or a crash fails the test.
        const auto original = sampleWriter().toBytes();
        const auto layout = sampleWriter().layout();
        std::uint64_t state = 0x9E3779B97F4A7C15ull;
        auto next = [&state]() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            return state;
        };
        int refused = 0;
        for (int trial = 0; trial < 20000; ++trial) {
            auto bytes = original;
            const int flips = 1 + static_cast<int>(next() % 4);
            for (int f = 0; f < flips; ++f)
                bytes[next() % layout.dataOffset] = static_cast<std::uint8_t>(next());
            try {
                GgufFile::parse(bytes);
            } catch (const GgufError&) {
                ++refused;
            }
        }
        QVERIFY(refused > 1000);
    }
};

QTEST_GUILESS_MAIN(GgufCorruptTest)
#include "test_gguf_corrupt.moc"
