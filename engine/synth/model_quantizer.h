#pragma once
// Re-quantizes a GGUF model to another type (iwb quantize): metadata copied, general.file_type updated, every
// 2-D weight converted by the rule of quant_target.h, 1-D tensors copied. The output is written atomically.
#include "engine/gguf/ggml_types.h"
#include "engine/synth/quant_target.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace wb::synth {

struct QuantizeOptions {
    QuantTarget target{"q8_0", GgmlType::Q8_0, 7};
    bool pure = false; // every 2-D weight in the base type (llama-quantize --pure)
    // Called after each tensor, from the writing thread.
    std::function<void(std::size_t tensorsDone, std::size_t tensorCount)> progress;
};

struct QuantizedTensor {
    std::string name;
    std::vector<std::uint64_t> ne;
    GgmlType from = GgmlType::F32;
    GgmlType to = GgmlType::F32;
    std::uint64_t bytesIn = 0;
    std::uint64_t bytesOut = 0;
    bool copied = false;  // bytes copied unchanged (1-D tensor, or already in the wanted type)
    std::string fallback; // why the preferred type was replaced, or empty
};

struct QuantizeReport {
    std::vector<QuantizedTensor> tensors;
    std::uint64_t inputFileBytes = 0;
    std::uint64_t outputFileBytes = 0;
    double seconds = 0.0;
};

// Throws std::runtime_error / gguf::GgufError naming the problem (unreadable input, a tensor type this engine
// cannot dequantize or quantize). A failure leaves no file at `outputPath`.
QuantizeReport quantizeModel(const std::string& inputPath, const std::string& outputPath,
                             const QuantizeOptions& options);

} // namespace wb::synth
