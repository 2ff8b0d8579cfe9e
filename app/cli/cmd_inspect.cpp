// iwb inspect: what is inside a GGUF file.
#include "cli_args.h"
#include "cli_command.h"

#include "engine/gguf/gguf_file.h"
#include "engine/gguf/model_info.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace wb::cli {
namespace {

std::string humanBytes(std::uint64_t bytes) {
    char buffer[32];
    if (bytes >= (1ull << 30)) std::snprintf(buffer, sizeof buffer, "%.2f GiB", double(bytes) / double(1ull << 30));
    else if (bytes >= (1ull << 20)) std::snprintf(buffer, sizeof buffer, "%.2f MiB", double(bytes) / double(1ull << 20));
    else if (bytes >= 1024) std::snprintf(buffer, sizeof buffer, "%.1f KiB", double(bytes) / 1024.0);
    else std::snprintf(buffer, sizeof buffer, "%llu B", static_cast<unsigned long long>(bytes));
    return buffer;
}

nlohmann::json valueToJson(const gguf::Value& value) {
    if (const auto* array = value.array()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& item : array->items) out.push_back(valueToJson(item));
        return out;
    }
    if (const auto* text = value.string()) return *text;
    if (const auto flag = value.toBool()) return *flag;
    if (value.isInteger()) {
        if (const auto u = value.toUInt()) return *u;
        return *value.toInt();
    }
    return *value.toDouble();
}

nlohmann::json inspectJson(const gguf::GgufFile& file, const ModelInfo& info, bool fullMetadata) {
    const auto& hp = info.hparams;
    nlohmann::json out;
    out["path"] = info.path;
    out["gguf_version"] = info.ggufVersion;
    out["file_size"] = info.fileSize;
    out["architecture"] = info.architecture;
    out["name"] = info.name;
    out["parameter_count"] = info.parameterCount;
    out["tensor_count"] = file.tensors().size();
    out["tensor_bytes"] = info.tensorBytes;
    out["file_type"] = info.fileType ? nlohmann::json(*info.fileType) : nlohmann::json();
    out["file_type_name"] = info.fileTypeName;
    out["hyperparameters"] = {
        {"block_count", hp.blockCount},
        {"embedding_length", hp.embeddingLength},
        {"feed_forward_length", hp.feedForwardLength},
        {"head_count", hp.headCount},
        {"head_count_kv", hp.headCountKv},
        {"context_length", hp.contextLength},
        {"vocab_size", hp.vocabSize},
        {"rope_dimension_count", hp.ropeDimensionCount},
        {"rope_freq_base", hp.ropeFreqBase},
        {"rope_scaling_type", hp.ropeScalingType},
        {"rope_scaling_factor", hp.ropeScalingFactor},
        {"rope_freqs_tensor", hp.hasRopeFreqs},
        {"rms_norm_eps", hp.rmsNormEps},
    };
    out["tokenizer"] = {{"model", info.tokenizerModel}, {"pre", info.tokenizerPre}, {"vocab_size", hp.vocabSize},
                        {"has_chat_template", !info.chatTemplate.empty()}};
    nlohmann::json tensors = nlohmann::json::array();
    for (const auto& tensor : file.tensors()) {
        nlohmann::json shape = nlohmann::json::array();
        for (std::uint32_t d = 0; d < tensor.nDims; ++d) shape.push_back(tensor.ne[d]);
        tensors.push_back({{"name", tensor.name},
                           {"type", std::string(ggmlTypeName(tensor.type))},
                           {"shape", shape},
                           {"bytes", tensor.byteSize},
                           {"offset", file.dataOffset() + tensor.offset}});
    }
    out["tensors"] = std::move(tensors);
    nlohmann::json totals = nlohmann::json::object();
    for (const auto& [type, total] : info.totalsByType)
        totals[type] = {{"tensors", total.tensorCount}, {"elements", total.elementCount}, {"bytes", total.byteSize}};
    out["totals_by_type"] = std::move(totals);
    nlohmann::json metadata = nlohmann::json::object();
    for (const auto& kv : file.metadata()) {
        const auto* array = kv.value.array();
        if (!fullMetadata && array != nullptr && array->items.size() > 64) {
            metadata[kv.key] = {{"array_of", std::string(gguf::valueTypeName(array->elementType))},
                                {"count", array->items.size()}};
        } else {
            metadata[kv.key] = valueToJson(kv.value);
        }
    }
    out["metadata"] = std::move(metadata);
    return out;
}

