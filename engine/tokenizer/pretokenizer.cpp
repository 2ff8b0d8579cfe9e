#include "engine/tokenizer/pretokenizer.h"

#include "engine/tokenizer/unicode.h"

#include <stdexcept>

namespace wb::pretok {

// ---------------------------------------------------------------------------------------------------
// Pattern representation

namespace {

struct ClassItem {
    enum class Kind { Range, Letter, Number, Punctuation, Space, NotSpace } kind = Kind::Range;
    std::uint32_t lo = 0, hi = 0;
};

struct CharClass {
    std::vector<ClassItem> items;
    bool negated = false;

    bool matches(std::uint32_t cpt) const {
        bool hit = false;
        for (const auto& item : items) {
            switch (item.kind) {
            case ClassItem::Kind::Range:
                hit = cpt >= item.lo && cpt <= item.hi;
                break;
            case ClassItem::Kind::Letter:
                hit = unicode::isLetter(cpt);
                break;
            case ClassItem::Kind::Number:
                hit = unicode::isNumber(cpt);
                break;
            case ClassItem::Kind::Punctuation:
                hit = unicode::isPunctuation(cpt);
                break;
            case ClassItem::Kind::Space:
                hit = unicode::isWhitespace(cpt);
                break;
            case ClassItem::Kind::NotSpace:
                hit = !unicode::isWhitespace(cpt);
                break;
            }
            if (hit) break;
        }
        return hit != negated;
    }
};

} // namespace

struct SplitPattern::Node {
    enum class Kind { Class, Sequence, Alternation, Repeat, NegativeLookahead, End } kind = Kind::Sequence;
    CharClass charClass;
    std::vector<Node> children;
    int min = 1;
    int max = 1; // -1: unbounded
};

namespace {

using Node = SplitPattern::Node;

// ---------------------------------------------------------------------------------------------------
// Parser

class Parser {
public:
    explicit Parser(std::string_view regex) : regex_(regex), cpts_(unicode::decodeUtf8(regex)) {}

    Node parse() {
        Node root = parseAlternation(false);
        if (pos_ != cpts_.size()) fail("unbalanced ')'");
        return root;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw std::invalid_argument("pre-tokenizer regex '" + std::string(regex_) + "': " + what +
                                    " at code point " + std::to_string(pos_));
    }
    bool atEnd() const { return pos_ >= cpts_.size(); }
    std::uint32_t peek(std::size_t ahead = 0) const {
        return pos_ + ahead < cpts_.size() ? cpts_[pos_ + ahead] : 0;
    }

    Node parseAlternation(bool caseInsensitive) {
        Node alt;
        alt.kind = Node::Kind::Alternation;
        alt.children.push_back(parseSequence(caseInsensitive));
        while (!atEnd() && peek() == '|') {
            ++pos_;
            alt.children.push_back(parseSequence(caseInsensitive));
        }
        if (alt.children.size() == 1) return std::move(alt.children.front());
        return alt;
    }

    Node parseSequence(bool caseInsensitive) {
        Node seq;
        seq.kind = Node::Kind::Sequence;
        while (!atEnd() && peek() != '|' && peek() != ')') {
            Node atom = parseAtom(caseInsensitive);
            parseQuantifier(atom);
            seq.children.push_back(std::move(atom));
        }
        return seq;
    }

    void parseQuantifier(Node& atom) {
        if (atEnd()) return;
        int min = 0, max = 0;
        const std::uint32_t c = peek();
        if (c == '?')
            min = 0, max = 1;
        else if (c == '*')
            min = 0, max = -1;
        else if (c == '+')
            min = 1, max = -1;
        else if (c == '{') {
            ++pos_;
            min = parseNumber();
            max = min;
            if (peek() == ',') {
                ++pos_;
                max = peek() == '}' ? -1 : parseNumber();
            }
            if (peek() != '}') fail("expected '}'");
        } else {
            return;
        }
        ++pos_;
        if (!atEnd() && (peek() == '?' || peek() == '+'))
            fail("lazy and possessive quantifiers are not supported");
        if (atom.kind == Node::Kind::End || atom.kind == Node::Kind::NegativeLookahead)
            fail("quantified assertion");
        Node repeat;
        repeat.kind = Node::Kind::Repeat;
        repeat.min = min;
        repeat.max = max;
        repeat.children.push_back(std::move(atom));
        atom = std::move(repeat);
    }

    int parseNumber() {
        int value = 0;
        bool any = false;
        while (!atEnd() && peek() >= '0' && peek() <= '9') {
            value = value * 10 + int(peek() - '0');
            if (value > 100000) fail("repeat count too large");
            ++pos_;
            any = true;
        }
        if (!any) fail("expected a number");
        return value;
    }

    static void addLiteral(CharClass& cls, std::uint32_t cpt, bool caseInsensitive) {
        cls.items.push_back({ClassItem::Kind::Range, cpt, cpt});
        if (caseInsensitive && cpt < 128) {
            if (cpt >= 'a' && cpt <= 'z') cls.items.push_back({ClassItem::Kind::Range, cpt - 32, cpt - 32});
            if (cpt >= 'A' && cpt <= 'Z') cls.items.push_back({ClassItem::Kind::Range, cpt + 32, cpt + 32});
        }
    }

