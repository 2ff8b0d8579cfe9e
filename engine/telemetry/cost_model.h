#pragma once
// Bytes read and floating-point operations of each forward-pass operation, from tensor shapes and types.
// Pure functions: the roofline compares them with measured times, and the forward pass passes them to
// OpScope. Conventions (one multiply-add = 2 FLOPs, as in Kaplan et al. 2020 "Scaling Laws", sec. 2.1):
// - matmul y = W x, W with `cols` inputs and `rows` outputs: 2*rows*cols FLOPs per token; bytes = the
//   weight tensor in its stored type, read once per pass whatever the token count.
// - RMSNorm of n values: 4n FLOPs per token (square, sum, scale, weight); bytes = the weight vector.
// - rope: 6 FLOPs per rotated pair (4 mul + 2 add) for every q and k head; no weights.
// - attention at context length c (positions attended, including the new one): per query head
//   2*headDim*c (q.k) + 2*headDim*c (p.v) + 5*c (scale, max, exp, sum, divide); bytes = the K and V rows
//   of the whole attended context in the cache precision.
// - silu(gate)*up: 5 FLOPs per element (neg, exp, add, div, mul); no weights.
// - embedding: one stored row per token; sampling: one pass over the logits (vocab FLOPs per token).
// Residual adds and biases are not counted (n FLOPs per token, below 1 % of the adjacent projection).
#include "engine/gguf/ggml_types.h"
#include "engine/telemetry/op_kind.h"

#include <cstdint>
#include <vector>

namespace wb::gguf {
class GgufFile;
}

namespace wb::telemetry {

struct OpCost {
    std::uint64_t bytes = 0;
    std::uint64_t flops = 0;
    bool operator==(const OpCost&) const = default;
};

inline constexpr std::uint64_t kRmsNormFlopsPerElement = 4;
inline constexpr std::uint64_t kRopeFlopsPerPair = 6;
inline constexpr std::uint64_t kSoftmaxFlopsPerScore = 5;
inline constexpr std::uint64_t kSiluMultiplyFlopsPerElement = 5;

// Bytes of `elements` values stored in `type`. Throws std::invalid_argument when `elements` is not a
// whole number of the type's blocks.
std::uint64_t storedBytes(GgmlType type, std::uint64_t elements);

OpCost matmulCost(GgmlType weightType, std::uint64_t cols, std::uint64_t rows, std::uint64_t tokens);
OpCost rmsNormCost(GgmlType weightType, std::uint64_t n, std::uint64_t tokens);
OpCost ropeCost(std::uint64_t headCount, std::uint64_t headCountKv, std::uint64_t ropeDims,
                std::uint64_t tokens);
// A pass of `tokens` queries whose first sits at position `firstPosition` (0-based): token i attends
// firstPosition + i + 1 cache rows.
OpCost attentionCost(std::uint64_t headCount, std::uint64_t headCountKv, std::uint64_t headDim,
                     std::uint64_t firstPosition, std::uint64_t tokens, GgmlType kvType);
OpCost siluMultiplyCost(std::uint64_t n, std::uint64_t tokens);
OpCost embeddingCost(GgmlType tableType, std::uint64_t rowLength, std::uint64_t tokens);
OpCost samplingCost(std::uint64_t vocab, std::uint64_t tokens);

// The shapes the cost model needs, read from a GGUF model file.
struct MatrixShape {
    GgmlType type = GgmlType::F32;
    std::uint64_t cols = 0; // inputs (GGUF ne[0])
    std::uint64_t rows = 0; // outputs (GGUF ne[1])
};

struct LayerShapes {
    MatrixShape q, k, v, o, gate, up, down;
    GgmlType attnNormType = GgmlType::F32;
    GgmlType ffnNormType = GgmlType::F32;
};

struct ModelShapes {
    std::uint64_t embedding = 0;
    std::uint64_t feedForward = 0;
    std::uint64_t headCount = 0;
    std::uint64_t headCountKv = 0;
    std::uint64_t headDim = 0;
    std::uint64_t ropeDims = 0;
    std::uint64_t vocab = 0;
    std::vector<LayerShapes> layers;
    MatrixShape tokenEmbedding; // cols = embedding, rows = vocab
    MatrixShape output;         // the classifier (token_embd when tied)
    GgmlType outputNormType = GgmlType::F32;

    // Throws std::runtime_error naming the file and the missing or inconsistent key or tensor.
    static ModelShapes fromGguf(const gguf::GgufFile& file);
};

// One forward pass: `tokenCount` tokens starting at context position `firstPosition`; the output norm,
// head and sampling run for `outputTokens` of them (1 when only the last token's logits are needed).
struct PassShape {
    std::uint64_t firstPosition = 0;
    std::uint64_t tokenCount = 1;
    std::uint64_t outputTokens = 1;
    GgmlType kvType = GgmlType::F32;
};

// Cost of one operation of one pass. `layer` is ignored for operations outside the blocks; throws
// std::out_of_range for a block operation with a layer outside the model.
OpCost opCost(const ModelShapes& shapes, OpKind op, int layer, const PassShape& pass);

// opCost() for every op of every layer, computed once per model: the forward pass looks its costs up per
// op instead of evaluating the cost model (a few hundred calls per pass). Every cost but attention's is
// linear in the pass's token and output-token counts, so the table keeps opCost() at 0 and 1 of each and
// combines them when the counts change; attention's is computed per pass. cost() equals opCost() for
// every op and layer opCost() accepts (tests/telemetry/test_costs.cpp checks that).
class PassCostTable {
public:
    // Throws what opCost() throws for these shapes.
    explicit PassCostTable(const ModelShapes& shapes);

    // Sets the pass that cost() describes.
    void prepare(const PassShape& pass);
    // The cost of `op` in the prepared pass; `layer` -1 (or any layer outside the model) for operations
    // outside the blocks. A block operation with such a layer costs {} (where opCost() throws).
    const OpCost& cost(OpKind op, int layer) const noexcept {
        const std::size_t row = layer < 0 || layer >= layers_ ? static_cast<std::size_t>(layers_)
                                                              : static_cast<std::size_t>(layer);
        return costs_[row * kOpKindCount + static_cast<std::size_t>(op)];
    }

private:
    struct Linear { // cost = base + perToken * tokenCount + perOutput * outputTokens
        OpCost base, perToken, perOutput;
        bool valid = false; // false: a block op outside the blocks
    };
    ModelShapes shapes_; // kept for attention
    int layers_ = 0;
    std::vector<Linear> linear_; // (layers + 1) rows of kOpKindCount; the last row: outside the blocks
    std::vector<OpCost> costs_;  // the prepared pass
    PassShape prepared_{};
    bool countsPrepared_ = false;
};

} // namespace wb::telemetry
