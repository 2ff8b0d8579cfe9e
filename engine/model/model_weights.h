#pragma once
// Where each weight of the model lives inside the mapped GGUF file. Resolving checks every tensor the
// forward pass touches: present, the expected shape, a type the engine computes, aligned in memory.
// Nothing is copied: matrices and vectors point into the mapping.
#include "engine/gguf/gguf_file.h"
#include "engine/model/model_config.h"
#include "engine/tensor/weight_matrix.h"

#include <cstdint>
#include <span>
#include <vector>

namespace wb {

struct LayerWeights {
    std::span<const float> attnNorm;
    WeightMatrix attnQ, attnK, attnV, attnOutput;
    std::span<const float> qBias, kBias, vBias, outputBias; // empty when the file has none
    std::span<const float> ffnNorm;
    WeightMatrix ffnGate, ffnUp, ffnDown;
};

struct ModelWeights {
    WeightMatrix tokenEmbedding; // rows = vocabulary, cols = embedding
    std::vector<LayerWeights> layers;
    std::span<const float> outputNorm;
    WeightMatrix output;              // token_embd itself when the output is tied
    std::span<const float> ropeFreqs; // ropeDimensionCount / 2 divisors, or empty
    std::uint64_t byteSize = 0;       // bytes of all distinct tensors used
};

// Fills the tensor-derived fields of `config` (vocabSize, tiedOutput, hasRopeFreqs, hasAttentionBiases)
// and checks the hyperparameters against the shapes. Throws std::runtime_error naming the tensor.
ModelWeights resolveModelWeights(const gguf::GgufFile& file, ModelConfig& config);

} // namespace wb
