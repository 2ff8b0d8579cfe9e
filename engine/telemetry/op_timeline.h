#pragma once
// The op and layer spans of a forward pass on the calling thread, at one clock read per op boundary and
// almost nothing else while the pass runs.
//
// Why: a step of a small model takes well under a microsecond (stories260K: 64 ops in ~42 µs per token),
// so everything a span does besides reading the clock shows in the token's time. Here an op boundary
// stores one mark (time, identity, cost) into a small array that stays in L1; finish() turns the marks
// into the Op and Layer events OpScope and LayerScope would record, in the same order (a layer after its
// ops), and pushes them into the thread's ring once per pass (earlier when the array fills).
//
// Timing rules: an op runs from its mark to the next mark, so consecutive ops tile; pause() ends the
// running op without starting one (for work that belongs to no op); a layer span runs from the start of
// its first op to the end of its last, one per run of consecutive ops with the same layer >= 0.
//
//   OpTimeline::Pass pass(timeline, recorder, token); // a null or disabled recorder: every call a no-op
//   timeline.beginOp(-1, OpKind::Embedding, bytes, flops); embed(); timeline.pause();
//   for (layer...) { timeline.beginOp(layer, OpKind::QProj, bytes, flops); matmul(...); ... }
//   // ~Pass ends the last op and pushes the events (also when the pass throws)
#include "engine/telemetry/recorder.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace wb::telemetry {

class OpTimeline {
public:
    static constexpr std::size_t kCapacity = 128; // marks held between flushes (4 KiB)

    // Starts a pass on the calling thread; marks left by a pass that never finished are dropped.
    void start(Recorder* recorder, std::int32_t token) noexcept;
    bool active() const noexcept { return buffer_ != nullptr; }

    // Ends the running op (if any) and starts `op` now.
    [[gnu::always_inline]] void beginOp(std::int32_t layer, OpKind op, std::uint64_t bytes,
                                        std::uint64_t flops) noexcept {
        if (buffer_ == nullptr) return;
        Mark& mark = nextMark();
        mark.ns = buffer_->now();
        mark.bytes = bytes;
        mark.flops = flops;
        mark.layer = static_cast<std::int16_t>(layer);
        mark.op = op;
        mark.opensOp = true;
    }
    // Ends the running op without starting another.
    [[gnu::always_inline]] void pause() noexcept {
        if (buffer_ == nullptr) return;
        Mark& mark = nextMark();
        mark.ns = buffer_->now();
        mark.opensOp = false;
    }
    // Ends the running op, closes the open layer and pushes every event; the timeline is then inactive.
    void finish() noexcept;

    // start() on construction, finish() on destruction.
    class Pass {
    public:
        Pass(OpTimeline& timeline, Recorder* recorder, std::int32_t token) noexcept : timeline_(timeline) {
            timeline_.start(recorder, token);
        }
        ~Pass() { timeline_.finish(); }
        Pass(const Pass&) = delete;
        Pass& operator=(const Pass&) = delete;

    private:
        OpTimeline& timeline_;
    };

private:
    struct Mark {
        std::uint64_t ns = 0;
        std::uint64_t bytes = 0;
        std::uint64_t flops = 0;
        std::int16_t layer = -1;
        OpKind op = OpKind::Other;
        bool opensOp = false; // false: a pause
    };

    Mark& nextMark() noexcept {
        if (count_ == kCapacity) flushCompleted();
        return marks_[count_++];
    }
    // Pushes every op whose end is known; a last mark that opens an op stays, as the first.
    void flushCompleted() noexcept;
    void closeLayer() noexcept;

    ThreadBuffer* buffer_ = nullptr;
    std::size_t count_ = 0;
    std::int32_t token_ = 0;
    bool discard_ = false; // Recorder::opEventsDiscarded(): marks are dropped instead of pushed
    // The layer span being built, possibly across flushes.
    bool layerOpen_ = false;
    std::int16_t layer_ = -1;
    std::uint64_t layerStartNs_ = 0;
    std::uint64_t layerEndNs_ = 0;
    std::array<Mark, kCapacity> marks_{};
};

} // namespace wb::telemetry
