#pragma once
// PassReports and MemoryReports from REAL forward passes: an InferenceContext on a GGUF model with a
// ForwardObserver that records every step into a telemetry::Recorder (bytes and FLOPs from the cost
// model), greedy decoding, residency from mincore and RSS from /proc. Used by the telemetry and chart
// tests until the session produces these reports itself. Each call may run on any thread (one at a
// time); the recorder gives each thread its own id, so ops carry the thread that ran them.
#include "engine/model/forward_op.h"
#include "engine/model/inference_context.h"
#include "engine/model/model.h"
#include "engine/sampling/sampler.h"
#include "engine/telemetry/cost_model.h"
#include "engine/telemetry/pass_report.h"
#include "engine/telemetry/recorder.h"
#include "engine/telemetry/residency.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace wb::test {

class RealPassSource : private ForwardObserver {
public:
    explicit RealPassSource(const std::string& modelPath, std::int32_t contextLength = 256,
                            std::int32_t threads = 1)
        : model_(Model::load(modelPath)), shapes_(telemetry::ModelShapes::fromGguf(model_->file())),
          context_(model_, {.contextLength = contextLength, .threads = threads}),
          ranges_(telemetry::tensorRanges(model_->file())) {
        context_.setObserver(this);
    }
    ~RealPassSource() override { context_.setObserver(nullptr); }

    const Model& model() const { return *model_; }
    int layerCount() const { return static_cast<int>(shapes_.layers.size()); }

    // Starts a new run: empty context, pass numbering from 0.
    void restart() {
        context_.reset();
        nextPassIndex_ = 0;
        generated_ = 0;
        lastEndNs_ = 0;
    }

    // One prompt pass (the prompt as one batch).
    telemetry::PassReport evaluatePrompt(const std::vector<std::int32_t>& prompt) {
        telemetry::PassReport report = beginReport(true, static_cast<std::int32_t>(prompt.size()));
        logits_ = context_.evaluate(prompt);
        return finishReport(std::move(report));
    }

    // One generated token: greedy sampling of the previous logits, then the forward pass over it.
    telemetry::PassReport generateToken() {
        telemetry::PassReport report = beginReport(false, 1);
        report.generatedIndex = generated_++;
        std::int32_t token = 0;
        {
            telemetry::OpScope sampling(recorder_, report.passIndex, -1, telemetry::OpKind::Sampling,
                                        logits_.size() * sizeof(float), logits_.size());
            token = sampling::argmax(logits_);
        }
        lastToken_ = token;
        const std::int32_t ids[1] = {token};
        logits_ = context_.evaluate(ids);
        return finishReport(std::move(report));
    }

    std::int32_t lastToken() const { return lastToken_; }

    telemetry::MemoryReport memory() const {
        const auto snapshot = telemetry::sampleResidency(model_->file().bytes().data(), ranges_);
        telemetry::MemoryReport m;
        m.timeNs = telemetry::steadyNowNs();
        m.layerResidentBytes.assign(static_cast<std::size_t>(layerCount()), 0);
        m.layerTotalBytes.assign(static_cast<std::size_t>(layerCount()), 0);
        for (const auto& layer : snapshot.layers) {
            if (layer.layer < 0) {
                m.otherResidentBytes += layer.resident;
                m.otherTotalBytes += layer.size;
            } else if (layer.layer < layerCount()) {
                m.layerResidentBytes[static_cast<std::size_t>(layer.layer)] = layer.resident;
                m.layerTotalBytes[static_cast<std::size_t>(layer.layer)] = layer.size;
            }
        }
        m.weightsResidentBytes = snapshot.totalResident;
        m.weightsTotalBytes = snapshot.totalSize;
        m.kvAllocatedBytes = context_.kvCacheBytes();
        m.kvUsedBytes = context_.kvCacheBytes() * static_cast<std::uint64_t>(context_.position()) /
                        static_cast<std::uint64_t>(context_.contextLength());
        m.processRssBytes = telemetry::readProcessMemory().residentBytes;
        return m;
    }

private:
    telemetry::PassReport beginReport(bool isPrompt, std::int32_t tokenCount) {
        telemetry::PassReport report;
        report.passIndex = nextPassIndex_++;
        report.isPrompt = isPrompt;
        report.tokenCount = tokenCount;
        report.firstPosition = context_.position();
        report.contextSize = context_.contextLength();
        pass_ = {.firstPosition = static_cast<std::uint64_t>(context_.position()),
                 .tokenCount = static_cast<std::uint64_t>(tokenCount),
                 .outputTokens = 1,
                 .kvType = GgmlType::F32};
        passIndex_ = report.passIndex;
        report.startNs = telemetry::steadyNowNs();
        return report;
    }

    telemetry::PassReport finishReport(telemetry::PassReport report) {
        report.endNs = telemetry::steadyNowNs();
        report.contextUsed = context_.position();
        if (!report.isPrompt) report.latencyMs = static_cast<double>(report.endNs - lastEndNs_) / 1e6;
        lastEndNs_ = report.endNs;
        std::vector<telemetry::Event> events;
        recorder_.drainEvents(events);
        std::stable_sort(events.begin(), events.end(),
                         [](const auto& a, const auto& b) { return a.startNs < b.startNs; });
        for (const telemetry::Event& e : events) {
            if (e.kind != telemetry::SpanKind::Op || e.token != report.passIndex) continue;
            report.ops.push_back({e.op, e.layer, e.thread, e.startNs, e.durationNs(), e.bytes, e.flops});
        }
        return report;
    }

    void beginOp(ForwardOp, std::int32_t, std::int32_t) override { opStartNs_ = telemetry::steadyNowNs(); }
    void endOp(ForwardOp op, std::int32_t layer, std::int32_t) override {
        const auto kind = static_cast<telemetry::OpKind>(op); // OpKind follows ForwardOp one for one
        const telemetry::OpCost cost = telemetry::opCost(shapes_, kind, layer, pass_);
        telemetry::Event event;
        event.kind = telemetry::SpanKind::Op;
        event.startNs = opStartNs_;
        event.endNs = telemetry::steadyNowNs();
        event.bytes = cost.bytes;
        event.flops = cost.flops;
        event.token = passIndex_;
        event.layer = static_cast<std::int16_t>(layer);
        event.op = kind;
        recorder_.record(event);
    }

    std::shared_ptr<const Model> model_;
    telemetry::ModelShapes shapes_;
    InferenceContext context_;
    std::vector<telemetry::TensorRange> ranges_;
    telemetry::Recorder recorder_{true};
    telemetry::PassShape pass_;
    std::int32_t passIndex_ = 0;
    std::int32_t nextPassIndex_ = 0;
    std::int32_t generated_ = 0;
    std::int32_t lastToken_ = 0;
    std::uint64_t lastEndNs_ = 0;
    std::uint64_t opStartNs_ = 0;
    std::span<const float> logits_;
};

} // namespace wb::test
