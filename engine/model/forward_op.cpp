#include "engine/model/forward_op.h"

namespace wb {

std::string_view forwardOpName(ForwardOp op) {
    switch (op) {
    case ForwardOp::Embedding:
        return "embedding";
    case ForwardOp::AttnNorm:
        return "attn_norm";
    case ForwardOp::QProj:
        return "q_proj";
    case ForwardOp::KProj:
        return "k_proj";
    case ForwardOp::VProj:
        return "v_proj";
    case ForwardOp::Rope:
        return "rope";
    case ForwardOp::Attention:
        return "attention";
    case ForwardOp::OProj:
        return "o_proj";
    case ForwardOp::FfnNorm:
        return "ffn_norm";
    case ForwardOp::Gate:
        return "ffn_gate";
    case ForwardOp::Up:
        return "ffn_up";
    case ForwardOp::FfnActivation:
        return "ffn_act";
    case ForwardOp::Down:
        return "ffn_down";
    case ForwardOp::OutputNorm:
        return "output_norm";
    case ForwardOp::OutputHead:
        return "output";
    }
    return "unknown";
}

} // namespace wb
