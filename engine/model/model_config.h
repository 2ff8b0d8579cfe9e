#pragma once
// The hyperparameters of a decoder-only transformer, read strictly from GGUF metadata. Every value that
// later sizes memory or bounds a loop is checked here (non-zero, in int32 range, mutually consistent)
// and again against the tensor shapes in model_weights.cpp.
#include "engine/gguf/gguf_file.h"

#include <cstdint>
#include <string>

namespace wb {

struct ModelConfig {
    std::string architecture; // "llama" or "qwen2"
    std::string name;         // general.name, may be empty
    std::int32_t blockCount = 0;
    std::int32_t embeddingLength = 0;
    std::int32_t feedForwardLength = 0;
    std::int32_t headCount = 0;
    std::int32_t headCountKv = 0;
    std::int32_t headDim = 0;
    std::int32_t contextLength = 0; // trained context length
    std::int32_t vocabSize = 0;
    std::int32_t ropeDimensionCount = 0;
    float ropeFreqBase = 10000.0f;
    float rmsNormEps = 1e-5f;
    bool ropeNeox = false;           // rotate pairs (i, i + n/2) instead of (2i, 2i + 1)
    float ropeFreqScale = 1.0f;      // linear rope scaling: positions are multiplied by this
    bool hasRopeFreqs = false;       // Llama-3.1 style per-frequency divisors in rope_freqs.weight
    bool tiedOutput = false;         // no output.weight: the classifier is token_embd.weight
    bool hasAttentionBiases = false; // q/k/v biases (required for qwen2)

    std::int32_t queryDim() const { return headCount * headDim; }
    std::int32_t kvDim() const { return headCountKv * headDim; }
};

// Architectures the forward pass implements, for error messages.
inline constexpr const char* kSupportedArchitectures = "llama, qwen2";

// Reads and checks the metadata part of the configuration. Tensor-derived fields (vocabSize when the
// key is absent, hasRopeFreqs, tiedOutput, hasAttentionBiases) are filled in by resolveModelWeights.
// Throws std::runtime_error naming the file, the key and the value.
ModelConfig readModelConfig(const gguf::GgufFile& file);

} // namespace wb
