#pragma once
// What one forward pass (a prompt batch or one generated token) reports to live views: per-op timings with
// bytes and FLOPs, plus memory state. The session fills these from the Recorder; the app's worker thread
// forwards them by value to the GUI thread, which only draws them.
#include "engine/telemetry/op_kind.h"

#include <cstdint>
#include <vector>

namespace wb::telemetry {

struct OpTiming {
    OpKind op = OpKind::Other;
    std::int32_t layer = -1;   // -1 for ops outside the blocks (embedding, output norm/head, sampling)
    std::uint16_t thread = 0;  // recorder thread id of the evaluating thread
    std::uint64_t startNs = 0; // steady clock
    std::uint64_t durationNs = 0;
    std::uint64_t bytes = 0; // weight (and KV) bytes read
    std::uint64_t flops = 0;
};

struct PassReport {
    std::int32_t passIndex = 0;    // 0, 1, 2 ... in the order the session ran them
    bool isPrompt = false;         // a prompt batch (possibly one of several chunks) vs a generated token
    std::int32_t tokenCount = 1;   // tokens this pass processed
    std::int32_t generatedIndex = -1; // for generated tokens: 0 for the first, 1 for the second ...
    std::int32_t firstPosition = 0;   // KV position of the pass's first token
    std::int32_t contextUsed = 0;     // positions filled after the pass
    std::int32_t contextSize = 0;
    std::uint64_t startNs = 0;
    std::uint64_t endNs = 0;
    double latencyMs = 0;          // for generated tokens: since the previous token (first: since prompt end)
    std::vector<OpTiming> ops;     // in execution order
};

struct MemoryReport {
    std::uint64_t timeNs = 0;
    std::vector<std::uint64_t> layerResidentBytes; // index = layer; weights of blk.N resident in RAM
    std::vector<std::uint64_t> layerTotalBytes;
    std::uint64_t otherResidentBytes = 0; // token_embd, output, output_norm, ...
    std::uint64_t otherTotalBytes = 0;
    std::uint64_t weightsResidentBytes = 0;
    std::uint64_t weightsTotalBytes = 0;
    std::uint64_t kvAllocatedBytes = 0;
    std::uint64_t kvUsedBytes = 0;
    std::uint64_t scratchBytes = 0;
    std::uint64_t processRssBytes = 0;
};

} // namespace wb::telemetry
