// WordPiece (BERT) as llama.cpp does it (llm_tokenizer_wpm_session): normalise (NFD base letter, lower
// case, drop control characters), split on whitespace, punctuation, ASCII symbols and CJK ideographs,
// then take the longest vocabulary prefix greedily. Vocabularies converted to GGUF mark word starts with
// U+2581 instead of marking continuations with "##". A word that cannot be covered becomes [UNK].
#include "engine/tokenizer/unicode.h"
#include "engine/tokenizer/vocabulary.h"

namespace wb::tokenizer_detail {
namespace {

// The CJK ranges of Hugging Face's BertPreTokenizer (_is_chinese_char), including its 0x2B920 start.
bool isChineseChar(std::uint32_t cpt) {
    return (cpt >= 0x4E00 && cpt <= 0x9FFF) || (cpt >= 0x3400 && cpt <= 0x4DBF) ||
           (cpt >= 0x20000 && cpt <= 0x2A6DF) || (cpt >= 0x2A700 && cpt <= 0x2B73F) ||
           (cpt >= 0x2B740 && cpt <= 0x2B81F) || (cpt >= 0x2B920 && cpt <= 0x2CEAF) ||
           (cpt >= 0xF900 && cpt <= 0xFAFF) || (cpt >= 0x2F800 && cpt <= 0x2FA1F);
}

class WpmAlgorithm final : public Algorithm {
public:
    explicit WpmAlgorithm(const Vocabulary& vocab) : vocab_(vocab) {}

    void encode(std::string_view text, std::vector<TokenId>& out) const override {
        for (const std::string& word : splitWords(text)) {
            const std::string marked = "\xE2\x96\x81" + word;
            const std::size_t n = marked.size();
            const std::size_t before = out.size();
            for (std::size_t i = 0; i < n;) {
                bool matched = false;
                for (std::size_t j = std::min(n, i + vocab_.maxTokenBytes + 1); j > i; --j) {
                    const TokenId id = vocab_.find(std::string_view(marked).substr(i, j - i));
                    if (id >= 0) {
                        out.push_back(id);
                        i = j;
                        matched = true;
                        break;
                    }
                }
                if (!matched) {
                    out.resize(before);
                    break;
                }
            }
            if (out.size() == before) out.push_back(vocab_.unk);
        }
    }

private:
    static std::vector<std::string> splitWords(std::string_view text) {
        std::vector<std::string> words(1);
        for (std::uint32_t cpt : unicode::decodeUtf8(text)) {
            cpt = unicode::nfdFirst(cpt);
            if (unicode::isWhitespace(cpt)) {
                if (!words.back().empty()) words.emplace_back();
                continue;
            }
            const unicode::Category category = unicode::category(cpt);
            if (cpt == 0 || cpt == unicode::kReplacementChar || category == unicode::Category::C) continue;
            const std::string lowered = unicode::encodeUtf8(unicode::toLower(cpt));
            if (category == unicode::Category::P || (cpt < 0x7F && category == unicode::Category::S) ||
                isChineseChar(cpt)) {
                if (!words.back().empty()) words.emplace_back();
                words.back() = lowered;
                words.emplace_back();
            } else {
                words.back() += lowered;
            }
        }
        if (words.back().empty()) words.pop_back();
        return words;
    }

    const Vocabulary& vocab_;
};

} // namespace

std::unique_ptr<Algorithm> makeWpmAlgorithm(const Vocabulary& vocab) {
    return std::make_unique<WpmAlgorithm>(vocab);
}

} // namespace wb::tokenizer_detail
