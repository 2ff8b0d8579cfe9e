#include "visualizer/core/model_arch.h"

#include "engine/gguf/gguf_file.h"
#include "engine/gguf/model_info.h"

#include <stdexcept>

namespace wb::sim {

double ModelArchitecture::attentionParamsPerLayer() const {
    const double q = double(hidden) * heads * headDim;
    const double kv = 2.0 * double(hidden) * kvHeads * headDim;
    const double o = double(heads) * headDim * hidden;
    return q + kv + o;
}
double ModelArchitecture::ffnParamsPerExpert() const { return 3.0 * double(hidden) * ffn; }
double ModelArchitecture::routerParamsPerLayer() const { return experts > 1 ? double(hidden) * experts : 0.0; }
double ModelArchitecture::paramsPerLayer() const {
    return attentionParamsPerLayer() + experts * ffnParamsPerExpert() + routerParamsPerLayer() + 2.0 * hidden;
}
double ModelArchitecture::activeParamsPerLayer() const {
    return attentionParamsPerLayer() + expertsPerToken * ffnParamsPerExpert() + routerParamsPerLayer() +
           2.0 * hidden;
}
double ModelArchitecture::embeddingParams() const { return double(vocab) * hidden; }
double ModelArchitecture::outputParams() const { return tiedEmbeddings ? 0.0 : double(vocab) * hidden; }
double ModelArchitecture::totalParams() const {
    return layers * paramsPerLayer() + embeddingParams() + outputParams() + hidden;
}
double ModelArchitecture::activeParams() const {
    // The embedding row lookup is one row, the output projection is a full matmul.
    return layers * activeParamsPerLayer() + double(vocab) * hidden;
}

void ModelArchitecture::validate() const {
    auto need = [&](std::uint32_t v, const char* field) {
        if (v == 0)
            throw std::invalid_argument("model '" + id + "': " + field + " is 0 (" + source +
                                        " does not describe a complete transformer)");
    };
    need(layers, "layer count");
    need(hidden, "embedding length");
    need(ffn, "feed-forward length");
    need(heads, "head count");
    need(kvHeads, "KV head count");
    need(headDim, "head dimension");
    need(vocab, "vocabulary size");
    if (heads % kvHeads != 0)
        throw std::invalid_argument("model '" + id + "': head count " + std::to_string(heads) +
                                    " is not a multiple of KV head count " + std::to_string(kvHeads));
    if (expertsPerToken == 0 || expertsPerToken > experts)
        throw std::invalid_argument("model '" + id + "': experts used per token must be 1.." +
                                    std::to_string(experts));
}

namespace {

struct Preset {
    const char* id;
    const char* name;
    std::uint32_t layers, hidden, ffn, heads, kvHeads, vocab, context, experts, expertsUsed;
    bool tied;
    const char* source;
};

// Shapes from each model's published config.json (Hugging Face model cards of the named repositories).
constexpr Preset kPresets[] = {
    {"llama-2-7b", "Llama-2-7B", 32, 4096, 11008, 32, 32, 32000, 4096, 1, 1, false,
     "config.json of meta-llama/Llama-2-7b-hf"},
    {"llama-2-13b", "Llama-2-13B", 40, 5120, 13824, 40, 40, 32000, 4096, 1, 1, false,
     "config.json of meta-llama/Llama-2-13b-hf"},
    {"llama-2-70b", "Llama-2-70B", 80, 8192, 28672, 64, 8, 32000, 4096, 1, 1, false,
     "config.json of meta-llama/Llama-2-70b-hf"},
    {"llama-3.1-8b", "Llama-3.1-8B", 32, 4096, 14336, 32, 8, 128256, 131072, 1, 1, false,
     "config.json of meta-llama/Llama-3.1-8B"},
    {"llama-3.1-70b", "Llama-3.1-70B", 80, 8192, 28672, 64, 8, 128256, 131072, 1, 1, false,
     "config.json of meta-llama/Llama-3.1-70B"},
    {"llama-3.1-405b", "Llama-3.1-405B", 126, 16384, 53248, 128, 8, 128256, 131072, 1, 1, false,
     "config.json of meta-llama/Llama-3.1-405B"},
    {"mixtral-8x7b", "Mixtral-8x7B", 32, 4096, 14336, 32, 8, 32000, 32768, 8, 2, false,
     "config.json of mistralai/Mixtral-8x7B-v0.1"},
    {"qwen2.5-0.5b", "Qwen2.5-0.5B", 24, 896, 4864, 14, 2, 151936, 32768, 1, 1, true,
     "config.json of Qwen/Qwen2.5-0.5B"},
    {"qwen2.5-7b", "Qwen2.5-7B", 28, 3584, 18944, 28, 4, 152064, 131072, 1, 1, false,
     "config.json of Qwen/Qwen2.5-7B"},
    {"qwen2.5-72b", "Qwen2.5-72B", 80, 8192, 29568, 64, 8, 152064, 131072, 1, 1, false,
     "config.json of Qwen/Qwen2.5-72B"},
    {"tinyllama-1.1b", "TinyLlama-1.1B", 22, 2048, 5632, 32, 4, 32000, 2048, 1, 1, false,
     "config.json of TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T"},
};

} // namespace

std::vector<std::string> modelPresetIds() {
    std::vector<std::string> ids;
    for (const auto& p : kPresets) ids.emplace_back(p.id);
    return ids;
}

ModelArchitecture modelPreset(const std::string& id) {
    for (const auto& p : kPresets) {
        if (id != p.id) continue;
        ModelArchitecture m;
        m.id = p.id;
        m.name = p.name;
        m.source = std::string("built-in preset (") + p.source + ")";
        m.layers = p.layers;
        m.hidden = p.hidden;
        m.ffn = p.ffn;
        m.heads = p.heads;
        m.kvHeads = p.kvHeads;
        m.headDim = p.hidden / p.heads;
        m.vocab = p.vocab;
        m.maxContext = p.context;
        m.experts = p.experts;
        m.expertsPerToken = p.expertsUsed;
        m.tiedEmbeddings = p.tied;
        m.validate();
        return m;
    }
    std::string known;
    for (const auto& k : modelPresetIds()) known += (known.empty() ? "" : ", ") + k;
    throw std::invalid_argument("unknown model preset '" + id + "' (presets: " + known + ")");
}

ModelArchitecture modelFromGguf(const std::string& path) {
    const auto file = gguf::GgufFile::open(path);
    const ModelInfo info = describeModel(file);
    const auto& hp = info.hparams;
    ModelArchitecture m;
    const auto slash = path.find_last_of('/');
    m.id = slash == std::string::npos ? path : path.substr(slash + 1);
    m.name = info.name.empty() ? m.id : info.name;
    m.source = "GGUF metadata of " + path;
    m.layers = hp.blockCount;
    m.hidden = hp.embeddingLength;
    m.ffn = hp.feedForwardLength;
    m.heads = hp.headCount;
    m.kvHeads = hp.headCountKv != 0 ? hp.headCountKv : hp.headCount;
    m.headDim = hp.headCount != 0 ? hp.embeddingLength / hp.headCount : 0;
    if (!info.architecture.empty()) {
        if (auto kd = file.getUInt(info.architecture + ".attention.key_length"); kd && *kd > 0)
            m.headDim = static_cast<std::uint32_t>(*kd);
        if (auto e = file.getUInt(info.architecture + ".expert_count"); e && *e > 1)
            m.experts = static_cast<std::uint32_t>(*e);
        if (auto u = file.getUInt(info.architecture + ".expert_used_count"); u && *u > 0 && m.experts > 1)
            m.expertsPerToken = static_cast<std::uint32_t>(*u);
    }
    m.vocab = hp.vocabSize;
    m.maxContext = hp.contextLength;
    // Without an output.weight tensor the output projection reuses the embedding table. Files with no
    // tensors at all (vocabulary-only) say nothing, so the untied Llama layout is assumed.
    m.tiedEmbeddings = !file.tensors().empty() && file.findTensor("output.weight") == nullptr;
    m.validate();
    return m;
}

ModelArchitecture resolveModel(const std::string& presetOrPath) {
    const bool looksLikeFile = presetOrPath.size() > 5 &&
                               presetOrPath.compare(presetOrPath.size() - 5, 5, ".gguf") == 0;
    if (looksLikeFile || presetOrPath.find('/') != std::string::npos) return modelFromGguf(presetOrPath);
    return modelPreset(presetOrPath);
}

} // namespace wb::sim
