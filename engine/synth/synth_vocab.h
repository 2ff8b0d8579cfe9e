#pragma once
// The tokenizer a synthetic model carries: copied from another GGUF file, or a minimal built-in one.
#include "engine/gguf/gguf_value.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace wb::synth {

struct TokenizerKeys {
    std::vector<std::pair<std::string, gguf::Value>> keys; // "tokenizer.*" metadata, in file order
    std::uint32_t tokenCount = 0;                          // entries of tokenizer.ggml.tokens
};

// Number of tokens the built-in vocabulary needs before padding: <unk>, <s>, </s> and 256 byte tokens.
constexpr std::uint32_t kBuiltinVocabMinimum = 3 + 256;

// A SentencePiece-style ("llama") vocabulary that tokenizes any text through byte fallback:
// 0 <unk> (UNKNOWN), 1 <s> and 2 </s> (CONTROL), 3..258 <0x00>..<0xFF> (BYTE), then "<unused_N>" (UNUSED)
// up to vocabSize so that tokenizer.ggml.tokens matches token_embd's row count, as llama.cpp requires.
// Token types: llama.h enum llama_token_type (NORMAL 1, UNKNOWN 2, CONTROL 3, USER_DEFINED 4, UNUSED 5, BYTE
// 6). Throws std::invalid_argument when vocabSize < kBuiltinVocabMinimum.
TokenizerKeys builtinByteVocabulary(std::uint32_t vocabSize);

// Every "tokenizer.*" key of a GGUF file. Throws when the file cannot be read or holds no token list.
TokenizerKeys tokenizerKeysFromFile(const std::string& path);

} // namespace wb::synth
