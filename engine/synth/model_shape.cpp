#include "engine/synth/model_shape.h"

#include <stdexcept>

namespace wb::synth {
namespace {

struct Preset {
    std::string_view key;
    ModelShape shape;
};

ModelShape makeShape(std::string name, Architecture arch, std::uint32_t layers, std::uint32_t embedding,
                     std::uint32_t feedForward, std::uint32_t heads, std::uint32_t kvHeads,
                     std::uint32_t vocab, std::uint32_t context, bool tied, float ropeBase, float eps,
                     std::optional<Llama3RopeScaling> scaling = std::nullopt) {
    ModelShape shape;
    shape.name = std::move(name);
    shape.arch = arch;
    shape.layers = layers;
    shape.embedding = embedding;
    shape.feedForward = feedForward;
    shape.heads = heads;
    shape.kvHeads = kvHeads;
    shape.vocab = vocab;
    shape.context = context;
    shape.tiedEmbeddings = tied;
    shape.ropeFreqBase = ropeBase;
    shape.rmsNormEps = eps;
    shape.ropeScaling = scaling;
    return shape;
}

// Dimensions from each model's config.json on Hugging Face (HuggingFaceTB/SmolLM2-135M, Qwen/Qwen2.5-0.5B,
// TinyLlama/TinyLlama-1.1B-Chat-v1.0, meta-llama/Llama-3.2-1B, meta-llama/Llama-3.1-8B); llama-110m is
// karpathy's stories110M shape used by /work/shared/reference (dim 768, 12 layers, ffn 2048, tied, 32000
// vocab); stories260k-shape is /work/shared/models/stories260K.gguf's shape (its output is an untied copy).
const std::vector<Preset>& presets() {
    static const std::vector<Preset> table{
        {"smollm2-135m", makeShape("SmolLM2 135M (synthetic)", Architecture::Llama, 30, 576, 1536, 9, 3,
                                   49152, 8192, true, 100000.0f, 1e-5f)},
        {"qwen2.5-0.5b", makeShape("Qwen2.5 0.5B (synthetic)", Architecture::Qwen2, 24, 896, 4864, 14, 2,
                                   151936, 32768, true, 1000000.0f, 1e-6f)},
        {"tinyllama-1.1b", makeShape("TinyLlama 1.1B (synthetic)", Architecture::Llama, 22, 2048, 5632, 32, 4,
                                     32000, 2048, false, 10000.0f, 1e-5f)},
        {"llama-3.2-1b",
         makeShape("Llama 3.2 1B (synthetic)", Architecture::Llama, 16, 2048, 8192, 32, 8, 128256, 131072,
                   true, 500000.0f, 1e-5f, Llama3RopeScaling{32.0f, 1.0f, 4.0f, 8192})},
        {"llama-3.1-8b",
         makeShape("Llama 3.1 8B (synthetic)", Architecture::Llama, 32, 4096, 14336, 32, 8, 128256, 131072,
                   false, 500000.0f, 1e-5f, Llama3RopeScaling{8.0f, 1.0f, 4.0f, 8192})},
        {"llama-110m", makeShape("Llama 110M (synthetic)", Architecture::Llama, 12, 768, 2048, 12, 12, 32000,
                                 1024, true, 10000.0f, 1e-5f)},
        {"stories260k-shape", makeShape("stories260K shape (synthetic)", Architecture::Llama, 5, 64, 172, 8,
                                        4, 512, 2048, false, 10000.0f, 1e-5f)},
    };
    return table;
}

} // namespace

std::string_view architectureName(Architecture arch) {
    return arch == Architecture::Qwen2 ? "qwen2" : "llama";
}

std::optional<Architecture> architectureFromName(std::string_view name) {
    if (name == "llama") return Architecture::Llama;
    if (name == "qwen2") return Architecture::Qwen2;
    return std::nullopt;
}

void ModelShape::validate() const {
    auto require = [](bool ok, const std::string& problem) {
        if (!ok) throw std::invalid_argument("model shape: " + problem);
    };
    require(layers >= 1 && layers <= 1024, "layers must be 1..1024, got " + std::to_string(layers));
    require(embedding >= 1 && embedding <= 65536,
            "embedding length must be 1..65536, got " + std::to_string(embedding));
    require(feedForward >= 1 && feedForward <= 262144,
            "feed-forward length must be 1..262144, got " + std::to_string(feedForward));
    require(heads >= 1, "head count must be at least 1");
    require(embedding % heads == 0, "embedding length " + std::to_string(embedding) +
                                        " is not a multiple of the head count " + std::to_string(heads));
    require(headDim() % 2 == 0,
            "head dimension " + std::to_string(headDim()) + " must be even (rope rotates pairs)");
    require(kvHeads >= 1 && heads % kvHeads == 0, "KV head count " + std::to_string(kvHeads) +
                                                      " must divide the head count " + std::to_string(heads));
    require(vocab >= 1 && vocab <= 4000000,
            "vocabulary size must be 1..4000000, got " + std::to_string(vocab));
    require(context >= 1, "context length must be at least 1");
    require(ropeFreqBase > 0.0f, "rope frequency base must be positive");
    require(rmsNormEps > 0.0f, "RMS norm epsilon must be positive");
}

std::optional<ModelShape> findPreset(std::string_view name) {
    for (const auto& preset : presets())
        if (preset.key == name) return preset.shape;
    return std::nullopt;
}

std::vector<std::string> presetNames() {
    std::vector<std::string> names;
    for (const auto& preset : presets())
        names.emplace_back(preset.key);
    return names;
}

} // namespace wb::synth
