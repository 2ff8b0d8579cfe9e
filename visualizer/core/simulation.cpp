#include "visualizer/core/simulation.h"

#include "visualizer/core/cpu_probe.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace wb::sim {

char sliceContentCode(SliceContent content) {
    switch (content) {
    case SliceContent::Free:
        return '.';
    case SliceContent::Instructions:
        return 'I';
    case SliceContent::Weights:
        return 'W';
    case SliceContent::KvCache:
        return 'K';
    case SliceContent::Activations:
        return 'A';
    }
    return '?';
}

ResidencyMap buildResidency(const HardwareDescription& hw, const std::vector<ChipAssignment>& chips,
                            const DeploymentOptions& options) {
    ResidencyMap map;
    map.slicesPerChip = hw.lpu.memSlices;
    map.sliceBytes = hw.lpu.memSliceBytes;
    map.chips = chips;
    double limit = 0;
    for (const auto& chip : chips) {
        // Fill slices in order: instructions, weights, KV cache, activations; a slice shows what fills most
        // of it.
        std::vector<SliceContent> slices(static_cast<std::size_t>(map.slicesPerChip), SliceContent::Free);
        const std::pair<SliceContent, double> parts[] = {
            {SliceContent::Instructions, chip.bytes.instructions},
            {SliceContent::Weights, chip.bytes.weights},
            {SliceContent::KvCache, chip.bytes.kvCache},
            {SliceContent::Activations, chip.bytes.activations}};
        double offset = 0;
        std::vector<double> best(slices.size(), 0.0);
        for (const auto& [content, bytes] : parts) {
            const double begin = offset, end = offset + bytes;
            for (auto s = static_cast<std::size_t>(begin / map.sliceBytes); s < slices.size(); ++s) {
                const double sb = double(s) * map.sliceBytes, se = sb + map.sliceBytes;
                if (sb >= end) break;
                const double overlap = std::min(se, end) - std::max(sb, begin);
                if (overlap > best[s] && overlap > 0) {
                    best[s] = overlap;
                    slices[s] = content;
                }
            }
            offset = end;
        }
        map.slices.push_back(std::move(slices));
        if (chip.kvBytesPerToken > 0) {
            const double free = hw.lpu.sramBytes() - chip.bytes.total() + chip.bytes.kvCache;
            const double tokens = free / (chip.kvBytesPerToken / std::max(1u, options.batch));
            limit = limit == 0 ? tokens : std::min(limit, tokens);
        }
    }
    map.contextLimitTokens = std::floor(limit);
    return map;
}

Economics economicsFor(const HardwareDescription& hw, int devices, double throughput) {
    Economics e;
    e.powerWatts = hw.powerWatts * devices;
    e.costPerHour = hw.pricePerHour * devices;
    if (throughput > 0) {
        e.energyPerTokenJoules = e.powerWatts / throughput;
        e.costPerMillionTokens = e.costPerHour / (throughput * 3600.0) * 1e6;
    }
    return e;
}

namespace {

DeviceSummary summarizeRoofline(const HardwareDescription& hw, const RooflineResult& r) {
    DeviceSummary s;
    s.hardwareId = hw.id;
    s.hardwareName = hw.name;
    s.kind = std::string(deviceKindName(hw.kind));
    s.method = "roofline";
    s.chips = r.devices;
    s.tokenLatencyMs = r.tokenLatencyMs;
    s.tokensPerSecPerUser = r.tokensPerSecPerUser;
    s.throughputTokensPerSec = r.throughputTokensPerSec;
    s.ttftMs = r.ttftMs;
    s.bound = r.bound;
    s.economics = economicsFor(hw, r.devices, r.throughputTokensPerSec);
    for (const auto& l : r.perLayer) {
        s.perLayerUs.emplace_back(l.layer, l.timeUs);
        s.perLayerBound.push_back(l.bound);
    }
    if (hw.roofline.measured) {
        const auto& probe = measureLocalCpu();
        char text[200];
        std::snprintf(text, sizeof text,
                      "measured on this machine at run time: %.1f GB/s read bandwidth, %.1f GFLOP/s fp32, "
                      "%d threads, probe %.2f s",
                      hw.roofline.memoryBandwidth / 1e9, probe.fp32Flops / 1e9, probe.threads,
                      probe.probeSeconds);
        s.note = text;
    }
    if (!r.fitsInMemory && hw.kind == DeviceKind::Cpu)
        s.note += (s.note.empty() ? "" : "; ") + std::string("model does not fit in RAM");
    if (r.devices > 1)
        s.note +=
            (s.note.empty() ? "" : "; ") + std::to_string(r.devices) + " devices, ideal tensor parallelism";
    return s;
}

void throwIfCancelled(const std::atomic<bool>* cancel) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) throw SimulationCancelled();
}

