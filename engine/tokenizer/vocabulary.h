#pragma once
// Internal: the token table shared by the tokenizer algorithms.
#include "engine/tokenizer/flat_index.h"
#include "engine/tokenizer/tokenizer.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wb::tokenizer_detail {

struct Vocabulary {
    std::vector<std::string> texts;
    std::vector<float> scores;
    std::vector<TokenType> types;
    // Indexes `texts`, which never changes after loading. A repeated text maps to its last id (llama.cpp).
    TextIndex ids;
    std::size_t maxTokenBytes = 0;
    TokenId unk = -1;

    TokenId find(std::string_view text) const { return ids.find(text); }
    std::int32_t size() const { return static_cast<std::int32_t>(texts.size()); }
};

// One tokenization algorithm applied to a piece of raw text (no special tokens inside).
class Algorithm {
public:
    virtual ~Algorithm() = default;
    virtual void encode(std::string_view text, std::vector<TokenId>& out) const = 0;
    virtual std::size_t mergeCount() const { return 0; }
};

// SentencePiece-style: `text` is already space-escaped ("\xE2\x96\x81" for ' ').
std::unique_ptr<Algorithm> makeSpmAlgorithm(const Vocabulary& vocab);
// Byte-level BPE; throws std::runtime_error for bad merges or an unknown pre-tokenizer.
std::unique_ptr<Algorithm> makeBpeAlgorithm(const Vocabulary& vocab, const gguf::ArrayValue& merges,
                                            std::string_view preTokenizer, bool ignoreMerges);
// WordPiece (BERT), with llama.cpp's normalisation (NFD base letter, lower case, punctuation split).
std::unique_ptr<Algorithm> makeWpmAlgorithm(const Vocabulary& vocab);

} // namespace wb::tokenizer_detail
