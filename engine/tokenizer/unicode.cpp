#include "engine/tokenizer/unicode.h"

#include <algorithm>
#include <array>

namespace wb::unicode {

int utf8SequenceLength(unsigned char lead) {
    if (lead < 0x80) return 1;
    if ((lead & 0xE0) == 0xC0) return 2;
    if ((lead & 0xF0) == 0xE0) return 3;
    if ((lead & 0xF8) == 0xF0) return 4;
    return 1;
}

namespace {

bool isContinuation(unsigned char byte) {
    return (byte & 0xC0) == 0x80;
}

// One code point at `offset`, or -1 for an invalid or truncated sequence. Like llama.cpp's
// unicode_cpt_from_utf8 it checks lead and continuation bits only.
std::int64_t decodeOne(std::string_view text, std::size_t offset, int& length) {
    const auto lead = static_cast<unsigned char>(text[offset]);
    length = utf8SequenceLength(lead);
    if (lead >= 0x80 && length == 1) return -1;
    if (lead >= 0xF8) return -1;
    if (offset + length > text.size()) return -1;
    std::uint32_t cpt = length == 1   ? lead
                        : length == 2 ? (lead & 0x1F)
                        : length == 3 ? (lead & 0x0F)
                                      : (lead & 0x07);
    for (int k = 1; k < length; ++k) {
        const auto byte = static_cast<unsigned char>(text[offset + k]);
        if (!isContinuation(byte)) return -1;
        cpt = (cpt << 6) | (byte & 0x3F);
    }
    return cpt;
}

} // namespace

std::vector<std::uint32_t> decodeUtf8(std::string_view text) {
    std::vector<std::uint32_t> out;
    out.reserve(text.size());
    std::size_t offset = 0;
    while (offset < text.size()) {
        int length = 1;
        const std::int64_t cpt = decodeOne(text, offset, length);
        if (cpt < 0) {
            out.push_back(kReplacementChar);
            ++offset;
        } else {
            out.push_back(static_cast<std::uint32_t>(cpt));
            offset += length;
        }
    }
    return out;
}

void appendUtf8(std::string& out, std::uint32_t cpt) {
    if (cpt < 0x80) {
        out += static_cast<char>(cpt);
    } else if (cpt < 0x800) {
        out += static_cast<char>(0xC0 | (cpt >> 6));
        out += static_cast<char>(0x80 | (cpt & 0x3F));
    } else if (cpt < 0x10000) {
        out += static_cast<char>(0xE0 | (cpt >> 12));
        out += static_cast<char>(0x80 | ((cpt >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cpt & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cpt >> 18));
        out += static_cast<char>(0x80 | ((cpt >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cpt >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cpt & 0x3F));
    }
}

std::string encodeUtf8(std::uint32_t cpt) {
    std::string out;
    appendUtf8(out, cpt);
    return out;
}

std::size_t completeUtf8Prefix(std::string_view text) {
    // Only the last (up to 3) bytes can be an unfinished sequence; everything before is passed on as is.
    const std::size_t n = text.size();
    for (std::size_t back = 1; back <= std::min<std::size_t>(4, n); ++back) {
        const auto byte = static_cast<unsigned char>(text[n - back]);
        if (isContinuation(byte)) continue;
        const int length = utf8SequenceLength(byte);
        if (byte >= 0x80 && length > 1 && static_cast<std::size_t>(length) > back) return n - back;
        return n;
    }
    return n;
}

Category category(std::uint32_t cpt) {
    using tables::kCategoryRanges;
    const auto* end = kCategoryRanges + tables::kCategoryRangeCount;
    const auto* it =
        std::upper_bound(kCategoryRanges, end, cpt,
                         [](std::uint32_t c, const tables::CategoryRange& r) { return c < r.first; });
    if (it == kCategoryRanges) return Category::Undefined;
    --it;
    return cpt <= it->last ? it->category : Category::Undefined;
}

bool isWhitespace(std::uint32_t cpt) {
    // White_Space=yes in Unicode 15.0 PropList.txt.
    if (cpt >= 0x09 && cpt <= 0x0D) return true;
    if (cpt >= 0x2000 && cpt <= 0x200A) return true;
    switch (cpt) {
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return true;
    default:
        return false;
    }
}

std::uint32_t toLower(std::uint32_t cpt) {
    using tables::kLowercaseMap;
    const auto* end = kLowercaseMap + tables::kLowercaseMapCount;
    const auto* it = std::lower_bound(
        kLowercaseMap, end, cpt, [](const tables::CodepointPair& p, std::uint32_t c) { return p.from < c; });
    return (it != end && it->from == cpt) ? it->to : cpt;
}

std::uint32_t nfdFirst(std::uint32_t cpt) {
    using tables::kNfdFirstRanges;
    const auto* end = kNfdFirstRanges + tables::kNfdFirstRangeCount;
    const auto* it = std::upper_bound(
        kNfdFirstRanges, end, cpt, [](std::uint32_t c, const tables::MappedRange& r) { return c < r.first; });
    if (it == kNfdFirstRanges) return cpt;
    --it;
    return cpt <= it->last ? it->to : cpt;
}

namespace {

struct ByteMapping {
    std::array<std::string, 256> byteToUtf8;
    std::array<std::uint32_t, 256> byteToCpt{};
};

// bytes_to_unicode(): printable Latin-1 bytes map to themselves, the other 68 bytes to 256, 257, ...
const ByteMapping& byteMapping() {
    static const ByteMapping mapping = [] {
        ByteMapping m;
        std::uint32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable =
                (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            m.byteToCpt[b] = printable ? static_cast<std::uint32_t>(b) : next++;
            m.byteToUtf8[b] = encodeUtf8(m.byteToCpt[b]);
        }
        return m;
    }();
    return mapping;
}

} // namespace

const std::string& byteToUtf8(std::uint8_t byte) {
    return byteMapping().byteToUtf8[byte];
}

int codepointToByte(std::uint32_t cpt) {
    static const std::array<int, 324> reverse = [] {
        std::array<int, 324> table{};
        table.fill(-1);
        for (int b = 0; b < 256; ++b)
            table[byteMapping().byteToCpt[b]] = b;
        return table;
    }();
    return cpt < reverse.size() ? reverse[cpt] : -1;
}

} // namespace wb::unicode
