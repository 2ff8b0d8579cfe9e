#pragma once
// Code point level helpers for the tokenizers: UTF-8 conversion, character classes, case and NFD
// mapping, and the GPT-2 byte <-> Unicode mapping used by byte-level BPE vocabularies.
#include "engine/tokenizer/unicode_tables.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wb::unicode {

constexpr std::uint32_t kReplacementChar = 0xFFFD;

// Length of the UTF-8 sequence announced by a lead byte (1 for stray continuation bytes).
int utf8SequenceLength(unsigned char lead);
// Decodes UTF-8 leniently, the way llama.cpp does: each invalid byte becomes U+FFFD.
std::vector<std::uint32_t> decodeUtf8(std::string_view text);
void appendUtf8(std::string& out, std::uint32_t cpt);
std::string encodeUtf8(std::uint32_t cpt);
// Bytes of `text` that form complete UTF-8 sequences from the start; the rest is an incomplete tail.
std::size_t completeUtf8Prefix(std::string_view text);

Category category(std::uint32_t cpt);
// White_Space property (Unicode PropList.txt), which is what \s means in the pre-tokenizer regexes.
bool isWhitespace(std::uint32_t cpt);
inline bool isLetter(std::uint32_t cpt) {
    return category(cpt) == Category::L;
}
inline bool isNumber(std::uint32_t cpt) {
    return category(cpt) == Category::N;
}
inline bool isPunctuation(std::uint32_t cpt) {
    return category(cpt) == Category::P;
}
std::uint32_t toLower(std::uint32_t cpt);
// First code point of the canonical decomposition (the base letter of an accented letter).
std::uint32_t nfdFirst(std::uint32_t cpt);

// GPT-2 byte-level BPE: every byte maps to a printable code point (openai/gpt-2 encoder.py,
// bytes_to_unicode). byteToUtf8(b) is that code point as UTF-8; utf8ToByte reverses it (-1 if unmapped).
const std::string& byteToUtf8(std::uint8_t byte);
int codepointToByte(std::uint32_t cpt);

} // namespace wb::unicode
