// iwb synth and the synthetic-model library: shapes, sizes, determinism, vocabularies, errors.
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/model_info.h"
#include "engine/synth/synth_model.h"
#include "engine/synth/synth_vocab.h"
#include "engine/tensor/quantize.h"
#include "tests/synth/synth_test_util.h"

#include <QDir>
#include <QtTest>

#include <cmath>
#include <numeric>

using namespace wb;
using namespace wb::synth;

namespace {

SynthOptions optionsFor(const std::string& preset, const std::string& type) {
    SynthOptions options;
    options.shape = *findPreset(preset);
    options.target = *parseQuantTarget(type);
    return options;
}

// A small explicit shape so that tests write real files in milliseconds.
ModelShape smallShape(Architecture arch) {
    ModelShape shape;
    shape.name = "small";
    shape.arch = arch;
    shape.layers = 3;
    shape.embedding = 256;
    shape.feedForward = 512;
    shape.heads = 4;
    shape.kvHeads = 2;
    shape.vocab = 300;
    shape.context = 1024;
    shape.tiedEmbeddings = arch == Architecture::Qwen2;
    shape.ropeFreqBase = arch == Architecture::Qwen2 ? 1000000.0f : 10000.0f;
    return shape;
}

QString scratch(const QString& name) {
    return QDir(test::scratchDir()).filePath(name);
}

double mib(std::uint64_t bytes) {
    return double(bytes) / double(1 << 20);
}

const PlannedTensor* plannedTensor(const SynthPlan& plan, const std::string& name) {
    for (const auto& tensor : plan.tensors)
        if (tensor.name == name) return &tensor;
    return nullptr;
}

} // namespace

class SynthTest : public QObject {
    Q_OBJECT
private slots:
    void everyPresetIsValidAndPlanned() {
        QVERIFY(presetNames().size() >= 7);
        for (const auto& name : presetNames()) {
            const SynthPlan plan = planSyntheticModel(optionsFor(name, "f16"));
            const ModelShape& s = plan.shape;
            const std::size_t perLayer = s.arch == Architecture::Qwen2 ? 12 : 9;
            const std::size_t expected =
                1 + s.layers * perLayer + 1 + (s.tiedEmbeddings ? 0 : 1) + (s.ropeScaling ? 1 : 0);
            QCOMPARE(plan.tensors.size(), expected);
            QCOMPARE(plannedTensor(plan, "output.weight") == nullptr, s.tiedEmbeddings);
        }
        // Published parameter counts of the real models (token_embd included once when tied).
        QCOMPARE(planSyntheticModel(optionsFor("stories260k-shape", "f32")).parameterCount,
                 std::uint64_t{292800});
        QCOMPARE(planSyntheticModel(optionsFor("tinyllama-1.1b", "f16")).parameterCount,
                 std::uint64_t{1100048384});
        const auto qwen = planSyntheticModel(optionsFor("qwen2.5-0.5b", "f16")).parameterCount;
        QVERIFY2(qwen > 490'000'000 && qwen < 500'000'000, qPrintable(QString::number(qwen))); // 494M
        const auto smol = planSyntheticModel(optionsFor("smollm2-135m", "f16")).parameterCount;
        QVERIFY2(smol > 134'000'000 && smol < 135'000'000, qPrintable(QString::number(smol))); // 134.5M
    }