LpuResult simulateLpu(const ModelArchitecture& m, const HardwareDescription& hw, const DeploymentOptions& o,
                      const std::atomic<bool>* cancel) {
    LpuResult r;
    r.plan = planCapacity(m, hw, o);
    const int chips = o.chips > 0 ? o.chips : r.plan.minimumChips;
    r.partition = partitionModel(m, hw, o, chips);
    r.residency = buildResidency(hw, assignChips(m, hw, o, r.partition), o);
    // Decode: users are split into micro-batches that follow each other through the pipeline stages.
    const int batch = static_cast<int>(std::max(1u, o.batch));
    r.microBatches = std::min(batch, r.partition.stages + 1);
    r.microBatchRows = (batch + r.microBatches - 1) / r.microBatches;
    throwIfCancelled(cancel);
    r.decode =
        compileForwardPass(m, hw, o, r.partition, {r.microBatchRows, std::max(1u, o.context), false}, cancel);
    r.stageCycles = longestStageCycles(r.decode, r.partition);
    // Prefill: the prompt in chunks that pipeline through the stages; the best chunk size wins.
    const int prompt = static_cast<int>(std::max(1u, o.promptTokens));
    double best = 0;
    std::vector<int> tried;
    for (int chunk : {prompt, 512, 256, 128, 64, 32, 16}) {
        // A 512-token prompt is also the 512 candidate: compile each chunk size once.
        if (chunk > prompt || std::find(tried.begin(), tried.end(), chunk) != tried.end()) continue;
        tried.push_back(chunk);
        const auto pass = compileForwardPass(m, hw, o, r.partition,
                                             {chunk, static_cast<std::uint32_t>(prompt), true}, cancel);
        const int chunks = (prompt + chunk - 1) / chunk;
        const double ms =
            (double(pass.makespan) + double(chunks - 1) * double(longestStageCycles(pass, r.partition))) /
            hw.lpu.clockHz * 1e3;
        if (best == 0 || ms < best) {
            best = ms;
            r.prefillChunk = chunk;
            r.prefillLatencyMs = pass.makespan / hw.lpu.clockHz * 1e3;
        }
    }
    r.prefillLatencyMs = best;
    return r;
}

DeviceSummary summarizeLpu(const HardwareDescription& hw, const LpuResult& r, const DeploymentOptions& o) {
    DeviceSummary s;
    s.hardwareId = hw.id;
    s.hardwareName = hw.name;
    s.kind = "lpu";
    s.method = "static schedule";
    s.chips = r.partition.chips;
    const double clock = hw.lpu.clockHz;
    const double passCycles = double(r.decode.makespan);
    // A user's next token can start when its previous one is sampled, and no sooner than the pipeline
    // lets its micro-batch back in after the others.
    const double periodCycles = std::max(passCycles, double(r.microBatches) * double(r.stageCycles));
    s.tokenLatencyMs = periodCycles / clock * 1e3;
    s.tokensPerSecPerUser = 1e3 / s.tokenLatencyMs;
    s.throughputTokensPerSec = s.tokensPerSecPerUser * std::max(1u, o.batch);
    s.ttftMs = r.prefillLatencyMs;
    std::array<double, kBoundKinds> totals{};
    for (const auto& l : r.decode.layers) {
        s.perLayerUs.emplace_back(l.layer, l.timeUs);
        s.perLayerBound.emplace_back(boundKindName(l.bound));
        for (std::size_t k = 0; k < totals.size(); ++k)
            totals[k] += l.breakdownUs[k];
    }
    const auto best = std::max_element(totals.begin(), totals.end()) - totals.begin();
    s.bound = std::string(boundKindName(static_cast<BoundKind>(best)));
    s.economics = economicsFor(hw, r.partition.chips, s.throughputTokensPerSec);
    s.note = "SRAM bandwidth: " + std::string(hw.lpu.bandwidthChoiceName()) + " (" +
             std::to_string(static_cast<int>(std::round(hw.lpu.sramBandwidth() / 1e12))) + " TB/s)";
    return s;
}

} // namespace

