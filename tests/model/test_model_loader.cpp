// Loader validation on generated files (each broken in exactly one way) and the InferenceContext contract
// (context limits, token range, reset/truncate, batch equals token-by-token).
#include "engine/model/inference_context.h"
#include "tests/model/tiny_model.h"
#include "tests/support/test_models.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>

using namespace wb;
using namespace wb::test;

namespace {

// Runs `load` and returns the message of the std::runtime_error it must throw.
QString loadError(const std::function<gguf::GgufWriter()>& make) {
    try {
        loadInMemory(make());
    } catch (const std::runtime_error& error) {
        return QString::fromStdString(error.what());
    }
    return QStringLiteral("<loaded without error>");
}

QString loadError(const TinyModelOptions& options) {
    return loadError([&] { return makeTinyModel(options); });
}

#define EXPECT_CONTAINS(text, part)                                                                          \
    QVERIFY2((text).contains(QStringLiteral(part)),                                                          \
             qPrintable(QStringLiteral("message '%1' lacks '%2'").arg(text, QStringLiteral(part))))

float maxAbsDifference(std::span<const float> a, std::span<const float> b) {
    float worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, std::abs(a[i] - b[i]));
    return worst;
}

} // namespace

class TestModelLoader : public QObject {
    Q_OBJECT
private slots:
    void validTinyModelLoads() {
        const auto loaded = loadInMemory(makeTinyModel({}));
        const ModelConfig& c = loaded.model->config();
        QCOMPARE(c.architecture, std::string("llama"));
        QCOMPARE(c.blockCount, 2);
        QCOMPARE(c.headDim, 4);
        QCOMPARE(c.headCountKv, 2);
        QCOMPARE(c.vocabSize, 32);
        QCOMPARE(c.ropeDimensionCount, 4);
        QVERIFY(!c.ropeNeox);
        QVERIFY(!c.tiedOutput);
        // Every tensor is F32 and used: the weights are exactly the data section's tensors.
        std::uint64_t total = 0;
        for (const auto& t : loaded.model->file().tensors())
            total += t.byteSize;
        QCOMPARE(loaded.model->weightBytes(), total);
    }

    void qwen2UsesNeoxRopeAndBiases() {
        TinyModelOptions options;
        options.architecture = "qwen2";
        const auto loaded = loadInMemory(makeTinyModel(options));
        QVERIFY(loaded.model->config().ropeNeox);
        QVERIFY(loaded.model->config().hasAttentionBiases);
    }

    void tiedOutputUsesEmbedding() {
        TinyModelOptions options;
        options.tiedOutput = true;
        const auto loaded = loadInMemory(makeTinyModel(options));
        QVERIFY(loaded.model->config().tiedOutput);
        QCOMPARE(loaded.model->weights().output.data, loaded.model->weights().tokenEmbedding.data);
    }

    void rejectsUnsupportedArchitecture() {
        const QString message = loadError([] {
            auto writer = makeTinyModel({});
            writer.setString("general.architecture", "gpt2");
            return writer;
        });
        EXPECT_CONTAINS(message, "unsupported architecture 'gpt2'");
        EXPECT_CONTAINS(message, "llama, qwen2");
    }

    void rejectsMissingTensor() {
        TinyModelOptions options;
        options.omit = {"blk.1.ffn_up.weight"};
        const QString message = loadError(options);
        EXPECT_CONTAINS(message, "tensor 'blk.1.ffn_up.weight' is missing");
    }

    void rejectsMissingQwen2Bias() {
        TinyModelOptions options;
        options.architecture = "qwen2";
        options.omit = {"blk.0.attn_k.bias"};
        EXPECT_CONTAINS(loadError(options), "tensor 'blk.0.attn_k.bias' is missing");
    }

    void rejectsWrongShape() {
        TinyModelOptions options;
        options.shapes["blk.0.attn_k.weight"] = {16, 12};
        const QString message = loadError(options);
        EXPECT_CONTAINS(message, "tensor 'blk.0.attn_k.weight' has shape [16, 12], expected [16, 8]");
    }

