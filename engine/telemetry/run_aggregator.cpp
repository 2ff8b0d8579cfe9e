#include "engine/telemetry/run_aggregator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>

namespace wb::telemetry {
namespace {

constexpr double kNsPerMs = 1e6;

double toMs(std::uint64_t ns) {
    return static_cast<double>(ns) / kNsPerMs;
}

// Nearest-rank percentile, as GenerationMetrics::latencyPercentileMs.
double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
    const std::size_t index =
        static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(values.size()))) - 1;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index), values.end());
    return values[index];
}

template <typename T> void trimFront(std::deque<T>& series, std::size_t limit) {
    while (series.size() > limit)
        series.pop_front();
}

std::uint64_t endOf(const OpTiming& op) {
    return op.startNs + op.durationNs;
}

} // namespace

RunAggregator::RunAggregator() : RunAggregator(Options{}) {}

RunAggregator::RunAggregator(Options options) : options_(options) {
    options_.timelinePasses = std::max(1, options_.timelinePasses);
    options_.maxSeriesPoints = std::max<std::size_t>(1, options_.maxSeriesPoints);
    options_.maxTracePasses = std::max<std::size_t>(1, options_.maxTracePasses);
    options_.rollingWindow = std::max(1, options_.rollingWindow);
    reset();
}

void RunAggregator::reset() {
    passCount_ = 0;
    memoryCount_ = 0;
    lastPassIndex_.reset();
    originNs_.reset();
    lastLayers_.clear();
    lastOutside_ = {};
    lastOps_.assign(1, {});
    lastStackPass_.reset();
    prompt_ = {};
    generated_ = {};
    firstPassStartNs_.reset();
    firstPromptStartNs_.reset();
    lastPromptEndNs_.reset();
    promptTokens_ = 0;
    firstTokenLatencyMs_.reset();
    latencies_.clear();
    latencySumMs_ = 0;
    latency_.clear();
    contextUsed_ = 0;
    contextSize_ = 0;
    lastMemory_.reset();
    memory_.clear();
    retained_.clear();
}

void RunAggregator::ensureLayers(int layerCount) {
    if (layerCount <= this->layerCount()) return;
    const auto opStats = static_cast<std::size_t>(layerCount) + 1;
    lastLayers_.resize(static_cast<std::size_t>(layerCount));
    lastOps_.resize(opStats);
    if (prompt_.opStats.size() < opStats) prompt_.opStats.resize(opStats);
    if (generated_.opStats.size() < opStats) generated_.opStats.resize(opStats);
}

double RunAggregator::secondsSinceOrigin(std::uint64_t ns) const {
    const std::uint64_t origin = originNs_.value_or(ns);
    return ns >= origin ? static_cast<double>(ns - origin) / 1e9 : -static_cast<double>(origin - ns) / 1e9;
}

