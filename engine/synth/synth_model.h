#pragma once
// Synthetic GGUF models: real architectures (llama, qwen2) with random weights, written the way llama.cpp's
// converter and llama-quantize write them, so both llama.cpp and this engine load them. Timings measured on
// such files are real; generated text is noise. Used by `iwb synth` and by the desktop app's demo model.
#include "engine/gguf/ggml_types.h"
#include "engine/synth/model_shape.h"
#include "engine/synth/quant_target.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace wb::synth {

inline constexpr const char* kRandomWeightsDescription = "random weights — timings are real, text is noise";

struct SynthOptions {
    ModelShape shape;
    QuantTarget target{"f32", GgmlType::F32, 0};
    // Single-type targets (q4_0, q8_0, q4_k, ...) are written pure, every matrix in that type, like the
    // reference benchmark files. `mix` applies llama-quantize's default per-tensor rule instead (Q6_K
    // output...). The _M/_S targets always use their mix.
    bool mix = false;
    std::uint64_t seed = 1;
    std::string vocabFrom;   // GGUF whose tokenizer.* keys are copied (and whose token count sets the vocab)
    std::string description; // general.description; empty: not written
    float weightStddev = 0.02f;
    // Called after each tensor is generated, from the writing thread.
    std::function<void(std::uint64_t bytesDone, std::uint64_t bytesTotal)> progress;
};

struct PlannedTensor {
    std::string name;
    GgmlType type = GgmlType::F32;
    std::vector<std::uint64_t> ne; // ggml order
    std::uint64_t elements = 0;
    std::uint64_t bytes = 0;
    std::string fallback; // why the preferred type was replaced, or empty
};

struct SynthPlan {
    ModelShape shape; // with the vocabulary size actually used
    std::vector<PlannedTensor> tensors;
    std::uint64_t parameterCount = 0;
    std::uint64_t tensorBytes = 0;
    std::uint64_t fileBytes = 0; // exact size of the file writeSyntheticModel produces
};

// The tensor table and file size without generating any weight (reads --vocab-from's file if given).
// Throws std::invalid_argument for an inconsistent shape and std::runtime_error for an unreadable vocab file.
SynthPlan planSyntheticModel(const SynthOptions& options);

struct SynthResult {
    SynthPlan plan;
    double seconds = 0.0;
};

// Generates the weights (in parallel, deterministic from options.seed) and writes PATH atomically.
SynthResult writeSyntheticModel(const SynthOptions& options, const std::string& path);

} // namespace wb::synth
