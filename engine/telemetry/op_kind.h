#pragma once
// The operations of a transformer forward pass that telemetry times, one value per timed step.
// The first values follow engine/model/forward_op.h (ForwardOp) one for one, in the same order, so the
// forward pass converts with a static_cast; Sampling and Other are telemetry's own.
#include <cstdint>
#include <optional>
#include <string_view>

namespace wb::telemetry {

enum class OpKind : std::uint8_t {
    Embedding,     // token ids -> rows of token_embd
    AttnNorm,      // RMSNorm before attention
    QProj,         // attn_q
    KProj,         // attn_k
    VProj,         // attn_v
    Rope,          // rotary position embedding of q and k
    Attention,     // softmax(q k^T / sqrt(d)) v over the KV cache
    OProj,         // attn_output (+ residual add)
    FfnNorm,       // RMSNorm before the feed-forward block
    FfnGate,       // ffn_gate
    FfnUp,         // ffn_up
    FfnActivation, // silu(gate) * up
    FfnDown,       // ffn_down (+ residual add)
    OutputNorm,    // final RMSNorm
    OutputHead,    // classifier matrix -> logits
    Sampling,      // logits -> next token id
    Other,         // anything else a caller wants to time
};
inline constexpr int kOpKindCount = static_cast<int>(OpKind::Other) + 1;

// Stable snake_case names used in every export ("attn_norm", "q_proj", ...).
std::string_view opKindName(OpKind op);
// Inverse of opKindName; nullopt for an unknown name.
std::optional<OpKind> opKindFromName(std::string_view name);
// True for the operations that belong to one transformer block (they carry a layer index >= 0).
bool isLayerOp(OpKind op);

} // namespace wb::telemetry