    // After a backslash: fills `item` for a class escape (\p{..}, \s, \S) or returns the literal code point.
    bool parseEscape(ClassItem& item, std::uint32_t& literal) {
        if (atEnd()) fail("dangling backslash");
        const std::uint32_t c = cpts_[pos_++];
        switch (c) {
        case 'p': {
            if (peek() != '{' || peek(2) != '}') fail("expected \\p{X}");
            const std::uint32_t name = peek(1);
            pos_ += 3;
            if (name == 'L')
                item.kind = ClassItem::Kind::Letter;
            else if (name == 'N')
                item.kind = ClassItem::Kind::Number;
            else if (name == 'P')
                item.kind = ClassItem::Kind::Punctuation;
            else
                fail("unsupported Unicode category");
            return true;
        }
        case 's':
            item.kind = ClassItem::Kind::Space;
            return true;
        case 'S':
            item.kind = ClassItem::Kind::NotSpace;
            return true;
        case 'r':
            literal = '\r';
            return false;
        case 'n':
            literal = '\n';
            return false;
        case 't':
            literal = '\t';
            return false;
        default:
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
                fail("unsupported escape");
            literal = c; // escaped punctuation stands for itself
            return false;
        }
    }

    Node parseClass(bool caseInsensitive) {
        Node node;
        node.kind = Node::Kind::Class;
        if (peek() == '^') {
            node.charClass.negated = true;
            ++pos_;
        }
        bool first = true;
        while (true) {
            if (atEnd()) fail("unterminated '['");
            std::uint32_t c = cpts_[pos_];
            if (c == ']' && !first) {
                ++pos_;
                break;
            }
            first = false;
            ++pos_;
            std::uint32_t lo = c;
            if (c == '\\') {
                ClassItem item;
                if (parseEscape(item, lo)) {
                    node.charClass.items.push_back(item);
                    continue;
                }
            }
            if (peek() == '-' && peek(1) != ']' && pos_ + 1 < cpts_.size()) {
                ++pos_;
                std::uint32_t hi = cpts_[pos_++];
                if (hi == '\\') {
                    ClassItem item;
                    if (parseEscape(item, hi)) fail("class escape as range end");
                }
                if (hi < lo) fail("reversed range");
                node.charClass.items.push_back({ClassItem::Kind::Range, lo, hi});
                if (caseInsensitive) fail("ranges inside (?i:) are not supported");
                continue;
            }
            addLiteral(node.charClass, lo, caseInsensitive);
        }
        return node;
    }

    Node parseAtom(bool caseInsensitive) {
        const std::uint32_t c = cpts_[pos_++];
        Node node;
        node.kind = Node::Kind::Class;
        switch (c) {
        case '(': {
            bool lookahead = false;
            bool insensitive = caseInsensitive;
            if (peek() == '?') {
                if (peek(1) == ':')
                    pos_ += 2;
                else if (peek(1) == '!')
                    pos_ += 2, lookahead = true;
                else if (peek(1) == 'i' && peek(2) == ':')
                    pos_ += 3, insensitive = true;
                else
                    fail("unsupported group kind");
            }
            Node inner = parseAlternation(insensitive);
            if (peek() != ')') fail("missing ')'");
            ++pos_;
            if (!lookahead) return inner;
            node.kind = Node::Kind::NegativeLookahead;
            node.children.push_back(std::move(inner));
            return node;
        }
        case '[':
            return parseClass(caseInsensitive);
        case '$':
            node.kind = Node::Kind::End;
            return node;
        case '.':
        case '^':
        case '*':
        case '+':
        case '?':
        case '{':
        case ')':
            --pos_;
            fail("unsupported or misplaced operator");
        case '\\': {
            ClassItem item;
            std::uint32_t literal = 0;
            if (parseEscape(item, literal))
                node.charClass.items.push_back(item);
            else
                addLiteral(node.charClass, literal, caseInsensitive);
            return node;
        }
        default:
            addLiteral(node.charClass, c, caseInsensitive);
            return node;
        }
    }

    std::string_view regex_;
    std::vector<std::uint32_t> cpts_;
    std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------------
// Backtracking matcher with continuations: each node calls `next` with every end position it can
// reach, best (greedy / leftmost alternative) first, and stops as soon as `next` accepts.

struct Continuation {
    const void* context;
    bool (*call)(const void*, std::size_t);
    bool operator()(std::size_t pos) const { return call(context, pos); }
};

template <class F> Continuation makeContinuation(const F& f) {
    return {&f, [](const void* context, std::size_t pos) { return (*static_cast<const F*>(context))(pos); }};
}

class Matcher {
public:
    Matcher(const std::uint32_t* cpts, std::size_t end) : cpts_(cpts), end_(end) {}

