#pragma once
// What a model file is quantized to, and which ggml type each tensor gets.
//
// The per-tensor rule follows llama.cpp's published behaviour, llama_tensor_get_type() in src/llama-quant.cpp
// (ggml-org/llama.cpp, as of commit c392e509, the version that made /work/shared/models/zoo):
//  - 1-D tensors (norms, biases, rope_freqs) are never quantized: they keep their type (F32 in practice).
//  - F32/F16/BF16 targets and --pure: every 2-D weight gets the base type.
//  - Quantized targets without --pure ("mix"):
//    * output.weight (token_embd.weight when the output is tied) -> Q6_K, unless the base type is Q8_0
//      (stays Q8_0) or its row is not a multiple of 256 (-> Q8_0).
//    * Q4_K_M / Q5_K_M: attn_v and ffn_down -> Q6_K on the "use_more_bits" layers: the first n/8, the last
//    n/8,
//      and every third layer in between ((i - n/8) % 3 == 2).
//    * Q4_K_S: attn_v of layers 0..3 and ffn_down of the first n/8 layers -> Q5_K.
//    * Q3_K_M: attn_v of layers 0..1 -> Q5_K, other attn_v -> Q4_K; ffn_down of the first n/16 layers ->
//    Q5_K,
//      other ffn_down -> Q4_K; attn_output -> Q4_K.
//    * Q2_K: attn_v -> Q4_K when n_head / n_head_kv >= 4, else Q3_K; ffn_down and attn_output -> Q3_K.
//    * token_embd stays the base type (Q4_K for Q4_K_M, Q5_K for Q5_K_M).
//  - Fallback when a row length is not a multiple of the chosen block size (llama.cpp's
//    "convert_incompatible_tensor"): Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, Q2_K/Q3_K -> Q4_0 (llama.cpp
//    uses IQ4_NL, which this engine does not write; Q4_0 has the same 4.5 bits per weight); then, if the row
//    is still not a multiple of 32, F16.
#include "engine/gguf/ggml_types.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wb::synth {

struct QuantTarget {
    std::string name;       // canonical lower-case name: "q4_k_m"
    GgmlType baseType;      // type of most 2-D weights
    std::uint32_t fileType; // general.file_type (llama.h enum llama_ftype)
};

// Accepts f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q2_k q3_k q3_k_m q4_k q4_k_s q4_k_m q5_k q5_k_s q5_k_m q6_k
// (case-insensitive). As in llama-quantize, q3_k/q4_k/q5_k mean the _M mixes (file types 12/15/17).
std::optional<QuantTarget> parseQuantTarget(std::string_view name);
std::vector<std::string> quantTargetNames();

// What the rule needs to know about one tensor.
struct TensorRole {
    std::string name;              // e.g. "blk.3.attn_v.weight"
    std::vector<std::uint64_t> ne; // ggml order
    std::uint32_t layerCount = 0;  // block_count
    std::uint32_t headCount = 0;   // for Q2_K's GQA rule
    std::uint32_t headCountKv = 0;
    bool hasOutput = true; // false: token_embd doubles as the classifier
};

struct TypeChoice {
    GgmlType type;
    bool quantize = true; // false: 1-D tensor kept in its source type
    std::string fallback; // non-empty when the preferred type could not be used, says why
};

// The layer index in "blk.N.*", or -1.
int layerIndexOf(std::string_view tensorName);
bool useMoreBits(int layer, int layerCount);
TypeChoice chooseTensorType(const QuantTarget& target, const TensorRole& tensor, bool pure);

} // namespace wb::synth
