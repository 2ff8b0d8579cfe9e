// libFuzzer harness: random vocabulary metadata (tokenizer.ggml.*) written with GgufWriter, read back,
// built with Tokenizer::fromGguf and exercised with encode/decode. Arrays may disagree in length, ids may
// point anywhere, merges may name tokens that do not exist, scores may be NaN: the tokenizer must refuse
// with an exception or work, never crash, hang or read out of bounds.
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/tokenizer/tokenizer.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

namespace {

// Names from llama.cpp (src/llama-vocab.cpp) so that the known pre-tokenizers are reached often.
const char* const kModels[] = {"llama", "gpt2", "bert", "none", "t5"};
const char* const kPreTokenizers[] = {"default", "llama3",   "llama-bpe", "deepseek-llm", "deepseek-coder",
                                      "falcon",  "mpt",      "starcoder", "gpt-2",        "refact",
                                      "qwen2",   "gpt-neox", "phi-2",     "olmo",         "dbrx"};

std::string token(FuzzedDataProvider& input, const std::vector<std::string>& tokens) {
    // Mostly existing tokens (so merges and special markers connect), sometimes anything.
    if (!tokens.empty() && input.ConsumeIntegralInRange<int>(0, 3) != 0)
        return tokens[input.ConsumeIntegralInRange<std::size_t>(0, tokens.size() - 1)];
    return input.ConsumeRandomLengthString(12);
}

std::uint32_t tokenId(FuzzedDataProvider& input, std::size_t tokenCount) {
    if (input.ConsumeIntegralInRange<int>(0, 7) == 0) return input.ConsumeIntegral<std::uint32_t>();
    return input.ConsumeIntegralInRange<std::uint32_t>(0, static_cast<std::uint32_t>(tokenCount));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    wb::gguf::GgufWriter writer;
    const std::uint8_t present = input.ConsumeIntegral<std::uint8_t>(); // which optional keys to write

    writer.setString("tokenizer.ggml.model", input.ConsumeBool()
                                                 ? std::string(kModels[input.ConsumeIntegralInRange(0, 4)])
                                                 : input.ConsumeRandomLengthString(8));
    if (present & 1)
        writer.setString("tokenizer.ggml.pre", input.ConsumeBool()
                                                   ? std::string(kPreTokenizers[input.ConsumeIntegralInRange(0, 14)])
                                                   : input.ConsumeRandomLengthString(16));

    std::vector<std::string> tokens(input.ConsumeIntegralInRange<std::size_t>(0, 400));
    for (auto& text : tokens)
        text = input.ConsumeBool() ? std::string(1, static_cast<char>(input.ConsumeIntegral<std::uint8_t>()))
                                   : input.ConsumeRandomLengthString(10);
    writer.setStringArray("tokenizer.ggml.tokens", tokens);

    // Lengths that usually match the token list, sometimes not.
    const auto arrayLength = [&] {
        return input.ConsumeIntegralInRange<int>(0, 7) == 0 ? input.ConsumeIntegralInRange<std::size_t>(0, 500)
                                                             : tokens.size();
    };
    if (present & 2) {
        std::vector<float> scores(arrayLength());
        for (auto& score : scores)
            score = input.ConsumeFloatingPoint<float>();
        writer.setFloat32Array("tokenizer.ggml.scores", scores);
    }
    if (present & 4) {
        std::vector<std::int32_t> types(arrayLength());
        for (auto& type : types)
            type = input.ConsumeIntegralInRange<int>(0, 15) == 0 ? input.ConsumeIntegral<std::int32_t>()
                                                                 : input.ConsumeIntegralInRange<std::int32_t>(0, 6);
        writer.setInt32Array("tokenizer.ggml.token_type", types);
    }
    if (present & 8) {
        std::vector<std::string> merges(input.ConsumeIntegralInRange<std::size_t>(0, 300));
        for (auto& merge : merges)
            merge = input.ConsumeIntegralInRange<int>(0, 15) == 0
                        ? input.ConsumeRandomLengthString(12)
                        : token(input, tokens) + " " + token(input, tokens);
        writer.setStringArray("tokenizer.ggml.merges", merges);
    }
    if (present & 16) {
        writer.setUInt32("tokenizer.ggml.bos_token_id", tokenId(input, tokens.size()));
        writer.setUInt32("tokenizer.ggml.eos_token_id", tokenId(input, tokens.size()));
    }
    if (present & 32) {
        writer.setUInt32("tokenizer.ggml.unknown_token_id", tokenId(input, tokens.size()));
        writer.setUInt32("tokenizer.ggml.padding_token_id", tokenId(input, tokens.size()));
        writer.setUInt32("tokenizer.ggml.eot_token_id", tokenId(input, tokens.size()));
    }
    if (present & 64) {
        writer.setBool("tokenizer.ggml.add_bos_token", input.ConsumeBool());
        writer.setBool("tokenizer.ggml.add_eos_token", input.ConsumeBool());
        writer.setBool("tokenizer.ggml.add_space_prefix", input.ConsumeBool());
    }
    if (present & 128) writer.setUInt32("tokenizer.ggml.bos_token_id", input.ConsumeIntegral<std::uint32_t>());

    const std::string text = input.ConsumeRandomLengthString(256);
    const std::vector<std::uint8_t> bytes = writer.toBytes();
    std::unique_ptr<wb::Tokenizer> tokenizer;
    try {
        tokenizer = wb::Tokenizer::fromGguf(wb::gguf::GgufFile::parse(bytes, "fuzz-vocab.gguf"));
    } catch (const std::exception&) {
        return 0; // refused with a message
    }
    if (tokenizer->vocabSize() != static_cast<std::int32_t>(tokens.size())) __builtin_trap();
    for (const bool parseSpecial : {false, true}) {
        const auto ids = tokenizer->encode(text, true, parseSpecial);
        for (const auto id : ids)
            if (id < 0 || id >= tokenizer->vocabSize()) __builtin_trap();
        (void)tokenizer->decode(ids, parseSpecial);
    }
    for (wb::TokenId id = 0; id < tokenizer->vocabSize(); ++id) {
        (void)tokenizer->tokenToPiece(id, true);
        (void)tokenizer->tokenType(id);
        (void)tokenizer->isEndOfGeneration(id);
    }
    for (const wb::TokenId id : {-1, tokenizer->vocabSize(), tokenizer->bos(), tokenizer->eos()}) {
        try {
            (void)tokenizer->tokenToPiece(id);
        } catch (const std::out_of_range&) {
            if (id >= 0 && id < tokenizer->vocabSize()) __builtin_trap();
        }
    }
    return 0;
}
