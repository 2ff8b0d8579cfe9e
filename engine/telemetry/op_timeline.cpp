#include "engine/telemetry/op_timeline.h"

namespace wb::telemetry {

void OpTimeline::start(Recorder* recorder, std::int32_t token) noexcept {
    buffer_ = nullptr;
    count_ = 0;
    layerOpen_ = false;
    if (recorder == nullptr || !recorder->enabled()) return;
    buffer_ = recorder->threadBuffer();
    if (buffer_ == nullptr) return;
    buffer_->rewindIfDrained();
    token_ = token;
    discard_ = recorder->opEventsDiscarded();
}

void OpTimeline::finish() noexcept {
    if (buffer_ == nullptr) return;
    pause();
    flushCompleted();
    if (layerOpen_) closeLayer();
    buffer_ = nullptr;
}

void OpTimeline::closeLayer() noexcept {
    Event event;
    event.startNs = layerStartNs_;
    event.endNs = layerEndNs_;
    event.token = token_;
    event.layer = layer_;
    event.kind = SpanKind::Layer;
    event.thread = buffer_->id();
    buffer_->push(event);
    layerOpen_ = false;
}

void OpTimeline::flushCompleted() noexcept {
    if (discard_) {
        count_ = 0;
        return;
    }
    Event event;
    event.token = token_;
    event.kind = SpanKind::Op;
    event.thread = buffer_->id();
    for (std::size_t i = 0; i + 1 < count_; ++i) {
        const Mark& mark = marks_[i];
        if (!mark.opensOp) continue;
        const std::uint64_t endNs = marks_[i + 1].ns;
        // A layer closes before the first op that is not its own, so it follows its ops in the ring.
        if (layerOpen_ && mark.layer != layer_) closeLayer();
        if (mark.layer >= 0) {
            if (!layerOpen_) {
                layerOpen_ = true;
                layer_ = mark.layer;
                layerStartNs_ = mark.ns;
            }
            layerEndNs_ = endNs;
        }
        event.startNs = mark.ns;
        event.endNs = endNs;
        event.bytes = mark.bytes;
        event.flops = mark.flops;
        event.layer = mark.layer;
        event.op = mark.op;
        buffer_->push(event);
    }
    const bool lastOpensOp = count_ > 0 && marks_[count_ - 1].opensOp;
    if (lastOpensOp) marks_[0] = marks_[count_ - 1];
    count_ = lastOpensOp ? 1 : 0;
}

} // namespace wb::telemetry
