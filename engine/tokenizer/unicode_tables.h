#pragma once
// Compact Unicode property tables generated from UnicodeData.txt by scripts/gen-unicode-tables.py.
// Use the look-ups in unicode.h; these raw tables are for that file and the tests.
#include <cstddef>
#include <cstdint>

namespace wb::unicode {

// General category, collapsed to its major class (UAX #44 table 12). Unassigned code points are Undefined.
enum class Category : std::uint8_t { Undefined, L, N, P, S, M, Z, C };

namespace tables {

struct CategoryRange {
    std::uint32_t first, last;
    Category category;
};
struct CodepointPair {
    std::uint32_t from, to;
};
struct MappedRange {
    std::uint32_t first, last, to;
};

extern const CategoryRange kCategoryRanges[];
extern const std::size_t kCategoryRangeCount;
extern const CodepointPair kLowercaseMap[];
extern const std::size_t kLowercaseMapCount;
extern const MappedRange kNfdFirstRanges[];
extern const std::size_t kNfdFirstRangeCount;

} // namespace tables
} // namespace wb::unicode
