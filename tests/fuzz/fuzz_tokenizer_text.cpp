// libFuzzer harness: random bytes as text through every real vocabulary (SPM, byte-level BPE with each
// pre-tokenizer, WordPiece). The first input byte picks the vocabulary, the second the flags; the rest is
// the text. Vocabularies come from $WB_MODELS_DIR (the llama.cpp vocab files and stories260K); without it
// the built-in byte-fallback vocabulary of engine/synth is used, so the harness always runs.
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/synth/synth_vocab.h"
#include "engine/tokenizer/tokenizer.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::vector<std::unique_ptr<wb::Tokenizer>> loadVocabularies() {
    std::vector<std::unique_ptr<wb::Tokenizer>> result;
    std::vector<std::filesystem::path> paths;
    if (const char* dir = std::getenv("WB_MODELS_DIR")) {
        std::error_code error;
        for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(dir) / "llama.cpp-vocab", error))
            if (entry.path().extension() == ".gguf") paths.push_back(entry.path());
        paths.push_back(std::filesystem::path(dir) / "stories260K.gguf");
    }
    std::sort(paths.begin(), paths.end()); // a stable order, so a crashing input reproduces
    for (const auto& path : paths) {
        try {
            result.push_back(wb::Tokenizer::fromGguf(wb::gguf::GgufFile::open(path.string())));
        } catch (const std::exception&) {
            // A vocabulary the tokenizer refuses is covered by its own tests; skip it here.
        }
    }
    wb::gguf::GgufWriter writer;
    for (auto& [key, value] : wb::synth::builtinByteVocabulary(300).keys)
        writer.set(key, value);
    static const std::vector<std::uint8_t> builtinBytes = writer.toBytes();
    result.push_back(wb::Tokenizer::fromGguf(wb::gguf::GgufFile::parse(builtinBytes, "builtin")));
    return result;
}

const std::vector<std::unique_ptr<wb::Tokenizer>>& vocabularies() {
    static const auto all = loadVocabularies();
    return all;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)vocabularies(); // load once, before the first input, so the timing of inputs is fair
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const auto& all = vocabularies();
    const wb::Tokenizer& tokenizer = *all[data[0] % all.size()];
    const bool addSpecial = (data[1] & 1) != 0;
    const bool parseSpecial = (data[1] & 2) != 0;
    const bool renderSpecial = (data[1] & 4) != 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);

    const auto ids = tokenizer.encode(text, addSpecial, parseSpecial);
    for (const auto id : ids)
        if (id < 0 || id >= tokenizer.vocabSize()) __builtin_trap();
    const std::string decoded = tokenizer.decode(ids, renderSpecial);

    // Streaming the pieces through the UTF-8 decoder must give back exactly the concatenated pieces.
    wb::Utf8StreamDecoder stream;
    std::string pieces, streamed;
    for (const auto id : ids) {
        const std::string piece = tokenizer.tokenToPiece(id, renderSpecial);
        pieces += piece;
        streamed += stream.push(piece);
    }
    streamed += stream.flush();
    if (streamed != pieces) __builtin_trap();
    (void)decoded;
    return 0;
}
