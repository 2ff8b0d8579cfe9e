#include "engine/model/model.h"

#include <stdexcept>

namespace wb {

Model::Model(gguf::GgufFile file) : file_(std::move(file)) {
    config_ = readModelConfig(file_);
    weights_ = resolveModelWeights(file_, config_);
}

std::shared_ptr<const Model> Model::load(const std::string& path) {
    // GgufError derives from std::runtime_error, so parse errors pass through with their byte offsets.
    return fromFile(gguf::GgufFile::open(path));
}

std::shared_ptr<const Model> Model::fromFile(gguf::GgufFile file) {
    return std::shared_ptr<const Model>(new Model(std::move(file)));
}

} // namespace wb