void RunAggregator::addPass(const PassReport& pass) {
    if (lastPassIndex_ && pass.passIndex <= *lastPassIndex_) {
        // A new run: keep the memory picture (the model stays loaded), restart everything per pass.
        auto memory = lastMemory_;
        reset();
        lastMemory_ = std::move(memory);
    }
    lastPassIndex_ = pass.passIndex;
    ++passCount_;
    if (!originNs_ || pass.startNs < *originNs_) originNs_ = pass.startNs;
    if (!firstPassStartNs_) firstPassStartNs_ = pass.startNs;
    contextUsed_ = pass.contextUsed;
    contextSize_ = pass.contextSize;

    int layers = layerCount();
    for (const OpTiming& op : pass.ops)
        layers = std::max(layers, op.layer + 1);
    ensureLayers(layers);

    // Layer stacks and op statistics: only passes that ran the blocks (the session's final pass only
    // samples the last token; it must neither blank the "last token" bars nor dilute the averages).
    const bool ranBlocks =
        std::any_of(pass.ops.begin(), pass.ops.end(), [](const OpTiming& op) { return op.layer >= 0; });
    if (ranBlocks) {
        for (auto& stack : lastLayers_)
            stack = {};
        lastOutside_ = {};
        for (auto& slot : lastOps_)
            slot.fill({});
        PassKindStats& stats = pass.isPrompt ? prompt_ : generated_;
        ++stats.passes;
        for (const OpTiming& op : pass.ops) {
            const auto slotIndex = static_cast<std::size_t>(std::max(op.layer, -1) + 1);
            const auto opIndex = static_cast<std::size_t>(op.op);
            LayerStack& stack =
                op.layer >= 0 ? lastLayers_[static_cast<std::size_t>(op.layer)] : lastOutside_;
            const double ms = toMs(op.durationNs);
            stack.opMs[opIndex] += ms;
            stack.totalMs += ms;
            LastOp& last = lastOps_[slotIndex][opIndex];
            last.ns += op.durationNs;
            last.bytes += op.bytes;
            last.flops += op.flops;
            last.seen = true;
            OpAccumulator& acc = stats.opStats[slotIndex][opIndex];
            acc.minNs = acc.calls == 0 ? op.durationNs : std::min(acc.minNs, op.durationNs);
            acc.maxNs = std::max(acc.maxNs, op.durationNs);
            acc.totalNs += op.durationNs;
            ++acc.calls;
        }
        lastStackPass_ = pass;
        lastStackPass_->ops.clear();
    }

    if (pass.isPrompt) {
        if (!firstPromptStartNs_) firstPromptStartNs_ = pass.startNs;
        lastPromptEndNs_ = std::max(lastPromptEndNs_.value_or(pass.endNs), pass.endNs);
        promptTokens_ += pass.tokenCount;
    } else {
        if (!firstTokenLatencyMs_) firstTokenLatencyMs_ = pass.latencyMs;
        latencies_.push_back(pass.latencyMs);
        latencySumMs_ += pass.latencyMs;
        const std::size_t window = std::min<std::size_t>(latencies_.size(), options_.rollingWindow);
        double windowMs = 0;
        for (std::size_t k = latencies_.size() - window; k < latencies_.size(); ++k)
            windowMs += latencies_[k];
        LatencyPoint point;
        point.tokenIndex = pass.generatedIndex;
        point.latencyMs = pass.latencyMs;
        point.timeS = secondsSinceOrigin(pass.endNs);
        point.rollingTokensPerSecond = windowMs > 0 ? static_cast<double>(window) * 1000.0 / windowMs : 0;
        latency_.push_back(point);
        trimFront(latency_, options_.maxSeriesPoints);
    }

    retained_.push_back(pass);
    trimFront(retained_, options_.maxTracePasses);
}

void RunAggregator::addMemory(const MemoryReport& memory) {
    ++memoryCount_;
    if (!originNs_ || memory.timeNs < *originNs_) originNs_ = memory.timeNs;
    ensureLayers(static_cast<int>(memory.layerTotalBytes.size()));
    MemoryPoint point;
    point.timeNs = memory.timeNs;
    point.timeS = secondsSinceOrigin(memory.timeNs);
    point.weightsResidentBytes = memory.weightsResidentBytes;
    point.kvUsedBytes = memory.kvUsedBytes;
    point.kvAllocatedBytes = memory.kvAllocatedBytes;
    point.scratchBytes = memory.scratchBytes;
    point.processRssBytes = memory.processRssBytes;
    memory_.push_back(point);
    trimFront(memory_, options_.maxSeriesPoints);
    lastMemory_ = memory;
}

const RunAggregator::PassKindStats& RunAggregator::averageSource() const {
    return generated_.passes > 0 ? generated_ : prompt_;
}

std::vector<LayerStack> RunAggregator::averageLayers() const {
    const PassKindStats& source = averageSource();
    std::vector<LayerStack> result(lastLayers_.size());
    if (source.passes == 0) return result;
    const double passes = static_cast<double>(source.passes);
    for (std::size_t layer = 0; layer < result.size() && layer + 1 < source.opStats.size(); ++layer) {
        for (int op = 0; op < kOpKindCount; ++op) {
            const double ms = toMs(source.opStats[layer + 1][static_cast<std::size_t>(op)].totalNs) / passes;
            result[layer].opMs[static_cast<std::size_t>(op)] = ms;
            result[layer].totalMs += ms;
        }
    }
    return result;
}

LayerStack RunAggregator::averageOutsideLayers() const {
    const PassKindStats& source = averageSource();
    LayerStack result;
    if (source.passes == 0 || source.opStats.empty()) return result;
    for (int op = 0; op < kOpKindCount; ++op) {
        const double ms = toMs(source.opStats[0][static_cast<std::size_t>(op)].totalNs) /
                          static_cast<double>(source.passes);
        result.opMs[static_cast<std::size_t>(op)] = ms;
        result.totalMs += ms;
    }
    return result;
}

std::optional<PassReport> RunAggregator::lastPassHeader() const {
    return lastStackPass_;
}