    void planSizesMatchLlamaCppFiles() {
        // File sizes of llama.cpp's benchmark files, /work/shared/reference/README.md "llama.cpp speed"
        // table.
        struct Case {
            const char* preset;
            const char* type;
            bool mix;
            double mib;
        };
        const Case cases[] = {
            {"tinyllama-1.1b", "q4_0", false, 591}, {"tinyllama-1.1b", "q8_0", false, 1116},
            {"tinyllama-1.1b", "q4_0", true, 607},  {"llama-110m", "q8_0", false, 112},
            {"llama-110m", "q4_0", false, 60},      {"llama-110m", "f32", false, 418},
            {"llama-110m", "q4_0", true, 66},
        };
        for (const auto& c : cases) {
            auto options = optionsFor(c.preset, c.type);
            options.mix = c.mix;
            const SynthPlan plan = planSyntheticModel(options);
            const double size = mib(plan.fileBytes);
            QVERIFY2(std::fabs(size - c.mib) / c.mib < 0.03,
                     qPrintable(QStringLiteral("%1 %2 mix=%3: %4 MiB, llama.cpp %5 MiB")
                                    .arg(c.preset, c.type)
                                    .arg(c.mix)
                                    .arg(size)
                                    .arg(c.mib)));
            std::uint64_t sum = 0;
            for (const auto& tensor : plan.tensors)
                sum += tensor.bytes;
            QCOMPARE(sum, plan.tensorBytes);
        }
        // The mix puts the classifier in Q6_K (tied: token_embd doubles as output).
        auto tied = optionsFor("llama-110m", "q4_0");
        tied.mix = true;
        QCOMPARE(plannedTensor(planSyntheticModel(tied), "token_embd.weight")->type, GgmlType::Q6_K);
    }

    void writtenFilesDescribeTheirShape_data() {
        QTest::addColumn<int>("arch");
        QTest::addColumn<QString>("type");
        QTest::newRow("llama f32") << int(Architecture::Llama) << "f32";
        QTest::newRow("llama q8_0") << int(Architecture::Llama) << "q8_0";
        QTest::newRow("llama q4_0") << int(Architecture::Llama) << "q4_0";
        QTest::newRow("qwen2 f16") << int(Architecture::Qwen2) << "f16";
        QTest::newRow("qwen2 bf16") << int(Architecture::Qwen2) << "bf16";
        QTest::newRow("llama q5_1") << int(Architecture::Llama) << "q5_1";
    }
    void writtenFilesDescribeTheirShape() {
        QFETCH(int, arch);
        QFETCH(QString, type);
        SynthOptions options;
        options.shape = smallShape(Architecture(arch));
        options.target = *parseQuantTarget(type.toStdString());
        options.description = kRandomWeightsDescription;
        const QString path = scratch("shape-" + type + ".gguf");
        const SynthResult result = writeSyntheticModel(options, path.toStdString());
        const auto file = gguf::GgufFile::open(path.toStdString());
        const ModelInfo info = describeModel(file);
        const ModelShape& s = options.shape;
        QCOMPARE(info.fileSize, result.plan.fileBytes);
        QCOMPARE(info.architecture, std::string(architectureName(s.arch)));
        QCOMPARE(info.hparams.blockCount, s.layers);
        QCOMPARE(info.hparams.embeddingLength, s.embedding);
        QCOMPARE(info.hparams.feedForwardLength, s.feedForward);
        QCOMPARE(info.hparams.headCount, s.heads);
        QCOMPARE(info.hparams.headCountKv, s.kvHeads);
        QCOMPARE(info.hparams.contextLength, s.context);
        QCOMPARE(info.hparams.vocabSize, s.vocab);
        QCOMPARE(info.hparams.ropeDimensionCount, s.headDim());
        QCOMPARE(info.hparams.ropeFreqBase, double(s.ropeFreqBase));
        QCOMPARE(info.parameterCount, result.plan.parameterCount);
        QCOMPARE(*info.fileType, options.target.fileType);
        QCOMPARE(info.tokenizerModel, std::string("llama"));
        QCOMPARE(*file.getString("general.description"), std::string(kRandomWeightsDescription));
        QCOMPARE(file.getUInt("general.quantization_version").has_value(),
                 ggmlTypeTraits(options.target.baseType).quantized);
        // The converter writes vocab_size / rope.dimension_count for llama only.
        QCOMPARE(file.find("llama.vocab_size") != nullptr, s.arch == Architecture::Llama);
        QCOMPARE(file.tensors().size(), result.plan.tensors.size());
        for (std::size_t i = 0; i < file.tensors().size(); ++i) {
            const auto& tensor = file.tensors()[i];
            const auto& planned = result.plan.tensors[i];
            QCOMPARE(tensor.name, planned.name);
            QCOMPARE(tensor.type, planned.type);
            for (std::size_t d = 0; d < planned.ne.size(); ++d)
                QCOMPARE(tensor.ne[d], planned.ne[d]);
        }
        const auto* k = file.findTensor("blk.2.attn_k.weight");
        QVERIFY(k != nullptr);
        QCOMPARE(k->ne[0], std::uint64_t{s.embedding});
        QCOMPARE(k->ne[1], std::uint64_t{s.kvHeads * s.headDim()});
        QCOMPARE(file.findTensor("blk.0.attn_q.bias") != nullptr, s.arch == Architecture::Qwen2);
        QCOMPARE(file.findTensor("output.weight") != nullptr, !s.tiedEmbeddings);
    }

