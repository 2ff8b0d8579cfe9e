// iwb synth: write a GGUF model with a real architecture and random weights.
#include "cli_args.h"
#include "cli_command.h"

#include "engine/synth/synth_model.h"

#include <cstdio>
#include <iostream>

namespace wb::cli {
namespace {

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "" : ", ") + item;
    return out;
}

std::uint32_t dimension(const ArgParser& parser, const std::string& flag, std::uint32_t current,
                        long long max) {
    if (!parser.has(flag)) return current;
    return static_cast<std::uint32_t>(parser.integer(flag, 1, max));
}

int runSynth(const std::vector<std::string>& args) {
    ArgParser parser(
        "iwb synth",
        "(--preset NAME | --layers N --embd N --ffn N --heads N ...) -o FILE [--type TYPE] [--seed N]",
        "Write a GGUF model with a real architecture and random weights (timings are real, text is noise).\n"
        "Presets: " +
            joined(synth::presetNames()) + ".\nExplicit dimensions override the preset's.");
    parser.option("", "--preset", "NAME", "start from a named model shape");
    parser.option("", "--arch", "ARCH", "llama or qwen2 (without a preset: llama)");
    parser.option("", "--layers", "N", "number of transformer blocks");
    parser.option("", "--embd", "N", "embedding length");
    parser.option("", "--ffn", "N", "feed-forward length");
    parser.option("", "--heads", "N", "attention heads");
    parser.option("", "--kv-heads", "N", "key/value heads (default: --heads)");
    parser.option("", "--vocab", "N", "vocabulary size (built-in byte vocabulary padded to N; at least 259)");
    parser.option("", "--ctx", "N", "context length (default 2048)");
    parser.option("", "--rope-base", "F", "rope frequency base");
    parser.flag("", "--tied", "tie the output matrix to token_embd (no output.weight)");
    parser.flag("", "--untied", "write a separate output.weight even if the preset ties it");
    parser.option("-t", "--type", "TYPE", "tensor type: " + joined(synth::quantTargetNames()), "f16");
    parser.flag("", "--mix",
                "use llama-quantize's per-tensor mix for single-type targets (e.g. Q6_K output)");
    parser.option("", "--seed", "N", "random seed; the same seed gives a byte-identical file", "1");
    parser.option("", "--vocab-from", "FILE", "copy the tokenizer.* keys (and vocab size) from this GGUF");
    parser.option("", "--name", "TEXT", "general.name");
    parser.flag("", "--random-weights-label",
                "write general.description \"" + std::string(synth::kRandomWeightsDescription) + "\"");
    parser.flag("", "--dry-run", "print the tensor table and size, write nothing");
    parser.option("-o", "--output", "FILE", "where to write the .gguf");
    if (!parser.parse(args)) return kExitOk;

    synth::SynthOptions options;
    synth::ModelShape& shape = options.shape;
    if (const auto preset = parser.optionalValue("--preset")) {
        const auto found = synth::findPreset(*preset);
        if (!found)
            throw UsageError("unknown preset '" + *preset + "' (known: " + joined(synth::presetNames()) +
                             ")");
        shape = *found;
    } else {
        for (const char* flag : {"--layers", "--embd", "--ffn", "--heads"})
            if (!parser.has(flag))
                throw UsageError(std::string("without --preset, ") + flag + " is required");
        shape.name = "synthetic";
        shape.context = 2048;
        shape.vocab = 512;
    }
    if (const auto arch = parser.optionalValue("--arch")) {
        const auto parsed = synth::architectureFromName(*arch);
        if (!parsed) throw UsageError("unknown architecture '" + *arch + "' (known: llama, qwen2)");
        shape.arch = *parsed;
    }
    shape.layers = dimension(parser, "--layers", shape.layers, 1024);
    shape.embedding = dimension(parser, "--embd", shape.embedding, 65536);
    shape.feedForward = dimension(parser, "--ffn", shape.feedForward, 262144);
    shape.heads = dimension(parser, "--heads", shape.heads, 4096);
    shape.kvHeads = dimension(parser, "--kv-heads", shape.kvHeads == 0 ? shape.heads : shape.kvHeads, 4096);
    shape.vocab = dimension(parser, "--vocab", shape.vocab, 4000000);
    shape.context = dimension(parser, "--ctx", shape.context, 1ll << 24);
    if (parser.has("--rope-base"))
        shape.ropeFreqBase = static_cast<float>(parser.real("--rope-base", 1.0, 1e9));
    if (parser.has("--tied") && parser.has("--untied"))
        throw UsageError("--tied and --untied exclude each other");
    if (parser.has("--tied")) shape.tiedEmbeddings = true;
    if (parser.has("--untied")) shape.tiedEmbeddings = false;
    if (const auto name = parser.optionalValue("--name")) shape.name = *name;

    const std::string typeName = parser.value("--type");
    const auto target = synth::parseQuantTarget(typeName);
    if (!target)
        throw UsageError("unknown type '" + typeName + "' (known: " + joined(synth::quantTargetNames()) +
                         ")");
    options.target = *target;
    options.mix = parser.has("--mix");
    options.seed = static_cast<std::uint64_t>(parser.integer("--seed", 0, (1ll << 62)));
    if (const auto vocab = parser.optionalValue("--vocab-from")) {
        requireFile(*vocab, "vocabulary file");
        options.vocabFrom = *vocab;
    }
    if (parser.has("--random-weights-label")) options.description = synth::kRandomWeightsDescription;

    if (parser.has("--dry-run")) {
        const synth::SynthPlan plan = synth::planSyntheticModel(options);
        std::printf("%-28s %-8s %-18s %14s\n", "tensor", "type", "shape", "bytes");
        for (const auto& tensor : plan.tensors) {
            std::string shapeText = "[";
            for (std::size_t d = 0; d < tensor.ne.size(); ++d)
                shapeText += (d ? ", " : "") + std::to_string(tensor.ne[d]);
            shapeText += "]";
            std::printf("%-28s %-8s %-18s %14llu%s%s\n", tensor.name.c_str(),
                        std::string(ggmlTypeName(tensor.type)).c_str(), shapeText.c_str(),
                        static_cast<unsigned long long>(tensor.bytes), tensor.fallback.empty() ? "" : "  ",
                        tensor.fallback.c_str());
        }
        std::printf("%zu tensors, %llu parameters, file %llu bytes (%.1f MiB)\n", plan.tensors.size(),
                    static_cast<unsigned long long>(plan.parameterCount),
                    static_cast<unsigned long long>(plan.fileBytes), double(plan.fileBytes) / (1 << 20));
        return kExitOk;
    }
    const auto output = parser.optionalValue("--output");
    if (!output) throw UsageError("missing -o FILE (or use --dry-run)");
    const synth::SynthResult result = synth::writeSyntheticModel(options, *output);
    for (const auto& tensor : result.plan.tensors)
        if (!tensor.fallback.empty())
            std::fprintf(stderr, "note: %s: %s\n", tensor.name.c_str(), tensor.fallback.c_str());
    std::printf("wrote %s: %.1f MiB, %llu parameters, %s, %.2f s\n", output->c_str(),
                double(result.plan.fileBytes) / (1 << 20),
                static_cast<unsigned long long>(result.plan.parameterCount), options.target.name.c_str(),
                result.seconds);
    return kExitOk;
}

const CommandRegistration registration{
    {"synth", "write a GGUF model with a real architecture and random weights", runSynth}};

} // namespace
} // namespace wb::cli