    void rejectsWrongNormLength() {
        TinyModelOptions options;
        options.shapes["output_norm.weight"] = {8};
        EXPECT_CONTAINS(loadError(options), "tensor 'output_norm.weight' has shape [8], expected [16]");
    }

    void rejectsHeadsNotDividingEmbedding() {
        TinyModelOptions options;
        options.heads = 3;
        options.headsKv = 3;
        const QString message = loadError(options);
        EXPECT_CONTAINS(message,
                        "llama.attention.head_count' is 3, which does not divide embedding_length 16");
    }

    void rejectsKvHeadsNotDividingHeads() {
        TinyModelOptions options;
        options.headsKv = 3;
        EXPECT_CONTAINS(loadError(options), "head_count_kv' is 3, which does not divide head_count 4");
    }

    void rejectsZeroSizes() {
        for (const char* key : {"llama.block_count", "llama.embedding_length", "llama.feed_forward_length",
                                "llama.attention.head_count", "llama.context_length"}) {
            const QString message = loadError([key] {
                auto writer = makeTinyModel({});
                writer.setUInt32(key, 0);
                return writer;
            });
            QVERIFY2(message.contains(QStringLiteral("'%1' is zero").arg(QString::fromLatin1(key))),
                     qPrintable(message));
        }
    }

    void rejectsMissingKey() {
        const QString message = loadError([] {
            auto writer = makeTinyModel({});
            writer.remove("llama.attention.layer_norm_rms_epsilon");
            return writer;
        });
        EXPECT_CONTAINS(message, "'llama.attention.layer_norm_rms_epsilon' is missing");
    }

    void rejectsRopeDimsAboveHeadDim() {
        const QString message = loadError([] {
            auto writer = makeTinyModel({});
            writer.setUInt32("llama.rope.dimension_count", 8);
            return writer;
        });
        EXPECT_CONTAINS(message, "'llama.rope.dimension_count' is 8, larger than the head size 4");
    }

    void rejectsVocabularyDisagreement() {
        const QString fromKey = loadError([] {
            auto writer = makeTinyModel({});
            writer.setUInt32("llama.vocab_size", 40);
            return writer;
        });
        EXPECT_CONTAINS(fromKey, "'llama.vocab_size' is 40 but tensor 'token_embd.weight' has 32 rows");
        const QString fromTokenizer = loadError([] {
            auto writer = makeTinyModel({});
            writer.setStringArray("tokenizer.ggml.tokens", {"a", "b"});
            return writer;
        });
        EXPECT_CONTAINS(fromTokenizer,
                        "the tokenizer has 2 tokens but tensor 'token_embd.weight' has 32 rows");
        TinyModelOptions options;
        options.shapes["output.weight"] = {16, 31};
        EXPECT_CONTAINS(loadError(options), "tensor 'output.weight' has shape [16, 31], expected [16, 32]");
    }

    void rejectsBlockCountDisagreement() {
        TinyModelOptions fewer;
        fewer.tensorBlocks = 1; // metadata says 2 blocks, the file has tensors for 1
        EXPECT_CONTAINS(loadError(fewer), "tensor 'blk.1.attn_norm.weight' is missing");
        TinyModelOptions more;
        more.tensorBlocks = 3;
        EXPECT_CONTAINS(loadError(more), "belongs to block 2 but llama.block_count is 2");
    }

    void rejectsUncomputableTypes() {
        TinyModelOptions matrix;
        matrix.types["blk.0.attn_q.weight"] = GgmlType::I32;
        EXPECT_CONTAINS(loadError(matrix),
                        "tensor 'blk.0.attn_q.weight' has type i32, which the engine cannot");
        TinyModelOptions norm;
        norm.types["blk.1.ffn_norm.weight"] = GgmlType::F16;
        EXPECT_CONTAINS(loadError(norm), "tensor 'blk.1.ffn_norm.weight' has type f16, expected f32");
    }