    void weightsLookLikeAnInit() {
        SynthOptions options;
        options.shape = smallShape(Architecture::Llama);
        options.target = *parseQuantTarget("q8_0");
        const QString path = scratch("init.gguf");
        writeSyntheticModel(options, path.toStdString());
        const auto file = gguf::GgufFile::open(path.toStdString());
        auto stats = [&](const char* name) {
            const auto values = test::tensorAsFloats(file, *file.findTensor(name));
            const double mean = std::accumulate(values.begin(), values.end(), 0.0) / values.size();
            double var = 0.0;
            for (float v : values)
                var += (v - mean) * (v - mean);
            return std::pair{mean, std::sqrt(var / values.size())};
        };
        const auto [wMean, wStd] = stats("blk.1.ffn_up.weight");
        QVERIFY2(std::fabs(wMean) < 1e-3 && std::fabs(wStd - 0.02) < 0.001,
                 qPrintable(QStringLiteral("mean %1 std %2").arg(wMean).arg(wStd)));
        const auto [nMean, nStd] = stats("blk.1.attn_norm.weight");
        QVERIFY2(std::fabs(nMean - 1.0) < 0.01 && nStd < 0.05, qPrintable(QString::number(nMean)));
        // Different tensors hold different values.
        QVERIFY(test::tensorAsFloats(file, *file.findTensor("blk.0.attn_q.weight")) !=
                test::tensorAsFloats(file, *file.findTensor("blk.0.attn_output.weight")));
    }

    void sameSeedSameBytes() {
        SynthOptions options = optionsFor("stories260k-shape", "q8_0");
        options.seed = 7;
        const QString a = scratch("seed7a.gguf"), b = scratch("seed7b.gguf"), c = scratch("seed8.gguf");
        writeSyntheticModel(options, a.toStdString());
        writeSyntheticModel(options, b.toStdString());
        options.seed = 8;
        writeSyntheticModel(options, c.toStdString());
        QVERIFY(!test::fileSha256(a).isEmpty());
        QCOMPARE(test::fileSha256(a), test::fileSha256(b));
        QVERIFY(test::fileSha256(a) != test::fileSha256(c));
        QVERIFY(!QFile::exists(a + ".partial"));
        // Through the CLI too (a separate process, a different thread split).
        const QString cli = scratch("seed7cli.gguf");
        const auto run = test::runIwb(
            {"synth", "--preset", "stories260k-shape", "--type", "q8_0", "--seed", "7", "-o", cli});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY(run.out.contains("parameters"));
        QCOMPARE(test::fileSha256(cli), test::fileSha256(a));
    }

