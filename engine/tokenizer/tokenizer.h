#pragma once
// Text <-> token ids for the vocabularies GGUF files carry (tokenizer.ggml.*): SentencePiece-style
// ("llama"), byte-level BPE ("gpt2") and WordPiece ("bert"). Behaviour follows llama.cpp
// (src/llama-vocab.cpp, ggml-org/llama.cpp c392e50) so token ids match its test vectors exactly.
#include "engine/gguf/gguf_file.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wb {

using TokenId = std::int32_t;

// Values of tokenizer.ggml.token_type (llama.cpp llama_token_type / gguf-py TokenType).
enum class TokenType : std::int32_t {
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6
};

namespace tokenizer_detail {
struct Vocabulary;
class Algorithm;
} // namespace tokenizer_detail

class Tokenizer {
public:
    // Builds from GGUF metadata (tokenizer.ggml.*). Throws std::runtime_error naming the problem for an
    // unsupported tokenizer.ggml.model / tokenizer.ggml.pre or invalid data (merges naming unknown tokens,
    // ids out of range, mismatched array lengths, ...).
    static std::unique_ptr<Tokenizer> fromGguf(const gguf::GgufFile& file);
    virtual ~Tokenizer();
    Tokenizer(const Tokenizer&) = delete;
    Tokenizer& operator=(const Tokenizer&) = delete;

    // addSpecial: add BOS/EOS as the metadata says (tokenizer.ggml.add_bos_token / add_eos_token; default BOS
    // yes for "llama" SPM vocabularies, as llama.cpp does). parseSpecial: text like "<|im_start|>" matching a
    // control/user-defined token becomes that token; otherwise it is plain text. (User-defined tokens are
    // always matched as whole pieces, as in llama.cpp and Hugging Face tokenizers.)
    std::vector<TokenId> encode(std::string_view text, bool addSpecial, bool parseSpecial) const;
    // Raw bytes of one token as it appears in output text (may be a partial UTF-8 sequence, e.g. byte
    // tokens). Control (and unknown) tokens render as "" unless renderSpecial.
    std::string tokenToPiece(TokenId id, bool renderSpecial = false) const;
    // Concatenated pieces. For SPM vocabularies with a space prefix, the prefix space of the first text
    // token is dropped, so decode(encode(s)) == s.
    std::string decode(std::span<const TokenId> ids, bool renderSpecial = false) const;

    std::int32_t vocabSize() const;
    TokenId bos() const; // -1 when absent
    TokenId eos() const; // -1 when absent
    bool addsBos() const;
    bool addsEos() const;
    bool addsSpacePrefix() const;
    // eos, eot, <|im_end|>, <|eot_id|>, <|end|> ... (eog set as llama.cpp derives it)
    bool isEndOfGeneration(TokenId id) const;
    const std::vector<TokenId>& endOfGenerationIds() const;
    TokenType tokenType(TokenId id) const;
    float tokenScore(TokenId id) const;
    const std::string& tokenText(TokenId id) const;                // the vocabulary entry as stored
    std::optional<TokenId> findToken(std::string_view text) const; // exact vocabulary entry lookup
    std::string_view modelName() const;                            // "llama", "gpt2", "bert"
    std::string_view preTokenizerName() const;                     // tokenizer.ggml.pre or "default"
    std::size_t mergeCount() const;                                // BPE merges loaded (0 for other models)

private:
    Tokenizer();
    struct State;
    std::unique_ptr<State> state_;
};

// Streaming: feed token pieces, get back only complete UTF-8; incomplete trailing bytes are held back.
class Utf8StreamDecoder {
public:
    std::string push(std::string_view bytes);
    // Whatever is still held back (an unfinished sequence at the end of the stream), returned as is.
    std::string flush();

private:
    std::string pending_;
};

} // namespace wb