    void rejectsMixtureOfExperts() {
        const QString message = loadError([] {
            auto writer = makeTinyModel({});
            writer.setUInt32("llama.expert_count", 8);
            return writer;
        });
        EXPECT_CONTAINS(message, "mixture-of-experts models are not supported");
    }

    void loadReportsMissingFile() {
        try {
            Model::load("/nonexistent/model.gguf");
            QFAIL("loaded a missing file");
        } catch (const std::runtime_error& error) {
            QVERIFY(QString::fromStdString(error.what()).contains(QStringLiteral("/nonexistent/model.gguf")));
        }
    }

    void contextSizingAndDefaults() {
        TinyModelOptions options;
        options.context = 8192; // above the 4096 default cap
        const auto loaded = loadInMemory(makeTinyModel(options));
        InferenceContext byDefault(loaded.model, {});
        QCOMPARE(byDefault.contextLength(), 4096);
        QVERIFY(byDefault.threadCount() >= 1);
        // keys + values, 2 layers, 2 KV heads x head_dim 4, F32
        QCOMPARE(byDefault.kvCacheBytes(), std::uint64_t(2) * 2 * 4096 * 8 * 4);
        InferenceContext small(loaded.model, {.contextLength = 10, .threads = 1});
        QCOMPARE(small.contextLength(), 10);
        QCOMPARE(small.vocabSize(), 32);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 InferenceContext(loaded.model, {.contextLength = -1}));
    }

    void promptLongerThanContextIsRefused() {
        const auto loaded = loadInMemory(makeTinyModel({}));
        InferenceContext context(loaded.model, {.contextLength = 8, .threads = 1});
        const std::vector<std::int32_t> nine(9, 3);
        try {
            context.evaluate(nine);
            QFAIL("a 9-token prompt fit in 8 positions");
        } catch (const std::length_error& error) {
            const QString message = QString::fromStdString(error.what());
            EXPECT_CONTAINS(message, "9 tokens");
            EXPECT_CONTAINS(message, "context length of 8");
        }
        QCOMPARE(context.position(), 0);

        const std::vector<std::int32_t> eight(8, 3);
        context.evaluate(eight);
        QCOMPARE(context.position(), context.contextLength()); // full, and visible as such
        const std::vector<std::int32_t> one{1};
        QVERIFY_THROWS_EXCEPTION(std::length_error, context.evaluate(one));
        QCOMPARE(context.position(), 8);
    }

    void tokenOutsideVocabularyIsRefused() {
        const auto loaded = loadInMemory(makeTinyModel({}));
        InferenceContext context(loaded.model, {.contextLength = 16, .threads = 1});
        for (std::int32_t bad : {32, -1}) {
            const std::vector<std::int32_t> tokens{1, bad};
            try {
                context.evaluate(tokens);
                QFAIL("accepted a token outside the vocabulary");
            } catch (const std::out_of_range& error) {
                EXPECT_CONTAINS(QString::fromStdString(error.what()), "vocabulary of 32 tokens");
            }
        }
        QCOMPARE(context.position(), 0);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, context.evaluate({}));
    }

    void batchEqualsTokenByTokenAndTruncateRewinds() {
        for (const char* arch : {"llama", "qwen2"}) {
            TinyModelOptions options;
            options.architecture = arch;
            const auto loaded = loadInMemory(makeTinyModel(options));
            InferenceContext context(loaded.model, {.contextLength = 32, .threads = 2});
            const std::vector<std::int32_t> prompt{1, 5, 9, 30, 2, 17};
            const auto batchLogits = context.evaluate(prompt);
            const std::vector<float> batch(batchLogits.begin(), batchLogits.end());
            QCOMPARE(batch.size(), std::size_t(32));
            QCOMPARE(context.position(), 6);

            context.reset();
            QCOMPARE(context.position(), 0);
            std::vector<float> single;
            for (std::int32_t token : prompt) {
                const auto logits = context.evaluate(std::span(&token, 1));
                single.assign(logits.begin(), logits.end());
            }
            QVERIFY2(maxAbsDifference(batch, single) < 1e-5, arch);

            // Rewind two tokens and replay them: the same logits again.
            context.truncate(4);
            QCOMPARE(context.position(), 4);
            const auto replay = context.evaluate(std::span(prompt).subspan(4));
            QVERIFY2(maxAbsDifference(batch, replay) < 1e-5, arch);
            QVERIFY_THROWS_EXCEPTION(std::out_of_range, context.truncate(7));

            // A different history must give different logits (the cache is really used).
            context.truncate(0);
            const std::vector<std::int32_t> other{1, 6, 9, 30, 2, 17};
            QVERIFY(maxAbsDifference(batch, context.evaluate(other)) > 1e-3);
        }
    }

    void longPromptIsSplitIntoBatchesConsistently() {
        // Longer than one internal batch (512 tokens): the second chunk must attend to the first.
        TinyModelOptions options;
        options.context = 1024;
        const auto loaded = loadInMemory(makeTinyModel(options));
        std::vector<std::int32_t> prompt;
        for (int i = 0; i < 700; ++i)
            prompt.push_back((i * 7 + 3) % 32);
        InferenceContext batched(loaded.model, {.contextLength = 1024, .threads = 2});
        const auto batchLogits = batched.evaluate(prompt);
        InferenceContext stepwise(loaded.model, {.contextLength = 1024, .threads = 2});
        std::span<const float> last;
        for (std::int32_t token : prompt)
            last = stepwise.evaluate(std::span(&token, 1));
        QCOMPARE(batched.position(), 700);
        QVERIFY(maxAbsDifference(batchLogits, last) < 1e-4);
    }

    void f16CacheHalvesMemoryAndStaysClose() {
        const auto loaded = loadInMemory(makeTinyModel({}));
        InferenceContext f32(loaded.model, {.contextLength = 32, .threads = 1});
        InferenceContext f16(loaded.model,
                             {.contextLength = 32, .threads = 1, .kvCacheType = KvCacheType::F16});
        QCOMPARE(f16.kvCacheBytes() * 2, f32.kvCacheBytes());
        QCOMPARE(f16.kvCacheType(), KvCacheType::F16);
        const std::vector<std::int32_t> prompt{1, 5, 9, 30, 2, 17};
        const auto a = f32.evaluate(prompt);
        const auto b = f16.evaluate(prompt);
        const float difference = maxAbsDifference(a, b);
        QVERIFY2(difference > 0 && difference < 0.05, qPrintable(QString::number(difference)));
    }

    void observerSeesEveryStep() {
        struct Counter : ForwardObserver {
            int begins[kForwardOpCount] = {};
            int ends[kForwardOpCount] = {};
            void beginOp(ForwardOp op, std::int32_t, std::int32_t) override { ++begins[int(op)]; }
            void endOp(ForwardOp op, std::int32_t, std::int32_t) override { ++ends[int(op)]; }
        } counter;
        const auto loaded = loadInMemory(makeTinyModel({}));
        InferenceContext context(loaded.model, {.contextLength = 16, .threads = 1});
        context.setObserver(&counter);
        const std::vector<std::int32_t> prompt{1, 2, 3};
        context.evaluate(prompt);
        QCOMPARE(counter.begins[int(ForwardOp::QProj)], 2); // once per layer for the whole batch
        QCOMPARE(counter.begins[int(ForwardOp::Down)], 2);
        QCOMPARE(counter.begins[int(ForwardOp::OutputHead)], 1);
        for (int op = 0; op < kForwardOpCount; ++op)
            QCOMPARE(counter.begins[op], counter.ends[op]);
        QCOMPARE(forwardOpName(ForwardOp::Rope), std::string_view("rope"));
    }
};

QTEST_GUILESS_MAIN(TestModelLoader)
#include "test_model_loader.moc"