std::vector<LayerOpRow> RunAggregator::layerOpTable(int layer) const {
    std::vector<LayerOpRow> rows;
    if (layer < -1 || layer >= layerCount()) return rows;
    const auto slotIndex = static_cast<std::size_t>(layer + 1);
    const PassKindStats& source = averageSource();
    const LayerStack& stack = layer >= 0 ? lastLayers_[static_cast<std::size_t>(layer)] : lastOutside_;
    for (int op = 0; op < kOpKindCount; ++op) {
        const auto opIndex = static_cast<std::size_t>(op);
        const LastOp& last = lastOps_[slotIndex][opIndex];
        const OpAccumulator* acc =
            slotIndex < source.opStats.size() ? &source.opStats[slotIndex][opIndex] : nullptr;
        const bool inRun = acc != nullptr && acc->calls > 0;
        if (!last.seen && !inRun) continue;
        LayerOpRow row;
        row.op = static_cast<OpKind>(op);
        row.lastMs = toMs(last.ns);
        row.lastBytes = last.bytes;
        row.lastFlops = last.flops;
        row.shareOfLayer = stack.totalMs > 0 ? row.lastMs / stack.totalMs : 0;
        if (last.ns > 0) {
            // bytes per ns = GB/s; flops per ns = GFLOP/s.
            row.lastGigabytesPerSecond = static_cast<double>(last.bytes) / static_cast<double>(last.ns);
            row.lastGigaflopsPerSecond = static_cast<double>(last.flops) / static_cast<double>(last.ns);
        }
        if (inRun) {
            row.calls = acc->calls;
            row.meanMs = toMs(acc->totalNs) / static_cast<double>(acc->calls);
            row.minMs = toMs(acc->minNs);
            row.maxMs = toMs(acc->maxNs);
        }
        rows.push_back(row);
    }
    return rows;
}

RunSummary RunAggregator::summary() const {
    RunSummary s;
    s.passes = passCount_;
    s.promptTokens = promptTokens_;
    s.generatedTokens = static_cast<std::int32_t>(latencies_.size());
    if (firstPromptStartNs_ && lastPromptEndNs_ && *lastPromptEndNs_ >= *firstPromptStartNs_) {
        s.promptMs = toMs(*lastPromptEndNs_ - *firstPromptStartNs_);
        if (s.promptMs > 0) s.promptTokensPerSecond = promptTokens_ * 1000.0 / s.promptMs;
    }
    if (firstTokenLatencyMs_) {
        double beforeFirst = 0;
        if (firstPassStartNs_ && lastPromptEndNs_ && *lastPromptEndNs_ >= *firstPassStartNs_)
            beforeFirst = toMs(*lastPromptEndNs_ - *firstPassStartNs_);
        s.ttftMs = beforeFirst + *firstTokenLatencyMs_;
    }
    if (!latencies_.empty()) {
        s.lastLatencyMs = latencies_.back();
        s.meanLatencyMs = latencySumMs_ / static_cast<double>(latencies_.size());
        if (latencySumMs_ > 0)
            s.tokensPerSecond = static_cast<double>(latencies_.size()) * 1000.0 / latencySumMs_;
        s.p50LatencyMs = percentile(latencies_, 50);
        s.p90LatencyMs = percentile(latencies_, 90);
        s.p99LatencyMs = percentile(latencies_, 99);
    }
    s.contextUsed = contextUsed_;
    s.contextSize = contextSize_;
    return s;
}

std::vector<double> RunAggregator::layerResidentFraction() const {
    std::vector<double> fractions;
    if (!lastMemory_) return fractions;
    const MemoryReport& m = *lastMemory_;
    fractions.resize(m.layerTotalBytes.size(), 0.0);
    for (std::size_t layer = 0; layer < fractions.size(); ++layer) {
        const std::uint64_t total = m.layerTotalBytes[layer];
        const std::uint64_t resident = layer < m.layerResidentBytes.size() ? m.layerResidentBytes[layer] : 0;
        if (total > 0)
            fractions[layer] = std::min(1.0, static_cast<double>(resident) / static_cast<double>(total));
    }
    return fractions;
}

