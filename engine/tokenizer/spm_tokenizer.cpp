// SentencePiece-style tokenization as llama.cpp does it (llm_tokenizer_spm_session): start from UTF-8
// characters, repeatedly merge the adjacent pair whose concatenation is the vocabulary entry with the
// highest score (ties: leftmost), and spell out leftovers with byte tokens <0xNN>.
#include "engine/tokenizer/unicode.h"
#include "engine/tokenizer/vocabulary.h"

#include <array>
#include <cstdio>
#include <queue>

namespace wb::tokenizer_detail {
namespace {

class SpmAlgorithm final : public Algorithm {
public:
    explicit SpmAlgorithm(const Vocabulary& vocab) : vocab_(vocab) {
        for (int b = 0; b < 256; ++b) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "<0x%02X>", b);
            TokenId id = vocab.find(hex);
            if (id < 0) id = vocab.find(std::string(1, static_cast<char>(b)));
            byteTokens_[b] = id >= 0 ? id : vocab.unk;
        }
    }

    void encode(std::string_view text, std::vector<TokenId>& out) const override {
        struct Symbol {
            std::size_t offset, length;
            int prev, next;
        };
        struct Bigram {
            float score;
            int left, right;
            std::size_t length;
        };
        // Highest score first; equal scores: leftmost first.
        const auto lower = [](const Bigram& a, const Bigram& b) {
            return a.score < b.score || (a.score == b.score && a.left > b.left);
        };
        std::vector<Symbol> symbols;
        symbols.reserve(text.size());
        for (std::size_t offset = 0; offset < text.size();) {
            const std::size_t length = std::min<std::size_t>(
                unicode::utf8SequenceLength(static_cast<unsigned char>(text[offset])), text.size() - offset);
            const int index = static_cast<int>(symbols.size());
            symbols.push_back({offset, length, index - 1, offset + length == text.size() ? -1 : index + 1});
            offset += length;
        }
        if (symbols.empty()) return;

        std::priority_queue<Bigram, std::vector<Bigram>, decltype(lower)> queue(lower);
        const auto tryAdd = [&](int left, int right) {
            if (left < 0 || right < 0) return;
            const std::size_t length = symbols[left].length + symbols[right].length;
            const TokenId id = vocab_.find(text.substr(symbols[left].offset, length));
            if (id < 0) return;
            queue.push({vocab_.scores[id], left, right, length});
        };
        for (int k = 1; k < static_cast<int>(symbols.size()); ++k)
            tryAdd(k - 1, k);

        while (!queue.empty()) {
            const Bigram bigram = queue.top();
            queue.pop();
            Symbol& left = symbols[bigram.left];
            Symbol& right = symbols[bigram.right];
            // Stale entry: one side was merged away or grew since this pair was queued.
            if (left.length == 0 || right.length == 0 || left.length + right.length != bigram.length)
                continue;
            left.length += right.length;
            right.length = 0;
            left.next = right.next;
            if (right.next >= 0) symbols[right.next].prev = bigram.left;
            tryAdd(left.prev, bigram.left);
            tryAdd(bigram.left, left.next);
        }

        for (int k = 0; k != -1; k = symbols[k].next) {
            const Symbol& symbol = symbols[k];
            const std::string_view piece = text.substr(symbol.offset, symbol.length);
            const TokenId id = vocab_.find(piece);
            if (id >= 0) {
                out.push_back(id);
                continue;
            }
            for (const char byte : piece) {
                const TokenId byteId = byteTokens_[static_cast<unsigned char>(byte)];
                if (byteId >= 0) out.push_back(byteId);
            }
        }
    }

private:
    const Vocabulary& vocab_;
    std::array<TokenId, 256> byteTokens_{};
};

} // namespace

std::unique_ptr<Algorithm> makeSpmAlgorithm(const Vocabulary& vocab) {
    return std::make_unique<SpmAlgorithm>(vocab);
}

} // namespace wb::tokenizer_detail