SimulationResult simulate(const ModelArchitecture& model, const HardwareDescription& hw,
                          const DeploymentOptions& options, const SimulationSettings& settings) {
    model.validate();
    if (options.context < 1) throw std::invalid_argument("context must be at least 1 token");
    throwIfCancelled(settings.cancel);
    SimulationResult result;
    result.model = model;
    result.hardware = hw;
    result.options = options;
    result.efficiency = settings.efficiency;
    const auto start = std::chrono::steady_clock::now();
    if (hw.kind == DeviceKind::Lpu) {
        result.lpu = simulateLpu(model, hw, options, settings.cancel);
        result.summary = summarizeLpu(hw, *result.lpu, options);
    } else {
        result.roofline = simulateRoofline(model, hw, options, settings.efficiency);
        result.summary = summarizeRoofline(hw, *result.roofline);
    }
    result.simulateSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (const auto& id : settings.compareWith) {
        if (id == hw.id) continue;
        throwIfCancelled(settings.cancel);
        const auto other = builtinHardware(id);
        if (other.kind == DeviceKind::Lpu) {
            DeploymentOptions automatic = options;
            automatic.chips = 0;
            automatic.tensorParallel = 0;
            result.comparison.push_back(
                summarizeLpu(other, simulateLpu(model, other, automatic, settings.cancel), automatic));
        } else {
            result.comparison.push_back(
                summarizeRoofline(other, simulateRoofline(model, other, options, settings.efficiency)));
        }
    }
    return result;
}

namespace {

nlohmann::json summaryJson(const DeviceSummary& s) {
    nlohmann::json layers = nlohmann::json::array();
    for (std::size_t i = 0; i < s.perLayerUs.size(); ++i)
        layers.push_back({{"layer", s.perLayerUs[i].first},
                          {"time_us", s.perLayerUs[i].second},
                          {"bound", s.perLayerBound[i]}});
    return {{"hardware", s.hardwareId},
            {"hardware_name", s.hardwareName},
            {"kind", s.kind},
            {"method", s.method},
            {"chips", s.chips},
            {"token_latency_ms", s.tokenLatencyMs},
            {"tokens_per_s_per_user", s.tokensPerSecPerUser},
            {"throughput_tokens_per_s", s.throughputTokensPerSec},
            {"ttft_ms", s.ttftMs},
            {"bound", s.bound},
            {"power_w", s.economics.powerWatts},
            {"cost_per_hour_usd", s.economics.costPerHour},
            {"energy_per_token_j", s.economics.energyPerTokenJoules},
            {"cost_per_million_tokens_usd", s.economics.costPerMillionTokens},
            {"note", s.note},
            {"per_layer", layers}};
}

} // namespace

