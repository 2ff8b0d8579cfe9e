#pragma once
// Pre-tokenization for byte-level BPE: the text is split into words by a list of regular expressions
// (chosen by tokenizer.ggml.pre), each applied to every fragment the previous one left. Matches and the
// unmatched text between them both become fragments, as llama.cpp's unicode_regex_split does.
//
// The expressions are run by a small backtracking matcher written for the subset these patterns use:
// alternation, (?:...), (?i:...), (?!...), classes with ranges and \p{L} \p{N} \p{P} \s \S, escapes,
// the quantifiers ? * + {m,n}, and $. It works on code points with the leftmost-first semantics of
// ECMAScript / PCRE, which is what the upstream tokenizers use.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wb::pretok {

class SplitPattern {
public:
    // Throws std::invalid_argument naming the position for syntax outside the supported subset.
    explicit SplitPattern(std::string_view regex);
    ~SplitPattern();
    SplitPattern(SplitPattern&&) noexcept;
    SplitPattern& operator=(SplitPattern&&) noexcept;

    // Splits cpts[begin, end) and appends the fragment lengths (in code points) to `lengths`.
    void split(std::span<const std::uint32_t> cpts, std::size_t begin, std::size_t end,
               std::vector<std::size_t>& lengths) const;
    // Length of the match starting exactly at `pos` (within [pos, end)), or -1.
    std::int64_t matchAt(std::span<const std::uint32_t> cpts, std::size_t pos, std::size_t end) const;

    struct Node;

private:
    std::unique_ptr<Node> root_;
};

class PreTokenizer {
public:
    // The pattern list for a tokenizer.ggml.pre name; throws std::runtime_error for unknown names.
    static PreTokenizer forName(std::string_view preName);
    explicit PreTokenizer(const std::vector<std::string>& regexes);

    // Splits text into words (UTF-8, original bytes re-encoded from code points; invalid UTF-8 becomes
    // U+FFFD as in llama.cpp).
    std::vector<std::string> split(std::string_view text) const;

private:
    std::vector<SplitPattern> patterns_;
};

} // namespace wb::pretok
