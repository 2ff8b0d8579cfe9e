// iwb quantize: convert a GGUF model to another tensor type (or llama.cpp's K-quant mixes).
#include "cli_args.h"
#include "cli_command.h"

#include "engine/synth/model_quantizer.h"

#include <cstdio>

namespace wb::cli {
namespace {

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "" : ", ") + item;
    return out;
}

int runQuantize(const std::vector<std::string>& args) {
    ArgParser parser(
        "iwb quantize", "IN OUT TYPE [--pure] [--quiet]",
        "Convert every 2-D weight of a GGUF model to TYPE; norms, biases and rope_freqs are copied.\n"
        "Without --pure, quantized types follow llama-quantize's per-tensor mix (output.weight Q6_K;\n"
        "for Q4_K_M/Q5_K_M attn_v and ffn_down Q6_K on the first and last eighth of the layers and on\n"
        "every third layer between). Rows that do not fit a block size fall back (Q4_K->Q5_0,\n"
        "Q5_K->Q5_1, Q6_K->Q8_0, Q2_K/Q3_K->Q4_0, then F16).\nTypes: " +
            joined(synth::quantTargetNames()) + ".");
    parser.positional("IN", "GGUF model to read (any type this engine can dequantize)");
    parser.positional("OUT", "GGUF file to write (written to OUT.partial, then renamed)");
    parser.positional("TYPE", "target type");
    parser.flag("", "--pure", "every 2-D weight in TYPE, no per-tensor mix");
    parser.flag("-q", "--quiet", "print only the summary line");
    if (!parser.parse(args)) return kExitOk;

    const std::string input = parser.positionalValue(0);
    const std::string output = parser.positionalValue(1);
    const std::string typeName = parser.positionalValue(2);
    const auto target = synth::parseQuantTarget(typeName);
    if (!target)
        throw UsageError("unknown type '" + typeName + "' (known: " + joined(synth::quantTargetNames()) +
                         ")");
    requireFile(input, "input model");

    synth::QuantizeOptions options;
    options.target = *target;
    options.pure = parser.has("--pure");
    const synth::QuantizeReport report = synth::quantizeModel(input, output, options);
    if (!parser.has("--quiet")) {
        for (const auto& tensor : report.tensors) {
            std::printf("%-32s %-6s -> %-6s %12llu -> %12llu bytes%s%s\n", tensor.name.c_str(),
                        std::string(ggmlTypeName(tensor.from)).c_str(),
                        std::string(ggmlTypeName(tensor.to)).c_str(),
                        static_cast<unsigned long long>(tensor.bytesIn),
                        static_cast<unsigned long long>(tensor.bytesOut), tensor.copied ? "  (copied)" : "",
                        tensor.fallback.empty() ? "" : ("  fallback: " + tensor.fallback).c_str());
        }
    }
    std::printf("wrote %s: %s, %.2f MiB -> %.2f MiB, %.2f s\n", output.c_str(), target->name.c_str(),
                double(report.inputFileBytes) / (1 << 20), double(report.outputFileBytes) / (1 << 20),
                report.seconds);
    return kExitOk;
}

const CommandRegistration registration{
    {"quantize", "convert a GGUF model to another tensor type or K-quant mix", runQuantize}};

} // namespace
} // namespace wb::cli