nlohmann::json toJson(const SimulationResult& r, bool includeSchedule) {
    nlohmann::json out = summaryJson(r.summary);
    const auto& m = r.model;
    out["model"] = {{"id", m.id},
                    {"name", m.name},
                    {"source", m.source},
                    {"layers", m.layers},
                    {"hidden", m.hidden},
                    {"ffn", m.ffn},
                    {"heads", m.heads},
                    {"kv_heads", m.kvHeads},
                    {"head_dim", m.headDim},
                    {"vocab", m.vocab},
                    {"experts", m.experts},
                    {"experts_per_token", m.expertsPerToken},
                    {"parameters", m.totalParams()}};
    out["precision"] = {{"weights", formatName(r.options.precision.weights)},
                        {"kv_cache", formatName(r.options.precision.kvCache)},
                        {"activations", formatName(r.options.precision.activations)}};
    out["context"] = r.options.context;
    out["prompt_tokens"] = r.options.promptTokens;
    out["batch"] = r.options.batch;
    out["hardware_origin"] = r.hardware.origin;
    out["simulate_seconds"] = r.simulateSeconds;
    if (r.roofline) {
        out["efficiency"] = r.efficiency;
        out["bytes_per_step"] = r.roofline->bytesPerStep;
        out["flops_per_step"] = r.roofline->flopsPerStep;
        out["devices_fit_in_memory"] = r.roofline->fitsInMemory;
        out["residency"] = nullptr;
    }
    if (r.lpu) {
        const auto& l = *r.lpu;
        out["sram_bandwidth"] = {{"choice", r.hardware.lpu.bandwidthChoiceName()},
                                 {"bytes_per_s", r.hardware.lpu.sramBandwidth()}};
        out["capacity_plan"] = {{"minimum_chips", l.plan.minimumChips},
                                {"decided_by", l.plan.decidedBy},
                                {"explanation", l.plan.explanation},
                                {"sram_per_chip", l.plan.sramPerChip},
                                {"usable_per_chip", l.plan.usablePerChip},
                                {"chips_without",
                                 {{"weights", l.plan.chipsWithoutWeights},
                                  {"kv_cache", l.plan.chipsWithoutKv},
                                  {"activations", l.plan.chipsWithoutActivations},
                                  {"instructions", l.plan.chipsWithoutInstructions}}}};
        out["partition"] = {{"chips", l.partition.chips},
                            {"tensor_parallel", l.partition.tensorParallel},
                            {"pipeline_stages", l.partition.stages},
                            {"layers_per_stage", l.partition.layersPerStage},
                            {"head_chips", l.partition.headChips},
                            {"spare_chips", l.partition.spareChips},
                            {"automatic", l.partition.automatic},
                            {"micro_batches", l.microBatches},
                            {"micro_batch_rows", l.microBatchRows},
                            {"prefill_chunk", l.prefillChunk}};
        out["schedule"] = {{"cycles", l.decode.makespan},
                           {"clock_hz", l.decode.clockHz},
                           {"ops", l.decode.ops.size()},
                           {"stage_cycles", l.stageCycles}};
        nlohmann::json waterfall = nlohmann::json::array();
        for (const auto& t : l.decode.layers) {
            nlohmann::json parts = nlohmann::json::object();
            for (int k = 0; k < kBoundKinds; ++k)
                parts[std::string(boundKindName(static_cast<BoundKind>(k)))] =
                    t.breakdownUs[static_cast<std::size_t>(k)];
            waterfall.push_back({{"layer", t.layer},
                                 {"stage", t.stage},
                                 {"start_cycle", t.startCycle},
                                 {"end_cycle", t.endCycle},
                                 {"breakdown_us", parts}});
        }
        out["bound_waterfall"] = waterfall;
        nlohmann::json chips = nlohmann::json::array();
        for (std::size_t c = 0; c < l.residency.chips.size(); ++c) {
            const auto& a = l.residency.chips[c];
            std::string map;
            for (auto s : l.residency.slices[c])
                map.push_back(sliceContentCode(s));
            chips.push_back({{"chip", a.chip},
                             {"role", chipRoleName(a.role)},
                             {"stage", a.stage},
                             {"first_layer", a.firstLayer},
                             {"layers", a.layerCount},
                             {"tp_rank", a.tpRank},
                             {"weights_bytes", a.bytes.weights},
                             {"kv_bytes", a.bytes.kvCache},
                             {"activation_bytes", a.bytes.activations},
                             {"instruction_bytes", a.bytes.instructions},
                             {"kv_bytes_per_token", a.kvBytesPerToken},
                             {"slices", map}});
        }
        out["residency"] = {{"slices_per_chip", l.residency.slicesPerChip},
                            {"slice_bytes", l.residency.sliceBytes},
                            {"legend",
                             {{"I", "instructions"},
                              {"W", "weights"},
                              {"K", "kv cache"},
                              {"A", "activations"},
                              {".", "free"}}},
                            {"context_limit_tokens", l.residency.contextLimitTokens},
                            {"chips", chips}};
        if (includeSchedule) {
            nlohmann::json ops = nlohmann::json::array();
            for (const auto& op : l.decode.ops)
                ops.push_back({{"chip", op.chip},
                               {"unit", unitKindName(op.unit)},
                               {"index", op.unitIndex},
                               {"kind", opKindName(op.kind)},
                               {"label", op.label},
                               {"layer", op.layer},
                               {"start", op.start},
                               {"end", op.end},
                               {"ready", op.readyAt},
                               {"peer", op.peerChip},
                               {"peers", op.peerCount}});
            out["schedule"]["op_list"] = ops;
        }
    }
    nlohmann::json comparison = nlohmann::json::array();
    for (const auto& c : r.comparison)
        comparison.push_back(summaryJson(c));
    out["comparison"] = comparison;
    return out;
}

} // namespace wb::sim
