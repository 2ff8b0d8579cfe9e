#pragma once
// What a GGUF file says about its model, read tolerantly: missing keys are left at zero so that
// vocabulary-only and partial files can still be described. The loader validates strictly.
#include "engine/gguf/gguf_file.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace wb {

struct ModelHyperparameters {
    std::uint32_t blockCount = 0;
    std::uint32_t embeddingLength = 0;
    std::uint32_t feedForwardLength = 0;
    std::uint32_t headCount = 0;
    std::uint32_t headCountKv = 0;
    std::uint32_t contextLength = 0;
    std::uint32_t vocabSize = 0;
    std::uint32_t ropeDimensionCount = 0;
    double ropeFreqBase = 10000.0;
    std::string ropeScalingType; // "", "linear", "yarn", "llama3"...
    double ropeScalingFactor = 1.0;
    double rmsNormEps = 1e-5;
    bool hasRopeFreqs = false; // Llama-3.1 style rope_freqs.weight present
};

struct TypeTotal {
    std::uint64_t tensorCount = 0;
    std::uint64_t elementCount = 0;
    std::uint64_t byteSize = 0;
};

struct ModelInfo {
    std::string path;
    std::uint32_t ggufVersion = 0;
    std::uint64_t fileSize = 0;
    std::string architecture;
    std::string name;
    std::optional<std::uint32_t> fileType;
    std::string fileTypeName;
    std::uint64_t parameterCount = 0;
    std::uint64_t tensorBytes = 0;
    ModelHyperparameters hparams;
    std::string tokenizerModel;
    std::string tokenizerPre;
    std::string chatTemplate;
    std::map<std::string, TypeTotal> totalsByType; // keyed by ggml type name
};

// Reads the description of a parsed file. Never throws for missing keys.
ModelInfo describeModel(const gguf::GgufFile& file);

} // namespace wb
