// Tokenizer behaviour on real vocabularies: llama.cpp's test vectors, reference prompts, detokenization.
#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode.h"
#include "tests/support/test_models.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace wb;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

std::string readFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    const QByteArray bytes = file.readAll();
    return std::string(bytes.constData(), static_cast<std::size_t>(bytes.size()));
}

std::vector<std::string> splitBy(const std::string& text, const std::string& separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t hit = text.find(separator, start);
        if (hit == std::string::npos) break;
        parts.push_back(text.substr(start, hit - start));
        start = hit + separator.size();
    }
    parts.push_back(text.substr(start));
    return parts;
}

std::string joinIds(const std::vector<TokenId>& ids) {
    std::string out;
    for (const TokenId id : ids) {
        if (!out.empty()) out.push_back(' ');
        out.append(std::to_string(id));
    }
    return out;
}

bool isValidUtf8(std::string_view text) {
    for (const std::uint32_t cpt : unicode::decodeUtf8(text))
        if (cpt == unicode::kReplacementChar) return false;
    return unicode::completeUtf8Prefix(text) == text.size();
}

std::unique_ptr<Tokenizer> load(const QString& path) {
    const auto file = gguf::GgufFile::open(path.toStdString());
    return Tokenizer::fromGguf(file);
}

const char* const kVocabs[] = {"llama-spm",      "phi-3",  "gpt-2", "llama-bpe", "qwen2",     "deepseek-llm",
                               "deepseek-coder", "falcon", "mpt",   "refact",    "starcoder", "bert-bge"};

} // namespace

class TokenizerTest : public QObject {
    Q_OBJECT

private slots:
    void llamaCppVectors_data() {
        QTest::addColumn<QString>("vocab");
        for (const char* name : kVocabs)
            QTest::newRow(name) << QString::fromLatin1(name);
    }

