#pragma once
// A loaded model: the mapped GGUF file, its validated configuration and the location of every weight.
// Immutable after loading, so one Model can be shared by any number of InferenceContexts and threads.
#include "engine/gguf/gguf_file.h"
#include "engine/model/model_config.h"
#include "engine/model/model_weights.h"

#include <cstdint>
#include <memory>
#include <string>

namespace wb {

class Model {
public:
    // Opens, maps and validates a GGUF model. Throws std::runtime_error with a message naming the file and
    // the problem (missing tensor, wrong shape, unsupported architecture or type, ...).
    static std::shared_ptr<const Model> load(const std::string& path);
    // The same validation for an already parsed file (in-memory or generated); the file keeps its bytes alive
    // only if it was opened from a path, otherwise the caller must.
    static std::shared_ptr<const Model> fromFile(gguf::GgufFile file);

    const ModelConfig& config() const { return config_; }
    const gguf::GgufFile& file() const { return file_; }
    const ModelWeights& weights() const { return weights_; }
    // Bytes of all tensors the forward pass reads (a tied output counted once).
    std::uint64_t weightBytes() const { return weights_.byteSize; }

private:
    explicit Model(gguf::GgufFile file);

    gguf::GgufFile file_;
    ModelConfig config_;
    ModelWeights weights_;
};

} // namespace wb
