#pragma once
// The steps of the forward pass, one per operator, so that telemetry can time each of them.
#include <cstdint>
#include <string_view>

namespace wb {

enum class ForwardOp : std::uint8_t {
    Embedding,     // token ids -> rows of token_embd
    AttnNorm,      // RMSNorm before attention
    QProj,         // attn_q (+ bias)
    KProj,         // attn_k (+ bias), written straight into the KV cache
    VProj,         // attn_v (+ bias), written straight into the KV cache
    Rope,          // rotary position embedding of q and the new k
    Attention,     // softmax(q k^T / sqrt(d)) v over the cache, causal
    OProj,         // attn_output (+ bias) and the residual add
    FfnNorm,       // RMSNorm before the feed-forward block
    Gate,          // ffn_gate
    Up,            // ffn_up
    FfnActivation, // silu(gate) * up
    Down,          // ffn_down and the residual add
    OutputNorm,    // final RMSNorm (last token only)
    OutputHead,    // output (classifier) matrix -> logits
};
inline constexpr int kForwardOpCount = static_cast<int>(ForwardOp::OutputHead) + 1;

std::string_view forwardOpName(ForwardOp op);

// Called around every step on the evaluating thread. `layer` is -1 for steps outside the blocks.
// Implementations must be cheap; they run inside the hot loop.
class ForwardObserver {
public:
    virtual ~ForwardObserver() = default;
    virtual void beginOp(ForwardOp op, std::int32_t layer, std::int32_t tokenCount) = 0;
    virtual void endOp(ForwardOp op, std::int32_t layer, std::int32_t tokenCount) = 0;
};

} // namespace wb