    bool match(const Node& node, std::size_t pos, Continuation next) const {
        switch (node.kind) {
        case Node::Kind::Class:
            return pos < end_ && node.charClass.matches(cpts_[pos]) && next(pos + 1);
        case Node::Kind::End:
            return pos == end_ && next(pos);
        case Node::Kind::Sequence:
            return matchSequence(node, 0, pos, next);
        case Node::Kind::Alternation:
            for (const auto& alternative : node.children)
                if (match(alternative, pos, next)) return true;
            return false;
        case Node::Kind::NegativeLookahead: {
            const auto accept = [](std::size_t) { return true; };
            if (match(node.children.front(), pos, makeContinuation(accept))) return false;
            return next(pos);
        }
        case Node::Kind::Repeat:
            return matchRepeat(node, 0, pos, next);
        }
        return false;
    }

private:
    bool matchSequence(const Node& seq, std::size_t index, std::size_t pos, Continuation next) const {
        if (index == seq.children.size()) return next(pos);
        const auto rest = [&](std::size_t p) { return matchSequence(seq, index + 1, p, next); };
        return match(seq.children[index], pos, makeContinuation(rest));
    }

    bool matchRepeat(const Node& repeat, int count, std::size_t pos, Continuation next) const {
        const Node& child = repeat.children.front();
        if (child.kind == Node::Kind::Class) {
            // Fast path: a repeated single character class. Take the longest run, then give back.
            std::size_t run = 0;
            const std::size_t limit =
                repeat.max < 0 ? end_ - pos : std::min<std::size_t>(repeat.max, end_ - pos);
            while (run < limit && child.charClass.matches(cpts_[pos + run]))
                ++run;
            for (std::size_t n = run + 1; n-- > static_cast<std::size_t>(repeat.min);)
                if (next(pos + n)) return true;
            return false;
        }
        if (repeat.max < 0 || count < repeat.max) {
            const auto again = [&](std::size_t p) {
                return p != pos && matchRepeat(repeat, count + 1, p, next);
            };
            if (match(child, pos, makeContinuation(again))) return true;
        }
        return count >= repeat.min && next(pos);
    }

    const std::uint32_t* cpts_;
    std::size_t end_;
};

} // namespace

SplitPattern::SplitPattern(std::string_view regex) : root_(std::make_unique<Node>(Parser(regex).parse())) {}
SplitPattern::~SplitPattern() = default;
SplitPattern::SplitPattern(SplitPattern&&) noexcept = default;
SplitPattern& SplitPattern::operator=(SplitPattern&&) noexcept = default;

std::int64_t SplitPattern::matchAt(std::span<const std::uint32_t> cpts, std::size_t pos,
                                   std::size_t end) const {
    const Matcher matcher(cpts.data(), end);
    std::int64_t matchEnd = -1;
    const auto record = [&](std::size_t p) {
        matchEnd = static_cast<std::int64_t>(p);
        return true;
    };
    if (!matcher.match(*root_, pos, makeContinuation(record))) return -1;
    return matchEnd - static_cast<std::int64_t>(pos);
}

void SplitPattern::split(std::span<const std::uint32_t> cpts, std::size_t begin, std::size_t end,
                         std::vector<std::size_t>& lengths) const {
    std::size_t unmatchedStart = begin;
    std::size_t pos = begin;
    while (pos < end) {
        const std::int64_t length = matchAt(cpts, pos, end);
        if (length <= 0) { // no match here (empty matches are ignored: none of the patterns can produce one)
            ++pos;
            continue;
        }
        if (pos > unmatchedStart) lengths.push_back(pos - unmatchedStart);
        lengths.push_back(static_cast<std::size_t>(length));
        pos += static_cast<std::size_t>(length);
        unmatchedStart = pos;
    }
    if (end > unmatchedStart) lengths.push_back(end - unmatchedStart);
}

// ---------------------------------------------------------------------------------------------------
// Pre-tokenizer

PreTokenizer::PreTokenizer(const std::vector<std::string>& regexes) {
    patterns_.reserve(regexes.size());
    for (const auto& regex : regexes)
        patterns_.emplace_back(regex);
}

std::vector<std::string> PreTokenizer::split(std::string_view text) const {
    const std::vector<std::uint32_t> original = unicode::decodeUtf8(text);
    // llama.cpp matches on a copy where non-ASCII whitespace reads as U+000B, so literal classes such as
    // deepseek's [　-。] never see U+3000 while \s still does (unicode.cpp, unicode_regex_split).
    std::vector<std::uint32_t> matched = original;
    for (auto& cpt : matched)
        if (cpt > 0x7F && unicode::isWhitespace(cpt)) cpt = 0x0B;

    std::vector<std::size_t> lengths{original.size()};
    std::vector<std::size_t> next;
    for (const auto& pattern : patterns_) {
        next.clear();
        std::size_t start = 0;
        for (const std::size_t length : lengths) {
            pattern.split(matched, start, start + length, next);
            start += length;
        }
        lengths.swap(next);
    }

    std::vector<std::string> words;
    words.reserve(lengths.size());
    std::size_t start = 0;
    for (const std::size_t length : lengths) {
        std::string word;
        for (std::size_t k = start; k < start + length; ++k)
            unicode::appendUtf8(word, original[k]);
        words.push_back(std::move(word));
        start += length;
    }
    return words;
}

} // namespace wb::pretok
