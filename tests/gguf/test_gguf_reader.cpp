// The GGUF reader on the real files of the shared models folder, with exact known values.
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/gguf/model_info.h"
#include "engine/util/cache_size.h"
#include "engine/util/mapped_file.h"
#include "tests/support/test_models.h"

#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

using namespace wb;
using namespace wb::gguf;

namespace {
QString rejection(const std::vector<std::uint8_t>& bytes) {
    try {
        GgufFile::parse(bytes);
    } catch (const GgufError& error) {
        return QString::fromStdString(error.what());
    }
    return {};
}
} // namespace

class GgufReaderTest : public QObject {
    Q_OBJECT
private slots:
    void everySharedModelParses() {
        WB_REQUIRE_MODEL("stories260K.gguf", anyModel);
        QDirIterator it(test::modelsDir(), {"*.gguf"}, QDir::Files, QDirIterator::Subdirectories);
        int parsed = 0;
        while (it.hasNext()) {
            const QString path = it.next();
            try {
                const auto file = GgufFile::open(path.toStdString());
                QVERIFY2(file.version() == 2 || file.version() == 3, qPrintable(path));
                QVERIFY2(file.find("general.architecture") != nullptr, qPrintable(path));
                for (const auto& tensor : file.tensors()) {
                    const auto bytes = file.tensorBytes(tensor);
                    QCOMPARE(bytes.size(), static_cast<std::size_t>(tensor.byteSize));
                    QVERIFY(file.dataOffset() + tensor.offset + tensor.byteSize <= file.fileSize());
                    QCOMPARE((file.dataOffset() + tensor.offset) % file.alignment(), 0ull);
                }
                ++parsed;
            } catch (const std::exception& error) {
                QFAIL(qPrintable(path + ": " + error.what()));
            }
        }
        QVERIFY2(parsed >= 30, qPrintable(QString("only %1 GGUF files found").arg(parsed)));
    }

    // The huge-page copy (iwb bench --no-mmap) holds exactly the file's bytes, parses to the same tensors,
    // starts on a 2 MiB boundary, and reports a missing file by name like the mapping does.
    void hugePageCopyHoldsTheSameBytes() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        const MappedFile mapped(path.toStdString());
        MappedFile copied(path.toStdString(), FilePlacement::HugePageCopy);
        QCOMPARE(copied.placement(), FilePlacement::HugePageCopy);
        QCOMPARE(copied.size(), mapped.size());
        QVERIFY(copied.data() != mapped.data());
        QCOMPARE(reinterpret_cast<std::uintptr_t>(copied.data()) % (std::uintptr_t{2} << 20),
                 std::uintptr_t{0});
        QVERIFY(std::memcmp(copied.data(), mapped.data(), mapped.size()) == 0);

        const auto viaMap = GgufFile::open(path.toStdString());
        const auto viaCopy = GgufFile::open(path.toStdString(), FilePlacement::HugePageCopy);
        QCOMPARE(viaCopy.tensors().size(), viaMap.tensors().size());
        for (std::size_t i = 0; i < viaMap.tensors().size(); ++i) {
            const auto a = viaMap.tensorBytes(viaMap.tensors()[i]);
            const auto b = viaCopy.tensorBytes(viaCopy.tensors()[i]);
            QVERIFY(a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0);
        }

