#include "engine/telemetry/op_kind.h"

#include <array>

namespace wb::telemetry {

namespace {
constexpr std::array<std::string_view, kOpKindCount> kNames = {
    "embedding", "attn_norm",   "q_proj",      "k_proj",   "v_proj", "rope",
    "attention", "o_proj",      "ffn_norm",    "ffn_gate", "ffn_up", "ffn_activation",
    "ffn_down",  "output_norm", "output_head", "sampling", "other",
};
} // namespace

std::string_view opKindName(OpKind op) {
    const auto index = static_cast<std::size_t>(op);
    return index < kNames.size() ? kNames[index] : std::string_view("unknown");
}

std::optional<OpKind> opKindFromName(std::string_view name) {
    for (std::size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name) return static_cast<OpKind>(i);
    return std::nullopt;
}

bool isLayerOp(OpKind op) {
    return op >= OpKind::AttnNorm && op <= OpKind::FfnDown;
}

} // namespace wb::telemetry
