// iwb quantize and the model quantizer, checked against llama-quantize's outputs in the quant zoo.
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/model_info.h"
#include "engine/synth/model_quantizer.h"
#include "engine/tensor/quantize.h"
#include "tests/synth/synth_test_util.h"

#include <QDir>
#include <QtTest>

#include <algorithm>

using namespace wb;
using namespace wb::synth;

namespace {

QString scratch(const QString& name) {
    return QDir(test::scratchDir()).filePath(name);
}

gguf::GgufFile quantizeTo(const QString& input, const QString& name, const std::string& type, bool pure,
                          QuantizeReport* report = nullptr) {
    QuantizeOptions options;
    options.target = *parseQuantTarget(type);
    options.pure = pure;
    const QString out = scratch(name);
    const QuantizeReport result = quantizeModel(input.toStdString(), out.toStdString(), options);
    if (report) *report = result;
    return gguf::GgufFile::open(out.toStdString());
}

bool kQuantsAvailable() {
    return canQuantize(GgmlType::Q4_K) && canQuantize(GgmlType::Q6_K);
}

// Every tensor of `ours` has the same name set, type, shape and byte size as in llama.cpp's file.
void compareTensorTypes(const gguf::GgufFile& ours, const gguf::GgufFile& llama) {
    QCOMPARE(ours.tensors().size(), llama.tensors().size());
    for (const auto& theirs : llama.tensors()) {
        const auto* mine = ours.findTensor(theirs.name);
        QVERIFY2(mine != nullptr, theirs.name.c_str());
        QVERIFY2(mine->type == theirs.type,
                 qPrintable(QStringLiteral("%1: %2, llama.cpp %3")
                                .arg(QString::fromStdString(theirs.name),
                                     QString::fromStdString(std::string(ggmlTypeName(mine->type))),
                                     QString::fromStdString(std::string(ggmlTypeName(theirs.type))))));
        QCOMPARE(mine->ne, theirs.ne);
        QCOMPARE(mine->byteSize, theirs.byteSize);
    }
}

// Each converted weight, dequantized, is within `tolerance` (relative RMS) of the F32 master.
void compareWithMaster(const gguf::GgufFile& ours, const gguf::GgufFile& master, double tolerance) {
    for (const auto& tensor : master.tensors()) {
        const auto* mine = ours.findTensor(tensor.name);
        QVERIFY(mine != nullptr);
        const double error =
            test::relativeRmsError(test::tensorAsFloats(ours, *mine), test::tensorAsFloats(master, tensor));
        QVERIFY2(error < tolerance,
                 qPrintable(QStringLiteral("%1 (%2): relative error %3")
                                .arg(QString::fromStdString(tensor.name),
                                     QString::fromStdString(std::string(ggmlTypeName(mine->type))))
                                .arg(error)));
        if (tensor.nDims == 1) QCOMPARE(mine->type, GgmlType::F32);
    }
}

} // namespace

class QuantizeTest : public QObject {
    Q_OBJECT
private slots:
    void mixRuleFollowsLlamaCpp() {
        QCOMPARE(layerIndexOf("blk.17.ffn_down.weight"), 17);
        QCOMPARE(layerIndexOf("output.weight"), -1);
        QCOMPARE(layerIndexOf("blk.x.attn_v.weight"), -1);
        // use_more_bits over 22 layers (TinyLlama): first 2, last 3 (i >= 19), and i = 4, 7, 10, 13, 16.
        QList<int> bumped;
        for (int i = 0; i < 22; ++i)
            if (useMoreBits(i, 22)) bumped << i;
        QCOMPARE(bumped, (QList<int>{0, 1, 4, 7, 10, 13, 16, 19, 20, 21}));
        const QuantTarget q4km = *parseQuantTarget("Q4_K_M");
        QCOMPARE(q4km.fileType, 15u);
        QCOMPARE(parseQuantTarget("q4_k")->fileType, 15u); // llama-quantize's alias
        QVERIFY(!parseQuantTarget("q4_k_x"));
        TensorRole role{"blk.4.attn_v.weight", {2048, 256}, 22, 32, 4, true};
        QCOMPARE(chooseTensorType(q4km, role, false).type, GgmlType::Q6_K);
        QCOMPARE(chooseTensorType(q4km, role, true).type, GgmlType::Q4_K);
        role.name = "blk.5.attn_v.weight";
        QCOMPARE(chooseTensorType(q4km, role, false).type, GgmlType::Q4_K);
        role.name = "blk.5.attn_norm.weight";
        role.ne = {2048};
        QVERIFY(!chooseTensorType(q4km, role, false).quantize);
        // Q2_K: attn_v Q4_K when n_head/n_head_kv >= 4 (here 8).
        role = TensorRole{"blk.5.attn_v.weight", {2048, 256}, 22, 32, 4, true};
        QCOMPARE(chooseTensorType(*parseQuantTarget("q2_k"), role, false).type, GgmlType::Q4_K);
        role.name = "output.weight";
        QCOMPARE(chooseTensorType(*parseQuantTarget("q8_0"), role, false).type, GgmlType::Q8_0);
        QCOMPARE(chooseTensorType(*parseQuantTarget("q4_0"), role, false).type, GgmlType::Q6_K);
        QCOMPARE(chooseTensorType(*parseQuantTarget("f16"), role, false).type, GgmlType::F16);
    }