    void vocabularyCopiedFromLlamaSpm() {
        WB_REQUIRE_MODEL("llama.cpp-vocab/ggml-vocab-llama-spm.gguf", vocabPath);
        SynthOptions options;
        options.shape = smallShape(Architecture::Llama);
        options.target = *parseQuantTarget("q4_0");
        options.vocabFrom = vocabPath.toStdString();
        const QString path = scratch("spm.gguf");
        writeSyntheticModel(options, path.toStdString());
        const auto source = gguf::GgufFile::open(vocabPath.toStdString());
        const auto file = gguf::GgufFile::open(path.toStdString());
        int copied = 0;
        for (const auto& kv : source.metadata()) {
            if (!kv.key.starts_with("tokenizer.")) continue;
            const auto* value = file.find(kv.key);
            QVERIFY2(value != nullptr, kv.key.c_str());
            QVERIFY2(test::sameValue(*value, kv.value), kv.key.c_str());
            ++copied;
        }
        QVERIFY(copied >= 8);
        const ModelInfo info = describeModel(file);
        QCOMPARE(info.hparams.vocabSize, 32000u);
        QCOMPARE(file.findTensor("token_embd.weight")->ne[1], std::uint64_t{32000});
        QCOMPARE(*file.getUInt("llama.vocab_size"), std::uint64_t{32000});
    }

