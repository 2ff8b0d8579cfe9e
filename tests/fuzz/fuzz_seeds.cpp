// Writes the starting corpora of the fuzz harnesses (scripts/run-fuzzers.sh runs it; nothing it writes is
// committed): small generated models in several shapes and types, the real models that are small enough,
// every chat template and tokenizer test input found under the models directory.
//   fuzz_seeds OUTPUT_DIR [MODELS_DIR]
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/synth/synth_vocab.h"
#include "tests/model/tiny_model.h"

#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kLargestCopiedModel = 1200u << 10; // bigger files make every mutation slow

void writeBytes(const fs::path& path, const void* data, std::size_t size) {
    std::ofstream out(path, std::ios::binary);
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

void writeModelSeeds(const fs::path& dir) {
    using wb::test::TinyModelOptions;
    std::vector<std::pair<std::string, TinyModelOptions>> variants;
    variants.push_back({"llama", {}});
    TinyModelOptions qwen;
    qwen.architecture = "qwen2";
    variants.push_back({"qwen2", qwen});
    TinyModelOptions tied;
    tied.tiedOutput = true;
    tied.blocks = 1;
    variants.push_back({"llama-tied", tied});
    TinyModelOptions quantized;
    quantized.embedding = 32;
    quantized.feedForward = 64;
    quantized.blocks = 1;
    for (const auto* name : {"blk.0.attn_q.weight", "blk.0.ffn_up.weight", "output.weight"})
        quantized.types[name] = wb::GgmlType::Q8_0;
    for (const auto* name : {"blk.0.attn_k.weight", "blk.0.ffn_gate.weight"})
        quantized.types[name] = wb::GgmlType::Q4_0;
    quantized.types["blk.0.attn_v.weight"] = wb::GgmlType::F16;
    variants.push_back({"llama-quantized", quantized});
    for (const auto& [name, options] : variants) {
        auto writer = wb::test::makeTinyModel(options);
        const auto bytes = writer.toBytes();
        writeBytes(dir / ("tiny-" + name + ".gguf"), bytes.data(), bytes.size());
    }
}

std::vector<std::uint8_t> readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: fuzz_seeds OUTPUT_DIR [MODELS_DIR]\n";
        return 2;
    }
    try {
        const fs::path out = argv[1];
        for (const auto* harness : {"fuzz_gguf_model", "fuzz_tokenizer_text", "fuzz_tokenizer_vocab",
                                    "fuzz_chat_format"})
            fs::create_directories(out / harness);
        writeModelSeeds(out / "fuzz_gguf_model");

        // A vocabulary-only file and a few text seeds that every harness can start from.
        wb::gguf::GgufWriter vocab;
        for (auto& [key, value] : wb::synth::builtinByteVocabulary(300).keys)
            vocab.set(key, value);
        const auto vocabBytes = vocab.toBytes();
        writeBytes(out / "fuzz_gguf_model" / "builtin-vocab.gguf", vocabBytes.data(), vocabBytes.size());
        static constexpr char kText[] =
            "\x00\x03Hello world! <s> </s> 123 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80";
        const std::string text(kText, sizeof kText - 1); // the leading NUL is the vocabulary selector
        writeBytes(out / "fuzz_tokenizer_text" / "hello", text.data(), text.size());
        writeBytes(out / "fuzz_tokenizer_vocab" / "hello", text.data(), text.size());

        // The markers ChatFormat::detect looks for, one family per seed.
        const char* const templates[] = {
            "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}",
            "<|start_header_id|>{{ role }}<|end_header_id|>\n\n{{ content }}<|eot_id|>",
            "<start_of_turn>user\n{{ content }}<end_of_turn>\n",
            "[INST] <<SYS>>\n{{ system }}\n<</SYS>>\n\n{{ content }} [/INST]",
            "[INST] {{ content }} [/INST]",
            "<|user|>\n{{ content }}<|end|>\n<|assistant|>\n",
            "<|user|>\n{{ content }}</s>\n<|assistant|>\n",
            ""};
        int templateIndex = 0;
        for (const std::string jinja : templates)
            writeBytes(out / "fuzz_chat_format" / ("marker-" + std::to_string(templateIndex++)), jinja.data(),
                       jinja.size());

        if (argc >= 3) {
            std::vector<fs::path> files;
            for (const auto& entry : fs::recursive_directory_iterator(argv[2]))
                if (entry.is_regular_file()) files.push_back(entry.path());
            int index = 0;
            for (const auto& path : files) {
                const std::string name = path.filename().string();
                if (path.extension() == ".gguf") {
                    // Vocabulary-only files stop at the architecture check; they seed the tokenizer harness.
                    const bool vocabularyOnly = name.rfind("ggml-vocab-", 0) == 0;
                    if (!vocabularyOnly && fs::file_size(path) <= kLargestCopiedModel)
                        fs::copy_file(path, out / "fuzz_gguf_model" / name, fs::copy_options::overwrite_existing);
                    const auto file = wb::gguf::GgufFile::open(path.string());
                    if (const auto jinja = file.getString("tokenizer.chat_template"))
                        writeBytes(out / "fuzz_chat_format" / (name + ".jinja"), jinja->data(), jinja->size());
                } else if (path.extension() == ".inp") {
                    // Test inputs of the llama.cpp vocabularies, once per vocabulary slot and flag set.
                    auto bytes = readFile(path);
                    bytes.insert(bytes.begin(), {static_cast<std::uint8_t>(index), static_cast<std::uint8_t>(index)});
                    writeBytes(out / "fuzz_tokenizer_text" / name, bytes.data(), bytes.size());
                    ++index;
                }
            }
        }
    } catch (const std::exception& error) {
        std::cerr << "fuzz_seeds: " << error.what() << '\n';
        return 1;
    }
    return 0;
}
