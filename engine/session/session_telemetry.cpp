#include "engine/session/session_telemetry.h"

#include "engine/model/inference_context.h"
#include "engine/model/model.h"

#include <algorithm>
#include <string>

namespace wb {

SessionTelemetry::SessionTelemetry(const Model& model, const InferenceContext& context,
                                   telemetry::Recorder* recorder, const TelemetryOptions& options)
    : model_(model), context_(context), recorder_(recorder), options_(options),
      active_(options.enabled && recorder != nullptr && recorder->enabled()) {}

void SessionTelemetry::runStarted() {
    if (!active_) return;
    result_ = {};
    result_.recorded = true;
    passIndex_ = 0;
    lastTokenNs_ = 0;
    lastMemoryNs_ = 0;
    droppedAtStart_ = recorder_->droppedEvents() + recorder_->overflowEvents();
    drained_.clear();
    recorder_->drainEvents(drained_); // spans of an earlier run (or of another user) are not this run's
    drained_.clear();
    recorder_->registerCurrentThread("generation");
    if (options_.sampleResidency && ranges_.empty()) {
        try {
            ranges_ = telemetry::tensorRanges(model_.file());
        } catch (const std::exception&) {
            residencyFailed_ = true; // a file without tensor data: memory samples omit residency
        }
    }
    auto& data = result_.trace.otherData;
    const ModelConfig& config = model_.config();
    data = {{"model", model_.file().sourceName()},
            {"architecture", config.architecture},
            {"n_layer", std::to_string(config.blockCount)},
            {"n_ctx", std::to_string(context_.contextLength())},
            {"n_threads", std::to_string(context_.threadCount())},
            {"type_kv", context_.kvCacheType() == KvCacheType::F32 ? "f32" : "f16"}};
    maybeSampleMemory(true);
}

void SessionTelemetry::passFinished(const PassInfo& info) {
    if (!active_) return;
    drained_.clear();
    recorder_->drainEvents(drained_);

    telemetry::PassReport& report = report_; // reused: its ops keep their capacity between passes
    std::vector<telemetry::OpTiming> ops = std::move(report.ops);
    ops.clear();
    report = {};
    report.ops = std::move(ops);
    report.passIndex = passIndex_++;
    report.isPrompt = info.isPrompt;
    report.tokenCount = info.tokenCount;
    report.generatedIndex = info.generatedIndex;
    report.firstPosition = info.firstPosition;
    report.contextUsed = context_.position();
    report.contextSize = context_.contextLength();
    bool haveSpan = false;
    std::uint64_t sampledNs = 0;
    for (const telemetry::Event& event : drained_) {
        if (event.kind == telemetry::SpanKind::Op && event.op == telemetry::OpKind::Sampling)
            sampledNs = event.endNs;
        if (event.kind == telemetry::SpanKind::Token) {
            report.startNs = event.startNs;
            report.endNs = event.endNs;
            haveSpan = true;
            result_.passMs += static_cast<double>(event.durationNs()) / 1e6;
        } else if (event.kind == telemetry::SpanKind::Op) {
            // Ops end in execution order, and each thread's ring keeps its order.
            report.ops.push_back({event.op, event.layer, event.thread, event.startNs, event.durationNs(),
                                  event.bytes, event.flops});
            result_.opMs += static_cast<double>(event.durationNs()) / 1e6;
        }
    }
    if (!haveSpan && !report.ops.empty()) { // the switch was flipped during the pass
        report.startNs = report.ops.front().startNs;
        report.endNs = report.ops.back().startNs + report.ops.back().durationNs;
    }
    // A token is known when its sampling ends: latency runs from the previous token's sampling (the first
    // token's from the end of the prompt). Prompt passes report their own duration.
    if (info.isPrompt) {
        report.latencyMs = static_cast<double>(report.endNs - report.startNs) / 1e6;
        lastTokenNs_ = report.endNs;
    } else {
        if (sampledNs == 0) sampledNs = report.startNs; // the switch was flipped during the pass
        const std::uint64_t previous = lastTokenNs_ != 0 ? std::min(lastTokenNs_, sampledNs) : report.startNs;
        report.latencyMs = static_cast<double>(sampledNs - previous) / 1e6;
        lastTokenNs_ = sampledNs;
    }
    ++result_.passCount;

    if (options_.keepTrace) {
        auto& events = result_.trace.events;
        if (!result_.traceCapped && events.size() + drained_.size() <= options_.maxTraceEvents) {
            events.insert(events.end(), drained_.begin(), drained_.end());
        } else {
            result_.traceCapped = true;
            result_.eventsLeftOut += drained_.size();
        }
    }
    if (options_.onPass) options_.onPass(report);
    maybeSampleMemory(false);
}

telemetry::MemoryReport SessionTelemetry::sampleMemory() {
    telemetry::MemoryReport memory;
    telemetry::ResidencySnapshot weights;
    if (options_.sampleResidency && !residencyFailed_) {
        try {
            weights = telemetry::sampleResidency(model_.file().bytes().data(), ranges_);
        } catch (const std::exception&) {
            residencyFailed_ = true; // e.g. an in-memory model whose bytes mincore cannot inspect
        }
    }
    memory.timeNs = weights.timeNs != 0 ? weights.timeNs : telemetry::steadyNowNs();
    const auto blocks = static_cast<std::size_t>(model_.config().blockCount);
    memory.layerResidentBytes.assign(blocks, 0);
    memory.layerTotalBytes.assign(blocks, 0);
    for (const telemetry::LayerResidency& layer : weights.layers) {
        if (layer.layer >= 0 && static_cast<std::size_t>(layer.layer) < blocks) {
            memory.layerResidentBytes[static_cast<std::size_t>(layer.layer)] = layer.resident;
            memory.layerTotalBytes[static_cast<std::size_t>(layer.layer)] = layer.size;
        } else {
            memory.otherResidentBytes += layer.resident;
            memory.otherTotalBytes += layer.size;
        }
    }
    memory.weightsResidentBytes = weights.totalResident;
    memory.weightsTotalBytes = weights.totalSize;
    memory.kvAllocatedBytes = context_.kvCacheBytes();
    memory.kvUsedBytes = context_.contextLength() > 0
                             ? memory.kvAllocatedBytes * static_cast<std::uint64_t>(context_.position()) /
                                   static_cast<std::uint64_t>(context_.contextLength())
                             : 0;
    memory.scratchBytes = context_.scratchBytes();
    telemetry::ProcessMemory process;
    try {
        process = telemetry::readProcessMemory();
    } catch (const std::exception&) {
        // No /proc: RSS stays 0.
    }
    memory.processRssBytes = process.residentBytes;

    if (options_.keepTrace && !result_.traceCapped) {
        weights.timeNs = memory.timeNs;
        const telemetry::EngineMemory engine{memory.kvAllocatedBytes, memory.kvUsedBytes,
                                             memory.scratchBytes};
        for (auto& sample : telemetry::memoryCounters(weights, process, engine))
            result_.trace.counters.push_back(std::move(sample));
        telemetry::CounterSample byLayer{memory.timeNs, "weights resident by layer", {}};
        for (std::size_t l = 0; l < blocks; ++l)
            byLayer.series.emplace_back("blk." + std::to_string(l),
                                        static_cast<double>(memory.layerResidentBytes[l]));
        byLayer.series.emplace_back("other", static_cast<double>(memory.otherResidentBytes));
        result_.trace.counters.push_back(std::move(byLayer));
    }
    ++result_.memorySamples;
    result_.lastMemory = memory;
    return memory;
}

void SessionTelemetry::maybeSampleMemory(bool force) {
    const std::uint64_t now = telemetry::steadyNowNs();
    const auto intervalNs = static_cast<std::uint64_t>(std::max(options_.memoryIntervalMs, 0)) * 1'000'000;
    if (!force && lastMemoryNs_ != 0 && now - lastMemoryNs_ < intervalNs) return;
    lastMemoryNs_ = now;
    const telemetry::MemoryReport memory = sampleMemory();
    if (options_.onMemory) options_.onMemory(memory);
}

void SessionTelemetry::runFinished(GenerationTelemetry& out) {
    if (!active_) return;
    maybeSampleMemory(true);
    // Spans recorded after the last pass report (none in normal runs) still belong to the run.
    drained_.clear();
    recorder_->drainEvents(drained_);
    if (options_.keepTrace && !result_.traceCapped)
        result_.trace.events.insert(result_.trace.events.end(), drained_.begin(), drained_.end());
    result_.eventsDropped = recorder_->droppedEvents() + recorder_->overflowEvents() - droppedAtStart_;
    result_.trace.threads = recorder_->threads();
    if (result_.traceCapped)
        result_.trace.otherData.emplace_back("trace_capped", std::to_string(result_.eventsLeftOut) +
                                                                 " events left out after " +
                                                                 std::to_string(options_.maxTraceEvents));
    out = std::move(result_);
    result_ = {};
}

} // namespace wb
