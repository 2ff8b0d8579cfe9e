// Byte-level BPE (GPT-2 style) as llama.cpp does it (llm_tokenizer_bpe_session): pre-tokenize into words,
// map every byte to its GPT-2 code point, then repeatedly apply the lowest-ranked merge from
// tokenizer.ggml.merges (ties: leftmost). Pairs are looked up by (left id, right id) in a hash map.
#include "engine/tokenizer/pretokenizer.h"
#include "engine/tokenizer/unicode.h"
#include "engine/tokenizer/vocabulary.h"

#include <queue>
#include <stdexcept>
#include <unordered_map>

namespace wb::tokenizer_detail {
namespace {

std::uint64_t pairKey(TokenId left, TokenId right) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) |
           static_cast<std::uint32_t>(right);
}

class BpeAlgorithm final : public Algorithm {
public:
    BpeAlgorithm(const Vocabulary& vocab, const gguf::ArrayValue& merges, std::string_view pre,
                 bool ignoreMerges)
        : vocab_(vocab), preTokenizer_(pretok::PreTokenizer::forName(pre)), ignoreMerges_(ignoreMerges) {
        if (merges.elementType != gguf::ValueType::String)
            throw std::runtime_error("tokenizer.ggml.merges: expected an array of strings, got an array of " +
                                     std::string(gguf::valueTypeName(merges.elementType)));
        // Split every merge once. A merge result that is not itself a vocabulary entry still takes part in
        // later merges (llama.cpp merges by text), so it gets an id past the vocabulary.
        std::vector<std::pair<std::string_view, std::string_view>> sides(merges.items.size());
        std::vector<TokenId> results(merges.items.size());
        std::string joined;
        for (std::size_t k = 0; k < merges.items.size(); ++k) {
            const std::string& merge = *merges.items[k].string();
            const std::size_t space = merge.find(' ', 1);
            if (space == std::string::npos || space + 1 >= merge.size())
                throw std::runtime_error("tokenizer.ggml.merges[" + std::to_string(k) + "] '" + merge +
                                         "' is not two tokens separated by a space");
            sides[k] = {std::string_view(merge).substr(0, space), std::string_view(merge).substr(space + 1)};
            joined.assign(sides[k].first).append(sides[k].second);
            results[k] = idOf(joined);
            if (results[k] < 0) {
                results[k] = vocab.size() + static_cast<TokenId>(extraIds_.size());
                extraIds_.emplace(joined, results[k]);
            }
        }
        mergeMap_.reserve(merges.items.size());
        for (std::size_t k = 0; k < merges.items.size(); ++k) {
            const TokenId left = idOf(sides[k].first);
            const TokenId right = idOf(sides[k].second);
            if (left < 0 || right < 0)
                throw std::runtime_error("tokenizer.ggml.merges[" + std::to_string(k) + "] '" +
                                         *merges.items[k].string() + "' names unknown token '" +
                                         std::string(left < 0 ? sides[k].first : sides[k].second) + "'");
            // The first (lowest-rank) occurrence of a pair wins, as with llama.cpp's bpe_ranks.emplace.
            mergeMap_.insert(pairKey(left, right), {static_cast<std::int32_t>(k), results[k]});
        }
    }

    std::size_t mergeCount() const override { return mergeMap_.size(); }

    void encode(std::string_view text, std::vector<TokenId>& out) const override {
        for (const std::string& word : preTokenizer_.split(text)) {
            std::string encoded;
            encoded.reserve(word.size() * 2);
            for (const char byte : word)
                encoded += unicode::byteToUtf8(static_cast<std::uint8_t>(byte));
            encodeWord(encoded, out);
        }
    }

private:
    TokenId idOf(std::string_view text) const {
        const TokenId id = vocab_.find(text);
        if (id >= 0 || extraIds_.empty()) return id;
        const auto it = extraIds_.find(std::string(text));
        return it == extraIds_.end() ? -1 : it->second;
    }

    void encodeWord(const std::string& word, std::vector<TokenId>& out) const {
        if (word.empty()) return;
        if (ignoreMerges_) {
            const TokenId whole = vocab_.find(word);
            if (whole >= 0) {
                out.push_back(whole);
                return;
            }
        }
        struct Symbol {
            std::size_t offset, length;
            TokenId id;
            int prev, next;
        };
        struct Bigram {
            std::int32_t rank;
            int left, right;
            TokenId leftId, rightId, result;
        };
        // Lowest rank first; equal ranks: leftmost first.
        const auto later = [](const Bigram& a, const Bigram& b) {
            return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
        };
        std::vector<Symbol> symbols;
        symbols.reserve(word.size());
        for (std::size_t offset = 0; offset < word.size();) {
            const std::size_t length = std::min<std::size_t>(
                unicode::utf8SequenceLength(static_cast<unsigned char>(word[offset])), word.size() - offset);
            const int index = static_cast<int>(symbols.size());
            symbols.push_back({offset, length, idOf(std::string_view(word).substr(offset, length)), index - 1,
                               offset + length == word.size() ? -1 : index + 1});
            offset += length;
        }

        std::priority_queue<Bigram, std::vector<Bigram>, decltype(later)> queue(later);
        const auto tryAdd = [&](int left, int right) {
            if (left < 0 || right < 0) return;
            const TokenId leftId = symbols[left].id, rightId = symbols[right].id;
            if (leftId < 0 || rightId < 0) return;
            const PairIndex::Value* merge = mergeMap_.find(pairKey(leftId, rightId));
            if (merge == nullptr) return;
            queue.push({merge->rank, left, right, leftId, rightId, merge->result});
        };
        for (int k = 1; k < static_cast<int>(symbols.size()); ++k)
            tryAdd(k - 1, k);

        while (!queue.empty()) {
            const Bigram bigram = queue.top();
            queue.pop();
            Symbol& left = symbols[bigram.left];
            Symbol& right = symbols[bigram.right];
            // Stale entry: a side was merged away or changed since the pair was queued.
            if (left.length == 0 || right.length == 0 || left.id != bigram.leftId ||
                right.id != bigram.rightId || left.next != bigram.right)
                continue;
            left.length += right.length;
            left.id = bigram.result;
            right.length = 0;
            left.next = right.next;
            if (right.next >= 0) symbols[right.next].prev = bigram.left;
            tryAdd(left.prev, bigram.left);
            tryAdd(bigram.left, left.next);
        }

        for (int k = 0; k != -1; k = symbols[k].next) {
            const Symbol& symbol = symbols[k];
            if (symbol.id >= 0 && symbol.id < vocab_.size()) {
                out.push_back(symbol.id);
                continue;
            }
            // Not a vocabulary entry: llama.cpp falls back to single-byte entries of the encoded text.
            for (std::size_t b = symbol.offset; b < symbol.offset + symbol.length; ++b) {
                const TokenId id = vocab_.find(std::string_view(word).substr(b, 1));
                if (id >= 0) out.push_back(id);
            }
        }
    }

    const Vocabulary& vocab_;
    pretok::PreTokenizer preTokenizer_;
    bool ignoreMerges_;
    PairIndex mergeMap_;
    std::unordered_map<std::string, TokenId> extraIds_;
};

} // namespace

std::unique_ptr<Algorithm> makeBpeAlgorithm(const Vocabulary& vocab, const gguf::ArrayValue& merges,
                                            std::string_view preTokenizer, bool ignoreMerges) {
    return std::make_unique<BpeAlgorithm>(vocab, merges, preTokenizer, ignoreMerges);
}

} // namespace wb::tokenizer_detail