void printText(const gguf::GgufFile& file, const ModelInfo& info, bool showAllTensors) {
    const auto& hp = info.hparams;
    std::printf("file            %s (%s, GGUF v%u)\n", info.path.c_str(), humanBytes(info.fileSize).c_str(),
                info.ggufVersion);
    std::printf("architecture    %s\n", info.architecture.empty() ? "(none)" : info.architecture.c_str());
    std::printf("name            %s\n", info.name.empty() ? "(none)" : info.name.c_str());
    std::printf("parameters      %llu (%s of tensor data)\n", static_cast<unsigned long long>(info.parameterCount),
                humanBytes(info.tensorBytes).c_str());
    std::printf("file type       %s\n", info.fileType ? (std::to_string(*info.fileType) + " (" + info.fileTypeName + ")").c_str() : "(not set)");
    std::printf("\nhyperparameters\n");
    std::printf("  layers               %u\n", hp.blockCount);
    std::printf("  embedding length     %u\n", hp.embeddingLength);
    std::printf("  feed-forward length  %u\n", hp.feedForwardLength);
    std::printf("  heads / KV heads     %u / %u\n", hp.headCount, hp.headCountKv);
    std::printf("  context length       %u\n", hp.contextLength);
    std::printf("  rope                 dims %u, base %g%s%s\n", hp.ropeDimensionCount, hp.ropeFreqBase,
                hp.ropeScalingType.empty() ? "" : (", scaling " + hp.ropeScalingType).c_str(),
                hp.hasRopeFreqs ? ", rope_freqs tensor (Llama-3.1 scaling)" : "");
    std::printf("  RMS norm epsilon     %g\n", hp.rmsNormEps);
    std::printf("\ntokenizer       %s%s, %u tokens%s\n", info.tokenizerModel.empty() ? "(none)" : info.tokenizerModel.c_str(),
                info.tokenizerPre.empty() ? "" : (" / pre " + info.tokenizerPre).c_str(), hp.vocabSize,
                info.chatTemplate.empty() ? "" : ", chat template");

    std::printf("\ntensors (%zu)\n", file.tensors().size());
    std::printf("  %-36s %-8s %-22s %12s\n", "name", "type", "shape", "bytes");
    const std::size_t limit = showAllTensors ? file.tensors().size() : std::min<std::size_t>(file.tensors().size(), 40);
    for (std::size_t k = 0; k < limit; ++k) {
        const auto& tensor = file.tensors()[k];
        std::printf("  %-36s %-8s %-22s %12llu\n", tensor.name.c_str(), std::string(ggmlTypeName(tensor.type)).c_str(),
                    tensor.shapeString().c_str(), static_cast<unsigned long long>(tensor.byteSize));
    }
    if (limit < file.tensors().size())
        std::printf("  ... %zu more (use --all to list every tensor)\n", file.tensors().size() - limit);
    std::printf("\ntotals by type\n");
    for (const auto& [type, total] : info.totalsByType)
        std::printf("  %-8s %5llu tensors %14llu elements %12s\n", type.c_str(),
                    static_cast<unsigned long long>(total.tensorCount),
                    static_cast<unsigned long long>(total.elementCount), humanBytes(total.byteSize).c_str());
}

int runInspect(const std::vector<std::string>& args) {
    ArgParser parser("iwb inspect", "MODEL [--json] [--all] [--metadata]",
                     "Print what a GGUF file holds: architecture, hyperparameters, tokenizer, tensors.");
    parser.positional("MODEL", "path of a .gguf file");
    parser.flag("", "--json", "print one JSON object instead of text");
    parser.flag("", "--all", "list every tensor (text mode lists the first 40)");
    parser.flag("", "--metadata", "in JSON, include large arrays (vocabularies) in full");
    if (!parser.parse(args)) return kExitOk;
    const std::string path = parser.positionalValue(0);
    requireFile(path, "model file");
    const auto file = gguf::GgufFile::open(path);
    const ModelInfo info = describeModel(file);
    if (parser.has("--json")) std::cout << inspectJson(file, info, parser.has("--metadata")).dump(2) << "\n";
    else printText(file, info, parser.has("--all"));
    return kExitOk;
}

const CommandRegistration registration{
    {"inspect", "show what a GGUF model file holds (metadata, hyperparameters, tensors)", runInspect}};

} // namespace
} // namespace wb::cli