    void q8_0MatchesLlamaQuantize() {
        WB_REQUIRE_MODEL("zoo/zoo-llama-f32.gguf", master);
        const auto ours = quantizeTo(master, "zoo-q8_0.gguf", "q8_0", false);
        const auto llama = gguf::GgufFile::open(test::modelPath("zoo/zoo-llama-q8_0.gguf").toStdString());
        const auto f32 = gguf::GgufFile::open(master.toStdString());
        compareTensorTypes(ours, llama);
        compareWithMaster(ours, f32, 0.01);
        QCOMPARE(*describeModel(ours).fileType, 7u);
        QCOMPARE(*ours.getUInt("general.quantization_version"), std::uint64_t{2});
        // Metadata other than the two keys llama-quantize sets is copied unchanged.
        for (const auto& kv : f32.metadata()) {
            if (kv.key == "general.file_type") continue;
            QVERIFY2(ours.find(kv.key) && test::sameValue(*ours.find(kv.key), kv.value), kv.key.c_str());
        }
    }

    void q4_0MixAndPure() {
        WB_REQUIRE_MODEL("zoo/zoo-llama-f32.gguf", master);
        const auto f32 = gguf::GgufFile::open(master.toStdString());
        const auto pure = quantizeTo(master, "zoo-q4_0-pure.gguf", "q4_0", true);
        compareTensorTypes(pure,
                           gguf::GgufFile::open(test::modelPath("zoo/zoo-llama-q4_0.gguf").toStdString()));
        compareWithMaster(pure, f32, 0.15);
        if (!kQuantsAvailable()) QSKIP("K-quant quantizers not available yet");
        const auto mixed = quantizeTo(master, "zoo-q4_0-mix.gguf", "q4_0", false);
        QCOMPARE(mixed.findTensor("output.weight")->type, GgmlType::Q6_K); // llama-quantize's default
        QCOMPARE(mixed.findTensor("token_embd.weight")->type, GgmlType::Q4_0);
        compareWithMaster(mixed, f32, 0.15);
    }

    void q4_k_mMatchesZooMix() {
        WB_REQUIRE_MODEL("zoo/zoo-llama-f32.gguf", master);
        if (!kQuantsAvailable()) QSKIP("K-quant quantizers not available yet");
        const auto ours = quantizeTo(master, "zoo-q4_k_m.gguf", "q4_k_m", false);
        const auto llama = gguf::GgufFile::open(test::modelPath("zoo/zoo-llama-q4_k_m.gguf").toStdString());
        compareTensorTypes(ours, llama);
        QCOMPARE(ours.findTensor("blk.1.attn_v.weight")->type, GgmlType::Q6_K);
        QCOMPARE(ours.findTensor("blk.0.attn_v.weight")->type, GgmlType::Q4_K);
        compareWithMaster(ours, gguf::GgufFile::open(master.toStdString()), 0.12);
        QCOMPARE(*describeModel(ours).fileType, 15u);
        QCOMPARE(ours.fileSize(), llama.fileSize());
    }

    void qwen2MixKeepsBiases() {
        WB_REQUIRE_MODEL("zoo/zoo-qwen2-f32.gguf", master);
        if (!kQuantsAvailable()) QSKIP("K-quant quantizers not available yet");
        const auto ours = quantizeTo(master, "zoo-qwen2-q4_k_m.gguf", "q4_k_m", false);
        compareTensorTypes(ours,
                           gguf::GgufFile::open(test::modelPath("zoo/zoo-qwen2-q4_k_m.gguf").toStdString()));
        QCOMPARE(ours.findTensor("blk.0.attn_q.bias")->type, GgmlType::F32);
    }

