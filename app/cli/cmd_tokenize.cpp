// iwb tokenize: text from standard input -> token ids, with the model's own tokenizer.
#include "cli_args.h"
#include "cli_command.h"

#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/tokenizer.h"

#include <iostream>
#include <iterator>
#include <sstream>

namespace wb::cli {
namespace {

// Non-printable bytes of a piece as \xNN so one piece stays on one line.
std::string printablePiece(const std::string& piece) {
    std::string out;
    for (const char c : piece) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) {
            char buffer[8];
            std::snprintf(buffer, sizeof buffer, "\\x%02X", byte);
            out += buffer;
        } else {
            out += c;
        }
    }
    return out;
}

int runTokenize(const std::vector<std::string>& args) {
    ArgParser parser("iwb tokenize", "-m MODEL [--bos] [--special] [--pieces]",
                     "Read UTF-8 text from standard input and print its token ids on one line, separated by "
                     "spaces. By default no BOS/EOS is added and special-token text is plain text.");
    parser.option("-m", "--model", "MODEL", "GGUF file whose tokenizer to use");
    parser.flag("", "--bos", "add BOS/EOS as the model's metadata asks (tokenizer.ggml.add_bos_token ...)");
    parser.flag("", "--special", "turn text such as <|im_start|> into the special token it names");
    parser.flag("", "--pieces", "print one token per line: id, then the piece it stands for");
    if (!parser.parse(args)) return kExitOk;
    const auto path = parser.optionalValue("--model");
    if (!path) throw UsageError("missing -m MODEL");
    requireFile(*path, "model file");

    const auto file = gguf::GgufFile::open(*path);
    const auto tokenizer = Tokenizer::fromGguf(file);
    const std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    const auto ids = tokenizer->encode(text, parser.has("--bos"), parser.has("--special"));

    std::ostringstream out;
    if (parser.has("--pieces")) {
        for (const TokenId id : ids)
            out << id << '\t' << printablePiece(tokenizer->tokenToPiece(id, true)) << '\n';
    } else {
        for (std::size_t k = 0; k < ids.size(); ++k)
            out << (k ? " " : "") << ids[k];
        out << '\n';
    }
    std::cout << out.str();
    return kExitOk;
}

const CommandRegistration registration{
    {"tokenize", "turn text from standard input into token ids with a model's tokenizer", runTokenize}};

} // namespace
} // namespace wb::cli
