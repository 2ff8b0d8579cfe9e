// Vocabulary loading, special-token handling and detokenization. The per-model algorithms live in
// spm_tokenizer.cpp, bpe_tokenizer.cpp and wpm_tokenizer.cpp. Defaults and special-token rules follow
// llama.cpp src/llama-vocab.cpp (llama_vocab::impl::load and tokenize, ggml-org/llama.cpp c392e50).
#include "engine/tokenizer/tokenizer.h"

#include "engine/tokenizer/unicode.h"
#include "engine/tokenizer/vocabulary.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <unordered_set>

namespace wb {

using tokenizer_detail::Vocabulary;

namespace {

enum class ModelKind { Spm, Bpe, Wpm };

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81"; // U+2581, SentencePiece's visible space

std::runtime_error metadataError(const gguf::GgufFile& file, const std::string& problem) {
    return std::runtime_error(file.sourceName() + ": " + problem);
}

void replaceAll(std::string& text, std::string_view from, std::string_view to) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (true) {
        const std::size_t hit = text.find(from, pos);
        if (hit == std::string::npos) break;
        out.append(text, pos, hit - pos);
        out.append(to);
        pos = hit + from.size();
    }
    out.append(text, pos);
    text.swap(out);
}

} // namespace

struct Tokenizer::State {
    ModelKind kind = ModelKind::Spm;
    std::string modelName;
    std::string preName = "default";
    Vocabulary vocab;
    std::unique_ptr<tokenizer_detail::Algorithm> algorithm;
    TokenId bos = -1, eos = -1;
    bool addBos = false, addEos = false, addSpacePrefix = false;
    std::vector<TokenId> eogIds;
    std::unordered_set<TokenId> eog;
    std::vector<TokenId> specialTokens; // control, user-defined and unknown tokens, longest text first
    std::vector<bool> rstrip;           // per token: swallow whitespace after it (phi-3)
};