    void builtinVocabularyIsByteLevelSpm() {
        const TokenizerKeys keys = builtinByteVocabulary(300);
        QCOMPARE(keys.tokenCount, 300u);
        const gguf::ArrayValue *tokens = nullptr, *types = nullptr, *scores = nullptr;
        for (const auto& [key, value] : keys.keys) {
            if (key == "tokenizer.ggml.model") QCOMPARE(*value.string(), std::string("llama"));
            if (key == "tokenizer.ggml.tokens") tokens = value.array();
            if (key == "tokenizer.ggml.token_type") types = value.array();
            if (key == "tokenizer.ggml.scores") scores = value.array();
        }
        QVERIFY(tokens && types && scores);
        QCOMPARE(tokens->items.size(), std::size_t{300});
        QCOMPARE(scores->items.size(), std::size_t{300});
        QCOMPARE(*tokens->items[1].string(), std::string("<s>"));
        QCOMPARE(*tokens->items[3].string(), std::string("<0x00>"));
        QCOMPARE(*tokens->items[3 + 0x0A].string(), std::string("<0x0A>"));
        QCOMPARE(*tokens->items[258].string(), std::string("<0xFF>"));
        QCOMPARE(*types->items[100].toInt(), std::int64_t{6}); // BYTE
        QCOMPARE(*types->items[0].toInt(), std::int64_t{2});   // UNKNOWN
        QCOMPARE(*types->items[299].toInt(), std::int64_t{5}); // UNUSED padding
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, builtinByteVocabulary(258));
    }

    void llama3RopeFactorsMatchConverter() {
        // zoo-llama3-f32's rope_freqs were made by llama.cpp's converter with factor 8, low 1, high 4,
        // original context 64, base 500000, head_dim 64 (zoo README section 4).
        WB_REQUIRE_MODEL("zoo/zoo-llama3-f32.gguf", zooPath);
        SynthOptions options;
        options.shape = smallShape(Architecture::Llama);
        options.shape.ropeFreqBase = 500000.0f;
        options.shape.ropeScaling = Llama3RopeScaling{8.0f, 1.0f, 4.0f, 64};
        const QString path = scratch("llama3.gguf");
        writeSyntheticModel(options, path.toStdString());
        const auto ours = gguf::GgufFile::open(path.toStdString());
        const auto zoo = gguf::GgufFile::open(zooPath.toStdString());
        const auto a = test::tensorAsFloats(ours, *ours.findTensor("rope_freqs.weight"));
        const auto b = test::tensorAsFloats(zoo, *zoo.findTensor("rope_freqs.weight"));
        QCOMPARE(a.size(), b.size());
        for (std::size_t i = 0; i < a.size(); ++i)
            QVERIFY2(std::fabs(a[i] - b[i]) < 1e-5f, qPrintable(QString::number(i)));
        QVERIFY(describeModel(ours).hparams.hasRopeFreqs);
    }

    void rowsThatDoNotFitFallBack() {
        // stories260K's ffn_down rows are 172 long: no 32-block fits, so F16; 64-wide rows cannot hold Q4_K.
        const SynthPlan q8 = planSyntheticModel(optionsFor("stories260k-shape", "q8_0"));
        QCOMPARE(plannedTensor(q8, "blk.0.ffn_down.weight")->type, GgmlType::F16);
        QVERIFY(!plannedTensor(q8, "blk.0.ffn_down.weight")->fallback.empty());
        QCOMPARE(plannedTensor(q8, "blk.0.ffn_up.weight")->type, GgmlType::Q8_0);
        if (!canQuantize(GgmlType::Q4_K)) QSKIP("K-quant quantizers not available yet");
        const SynthPlan km = planSyntheticModel(optionsFor("stories260k-shape", "q4_k_m"));
        QCOMPARE(plannedTensor(km, "blk.0.attn_q.weight")->type, GgmlType::Q5_0);
        QCOMPARE(plannedTensor(km, "output.weight")->type, GgmlType::Q8_0);
        QCOMPARE(plannedTensor(km, "blk.0.ffn_down.weight")->type, GgmlType::F16);
    }

    void badInputIsRejected() {
        SynthOptions options;
        options.shape = smallShape(Architecture::Llama);
        options.shape.heads = 3; // 256 is not a multiple of 3
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, planSyntheticModel(options));
        options.shape = smallShape(Architecture::Llama);
        options.shape.kvHeads = 3;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, planSyntheticModel(options));
        options.shape = smallShape(Architecture::Llama);
        options.shape.vocab = 100; // smaller than the byte vocabulary
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, planSyntheticModel(options));
        options.shape.vocab = 300;
        options.vocabFrom = "/nonexistent/vocab.gguf";
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, planSyntheticModel(options));

        const QString out = scratch("bad.gguf");
        QCOMPARE(test::runIwb({"synth", "--preset", "no-such", "-o", out}).exitCode, 2);
        QCOMPARE(test::runIwb({"synth", "--preset", "llama-110m", "--type", "q7_0", "-o", out}).exitCode, 2);
        QCOMPARE(test::runIwb({"synth", "--layers", "2", "-o", out}).exitCode, 2);
        QCOMPARE(test::runIwb({"synth", "--preset", "llama-110m", "--vocab-from", "/nonexistent", "-o", out})
                     .exitCode,
                 2);
        const auto shape = test::runIwb(
            {"synth", "--layers", "2", "--embd", "64", "--ffn", "128", "--heads", "3", "-o", out});
        QCOMPARE(shape.exitCode, 1);
        QVERIFY2(shape.err.contains("head count"), qPrintable(shape.err));
        QVERIFY(!QFile::exists(out));
    }

    void cliExplicitDims() {
        const QString out = scratch("explicit.gguf");
        const auto run = test::runIwb(
            {"synth", "--arch", "qwen2",   "--layers", "2",          "--embd", "128",
             "--ffn", "256",    "--heads", "4",        "--kv-heads", "1",      "--vocab",
             "400",   "--ctx",  "256",     "--tied",   "--type",     "q8_0",   "--random-weights-label",
             "-o",    out});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const auto file = gguf::GgufFile::open(out.toStdString());
        const ModelInfo info = describeModel(file);
        QCOMPARE(info.architecture, std::string("qwen2"));
        QCOMPARE(info.hparams.blockCount, 2u);
        QCOMPARE(info.hparams.embeddingLength, 128u);
        QCOMPARE(info.hparams.feedForwardLength, 256u);
        QCOMPARE(info.hparams.headCount, 4u);
        QCOMPARE(info.hparams.headCountKv, 1u);
        QCOMPARE(info.hparams.vocabSize, 400u);
        QCOMPARE(info.hparams.contextLength, 256u);
        QVERIFY(file.findTensor("output.weight") == nullptr);
        QCOMPARE(file.findTensor("blk.1.attn_v.bias")->ne[0], std::uint64_t{32});
    }
};

QTEST_GUILESS_MAIN(SynthTest)
#include "test_synth.moc"