Timeline RunAggregator::timeline() const {
    Timeline result;
    if (retained_.empty()) return result;
    const std::size_t shown = std::min<std::size_t>(retained_.size(), options_.timelinePasses);
    const auto first = retained_.end() - static_cast<std::ptrdiff_t>(shown);
    std::uint64_t origin = first->startNs;
    for (auto it = first; it != retained_.end(); ++it) {
        origin = std::min(origin, it->startNs);
        for (const OpTiming& op : it->ops)
            origin = std::min(origin, op.startNs);
    }
    result.originNs = origin;
    std::map<std::uint16_t, TimelineLane> lanes;
    std::uint64_t end = 0;
    for (auto it = first; it != retained_.end(); ++it) {
        result.passes.push_back({it->passIndex, it->isPrompt, it->generatedIndex, it->startNs - origin,
                                 std::max(it->endNs, it->startNs) - origin});
        end = std::max(end, std::max(it->endNs, it->startNs) - origin);
        for (const OpTiming& op : it->ops) {
            TimelineLane& lane = lanes[op.thread];
            lane.thread = op.thread;
            lane.spans.push_back(
                {op.startNs - origin, op.durationNs, op.op, op.layer, it->passIndex, op.bytes, op.flops});
            lane.maxDurationNs = std::max(lane.maxDurationNs, op.durationNs);
            end = std::max(end, endOf(op) - origin);
        }
    }
    for (auto& [thread, lane] : lanes) {
        std::stable_sort(lane.spans.begin(), lane.spans.end(),
                         [](const TimelineSpan& a, const TimelineSpan& b) { return a.startNs < b.startNs; });
        result.lanes.push_back(std::move(lane));
    }
    result.spanNs = end;
    return result;
}

TraceData RunAggregator::traceData() const {
    TraceData trace;
    std::map<std::uint16_t, bool> threads;
    for (const PassReport& pass : retained_) {
        // Per thread: the hull of its ops becomes that thread's Token span (the pass' own start and end
        // on the thread that ran the pass' first op) and per layer a Layer span.
        struct Hull {
            std::uint64_t start = UINT64_MAX;
            std::uint64_t end = 0;
        };
        std::map<std::uint16_t, Hull> tokenHulls;
        std::map<std::pair<std::uint16_t, std::int32_t>, Hull> layerHulls;
        for (const OpTiming& op : pass.ops) {
            Hull& token = tokenHulls[op.thread];
            token.start = std::min(token.start, op.startNs);
            token.end = std::max(token.end, endOf(op));
            if (op.layer >= 0) {
                Hull& layer = layerHulls[{op.thread, op.layer}];
                layer.start = std::min(layer.start, op.startNs);
                layer.end = std::max(layer.end, endOf(op));
            }
            Event event;
            event.kind = SpanKind::Op;
            event.startNs = op.startNs;
            event.endNs = endOf(op);
            event.bytes = op.bytes;
            event.flops = op.flops;
            event.token = pass.passIndex;
            event.layer = static_cast<std::int16_t>(op.layer);
            event.op = op.op;
            event.thread = op.thread;
            trace.events.push_back(event);
            threads[op.thread] = true;
        }
        if (!pass.ops.empty()) {
            Hull& owner = tokenHulls[pass.ops.front().thread];
            owner.start = std::min(owner.start, pass.startNs);
            owner.end = std::max(owner.end, pass.endNs);
        }
        for (const auto& [thread, hull] : tokenHulls) {
            Event event;
            event.kind = SpanKind::Token;
            event.startNs = hull.start;
            event.endNs = hull.end;
            event.token = pass.passIndex;
            event.tokenCount = pass.tokenCount;
            event.thread = thread;
            trace.events.push_back(event);
        }
        for (const auto& [key, hull] : layerHulls) {
            Event event;
            event.kind = SpanKind::Layer;
            event.startNs = hull.start;
            event.endNs = hull.end;
            event.token = pass.passIndex;
            event.layer = static_cast<std::int16_t>(key.second);
            event.thread = key.first;
            trace.events.push_back(event);
        }
    }
    for (const auto& [thread, seen] : threads)
        trace.threads.push_back({thread, "thread " + std::to_string(thread)});
    if (lastMemory_) {
        for (const MemoryPoint& point : memory_) {
            const std::uint64_t timeNs = point.timeNs;
            trace.counters.push_back({timeNs,
                                      "weights resident",
                                      {{"resident_bytes", static_cast<double>(point.weightsResidentBytes)}}});
            trace.counters.push_back({timeNs,
                                      "memory",
                                      {{"rss_bytes", static_cast<double>(point.processRssBytes)},
                                       {"kv_allocated_bytes", static_cast<double>(point.kvAllocatedBytes)},
                                       {"kv_used_bytes", static_cast<double>(point.kvUsedBytes)},
                                       {"scratch_bytes", static_cast<double>(point.scratchBytes)}}});
        }
    }
    return trace;
}

} // namespace wb::telemetry
