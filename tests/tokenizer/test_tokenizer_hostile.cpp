// Bad tokenizer metadata is rejected with a message that names the problem; nothing crashes.
#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/pretokenizer.h"
#include "engine/tokenizer/tokenizer.h"
#include "tests/support/gguf_builder.h"

#include <QtTest>

using namespace wb;

namespace {

// A tiny but complete byte-level BPE vocabulary: "a", "b", "ab", "Ġ", "Ġab" and two merges.
test::GgufBuilder bpeBase() {
    test::GgufBuilder builder;
    builder.string("general.architecture", "llama")
        .string("tokenizer.ggml.model", "gpt2")
        .string("tokenizer.ggml.pre", "gpt-2");
    return builder;
}

const std::vector<std::string> kTokens = {"a",
                                          "b",
                                          "ab",
                                          "\xC4\xA0",
                                          "\xC4\xA0"
                                          "ab",
                                          "<|end|>"};

// Runs fromGguf on the built bytes; returns the exception text ("" when it loaded).
std::string loadError(const test::GgufBuilder& builder, std::unique_ptr<Tokenizer>* loaded = nullptr) {
    const auto bytes = builder.bytes();
    try {
        const auto file = gguf::GgufFile::parse(bytes, "hostile.gguf");
        auto tokenizer = Tokenizer::fromGguf(file);
        if (loaded) *loaded = std::move(tokenizer);
        return {};
    } catch (const std::exception& error) {
        return error.what();
    }
}

} // namespace

class TokenizerHostileTest : public QObject {
    Q_OBJECT

private slots:
    void validSmallVocabularyLoads() {
        auto builder = bpeBase();
        builder.strings("tokenizer.ggml.tokens", kTokens)
            .int32s("tokenizer.ggml.token_type", {1, 1, 1, 1, 1, 3})
            .strings("tokenizer.ggml.merges", {"a b", "\xC4\xA0 ab"})
            .uint32("tokenizer.ggml.eos_token_id", 5);
        std::unique_ptr<Tokenizer> tokenizer;
        QCOMPARE(loadError(builder, &tokenizer), std::string());
        QVERIFY(tokenizer);
        // " ab ab" -> "Ġab" "Ġab"; "ab" -> one token after the merge "a b".
        QCOMPARE(tokenizer->encode("ab ab", false, false), (std::vector<TokenId>{2, 4}));
        QCOMPARE(tokenizer->encode("ba", false, false), (std::vector<TokenId>{1, 0}));
        QCOMPARE(tokenizer->encode("ab<|end|>", false, true), (std::vector<TokenId>{2, 5}));
        QVERIFY(tokenizer->isEndOfGeneration(5));
        QCOMPARE(tokenizer->decode(tokenizer->encode("ab ab", false, false)), std::string("ab ab"));
        QCOMPARE(tokenizer->mergeCount(), std::size_t(2));
    }

    void mergeNamingUnknownTokenIsRejected() {
        auto builder = bpeBase();
        builder.strings("tokenizer.ggml.tokens", kTokens).strings("tokenizer.ggml.merges", {"a b", "a zz"});
        const std::string error = loadError(builder);
        QVERIFY2(error.find("tokenizer.ggml.merges[1]") != std::string::npos, error.c_str());
        QVERIFY2(error.find("unknown token 'zz'") != std::string::npos, error.c_str());
    }

    void malformedMergeIsRejected() {
        auto builder = bpeBase();
        builder.strings("tokenizer.ggml.tokens", kTokens).strings("tokenizer.ggml.merges", {"ab"});
        const std::string error = loadError(builder);
        QVERIFY2(error.find("not two tokens") != std::string::npos, error.c_str());
    }

    void missingMergesAreRejected() {
        auto builder = bpeBase();
        builder.strings("tokenizer.ggml.tokens", kTokens);
        const std::string error = loadError(builder);
        QVERIFY2(error.find("tokenizer.ggml.merges is missing") != std::string::npos, error.c_str());
    }

    void shortTokenTypeArrayIsRejected() {
        auto builder = bpeBase();
        builder.strings("tokenizer.ggml.tokens", kTokens)
            .int32s("tokenizer.ggml.token_type", {1, 1, 1})
            .strings("tokenizer.ggml.merges", {"a b"});
        const std::string error = loadError(builder);
        QVERIFY2(error.find("tokenizer.ggml.token_type has 3 entries") != std::string::npos, error.c_str());
        QVERIFY2(error.find("hostile.gguf") != std::string::npos, error.c_str());
    }

