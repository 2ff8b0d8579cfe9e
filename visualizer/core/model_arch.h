#pragma once
// A model as an architecture (shapes only, no weights): from built-in presets or a GGUF file's metadata.
#include <cstdint>
#include <string>
#include <vector>

namespace wb::sim {

struct ModelArchitecture {
    std::string id;     // lower-case preset id, or the file name
    std::string name;   // display name
    std::string source; // where the shapes come from
    std::uint32_t layers = 0;
    std::uint32_t hidden = 0;
    std::uint32_t ffn = 0; // per expert
    std::uint32_t heads = 0;
    std::uint32_t kvHeads = 0;
    std::uint32_t headDim = 0;
    std::uint32_t vocab = 0;
    std::uint32_t maxContext = 0;
    std::uint32_t experts = 1;         // MoE experts per layer (1 = dense)
    std::uint32_t expertsPerToken = 1; // active experts per token
    bool tiedEmbeddings = false;       // output projection shares the embedding table

    // Element counts (parameters).
    double attentionParamsPerLayer() const; // Wq, Wk, Wv, Wo
    double ffnParamsPerExpert() const;      // gate, up, down
    double routerParamsPerLayer() const;
    double paramsPerLayer() const;          // all experts
    double activeParamsPerLayer() const;    // experts used per token
    double embeddingParams() const;
    double outputParams() const;            // 0 when tied
    double totalParams() const;
    double activeParams() const;            // per token
    // K and V elements one token adds to the cache, all layers.
    double kvElementsPerToken() const { return 2.0 * layers * kvHeads * headDim; }

    void validate() const; // throws std::invalid_argument naming the bad field
};

std::vector<std::string> modelPresetIds();
// Throws std::invalid_argument listing the known ids.
ModelArchitecture modelPreset(const std::string& id);
// Reads the architecture metadata of a GGUF (vocabulary-only files carry full hyperparameters).
ModelArchitecture modelFromGguf(const std::string& path);
// A preset id, or a path ending in .gguf.
ModelArchitecture resolveModel(const std::string& presetOrPath);

} // namespace wb::sim