    // Every string of llama.cpp's tests/test-tokenizer-0 vectors, no BOS, no special parsing.
    void llamaCppVectors() {
        QFETCH(QString, vocab);
        WB_REQUIRE_MODEL(QStringLiteral("llama.cpp-vocab/ggml-vocab-%1.gguf").arg(vocab), path);
        const auto tokenizer = load(path);
        const auto inputs = splitBy(readFile(path + ".inp"), "\n__ggml_vocab_test__\n");
        const auto expected = splitBy(readFile(path + ".out"), "\n");
        QVERIFY(inputs.size() >= 46);
        QVERIFY(expected.size() >= inputs.size());
        int passed = 0;
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            const std::string got = joinIds(tokenizer->encode(inputs[k], false, false));
            std::string want = expected[k];
            // llama.cpp writes " id id ...": compare without the surrounding blanks.
            while (!want.empty() && (want.back() == ' ' || want.back() == '\r'))
                want.pop_back();
            while (!want.empty() && want.front() == ' ')
                want.erase(0, 1);
            if (got == want)
                ++passed;
            else
                qWarning("%s #%zu %s\n  got  %s\n  want %s", qPrintable(vocab), k, inputs[k].c_str(),
                         got.c_str(), want.c_str());
        }
        qInfo("%s: %d / %zu vectors pass", qPrintable(vocab), passed, inputs.size());
        QCOMPARE(passed, static_cast<int>(inputs.size()));
    }

    // The prompts llama.cpp tokenized for the stories260K references (BOS added per metadata), and the
    // greedy continuation ids rendered piece by piece give llama.cpp's text.
    void storiesReferencePrompts_data() {
        QTest::addColumn<QString>("json");
        QTest::newRow("p1") << "stories260K.greedy.p1.json";
        QTest::newRow("p2") << "stories260K.greedy.p2.json";
        QTest::newRow("p3") << "stories260K.greedy.p3.json";
    }
    void storiesReferencePrompts() {
        QFETCH(QString, json);
        WB_REQUIRE_MODEL(QStringLiteral("stories260K.gguf"), path);
        const QString refPath = test::referenceDir() + "/" + json;
        if (test::referenceDir().isEmpty() || !QFile::exists(refPath))
            QSKIP("WB_MODELS_DIR is not set: no reference folder");
        QFile file(refPath);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject ref = QJsonDocument::fromJson(file.readAll()).object();
        const auto tokenizer = load(path);
        QVERIFY(tokenizer->addsBos());
        const auto ids = tokenizer->encode(ref["prompt"].toString().toStdString(), true, false);
        std::vector<TokenId> want;
        for (const auto value : ref["prompt_ids"].toArray())
            want.push_back(value.toInt());
        QCOMPARE(joinIds(ids), joinIds(want));

        Utf8StreamDecoder stream;
        std::string text;
        for (const auto value : ref["greedy_ids"].toArray())
            text += stream.push(tokenizer->tokenToPiece(value.toInt()));
        text += stream.flush();
        QCOMPARE(QString::fromStdString(text), ref["greedy_text"].toString());
    }

    void onceUponATime() {
        WB_REQUIRE_MODEL(QStringLiteral("stories260K.gguf"), path);
        const auto tokenizer = load(path);
        QCOMPARE(joinIds(tokenizer->encode("Once upon a time", true, false)),
                 std::string("1 403 407 261 378"));
        QCOMPARE(tokenizer->bos(), 1);
        QCOMPARE(tokenizer->eos(), 2);
        QVERIFY(tokenizer->isEndOfGeneration(2));
        QCOMPARE(tokenizer->modelName(), std::string_view("llama"));
        QCOMPARE(tokenizer->preTokenizerName(), std::string_view("default"));
    }

    void decodeRoundTrips_data() {
        QTest::addColumn<QString>("vocab");
        for (const char* name : {"llama-spm", "llama-bpe", "qwen2", "gpt-2", "falcon", "deepseek-coder"})
            QTest::newRow(name) << QString::fromLatin1(name);
    }
    // decode(encode(s)) == s for every test string, with and without BOS, and the streaming decoder only
    // ever emits complete UTF-8 while rebuilding the same text.
    void decodeRoundTrips() {
        QFETCH(QString, vocab);
        WB_REQUIRE_MODEL(QStringLiteral("llama.cpp-vocab/ggml-vocab-%1.gguf").arg(vocab), path);
        const auto tokenizer = load(path);
        for (const std::string& text : splitBy(readFile(path + ".inp"), "\n__ggml_vocab_test__\n")) {
            const auto ids = tokenizer->encode(text, false, false);
            QCOMPARE(QByteArray::fromStdString(tokenizer->decode(ids)), QByteArray::fromStdString(text));
            QCOMPARE(QByteArray::fromStdString(tokenizer->decode(tokenizer->encode(text, true, false))),
                     QByteArray::fromStdString(text));
            Utf8StreamDecoder stream;
            std::string streamed;
            for (std::size_t k = 0; k < ids.size(); ++k) {
                std::string piece = tokenizer->tokenToPiece(ids[k]);
                if (k == 0 && tokenizer->addsSpacePrefix() && !piece.empty() && piece[0] == ' ')
                    piece.erase(0, 1);
                const std::string chunk = stream.push(piece);
                QVERIFY2(isValidUtf8(chunk), text.c_str());
                streamed += chunk;
            }
            QVERIFY(stream.flush().empty());
            QCOMPARE(QByteArray::fromStdString(streamed), QByteArray::fromStdString(text));
        }
    }

    // Byte tokens split multi-byte characters: the stream holds the partial bytes back.
    void streamingSplitsMultibyte() {
        WB_REQUIRE_MODEL(QStringLiteral("stories260K.gguf"), path);
        const auto tokenizer = load(path);
        // stories260K has no token for these characters, so they come out as <0xNN> byte tokens.
        const std::string text = "\xF0\x9F\x9A\x80 \xD0\xB6!"; // rocket, Cyrillic zhe
        const auto ids = tokenizer->encode(text, false, false);
        int byteTokens = 0;
        Utf8StreamDecoder stream;
        std::string streamed;
        std::vector<std::string> chunks;
        for (const TokenId id : ids) {
            if (tokenizer->tokenType(id) == TokenType::Byte) ++byteTokens;
            chunks.push_back(stream.push(tokenizer->tokenToPiece(id)));
            QVERIFY(isValidUtf8(chunks.back()));
            streamed += chunks.back();
        }
        QCOMPARE(byteTokens, 6);
        QVERIFY(std::count(chunks.begin(), chunks.end(), std::string()) >= 4); // partial bytes held back
        QCOMPARE(QByteArray::fromStdString(streamed), QByteArray::fromStdString(" " + text));

        Utf8StreamDecoder manual;
        QCOMPARE(manual.push("a\xF0\x9F"), std::string("a"));
        QCOMPARE(manual.push("\x9A"), std::string());
        QCOMPARE(manual.push("\x80z\xC3"), std::string("\xF0\x9F\x9A\x80z"));
        QCOMPARE(manual.flush(), std::string("\xC3"));
        QCOMPARE(manual.flush(), std::string());
    }

    void qwen2ParsesSpecialTokens() {
        WB_REQUIRE_MODEL(QStringLiteral("llama.cpp-vocab/ggml-vocab-qwen2.gguf"), path);
        const auto tokenizer = load(path);
        const std::string text = "<|im_start|>user\nHi<|im_end|>";
        const auto parsed = tokenizer->encode(text, false, true);
        QVERIFY(parsed.size() >= 4);
        QCOMPARE(parsed.front(), 151644);
        QCOMPARE(parsed.back(), 151645);
        const auto plain = tokenizer->encode(text, false, false);
        QVERIFY(std::find(plain.begin(), plain.end(), 151644) == plain.end());
        QVERIFY(plain.size() > parsed.size());
        QCOMPARE(tokenizer->decode(plain), text);
        QCOMPARE(tokenizer->decode(parsed), std::string("user\nHi")); // control tokens hidden
        QCOMPARE(tokenizer->decode(parsed, true), text);              // ... unless rendered
        QVERIFY(tokenizer->isEndOfGeneration(151645));                // <|im_end|>
        QVERIFY(tokenizer->isEndOfGeneration(151643));                // <|endoftext|> (eos)
        QVERIFY(!tokenizer->isEndOfGeneration(151644));
        QCOMPARE(tokenizer->findToken("<|im_start|>").value_or(-1), 151644);
        QCOMPARE(tokenizer->tokenType(151644), TokenType::Control);
        QCOMPARE(tokenizer->tokenType(151700), TokenType::UserDefined);
        QCOMPARE(tokenizer->vocabSize(), 151936);
        QVERIFY(!tokenizer->addsBos());
    }

    // Llama 3: 128k tokens and 280k merges load quickly, and encoding is fast.
    void llama3LoadAndEncodeSpeed() {
        WB_REQUIRE_MODEL(QStringLiteral("llama.cpp-vocab/ggml-vocab-llama-bpe.gguf"), path);
        QElapsedTimer timer;
        timer.start();
        const auto file = gguf::GgufFile::open(path.toStdString());
        const qint64 parseMs = timer.restart();
        const auto tokenizer = Tokenizer::fromGguf(file);
        const qint64 buildMs = timer.restart();
        QCOMPARE(tokenizer->vocabSize(), 128256);
        QCOMPARE(tokenizer->mergeCount(), std::size_t(280147));
        QVERIFY(tokenizer->addsBos());
        QCOMPARE(tokenizer->bos(), 128000);
        QVERIFY(tokenizer->isEndOfGeneration(128009)); // <|eot_id|>
        QVERIFY(tokenizer->isEndOfGeneration(128001));

        std::string text;
        const std::string inp = readFile(path + ".inp");
        while (text.size() < 1'000'000)
            text += inp;
        timer.restart();
        const auto ids = tokenizer->encode(text, true, false);
        const qint64 encodeMs = timer.elapsed();
        QCOMPARE(ids.front(), 128000);
        QCOMPARE(QByteArray::fromStdString(tokenizer->decode(ids)), QByteArray::fromStdString(text));
        qInfo("llama-bpe: GGUF parse %lld ms, tokenizer build %lld ms, encode %zu bytes -> %zu tokens in "
              "%lld ms",
              parseMs, buildMs, text.size(), ids.size(), encodeMs);
        // Speed bounds hold for the optimised build; a sanitizer build (make sanitize) runs several times
        // slower and only checks correctness here.
        if (!kSanitized) {
            QVERIFY2(buildMs < 500, "building the Llama-3 tokenizer took half a second or more");
            QVERIFY2(encodeMs < 10000, "encoding 1 MB took 10 s or more");
        }
    }

    // Arbitrary bytes (invalid UTF-8, NULs, stray special-token fragments) never crash any algorithm, and
    // byte-level BPE still reproduces valid UTF-8 input exactly.
    void randomBytesNeverCrash_data() {
        QTest::addColumn<QString>("vocab");
        for (const char* name : {"llama-spm", "qwen2", "deepseek-llm", "bert-bge"})
            QTest::newRow(name) << QString::fromLatin1(name);
    }
    void randomBytesNeverCrash() {
        QFETCH(QString, vocab);
        WB_REQUIRE_MODEL(QStringLiteral("llama.cpp-vocab/ggml-vocab-%1.gguf").arg(vocab), path);
        const auto tokenizer = load(path);
        std::uint64_t state = 0x9E3779B97F4A7C15ull;
        const auto next = [&state] {
            state ^= state << 13, state ^= state >> 7, state ^= state << 17;
            return state;
        };
        const char* const pieces[] = {"<|im_start|>", "<|im_",    " ",  "\n",
                                      "\xE2\x96\x81", "\xF0\x9F", "'s", "123"};
        for (int round = 0; round < 200; ++round) {
            std::string text;
            const int length = static_cast<int>(next() % 64);
            for (int k = 0; k < length; ++k) {
                if (next() % 4 == 0)
                    text += pieces[next() % 8];
                else
                    text += static_cast<char>(next() & 0xFF);
            }
            const auto ids = tokenizer->encode(text, true, (round & 1) != 0);
            for (const TokenId id : ids)
                QVERIFY(id >= 0 && id < tokenizer->vocabSize());
            (void)tokenizer->decode(ids, true);
        }
    }

    void unicodeTables() {
        QVERIFY(unicode::isLetter(U'A') && unicode::isLetter(0x0416) && unicode::isLetter(0x4E00));
        QVERIFY(unicode::isNumber(U'7') && unicode::isNumber(0x0663) && !unicode::isNumber(U'x'));
        QVERIFY(unicode::isPunctuation(U'!') && unicode::isPunctuation(0x3001) &&
                !unicode::isPunctuation(U'$'));
        QCOMPARE(unicode::category(U'$'), unicode::Category::S);
        QCOMPARE(unicode::category(0x0301), unicode::Category::M);
        QCOMPARE(unicode::category(0x0378), unicode::Category::Undefined);
        QVERIFY(unicode::isWhitespace(0x3000) && unicode::isWhitespace(U'\n') &&
                !unicode::isWhitespace(0x200B));
        QCOMPARE(unicode::toLower(U'Q'), std::uint32_t(U'q'));
        QCOMPARE(unicode::toLower(0x0416), std::uint32_t(0x0436));
        QCOMPARE(unicode::nfdFirst(0x00E9), std::uint32_t(U'e'));   // é
        QCOMPARE(unicode::nfdFirst(0x1EAD), std::uint32_t(U'a'));   // ậ, two levels of decomposition
        QCOMPARE(unicode::nfdFirst(0xD55C), std::uint32_t(0x1112)); // 한 -> leading jamo
        for (int b = 0; b < 256; ++b) {
            const auto cpts = unicode::decodeUtf8(unicode::byteToUtf8(static_cast<std::uint8_t>(b)));
            QCOMPARE(cpts.size(), std::size_t(1));
            QCOMPARE(unicode::codepointToByte(cpts[0]), b);
        }
        QCOMPARE(unicode::byteToUtf8(' '), std::string("\xC4\xA0")); // GPT-2's "Ġ"
    }
};

QTEST_GUILESS_MAIN(TokenizerTest)
#include "test_tokenizer.moc"
