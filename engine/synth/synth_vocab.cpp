#include "engine/synth/synth_vocab.h"

#include "engine/gguf/gguf_file.h"

#include <cstdio>
#include <stdexcept>

namespace wb::synth {
namespace {

gguf::Value stringValue(std::string text) {
    return gguf::Value{gguf::ValueType::String, std::move(text)};
}
gguf::Value u32Value(std::uint32_t number) {
    return gguf::Value{gguf::ValueType::UInt32, std::uint64_t{number}};
}
gguf::Value boolValue(bool flag) {
    return gguf::Value{gguf::ValueType::Bool, flag};
}

} // namespace

TokenizerKeys builtinByteVocabulary(std::uint32_t vocabSize) {
    if (vocabSize < kBuiltinVocabMinimum)
        throw std::invalid_argument("vocabulary size " + std::to_string(vocabSize) +
                                    " is smaller than the built-in byte vocabulary (" +
                                    std::to_string(kBuiltinVocabMinimum) + " tokens); use --vocab-from");
    enum TokenType : std::int64_t { kNormal = 1, kUnknown = 2, kControl = 3, kUnused = 5, kByte = 6 };
    gguf::ArrayValue tokens{gguf::ValueType::String, {}};
    gguf::ArrayValue scores{gguf::ValueType::Float32, {}};
    gguf::ArrayValue types{gguf::ValueType::Int32, {}};
    tokens.items.reserve(vocabSize);
    scores.items.reserve(vocabSize);
    types.items.reserve(vocabSize);
    // Copies of prototypes (rather than temporaries) keep GCC 12's -Wmaybe-uninitialized quiet about the
    // variant.
    const gguf::Value zeroScore{gguf::ValueType::Float32, 0.0};
    gguf::Value tokenText{gguf::ValueType::String, std::string()};
    gguf::Value tokenType{gguf::ValueType::Int32, std::int64_t{0}};
    auto add = [&](std::string text, std::int64_t type) {
        std::get<std::string>(tokenText.data) = std::move(text);
        std::get<std::int64_t>(tokenType.data) = type;
        tokens.items.push_back(tokenText);
        scores.items.push_back(zeroScore);
        types.items.push_back(tokenType);
    };
    add("<unk>", kUnknown);
    add("<s>", kControl);
    add("</s>", kControl);
    for (int byte = 0; byte < 256; ++byte) {
        char text[8];
        std::snprintf(text, sizeof text, "<0x%02X>", byte);
        add(text, kByte);
    }
    for (std::uint32_t id = kBuiltinVocabMinimum; id < vocabSize; ++id)
        add("<unused_" + std::to_string(id - kBuiltinVocabMinimum) + ">", kUnused);

    // Key names and order as llama.cpp's converter writes an SPM vocabulary (gguf-py constants.py
    // Keys.Tokenizer).
    TokenizerKeys result;
    result.tokenCount = vocabSize;
    result.keys.emplace_back("tokenizer.ggml.model", stringValue("llama"));
    result.keys.emplace_back("tokenizer.ggml.pre", stringValue("default"));
    result.keys.emplace_back("tokenizer.ggml.tokens", gguf::Value{gguf::ValueType::Array, std::move(tokens)});
    result.keys.emplace_back("tokenizer.ggml.scores", gguf::Value{gguf::ValueType::Array, std::move(scores)});
    result.keys.emplace_back("tokenizer.ggml.token_type",
                             gguf::Value{gguf::ValueType::Array, std::move(types)});
    result.keys.emplace_back("tokenizer.ggml.bos_token_id", u32Value(1));
    result.keys.emplace_back("tokenizer.ggml.eos_token_id", u32Value(2));
    result.keys.emplace_back("tokenizer.ggml.unknown_token_id", u32Value(0));
    result.keys.emplace_back("tokenizer.ggml.add_bos_token", boolValue(true));
    result.keys.emplace_back("tokenizer.ggml.add_eos_token", boolValue(false));
    return result;
}

TokenizerKeys tokenizerKeysFromFile(const std::string& path) {
    const auto file = gguf::GgufFile::open(path);
    TokenizerKeys result;
    for (const auto& kv : file.metadata())
        if (kv.key.starts_with("tokenizer.")) result.keys.emplace_back(kv.key, kv.value);
    const auto* tokens = file.getArray("tokenizer.ggml.tokens");
    if (tokens == nullptr || tokens->items.empty())
        throw std::runtime_error("'" + path + "' holds no tokenizer.ggml.tokens list to copy");
    result.tokenCount = static_cast<std::uint32_t>(tokens->items.size());
    return result;
}

} // namespace wb::synth
