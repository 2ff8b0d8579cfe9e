#include "engine/telemetry/cost_model.h"

#include "engine/gguf/gguf_file.h"

#include <stdexcept>
#include <string>

namespace wb::telemetry {

std::uint64_t storedBytes(GgmlType type, std::uint64_t elements) {
    const GgmlTypeTraits& traits = ggmlTypeTraits(type);
    if (traits.blockSize == 0 || elements % traits.blockSize != 0)
        throw std::invalid_argument("cost model: " + std::to_string(elements) + " elements are not whole " +
                                    std::string(traits.name) + " blocks of " +
                                    std::to_string(traits.blockSize));
    return elements / traits.blockSize * traits.bytesPerBlock;
}

OpCost matmulCost(GgmlType weightType, std::uint64_t cols, std::uint64_t rows, std::uint64_t tokens) {
    return {storedBytes(weightType, cols * rows), 2 * rows * cols * tokens};
}

OpCost rmsNormCost(GgmlType weightType, std::uint64_t n, std::uint64_t tokens) {
    return {storedBytes(weightType, n), kRmsNormFlopsPerElement * n * tokens};
}

OpCost ropeCost(std::uint64_t headCount, std::uint64_t headCountKv, std::uint64_t ropeDims,
                std::uint64_t tokens) {
    return {0, kRopeFlopsPerPair * (ropeDims / 2) * (headCount + headCountKv) * tokens};
}

OpCost attentionCost(std::uint64_t headCount, std::uint64_t headCountKv, std::uint64_t headDim,
                     std::uint64_t firstPosition, std::uint64_t tokens, GgmlType kvType) {
    // Sum over the pass of the attended context lengths: sum_{i<tokens} (firstPosition + i + 1).
    const std::uint64_t attended = tokens * firstPosition + tokens * (tokens + 1) / 2;
    const std::uint64_t flopsPerScore = 4 * headDim + kSoftmaxFlopsPerScore;
    const std::uint64_t lastContext = firstPosition + tokens;
    return {2 * storedBytes(kvType, headCountKv * headDim * lastContext),
            headCount * attended * flopsPerScore};
}

OpCost siluMultiplyCost(std::uint64_t n, std::uint64_t tokens) {
    return {0, kSiluMultiplyFlopsPerElement * n * tokens};
}

OpCost embeddingCost(GgmlType tableType, std::uint64_t rowLength, std::uint64_t tokens) {
    return {storedBytes(tableType, rowLength) * tokens, 0};
}

OpCost samplingCost(std::uint64_t vocab, std::uint64_t tokens) {
    return {0, vocab * tokens};
}

namespace {

std::string fileLabel(const gguf::GgufFile& file) {
    return "cost model: " + file.sourceName() + ": ";
}

std::uint64_t requireUInt(const gguf::GgufFile& file, const std::string& key) {
    const auto value = file.getUInt(key);
    if (!value || *value == 0)
        throw std::runtime_error(fileLabel(file) + "missing or zero metadata key " + key);
    return *value;
}

const gguf::TensorInfo& requireTensor(const gguf::GgufFile& file, const std::string& name) {
    const gguf::TensorInfo* tensor = file.findTensor(name);
    if (tensor == nullptr) throw std::runtime_error(fileLabel(file) + "missing tensor " + name);
    return *tensor;
}

MatrixShape matrix(const gguf::GgufFile& file, const std::string& name, std::uint64_t cols) {
    const gguf::TensorInfo& tensor = requireTensor(file, name);
    if (tensor.nDims != 2 || tensor.ne[0] != cols)
        throw std::runtime_error(fileLabel(file) + "tensor " + name + " has shape " + tensor.shapeString() +
                                 ", expected " + std::to_string(cols) + " inputs");
    return {tensor.type, tensor.ne[0], tensor.ne[1]};
}

} // namespace

ModelShapes ModelShapes::fromGguf(const gguf::GgufFile& file) {
    const auto arch = file.getString("general.architecture");
    if (!arch) throw std::runtime_error(fileLabel(file) + "missing metadata key general.architecture");
    const std::string prefix = *arch + ".";
    ModelShapes shapes;
    const std::uint64_t blocks = requireUInt(file, prefix + "block_count");
    shapes.embedding = requireUInt(file, prefix + "embedding_length");
    shapes.feedForward = requireUInt(file, prefix + "feed_forward_length");
    shapes.headCount = requireUInt(file, prefix + "attention.head_count");
    shapes.headCountKv = file.getUInt(prefix + "attention.head_count_kv").value_or(shapes.headCount);
    shapes.headDim =
        file.getUInt(prefix + "attention.key_length").value_or(shapes.embedding / shapes.headCount);
    if (shapes.headCountKv == 0 || shapes.headDim == 0)
        throw std::runtime_error(fileLabel(file) + "inconsistent head counts");
    shapes.ropeDims = file.getUInt(prefix + "rope.dimension_count").value_or(shapes.headDim);

    shapes.tokenEmbedding = matrix(file, "token_embd.weight", shapes.embedding);
    shapes.vocab = shapes.tokenEmbedding.rows;
    shapes.output = file.findTensor("output.weight") ? matrix(file, "output.weight", shapes.embedding)
                                                     : shapes.tokenEmbedding;
    shapes.outputNormType = requireTensor(file, "output_norm.weight").type;

    const std::uint64_t kvDim = shapes.headCountKv * shapes.headDim;
    for (std::uint64_t i = 0; i < blocks; ++i) {
        const std::string blk = "blk." + std::to_string(i) + ".";
        LayerShapes layer;
        layer.q = matrix(file, blk + "attn_q.weight", shapes.embedding);
        layer.k = matrix(file, blk + "attn_k.weight", shapes.embedding);
        layer.v = matrix(file, blk + "attn_v.weight", shapes.embedding);
        layer.o = matrix(file, blk + "attn_output.weight", layer.q.rows);
        layer.gate = matrix(file, blk + "ffn_gate.weight", shapes.embedding);
        layer.up = matrix(file, blk + "ffn_up.weight", shapes.embedding);
        layer.down = matrix(file, blk + "ffn_down.weight", shapes.feedForward);
        layer.attnNormType = requireTensor(file, blk + "attn_norm.weight").type;
        layer.ffnNormType = requireTensor(file, blk + "ffn_norm.weight").type;
        if (layer.k.rows != kvDim || layer.v.rows != kvDim)
            throw std::runtime_error(fileLabel(file) + blk +
                                     "attn_k/attn_v rows differ from head_count_kv * "
                                     "head_dim = " +
                                     std::to_string(kvDim));
        shapes.layers.push_back(layer);
    }
    return shapes;
}

OpCost opCost(const ModelShapes& shapes, OpKind op, int layer, const PassShape& pass) {
    const std::uint64_t n = pass.tokenCount;
    const auto block = [&]() -> const LayerShapes& {
        if (layer < 0 || static_cast<std::size_t>(layer) >= shapes.layers.size())
            throw std::out_of_range("cost model: layer " + std::to_string(layer) + " outside the model's " +
                                    std::to_string(shapes.layers.size()) + " blocks");
        return shapes.layers[static_cast<std::size_t>(layer)];
    };
    const auto mm = [n](const MatrixShape& m) { return matmulCost(m.type, m.cols, m.rows, n); };
    switch (op) {
    case OpKind::Embedding:
        return embeddingCost(shapes.tokenEmbedding.type, shapes.embedding, n);
    case OpKind::AttnNorm:
        return rmsNormCost(block().attnNormType, shapes.embedding, n);
    case OpKind::QProj:
        return mm(block().q);
    case OpKind::KProj:
        return mm(block().k);
    case OpKind::VProj:
        return mm(block().v);
    case OpKind::Rope:
        block();
        return ropeCost(shapes.headCount, shapes.headCountKv, shapes.ropeDims, n);
    case OpKind::Attention:
        block();
        return attentionCost(shapes.headCount, shapes.headCountKv, shapes.headDim, pass.firstPosition, n,
                             pass.kvType);
    case OpKind::OProj:
        return mm(block().o);
    case OpKind::FfnNorm:
        return rmsNormCost(block().ffnNormType, shapes.embedding, n);
    case OpKind::FfnGate:
        return mm(block().gate);
    case OpKind::FfnUp:
        return mm(block().up);
    case OpKind::FfnActivation:
        block();
        return siluMultiplyCost(shapes.feedForward, n);
    case OpKind::FfnDown:
        return mm(block().down);
    case OpKind::OutputNorm:
        return rmsNormCost(shapes.outputNormType, shapes.embedding, pass.outputTokens);
    case OpKind::OutputHead:
        return matmulCost(shapes.output.type, shapes.output.cols, shapes.output.rows, pass.outputTokens);
    case OpKind::Sampling:
        return samplingCost(shapes.vocab, pass.outputTokens);
    case OpKind::Other:
        return {};
    }
    return {};
}

PassCostTable::PassCostTable(const ModelShapes& shapes)
    : shapes_(shapes), layers_(static_cast<int>(shapes.layers.size())),
      linear_(static_cast<std::size_t>(layers_ + 1) * kOpKindCount),
      costs_(static_cast<std::size_t>(layers_ + 1) * kOpKindCount) {
    const auto minus = [](const OpCost& a, const OpCost& b) {
        return OpCost{a.bytes - b.bytes, a.flops - b.flops};
    };
    PassShape none;
    none.tokenCount = 0;
    none.outputTokens = 0;
    PassShape oneToken = none;
    oneToken.tokenCount = 1;
    PassShape oneOutput = none;
    oneOutput.outputTokens = 1;
    for (int row = 0; row <= layers_; ++row) {
        const int layer = row == layers_ ? -1 : row;
        for (int kind = 0; kind < kOpKindCount; ++kind) {
            const auto op = static_cast<OpKind>(kind);
            Linear& entry =
                linear_[static_cast<std::size_t>(row) * kOpKindCount + static_cast<std::size_t>(kind)];
            if (isLayerOp(op) && layer < 0) continue; // opCost() refuses it
            const OpCost base = opCost(shapes_, op, layer, none);
            entry = {base, minus(opCost(shapes_, op, layer, oneToken), base),
                     minus(opCost(shapes_, op, layer, oneOutput), base), true};
        }
    }
}

void PassCostTable::prepare(const PassShape& pass) {
    if (!countsPrepared_ || pass.tokenCount != prepared_.tokenCount ||
        pass.outputTokens != prepared_.outputTokens) {
        for (std::size_t i = 0; i < linear_.size(); ++i) {
            const Linear& entry = linear_[i];
            costs_[i] = entry.valid ? OpCost{entry.base.bytes + entry.perToken.bytes * pass.tokenCount +
                                                 entry.perOutput.bytes * pass.outputTokens,
                                             entry.base.flops + entry.perToken.flops * pass.tokenCount +
                                                 entry.perOutput.flops * pass.outputTokens}
                                    : OpCost{};
        }
        countsPrepared_ = true;
    }
    prepared_ = pass;
    // Attention is the same in every block (the cost model reads only the model-wide head shapes).
    const OpCost attention = attentionCost(shapes_.headCount, shapes_.headCountKv, shapes_.headDim,
                                           pass.firstPosition, pass.tokenCount, pass.kvType);
    for (int layer = 0; layer < layers_; ++layer)
        costs_[static_cast<std::size_t>(layer) * kOpKindCount + static_cast<std::size_t>(OpKind::Attention)] =
            attention;
}

} // namespace wb::telemetry
