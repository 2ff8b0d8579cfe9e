#pragma once
// Small random-weight llama/qwen2 GGUF files generated in memory, with knobs to break them one way at a
// time (missing or reshaped tensors, wrong types, extra blocks). Metadata can be edited afterwards through
// the returned writer.
#include "engine/gguf/gguf_writer.h"
#include "engine/model/model.h"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace wb::test {

struct TinyModelOptions {
    std::string architecture = "llama";
    std::uint32_t blocks = 2;
    std::uint32_t embedding = 16;
    std::uint32_t feedForward = 24;
    std::uint32_t heads = 4;
    std::uint32_t headsKv = 2;
    std::uint32_t vocab = 32;
    std::uint32_t context = 64;
    bool attentionBiases = false; // written automatically for qwen2
    bool tiedOutput = false;
    std::uint32_t tensorBlocks = 0;                           // blocks that get tensors; 0 = `blocks`
    std::set<std::string> omit;                               // tensor names not to write
    std::map<std::string, std::vector<std::uint64_t>> shapes; // replaced shapes (ggml ne order)
    std::map<std::string, GgmlType> types;                    // replaced types (bytes are zeros)
};

gguf::GgufWriter makeTinyModel(const TinyModelOptions& options);

// A model parsed from bytes it owns (Model::fromFile needs the bytes to outlive it).
struct InMemoryModel {
    std::shared_ptr<std::vector<std::uint8_t>> bytes;
    std::shared_ptr<const Model> model;
};
// Throws whatever Model::fromFile throws.
InMemoryModel loadInMemory(const gguf::GgufWriter& writer);

} // namespace wb::test