    void shortScoresArrayIsRejected() {
        test::GgufBuilder builder;
        builder.string("tokenizer.ggml.model", "llama")
            .strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a"})
            .float32s("tokenizer.ggml.scores", {0.f, 0.f});
        const std::string error = loadError(builder);
        QVERIFY2(error.find("tokenizer.ggml.scores has 2 entries") != std::string::npos, error.c_str());
    }

    void bosOutOfRangeIsRejected() {
        test::GgufBuilder builder;
        builder.string("tokenizer.ggml.model", "llama")
            .strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>",
                                               "\xE2\x96\x81"
                                               "a"})
            .uint32("tokenizer.ggml.bos_token_id", 99);
        const std::string error = loadError(builder);
        QVERIFY2(error.find("tokenizer.ggml.bos_token_id = 99") != std::string::npos, error.c_str());
        QVERIFY2(error.find("4 tokens") != std::string::npos, error.c_str());
    }

    void negativeEosIsRejected() {
        test::GgufBuilder builder;
        builder.string("tokenizer.ggml.model", "llama")
            .strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"})
            .int32("tokenizer.ggml.eos_token_id", -5);
        const std::string error = loadError(builder);
        QVERIFY2(error.find("tokenizer.ggml.eos_token_id") != std::string::npos, error.c_str());
    }

    void unsupportedModelAndPreAreRejected() {
        test::GgufBuilder model;
        model.string("tokenizer.ggml.model", "t5").strings("tokenizer.ggml.tokens", {"a"});
        std::string error = loadError(model);
        QVERIFY2(error.find("unsupported tokenizer.ggml.model 't5'") != std::string::npos, error.c_str());

        test::GgufBuilder pre;
        pre.string("tokenizer.ggml.model", "gpt2")
            .string("tokenizer.ggml.pre", "martian")
            .strings("tokenizer.ggml.tokens", kTokens)
            .strings("tokenizer.ggml.merges", {"a b"});
        error = loadError(pre);
        QVERIFY2(error.find("unsupported tokenizer.ggml.pre 'martian'") != std::string::npos, error.c_str());

        test::GgufBuilder none;
        none.string("general.architecture", "llama");
        error = loadError(none);
        QVERIFY2(error.find("tokenizer.ggml.model is missing") != std::string::npos, error.c_str());
    }

    void wrongArrayTypesAreRejected() {
        test::GgufBuilder builder;
        builder.string("tokenizer.ggml.model", "llama").int32s("tokenizer.ggml.tokens", {1, 2, 3});
        const std::string error = loadError(builder);
        QVERIFY2(error.find("tokenizer.ggml.tokens must be an array of strings") != std::string::npos,
                 error.c_str());
    }

    // SPM without byte tokens or an unknown token must not crash on characters it cannot spell.
    void spmWithoutByteTokensDoesNotCrash() {
        test::GgufBuilder builder;
        builder.string("tokenizer.ggml.model", "llama")
            .strings("tokenizer.ggml.tokens", {"x", "y"})
            .boolean("tokenizer.ggml.add_space_prefix", false)
            .uint32("tokenizer.ggml.seperator_token_id", 0xFFFFFFFFu); // the converters' "none"
        std::unique_ptr<Tokenizer> tokenizer;
        QCOMPARE(loadError(builder, &tokenizer), std::string());
        QCOMPARE(tokenizer->bos(), 1);
        QCOMPARE(tokenizer->eos(), -1);
        // Unspellable bytes fall back to the default unknown id 0 (here "x"), as in llama.cpp.
        QCOMPARE(tokenizer->encode("xy\xFF\xC3", false, false), (std::vector<TokenId>{0, 1, 0, 0}));
        QVERIFY_THROWS_EXCEPTION(std::out_of_range, tokenizer->tokenToPiece(7));
    }

    void regexSubsetIsEnforced() {
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, pretok::SplitPattern("(a"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, pretok::SplitPattern("a.b"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, pretok::SplitPattern("[z-a]"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, pretok::SplitPattern("\\p{Xx}"));
        const pretok::PreTokenizer gpt2(
            {R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))"});
        QCOMPARE(gpt2.split("Hello  world's 42!!\n"),
                 (std::vector<std::string>{"Hello", " ", " world", "'s", " 42", "!!", "\n"}));
        // A long whitespace run is linear-time and splits as the regex says.
        const std::string spaces(20000, ' ');
        const auto words = gpt2.split(spaces + "x");
        QCOMPARE(words.size(), std::size_t(2));
        QCOMPARE(words[1], std::string(" x"));
    }
};

QTEST_GUILESS_MAIN(TokenizerHostileTest)
#include "test_tokenizer_hostile.moc"