        const MappedFile moved(std::move(copied));
        QCOMPARE(moved.size(), mapped.size());
        try {
            const MappedFile missing("/nonexistent/model.gguf", FilePlacement::HugePageCopy);
            QFAIL("a missing file was accepted");
        } catch (const std::runtime_error& error) {
            QVERIFY2(QString(error.what()).contains("/nonexistent/model.gguf"), error.what());
        }
        // A file larger than the memory available is refused before anything is allocated (a sparse 1 TiB
        // file: nothing is written to disk).
        QTemporaryDir dir;
        QFile huge(dir.filePath("huge.gguf"));
        QVERIFY(huge.open(QIODevice::WriteOnly));
        if (!huge.resize(qint64{1} << 40)) QSKIP("this file system cannot hold a sparse 1 TiB file");
        huge.close();
        try {
            const MappedFile tooBig(huge.fileName().toStdString(), FilePlacement::HugePageCopy);
            QFAIL("a 1 TiB copy was accepted");
        } catch (const std::runtime_error& error) {
            QVERIFY2(QString(error.what()).contains("available"), error.what());
        }
        // Automatic maps what a copy could not hold instead of failing.
        const MappedFile automatic(huge.fileName().toStdString(), FilePlacement::Automatic);
        QCOMPARE(automatic.placement(), FilePlacement::Mapped);
        QCOMPARE(automatic.size(), std::size_t{1} << 40);
    }

    // Automatic copies exactly the files that stream from RAM and leave room for the rest of the machine.
    void automaticPlacementCopiesLargeFilesThatFit() {
        constexpr std::size_t MiB = std::size_t{1} << 20;
        const auto resolve = [](std::size_t file, std::size_t available, std::uint64_t cache) {
            return resolvePlacement(FilePlacement::Automatic, file, available, cache);
        };
        QCOMPARE(resolve(600 * MiB, 20'000 * MiB, 32 * MiB), FilePlacement::HugePageCopy);
        QCOMPARE(resolve(600 * MiB, 1'200 * MiB, 32 * MiB), FilePlacement::HugePageCopy); // exactly half
        QCOMPARE(resolve(600 * MiB, 1'199 * MiB, 32 * MiB), FilePlacement::Mapped);
        QCOMPARE(resolve(30 * MiB, 20'000 * MiB, 32 * MiB), FilePlacement::Mapped); // stays in cache
        QCOMPARE(resolve(600 * MiB, 0, 32 * MiB), FilePlacement::Mapped);           // memory unknown
        QCOMPARE(resolve(600 * MiB, 20'000 * MiB, 0), FilePlacement::HugePageCopy); // cache unknown
        // An explicit choice is kept whatever the sizes.
        QCOMPARE(resolvePlacement(FilePlacement::Mapped, 600 * MiB, 20'000 * MiB, 0), FilePlacement::Mapped);
        QCOMPARE(resolvePlacement(FilePlacement::HugePageCopy, MiB, 0, 32 * MiB),
                 FilePlacement::HugePageCopy);

        // A real file resolves by the same rule, and GgufFile reports what it became (never Automatic).
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        const auto opened = GgufFile::open(path.toStdString(), FilePlacement::Automatic);
        const FilePlacement expected =
            opened.fileSize() > lastLevelCacheBytes() ? FilePlacement::HugePageCopy : FilePlacement::Mapped;
        QCOMPARE(opened.placement(), expected);
    }

    // A copy reports its progress chunk by chunk up to the whole file, and a callback that throws abandons
    // it.
    void copyReportsProgressAndCanBeAbandoned() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        std::vector<std::size_t> copied;
        std::size_t total = 0;
        const MappedFile file(path.toStdString(), FilePlacement::HugePageCopy,
                              [&](std::size_t done, std::size_t size) {
                                  copied.push_back(done);
                                  total = size;
                              });
        QVERIFY(!copied.empty());
        QVERIFY(std::is_sorted(copied.begin(), copied.end()));
        QCOMPARE(copied.back(), file.size());
        QCOMPARE(total, file.size());

        struct Abandoned {};
        int calls = 0;
        QVERIFY_THROWS_EXCEPTION(Abandoned, MappedFile(path.toStdString(), FilePlacement::HugePageCopy,
                                                       [&](std::size_t, std::size_t) {
                                                           ++calls;
                                                           throw Abandoned{};
                                                       }));
        QCOMPARE(calls, 1);
    }

    void truncatedRealModelIsRefused() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray all = file.readAll();
        const std::vector<std::uint8_t> bytes(all.begin(), all.end());
        const auto parsed = GgufFile::parse(bytes);
        // Every cut in the metadata and tensor-info sections, and a sweep through the data.
        for (std::uint64_t length = 0; length < bytes.size(); length += (length < parsed.dataOffset() ? 1 : 4099)) {
            const std::vector<std::uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
            QVERIFY2(!rejection(prefix).isEmpty(), qPrintable(QString("prefix of %1 bytes accepted").arg(length)));
        }
        // The command line says so in one line with exit code 1.
        const QString truncated = test::scratchDir() + "/stories-truncated.gguf";
        QFile out(truncated);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(all.left(all.size() / 2));
        out.close();
        QProcess iwb;
        iwb.start(test::iwbPath(), {"inspect", truncated});
        QVERIFY(iwb.waitForFinished(30000));
        QCOMPARE(iwb.exitCode(), 1);
        const QString err = QString::fromUtf8(iwb.readAllStandardError());
        QVERIFY2(err.contains("invalid GGUF") && err.contains("truncated"), qPrintable(err));
        QCOMPARE(err.count('\n'), 1);
    }

    void stories260KFacts() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        const auto file = GgufFile::open(path.toStdString());
        const ModelInfo info = describeModel(file);
        QCOMPARE(file.version(), 3u);
        QCOMPARE(file.tensors().size(), std::size_t{48});
        QCOMPARE(info.architecture, std::string("llama"));
        QCOMPARE(info.hparams.blockCount, 5u);
        QCOMPARE(info.hparams.embeddingLength, 64u);
        QCOMPARE(info.hparams.feedForwardLength, 172u);
        QCOMPARE(info.hparams.headCount, 8u);
        QCOMPARE(info.hparams.headCountKv, 4u);
        QCOMPARE(info.hparams.contextLength, 2048u);
        QCOMPARE(info.hparams.vocabSize, 512u);
        QCOMPARE(info.hparams.ropeDimensionCount, 8u);
        QCOMPARE(info.parameterCount, 292800ull);
        QCOMPARE(info.tokenizerModel, std::string("llama"));
        QCOMPARE(file.getUInt("tokenizer.ggml.bos_token_id").value_or(99), 1ull);
        const TensorInfo* down = file.findTensor("blk.0.ffn_down.weight");
        QVERIFY(down != nullptr);
        QCOMPARE(down->ne[0], 172ull);
        QCOMPARE(down->ne[1], 64ull);
        QCOMPARE(down->type, GgmlType::F32);
        QCOMPARE(down->byteSize, 172ull * 64 * 4);
        // First weight of token_embd, read straight from the mapped bytes, is a finite float.
        const auto embd = file.tensorBytes(*file.findTensor("token_embd.weight"));
        float first = 0;
        std::memcpy(&first, embd.data(), sizeof first);
        QVERIFY(std::isfinite(first));
    }

    void tinyRandomF16Facts() {
        WB_REQUIRE_MODEL("llama-2-tiny-random.gguf", path);
        const auto file = GgufFile::open(path.toStdString());
        const ModelInfo info = describeModel(file);
        QCOMPARE(info.name, std::string("LLaMA v2"));
        QCOMPARE(info.hparams.embeddingLength, 8u);
        QCOMPARE(info.hparams.blockCount, 1u);
        QCOMPARE(info.hparams.headCount, 2u);
        QCOMPARE(info.hparams.vocabSize, 32000u);
        QCOMPARE(info.parameterCount, 513048ull);
        QCOMPARE(info.fileType.value_or(99), 1u);
        QCOMPARE(info.totalsByType.at("f16").tensorCount, 9ull);
        QCOMPARE(info.totalsByType.at("f32").tensorCount, 3ull);
    }

    void zooFacts_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("architecture");
        QTest::addColumn<qulonglong>("parameters");
        QTest::addColumn<QString>("matrixType");
        QTest::addColumn<qulonglong>("fileSize");
        QTest::newRow("f32") << "zoo-llama-f32.gguf" << "llama" << 1049856ull << "f32" << 4212064ull;
        QTest::newRow("q4_0") << "zoo-llama-q4_0.gguf" << "llama" << 1049856ull << "q4_0" << 607616ull;
        QTest::newRow("q4_k") << "zoo-llama-q4_k.gguf" << "llama" << 1049856ull << "q4_K" << 607616ull;
        QTest::newRow("q6_k") << "zoo-llama-q6_k.gguf" << "llama" << 1049856ull << "q6_K" << 877952ull;
        QTest::newRow("q2_k") << "zoo-llama-q2_k.gguf" << "llama" << 1049856ull << "q2_K" << 361856ull;
        QTest::newRow("bf16") << "zoo-llama-bf16.gguf" << "llama" << 1049856ull << "bf16" << 2114944ull;
        QTest::newRow("tied") << "zoo-llama-tied-q8_0.gguf" << "llama" << 918784ull << "q8_0" << 992608ull;
        QTest::newRow("qwen2") << "zoo-qwen2-q8_0.gguf" << "qwen2" << 1049856ull + 1024ull /* q, k, v biases: 2 layers x 512 */ << "q8_0" << 1136224ull;
    }

    void zooFacts() {
        QFETCH(QString, file);
        QFETCH(QString, architecture);
        QFETCH(qulonglong, parameters);
        QFETCH(QString, matrixType);
        QFETCH(qulonglong, fileSize);
        WB_REQUIRE_MODEL("zoo/" + file, path);
        const auto gguf = GgufFile::open(path.toStdString());
        const ModelInfo info = describeModel(gguf);
        QCOMPARE(QString::fromStdString(info.architecture), architecture);
        QCOMPARE(info.hparams.embeddingLength, 256u);
        QCOMPARE(info.hparams.blockCount, 2u);
        QCOMPARE(info.hparams.headCount, 4u);
        QCOMPARE(info.hparams.headCountKv, 2u);
        QCOMPARE(info.hparams.contextLength, 512u);
        QCOMPARE(info.parameterCount, parameters);
        QCOMPARE(info.fileSize, fileSize);
        const TensorInfo* q = gguf.findTensor("blk.0.attn_q.weight");
        QVERIFY(q != nullptr);
        QCOMPARE(QString::fromLatin1(ggmlTypeName(q->type).data(), int(ggmlTypeName(q->type).size())), matrixType);
    }

    void vocabularySizes_data() {
        // Vocabulary sizes from shared/models/README.md sections 4 and 5.
        QTest::addColumn<QString>("file");
        QTest::addColumn<uint>("vocab");
        QTest::addColumn<QString>("tokenizer");
        QTest::newRow("baichuan") << "ggml-vocab-baichuan.gguf" << 64000u << "llama";
        QTest::newRow("bert-bge") << "ggml-vocab-bert-bge.gguf" << 30522u << "bert";
        QTest::newRow("deepseek-coder") << "ggml-vocab-deepseek-coder.gguf" << 32256u << "gpt2";
        QTest::newRow("deepseek-llm") << "ggml-vocab-deepseek-llm.gguf" << 102400u << "gpt2";
        QTest::newRow("falcon") << "ggml-vocab-falcon.gguf" << 65024u << "gpt2";
        QTest::newRow("gpt-2") << "ggml-vocab-gpt-2.gguf" << 50257u << "gpt2";
        QTest::newRow("gpt-neox") << "ggml-vocab-gpt-neox.gguf" << 50432u << "gpt2";
        QTest::newRow("llama-spm") << "ggml-vocab-llama-spm.gguf" << 32000u << "llama";
        QTest::newRow("mpt") << "ggml-vocab-mpt.gguf" << 50432u << "gpt2";
        QTest::newRow("phi-3") << "ggml-vocab-phi-3.gguf" << 32064u << "llama";
        QTest::newRow("refact") << "ggml-vocab-refact.gguf" << 49216u << "gpt2";
        QTest::newRow("starcoder") << "ggml-vocab-starcoder.gguf" << 49152u << "gpt2";
        QTest::newRow("llama-bpe") << "ggml-vocab-llama-bpe.gguf" << 128256u << "gpt2";
        QTest::newRow("qwen2") << "ggml-vocab-qwen2.gguf" << 151936u << "gpt2";
    }

    void vocabularySizes() {
        QFETCH(QString, file);
        QFETCH(uint, vocab);
        QFETCH(QString, tokenizer);
        WB_REQUIRE_MODEL("llama.cpp-vocab/" + file, path);
        const auto gguf = GgufFile::open(path.toStdString());
        QCOMPARE(gguf.tensors().size(), std::size_t{0});
        const auto* tokens = gguf.getArray("tokenizer.ggml.tokens");
        QVERIFY(tokens != nullptr);
        QCOMPARE(tokens->items.size(), std::size_t{vocab});
        const ModelInfo info = describeModel(gguf);
        QCOMPARE(info.hparams.vocabSize, vocab);
        QCOMPARE(QString::fromStdString(info.tokenizerModel), tokenizer);
    }

    void llamaBpeMergesAreComplete() {
        WB_REQUIRE_MODEL("llama.cpp-vocab/ggml-vocab-llama-bpe.gguf", path);
        const auto gguf = GgufFile::open(path.toStdString());
        const auto* merges = gguf.getArray("tokenizer.ggml.merges");
        QVERIFY(merges != nullptr);
        QCOMPARE(merges->items.size(), std::size_t{280147});
        QCOMPARE(gguf.getString("tokenizer.ggml.pre").value_or(""), std::string("llama-bpe"));
    }

    void writerRoundTripsEveryValueType() {
        GgufWriter writer;
        writer.setString("general.architecture", "llama");
        writer.set("t.u8", Value{ValueType::UInt8, std::uint64_t{200}});
        writer.set("t.i8", Value{ValueType::Int8, std::int64_t{-100}});
        writer.set("t.u16", Value{ValueType::UInt16, std::uint64_t{60000}});
        writer.set("t.i16", Value{ValueType::Int16, std::int64_t{-30000}});
        writer.setUInt32("t.u32", 4000000000u);
        writer.setInt32("t.i32", -2000000000);
        writer.setUInt64("t.u64", 1ull << 62);
        writer.set("t.i64", Value{ValueType::Int64, std::int64_t{-(1ll << 62)}});
        writer.setFloat32("t.f32", 0.25f);
        writer.set("t.f64", Value{ValueType::Float64, 1e300});
        writer.setBool("t.bool", true);
        ArrayValue inner1{ValueType::Int32, {Value{ValueType::Int32, std::int64_t{1}}, Value{ValueType::Int32, std::int64_t{2}}}};
        ArrayValue inner2{ValueType::Int32, {Value{ValueType::Int32, std::int64_t{3}}}};
        ArrayValue nested{ValueType::Array, {Value{ValueType::Array, inner1}, Value{ValueType::Array, inner2}}};
        writer.set("t.nested", Value{ValueType::Array, nested});
        writer.setStringArray("t.strings", {"a", "", "ü"});
        writer.addTensorF32("w", {32, 2}, std::vector<float>(64, 1.5f));
        const auto bytes = writer.toBytes();
        QCOMPARE(bytes.size(), static_cast<std::size_t>(writer.layout().totalSize));
        const auto file = GgufFile::parse(bytes);
        QCOMPARE(file.getUInt("t.u8").value(), 200ull);
        QCOMPARE(file.find("t.i8")->toInt().value(), -100ll);
        QCOMPARE(file.getUInt("t.u16").value(), 60000ull);
        QCOMPARE(file.find("t.i16")->toInt().value(), -30000ll);
        QCOMPARE(file.getUInt("t.u32").value(), 4000000000ull);
        QCOMPARE(file.find("t.i32")->toInt().value(), -2000000000ll);
        QCOMPARE(file.getUInt("t.u64").value(), 1ull << 62);
        QCOMPARE(file.find("t.i64")->toInt().value(), -(1ll << 62));
        QCOMPARE(file.getDouble("t.f32").value(), 0.25);
        QCOMPARE(file.getDouble("t.f64").value(), 1e300);
        QCOMPARE(file.getBool("t.bool").value(), true);
        const auto* outer = file.getArray("t.nested");
        QVERIFY(outer != nullptr);
        QCOMPARE(outer->items.size(), std::size_t{2});
        QCOMPARE(outer->items[0].array()->items[1].toInt().value(), 2ll);
        QCOMPARE(outer->items[1].array()->items[0].toInt().value(), 3ll);
        QCOMPARE(*file.getArray("t.strings")->items[2].string(), std::string("ü"));
        const TensorInfo* w = file.findTensor("w");
        QVERIFY(w != nullptr);
        QCOMPARE(w->rows(), 2ull);
        float value = 0;
        std::memcpy(&value, file.tensorBytes(*w).data() + 4 * 63, 4);
        QCOMPARE(value, 1.5f);
    }

    void customAlignmentIsHonoured() {
        GgufWriter writer(3, 64);
        writer.setString("general.architecture", "llama");
        writer.addTensorF32("a", {3}, {1, 2, 3});
        writer.addTensorF32("b", {2}, {4, 5});
        const auto bytes = writer.toBytes();
        const auto file = GgufFile::parse(bytes);
        QCOMPARE(file.alignment(), 64ull);
        QCOMPARE(file.dataOffset() % 64, 0ull);
        QCOMPARE(file.findTensor("b")->offset, 64ull);
        float b0 = 0;
        std::memcpy(&b0, file.tensorBytes(*file.findTensor("b")).data(), 4);
        QCOMPARE(b0, 4.0f);
    }

    void version2IsAccepted() {
        GgufWriter writer(2);
        writer.setString("general.architecture", "llama");
        writer.addTensorF32("a", {4}, {1, 2, 3, 4});
        const auto bytes = writer.toBytes();
        QCOMPARE(GgufFile::parse(bytes).version(), 2u);
    }

    void inspectJsonReportsStoriesFacts() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        QProcess iwb;
        iwb.start(test::iwbPath(), {"inspect", path, "--json"});
        QVERIFY(iwb.waitForFinished(30000));
        QCOMPARE(iwb.exitCode(), 0);
        const auto json = QJsonDocument::fromJson(iwb.readAllStandardOutput()).object();
        QCOMPARE(json["architecture"].toString(), QString("llama"));
        QCOMPARE(json["tensor_count"].toInt(), 48);
        QCOMPARE(json["parameter_count"].toInteger(), 292800);
        const auto hp = json["hyperparameters"].toObject();
        QCOMPARE(hp["block_count"].toInt(), 5);
        QCOMPARE(hp["embedding_length"].toInt(), 64);
        QCOMPARE(hp["feed_forward_length"].toInt(), 172);
        QCOMPARE(hp["head_count"].toInt(), 8);
        QCOMPARE(hp["head_count_kv"].toInt(), 4);
        QCOMPARE(hp["context_length"].toInt(), 2048);
        QCOMPARE(hp["vocab_size"].toInt(), 512);
        const auto tensors = json["tensors"].toArray();
        QCOMPARE(tensors.size(), 48);
        const auto first = tensors[0].toObject();
        QCOMPARE(first["name"].toString(), QString("token_embd.weight"));
        QCOMPARE(first["type"].toString(), QString("f32"));
        QCOMPARE(first["shape"].toArray().size(), 2);
        QCOMPARE(first["bytes"].toInteger(), 131072);
    }

    void inspectRejectsBadUsage() {
        QProcess iwb;
        iwb.start(test::iwbPath(), {"inspect", "--no-such-flag"});
        QVERIFY(iwb.waitForFinished(30000));
        QCOMPARE(iwb.exitCode(), 2);
        QVERIFY(iwb.readAllStandardError().contains("unknown option '--no-such-flag'"));
        iwb.start(test::iwbPath(), {"inspect", "/nonexistent/model.gguf"});
        QVERIFY(iwb.waitForFinished(30000));
        QCOMPARE(iwb.exitCode(), 2);
        QVERIFY(iwb.readAllStandardError().contains("no such model file"));
        iwb.start(test::iwbPath(), {"--version"});
        QVERIFY(iwb.waitForFinished(30000));
        QCOMPARE(iwb.exitCode(), 0);
        QVERIFY(iwb.readAllStandardOutput().startsWith("iwb "));
    }
};

QTEST_GUILESS_MAIN(GgufReaderTest)
#include "test_gguf_reader.moc"
