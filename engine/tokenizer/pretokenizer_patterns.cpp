// The pre-tokenizer expressions per tokenizer.ggml.pre name. Source: llama.cpp src/llama-vocab.cpp
// (llm_tokenizer_bpe constructor, ggml-org/llama.cpp commit c392e50), which adapts the "pre_tokenizer"
// Split patterns of each model's Hugging Face tokenizer.json. They are data, kept verbatim.
#include "engine/tokenizer/pretokenizer.h"

#include <stdexcept>

namespace wb::pretok {
namespace {

// GPT-2's original pattern (openai/gpt-2 src/encoder.py).
constexpr const char* kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
// Llama 3 (tiktoken cl100k-style); (?i:...) spelled out as the llama.cpp adaptation does.
constexpr const char* kLlama3 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Qwen2: like Llama 3 but digits one at a time.
constexpr const char* kQwen2 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// The class is the cased letters of the upstream pattern; written with escapes because Unicode
// normalisation of the source text would silently change singletons such as U+212A KELVIN SIGN.
constexpr const char* kDeepseekLetters =
    "\\s?["
    "A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293"
    "\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A"
    "\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556"
    "\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B"
    "\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D"
    "\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE"
    "\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4"
    "\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128"
    "\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184"
    "\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B"
    "\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17"
    "\uFF21-\uFF3A\uFF41-\uFF5A\U00010400-\U0001044F\U000104B0-\U000104D3"
    "\U000104D8-\U000104FB\U00010C80-\U00010CB2\U00010CC0-\U00010CF2"
    "\U000118A0-\U000118DF\U0001E900-\U0001E943"
    "]+";

std::vector<std::string> patternsFor(std::string_view pre) {
    if (pre.empty() || pre == "default")
        return {R"([\p{P}\$\+<=>\^~\|]+)", kGpt2, R"(\p{N}+)", "[0-9][0-9][0-9]"};
    if (pre == "llama3" || pre == "llama-v3" || pre == "llama-bpe" || pre == "falcon3" || pre == "dbrx" ||
        pre == "smaug-bpe")
        return {kLlama3};
    if (pre == "deepseek-llm")
        return {"[\r\n]", kDeepseekLetters,           "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
                "\\s+$",  "[一-龥ࠀ-一가-퟿]+", R"(\p{N}+)"};
    if (pre == "deepseek-coder")
        return {"[\r\n]", R"(\s?\p{L}+)", R"(\s?\p{P}+)", "[一-龥ࠀ-一가-퟿]+", R"(\p{N})"};
    if (pre == "falcon") return {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2, "[0-9][0-9][0-9]"};
    if (pre == "starcoder" || pre == "refact" || pre == "command-r" || pre == "smollm" ||
        pre == "codeshell" || pre == "exaone" || pre == "minerva-7b")
        return {R"(\p{N})", kGpt2};
    if (pre == "gpt-2" || pre == "phi-2" || pre == "mpt" || pre == "olmo" || pre == "jais" ||
        pre == "roberta-bpe" || pre == "jina-es" || pre == "jina-de" || pre == "jina-v1-en" ||
        pre == "jina-v2-es" || pre == "jina-v2-de" || pre == "jina-v2-code" || pre == "gigachat")
        return {kGpt2};
    if (pre == "qwen2" || pre == "deepseek-r1-qwen" || pre == "stablelm2") return {kQwen2};
    throw std::runtime_error(
        "unsupported tokenizer.ggml.pre '" + std::string(pre) +
        "' (known: default, llama-bpe, qwen2, gpt-2, deepseek-llm, deepseek-coder, falcon, "
        "starcoder, refact, mpt, and their aliases)");
}

} // namespace

PreTokenizer PreTokenizer::forName(std::string_view preName) {
    return PreTokenizer(patternsFor(preName));
}

} // namespace wb::pretok