    void quantizedInputAndTiedOutput() {
        // Input in Q8_0 (dequantized, then requantized); no output.weight, so token_embd is the classifier.
        WB_REQUIRE_MODEL("zoo/zoo-llama-tied-q8_0.gguf", tied);
        const auto source = gguf::GgufFile::open(tied.toStdString());
        const auto f16 = quantizeTo(tied, "tied-f16.gguf", "f16", false);
        QCOMPARE(f16.findTensor("token_embd.weight")->type, GgmlType::F16);
        compareWithMaster(f16, source, 1e-3);
        // Same type: bytes copied unchanged.
        QuantizeReport report;
        const auto same = quantizeTo(tied, "tied-q8_0.gguf", "q8_0", false, &report);
        for (const auto& tensor : report.tensors)
            QVERIFY2(tensor.copied, tensor.name.c_str());
        const auto* a = same.findTensor("blk.1.ffn_up.weight");
        const auto* b = source.findTensor("blk.1.ffn_up.weight");
        QVERIFY(std::equal(same.tensorBytes(*a).begin(), same.tensorBytes(*a).end(),
                           source.tensorBytes(*b).begin()));
        if (!kQuantsAvailable()) QSKIP("K-quant quantizers not available yet");
        const auto mixed = quantizeTo(tied, "tied-q4_0.gguf", "q4_0", false);
        QCOMPARE(mixed.findTensor("token_embd.weight")->type, GgmlType::Q6_K);
        QCOMPARE(mixed.findTensor("blk.0.attn_q.weight")->type, GgmlType::Q4_0);
    }

    void incompatibleRowsFallBack() {
        WB_REQUIRE_MODEL("stories260K.gguf", stories);
        QuantizeReport report;
        const auto ours = quantizeTo(stories, "stories-q4_0.gguf", "q4_0", true, &report);
        const auto* down = ours.findTensor("blk.0.ffn_down.weight"); // rows of 172
        QCOMPARE(down->type, GgmlType::F16);
        QCOMPARE(ours.findTensor("blk.0.ffn_up.weight")->type, GgmlType::Q4_0);
        bool reported = false;
        for (const auto& tensor : report.tensors)
            if (tensor.name == "blk.0.ffn_down.weight")
                reported = tensor.fallback.find("172") != std::string::npos;
        QVERIFY(reported);
        compareWithMaster(ours, gguf::GgufFile::open(stories.toStdString()), 0.2);
        if (!kQuantsAvailable()) QSKIP("K-quant quantizers not available yet");
        const auto km = quantizeTo(stories, "stories-q4_k_m.gguf", "q4_k_m", false);
        QCOMPARE(km.findTensor("blk.0.attn_q.weight")->type, GgmlType::Q5_0); // Q4_K needs rows of 256
        QCOMPARE(km.findTensor("output.weight")->type, GgmlType::Q8_0);
        QCOMPARE(km.findTensor("blk.0.ffn_down.weight")->type, GgmlType::F16);
    }

    void cliErrors() {
        WB_REQUIRE_MODEL("zoo/zoo-llama-f32.gguf", master);
        const QString out = scratch("cli-out.gguf");
        const auto unknown = test::runIwb({"quantize", master, out, "q4_9"});
        QCOMPARE(unknown.exitCode, 2);
        QVERIFY2(unknown.err.contains("unknown type 'q4_9'"), qPrintable(unknown.err));
        QCOMPARE(test::runIwb({"quantize", "/nonexistent.gguf", out, "q8_0"}).exitCode, 2);
        QCOMPARE(test::runIwb({"quantize", master, out}).exitCode, 2);
        // A truncated file: bad content, exit 1, and nothing (not even OUT.partial) left behind.
        QFile in(master);
        QVERIFY(in.open(QIODevice::ReadOnly));
        const QString truncated = scratch("truncated.gguf");
        QFile cut(truncated);
        QVERIFY(cut.open(QIODevice::WriteOnly));
        cut.write(in.read(5000));
        cut.close();
        const auto bad = test::runIwb({"quantize", truncated, out, "q8_0"});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY(!bad.err.isEmpty());
        QVERIFY(!QFile::exists(out));
        QVERIFY(!QFile::exists(out + ".partial"));
        const auto good = test::runIwb({"quantize", master, out, "q8_0", "--quiet"});
        QVERIFY2(good.exitCode == 0, qPrintable(good.err));
        QVERIFY(good.out.contains("wrote"));
        QVERIFY(QFile::exists(out));
    }
};

QTEST_GUILESS_MAIN(QuantizeTest)
#include "test_quantize.moc"
