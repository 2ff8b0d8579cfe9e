#pragma once
// The shape of a synthetic model: architecture and dimensions, and the named presets that copy real models.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wb::synth {

enum class Architecture { Llama, Qwen2 };
std::string_view architectureName(Architecture arch); // "llama", "qwen2" (general.architecture)
std::optional<Architecture> architectureFromName(std::string_view name);

// Llama-3.x rope scaling, stored as a rope_freqs.weight tensor the way llama.cpp's converter does it.
struct Llama3RopeScaling {
    float factor = 8.0f;
    float lowFreqFactor = 1.0f;
    float highFreqFactor = 4.0f;
    std::uint32_t originalContext = 8192;
};

struct ModelShape {
    std::string name; // general.name
    Architecture arch = Architecture::Llama;
    std::uint32_t layers = 0;
    std::uint32_t embedding = 0;
    std::uint32_t feedForward = 0;
    std::uint32_t heads = 0;
    std::uint32_t kvHeads = 0;
    std::uint32_t vocab = 0;
    std::uint32_t context = 0;
    bool tiedEmbeddings = false;
    float ropeFreqBase = 10000.0f;
    float rmsNormEps = 1e-5f;
    std::optional<Llama3RopeScaling> ropeScaling;

    std::uint32_t headDim() const { return heads == 0 ? 0 : embedding / heads; }
    // Throws std::invalid_argument naming the first inconsistent dimension.
    void validate() const;
};

// Presets copy the published configs (Hugging Face config.json) of the models they are named after.
std::optional<ModelShape> findPreset(std::string_view name);
std::vector<std::string> presetNames();

} // namespace wb::synth