Tokenizer::Tokenizer() : state_(std::make_unique<State>()) {}
Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::fromGguf(const gguf::GgufFile& file) {
    std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
    State& s = *tokenizer->state_;

    const auto model = file.getString("tokenizer.ggml.model");
    if (!model) throw metadataError(file, "tokenizer.ggml.model is missing (the file has no tokenizer)");
    s.modelName = *model;
    if (s.modelName == "llama")
        s.kind = ModelKind::Spm;
    else if (s.modelName == "gpt2")
        s.kind = ModelKind::Bpe;
    else if (s.modelName == "bert")
        s.kind = ModelKind::Wpm;
    else
        throw metadataError(file, "unsupported tokenizer.ggml.model '" + s.modelName +
                                      "' (supported: llama, gpt2, bert)");
    if (const auto pre = file.getString("tokenizer.ggml.pre"); pre && !pre->empty()) s.preName = *pre;

    // Tokens, scores, types.
    const gguf::ArrayValue* tokens = file.getArray("tokenizer.ggml.tokens");
    if (tokens == nullptr) throw metadataError(file, "tokenizer.ggml.tokens is missing or not an array");
    if (tokens->elementType != gguf::ValueType::String)
        throw metadataError(file, "tokenizer.ggml.tokens must be an array of strings");
    if (tokens->items.empty()) throw metadataError(file, "tokenizer.ggml.tokens is empty");
    if (tokens->items.size() > static_cast<std::size_t>(INT32_MAX / 2))
        throw metadataError(file, "tokenizer.ggml.tokens has too many entries");
    const std::size_t n = tokens->items.size();
    Vocabulary& vocab = s.vocab;
    vocab.texts.reserve(n);
    for (const auto& item : tokens->items)
        vocab.texts.push_back(*item.string());

    vocab.scores.assign(n, 0.0f);
    if (const gguf::ArrayValue* scores = file.getArray("tokenizer.ggml.scores")) {
        if (scores->items.size() != n)
            throw metadataError(file, "tokenizer.ggml.scores has " + std::to_string(scores->items.size()) +
                                          " entries but tokenizer.ggml.tokens has " + std::to_string(n));
        for (std::size_t k = 0; k < n; ++k) {
            const auto value = scores->items[k].toDouble();
            if (!value)
                throw metadataError(file, "tokenizer.ggml.scores[" + std::to_string(k) + "] is not a number");
            vocab.scores[k] = static_cast<float>(*value);
        }
    }
    vocab.types.assign(n, TokenType::Normal);
    if (const gguf::ArrayValue* types = file.getArray("tokenizer.ggml.token_type")) {
        if (types->items.size() != n)
            throw metadataError(file, "tokenizer.ggml.token_type has " + std::to_string(types->items.size()) +
                                          " entries but tokenizer.ggml.tokens has " + std::to_string(n));
        for (std::size_t k = 0; k < n; ++k) {
            const auto value = types->items[k].toInt();
            if (!value)
                throw metadataError(file,
                                    "tokenizer.ggml.token_type[" + std::to_string(k) + "] is not an integer");
            // Unknown type values count as Undefined, as in llama.cpp.
            vocab.types[k] =
                (*value >= 0 && *value <= 6) ? static_cast<TokenType>(*value) : TokenType::Undefined;
        }
    }
    vocab.ids.build(vocab.texts);
    for (const auto& text : vocab.texts)
        vocab.maxTokenBytes = std::max(vocab.maxTokenBytes, text.size());

    // Special ids: llama.cpp's per-model defaults, overridden by the metadata. A present but invalid id is
    // an error here (llama.cpp only warns).
    TokenId unk = -1, sep = -1, cls = -1;
    switch (s.kind) {
    case ModelKind::Spm:
        s.bos = 1, s.eos = 2, unk = 0, s.addSpacePrefix = true, s.addBos = true;
        break;
    case ModelKind::Bpe:
        s.bos = 11, s.eos = 11;
        break;
    case ModelKind::Wpm:
        s.bos = 101, s.eos = 102, unk = 100, sep = 102, cls = 101, s.addBos = true;
        break;
    }
    const auto specialId = [&](const char* key, TokenId& target) {
        const gguf::Value* value = file.find(key);
        if (value == nullptr) return;
        const auto id = value->toInt();
        // 0xFFFFFFFF is llama.cpp's "no token" (LLAMA_TOKEN_NULL as uint32), e.g. stories260K's separator.
        if (id && (*id == 0xFFFFFFFFll || *id == -1)) return; // -1 written as a signed "none" too
        if (!id || *id < 0 || *id >= static_cast<std::int64_t>(n))
            throw metadataError(file, std::string(key) + " = " + value->toDisplayString() +
                                          " is not a token id (vocabulary has " + std::to_string(n) +
                                          " tokens)");
        target = static_cast<TokenId>(*id);
    };
    TokenId eot = -1, eom = -1, pad = -1, fimPad = -1, fimRep = -1, fimSep = -1;
    specialId("tokenizer.ggml.bos_token_id", s.bos);
    specialId("tokenizer.ggml.eos_token_id", s.eos);
    specialId("tokenizer.ggml.eot_token_id", eot);
    specialId("tokenizer.ggml.eom_token_id", eom);
    specialId("tokenizer.ggml.unknown_token_id", unk);
    specialId("tokenizer.ggml.seperator_token_id", sep); // sic: the GGUF key is spelled this way
    specialId("tokenizer.ggml.padding_token_id", pad);
    specialId("tokenizer.ggml.cls_token_id", cls);
    specialId("tokenizer.ggml.fim_pad_token_id", fimPad);
    specialId("tokenizer.ggml.fim_rep_token_id", fimRep);
    specialId("tokenizer.ggml.fim_sep_token_id", fimSep);
    // Defaults that do not exist in a small vocabulary are dropped rather than trusted.
    const auto valid = [&](TokenId& id) {
        if (id >= static_cast<TokenId>(n)) id = -1;
    };
    valid(s.bos), valid(s.eos), valid(unk);
    vocab.unk = unk;

    if (s.kind == ModelKind::Bpe) {
        const std::string& pre = s.preName;
        if (pre == "llama3" || pre == "llama-v3" || pre == "llama-bpe" || pre == "falcon3") s.addBos = true;
        const gguf::ArrayValue* merges = file.getArray("tokenizer.ggml.merges");
        if (merges == nullptr)
            throw metadataError(file, "tokenizer.ggml.merges is missing (required for gpt2 BPE)");
        const bool ignoreMerges =
            pre == "llama3" || pre == "llama-v3" || pre == "llama-bpe" || pre == "falcon3";
        try {
            s.algorithm = tokenizer_detail::makeBpeAlgorithm(vocab, *merges, pre, ignoreMerges);
        } catch (const std::exception& error) {
            throw metadataError(file, error.what());
        }
    } else if (s.kind == ModelKind::Spm) {
        s.algorithm = tokenizer_detail::makeSpmAlgorithm(vocab);
    } else {
        if (unk < 0) throw metadataError(file, "bert vocabulary without an unknown token");
        s.algorithm = tokenizer_detail::makeWpmAlgorithm(vocab);
    }
    if (const auto flag = file.getBool("tokenizer.ggml.add_space_prefix")) s.addSpacePrefix = *flag;
    if (const auto flag = file.getBool("tokenizer.ggml.add_bos_token")) s.addBos = *flag;
    if (const auto flag = file.getBool("tokenizer.ggml.add_eos_token")) s.addEos = *flag;
    if (s.addBos && s.bos < 0)
        throw metadataError(file, "tokenizer.ggml.add_bos_token is set but there is no BOS token");
    if (s.addEos && s.eos < 0)
        throw metadataError(file, "tokenizer.ggml.add_eos_token is set but there is no EOS token");

    // End-of-generation set, derived from token texts as llama.cpp does (its issue #9606).
    static const std::string_view kEotTexts[] = {"<|eot_id|>",           "<|im_end|>",    "<|end|>",
                                                 "<end_of_turn>",        "<|endoftext|>", "<EOT>",
                                                 "<｜end▁of▁sentence｜>"};
    static const std::string_view kEogTexts[] = {"<|eot_id|>",    "<|im_end|>", "<|end|>", "<end_of_turn>",
                                                 "<|endoftext|>", "<|eom_id|>", "<EOT>"};
    if (eot < 0)
        for (const auto text : kEotTexts)
            if (const TokenId id = vocab.find(text); id >= 0) {
                eot = id;
                break;
            }
    if (eom < 0) eom = vocab.find("<|eom_id|>");
    const auto addEog = [&](TokenId id) {
        if (id >= 0 && s.eog.insert(id).second) s.eogIds.push_back(id);
    };
    addEog(fimPad), addEog(fimRep), addEog(fimSep);
    for (const auto text : kEogTexts) {
        const TokenId id = vocab.find(text);
        if (id < 0) continue;
        addEog(id);
        vocab.types[id] = TokenType::Control; // llama.cpp forces these to control tokens
    }
    if (eot >= 0) vocab.types[eot] = TokenType::Control;
    addEog(s.eos), addEog(eot), addEog(eom);
    (void)pad, (void)sep, (void)cls;

    // Tokens matched as whole pieces before the algorithm runs (llama.cpp cache_special_tokens).
    for (std::size_t k = 0; k < n; ++k) {
        const TokenType type = vocab.types[k];
        if ((type == TokenType::Control || type == TokenType::UserDefined || type == TokenType::Unknown) &&
            !vocab.texts[k].empty())
            s.specialTokens.push_back(static_cast<TokenId>(k));
    }
    std::stable_sort(s.specialTokens.begin(), s.specialTokens.end(),
                     [&](TokenId a, TokenId b) { return vocab.texts[a].size() > vocab.texts[b].size(); });

    // Per-token strip attributes are not in GGUF; llama.cpp sets them by model name for Phi-3.
    s.rstrip.assign(n, false);
    std::string generalName = file.getString("general.name").value_or("");
    std::transform(generalName.begin(), generalName.end(), generalName.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (generalName.find("phi-3") != std::string::npos || generalName.find("phi3") != std::string::npos) {
        for (const TokenId id : s.specialTokens)
            s.rstrip[id] = true;
        if (const TokenId id = vocab.find("</s>"); id >= 0) s.rstrip[id] = true;
        for (const auto text : {"<unk>", "<s>", "<|endoftext|>"})
            if (const TokenId id = vocab.find(text); id >= 0) s.rstrip[id] = false;
    }
    return tokenizer;
}

std::vector<TokenId> Tokenizer::encode(std::string_view text, bool addSpecial, bool parseSpecial) const {
    const State& s = *state_;
    struct Fragment {
        TokenId token; // -1: raw text
        std::size_t offset, length;
    };
    std::vector<Fragment> fragments;
    if (!text.empty()) fragments.push_back({-1, 0, text.size()}); // empty text: not even a space prefix
    std::vector<Fragment> next;
    for (const TokenId special : s.specialTokens) {
        const TokenType type = s.vocab.types[special];
        // Without parseSpecial only user-defined tokens are pulled out (llama.cpp tokenizer_st_partition).
        if (!parseSpecial && (type == TokenType::Control || type == TokenType::Unknown)) continue;
        const std::string& needle = s.vocab.texts[special];
        next.clear();
        for (const Fragment& fragment : fragments) {
            if (fragment.token >= 0 || fragment.length < needle.size()) {
                next.push_back(fragment);
                continue;
            }
            std::size_t offset = fragment.offset;
            std::size_t length = fragment.length;
            const std::string_view region = text.substr(0, fragment.offset + fragment.length);
            while (length > 0) {
                const std::size_t match = region.find(needle, offset);
                if (match == std::string_view::npos) break;
                if (match > offset) next.push_back({-1, offset, match - offset});
                next.push_back({special, 0, 0});
                std::size_t rightOffset = match + needle.size();
                std::size_t rightLength = offset + length - rightOffset;
                if (s.rstrip[special])
                    while (rightLength > 0 && std::isspace(static_cast<unsigned char>(text[rightOffset])))
                        ++rightOffset, --rightLength;
                offset = rightOffset;
                length = rightLength;
            }
            if (length > 0) next.push_back({-1, offset, length});
        }
        fragments.swap(next);
    }

    std::vector<TokenId> out;
    if (addSpecial && s.addBos) out.push_back(s.bos);
    bool previousWasSpecial = true; // SPM puts the space prefix on the first text and after special tokens
    for (const Fragment& fragment : fragments) {
        if (fragment.token >= 0) {
            out.push_back(fragment.token);
            previousWasSpecial = true;
            continue;
        }
        const std::string_view piece = text.substr(fragment.offset, fragment.length);
        if (s.kind == ModelKind::Spm) {
            std::string escaped;
            if (s.addSpacePrefix && previousWasSpecial) escaped = " ";
            escaped.append(piece);
            replaceAll(escaped, " ", kSpaceMarker);
            s.algorithm->encode(escaped, out);
        } else {
            s.algorithm->encode(piece, out);
        }
        previousWasSpecial = false;
    }
    if (addSpecial && s.addEos) out.push_back(s.eos);
    return out;
}

std::string Tokenizer::tokenToPiece(TokenId id, bool renderSpecial) const {
    const State& s = *state_;
    if (id < 0 || id >= s.vocab.size())
        throw std::out_of_range("token id " + std::to_string(id) + " is out of range");
    const TokenType type = s.vocab.types[id];
    const std::string& text = s.vocab.texts[id];
    if (type == TokenType::Control || type == TokenType::Unknown) return renderSpecial ? text : std::string();
    if (type == TokenType::UserDefined) return text;
    if (s.kind == ModelKind::Bpe) {
        if (type != TokenType::Normal && type != TokenType::Byte) return {};
        std::string bytes;
        for (const std::uint32_t cpt : unicode::decodeUtf8(text)) {
            const int byte = unicode::codepointToByte(cpt);
            if (byte >= 0)
                bytes += static_cast<char>(byte);
            else
                unicode::appendUtf8(bytes, cpt); // not from the byte alphabet: keep as written
        }
        return bytes;
    }
    if (type == TokenType::Normal) {
        std::string piece = text;
        replaceAll(piece, kSpaceMarker, " ");
        return piece;
    }
    if (type == TokenType::Byte) {
        // "<0xNN>"
        if (text.size() == 6 && text.starts_with("<0x") && text.back() == '>')
            return std::string(1, static_cast<char>(std::stoi(text.substr(3, 2), nullptr, 16)));
        return text;
    }
    return {}; // unused / undefined
}

std::string Tokenizer::decode(std::span<const TokenId> ids, bool renderSpecial) const {
    std::string out;
    bool dropSpace = state_->kind == ModelKind::Spm && state_->addSpacePrefix;
    for (const TokenId id : ids) {
        std::string piece = tokenToPiece(id, renderSpecial);
        if (dropSpace && state_->vocab.types[id] != TokenType::Control) {
            if (!piece.empty() && piece.front() == ' ') piece.erase(0, 1);
            dropSpace = false;
        }
        out += piece;
    }
    return out;
}

std::int32_t Tokenizer::vocabSize() const {
    return state_->vocab.size();
}
TokenId Tokenizer::bos() const {
    return state_->bos;
}
TokenId Tokenizer::eos() const {
    return state_->eos;
}
bool Tokenizer::addsBos() const {
    return state_->addBos;
}
bool Tokenizer::addsEos() const {
    return state_->addEos;
}
bool Tokenizer::addsSpacePrefix() const {
    return state_->addSpacePrefix;
}
bool Tokenizer::isEndOfGeneration(TokenId id) const {
    return state_->eog.count(id) != 0;
}
const std::vector<TokenId>& Tokenizer::endOfGenerationIds() const {
    return state_->eogIds;
}

TokenType Tokenizer::tokenType(TokenId id) const {
    if (id < 0 || id >= vocabSize())
        throw std::out_of_range("token id " + std::to_string(id) + " is out of range");
    return state_->vocab.types[id];
}
float Tokenizer::tokenScore(TokenId id) const {
    if (id < 0 || id >= vocabSize())
        throw std::out_of_range("token id " + std::to_string(id) + " is out of range");
    return state_->vocab.scores[id];
}
const std::string& Tokenizer::tokenText(TokenId id) const {
    if (id < 0 || id >= vocabSize())
        throw std::out_of_range("token id " + std::to_string(id) + " is out of range");
    return state_->vocab.texts[id];
}
std::optional<TokenId> Tokenizer::findToken(std::string_view text) const {
    const TokenId id = state_->vocab.find(text);
    return id < 0 ? std::nullopt : std::optional<TokenId>(id);
}
std::string_view Tokenizer::modelName() const {
    return state_->modelName;
}
std::string_view Tokenizer::preTokenizerName() const {
    return state_->preName;
}
std::size_t Tokenizer::mergeCount() const {
    return state_->algorithm->mergeCount();
}

std::string Utf8StreamDecoder::push(std::string_view bytes) {
    pending_.append(bytes);
    const std::size_t complete = unicode::completeUtf8Prefix(pending_);
    std::string out = pending_.substr(0, complete);
    pending_.erase(0, complete);
    return out;
}

std::string Utf8StreamDecoder::flush() {
    std::string out;
    out.swap(pending_);
    return out;
}

} // namespace wb
