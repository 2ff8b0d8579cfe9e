#include "visualizer/core/hardware.h"

#include "visualizer/core/cpu_probe.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace wb::sim {
namespace {

constexpr double kMeasure = std::numeric_limits<double>::quiet_NaN();

class Reader {
public:
    Reader(const HardwareDescription& hw, std::string origin) : hw_(hw), origin_(std::move(origin)) {}

    double number(const std::string& key, bool allowMeasure = false) const {
        const auto it = hw_.parameters.find(key);
        if (it == hw_.parameters.end()) fail(key, "is missing");
        const double v = it->second.value;
        if (std::isnan(v)) {
            if (allowMeasure) return v;
            fail(key, "must be a number (\"measure\" is only allowed for CPU descriptions)");
        }
        if (!(v > 0) || !std::isfinite(v)) fail(key, "must be a positive number, got " + std::to_string(v));
        return v;
    }
    int integer(const std::string& key) const {
        const double v = number(key);
        if (v != std::floor(v) || v > 1e9) fail(key, "must be a whole number, got " + std::to_string(v));
        return static_cast<int>(v);
    }
    [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
        throw std::runtime_error(origin_ + ": parameter '" + key + "' " + problem);
    }

private:
    const HardwareDescription& hw_;
    std::string origin_;
};

void readLpu(HardwareDescription& hw, const Reader& r, const nlohmann::json& params) {
    auto& p = hw.lpu;
    p.clockHz = r.number("clock_hz");
    p.memSlices = r.integer("mem_slices");
    p.memHemispheres = r.integer("mem_hemispheres");
    p.memSliceBytes = r.number("mem_slice_bytes");
    p.lanes = r.integer("lanes");
    p.superlanes = r.integer("superlanes");
    p.sramBandwidthPaper = r.number("sram_bandwidth_paper");
    p.sramBandwidthMarketing = r.number("sram_bandwidth_marketing");
    const auto& choice = params.at("sram_bandwidth_choice").at("value");
    if (!choice.is_string() || (choice != "paper" && choice != "marketing"))
        r.fail("sram_bandwidth_choice", "must be \"paper\" or \"marketing\"");
    p.useMarketingBandwidth = choice == "marketing";
    p.streamBandwidth = r.number("stream_bandwidth");
    p.mxmPlanes = r.integer("mxm_planes");
    p.mxmPlaneDim = r.integer("mxm_plane_dim");
    p.mxmFp16Flops = r.number("mxm_fp16_flops");
    p.vxmAlus = r.integer("vxm_alus");
    p.sxmUnits = r.integer("sxm_units");
    p.c2cLinks = r.integer("c2c_links");
    p.c2cLinkBandwidth = r.number("c2c_link_bandwidth");
    p.c2cHopLatencyCycles = r.number("c2c_hop_latency_cycles");
    p.chipsPerNode = r.integer("chips_per_node");
    p.intraNodeLinks = r.integer("intra_node_links");
    p.globalLinks = r.integer("global_links");
    p.nodesPerRack = r.integer("nodes_per_rack");
    p.instructionMemSlices = r.integer("instruction_mem_slices");
    p.memFillCycles = r.number("mem_fill_cycles");
    p.vxmFillCycles = r.number("vxm_fill_cycles");
    p.sxmFillCycles = r.number("sxm_fill_cycles");
    p.mxmFillCycles = r.number("mxm_fill_cycles");
    if (p.intraNodeLinks + p.globalLinks > p.c2cLinks)
        r.fail("intra_node_links", "plus global_links exceeds c2c_links");
    if (p.intraNodeLinks < p.chipsPerNode - 1)
        r.fail("intra_node_links", "must fully connect a node (at least chips_per_node - 1)");
    if (p.instructionMemSlices >= p.memSlices) r.fail("instruction_mem_slices", "leaves no slice for data");
}

void readRoofline(HardwareDescription& hw, const Reader& r) {
    auto& p = hw.roofline;
    const bool cpu = hw.kind == DeviceKind::Cpu;
    p.memoryBandwidth = r.number("memory_bandwidth", cpu);
    p.memoryBytes = r.number("memory_bytes", cpu);
    const std::pair<const char*, NumberFormat> keys[] = {{"flops_fp32", NumberFormat::Fp32},
                                                         {"flops_fp16", NumberFormat::Fp16},
                                                         {"flops_bf16", NumberFormat::Bf16},
                                                         {"flops_fp8", NumberFormat::Fp8},
                                                         {"flops_int8", NumberFormat::Int8}};
    for (const auto& [key, format] : keys)
        if (hw.parameters.count(key)) p.peakFlops[format] = r.number(key, cpu);
    if (p.peakFlops.empty()) r.fail("flops_fp16", "is missing (give at least one flops_<format>)");
}

} // namespace

std::string_view deviceKindName(DeviceKind kind) {
    switch (kind) {
    case DeviceKind::Lpu: return "lpu";
    case DeviceKind::Gpu: return "gpu";
    case DeviceKind::Cpu: return "cpu";
    }
    return "?";
}

double LpuParameters::feedBytesPerCycle() const {
    return std::min(sramBandwidth(), streamBandwidth) / clockHz;
}

double RooflineParameters::peakFor(NumberFormat compute) const {
    if (auto it = peakFlops.find(compute); it != peakFlops.end()) return it->second;
    // Formats without their own units run on the next wider one the device has.
    for (auto wider : {NumberFormat::Fp16, NumberFormat::Bf16, NumberFormat::Fp32})
        if (auto it = peakFlops.find(wider); it != peakFlops.end()) return it->second;
    return peakFlops.begin()->second;
}

HardwareDescription parseHardwareJson(const std::string& text, const std::string& origin) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error(origin + ": not valid JSON: " + e.what());
    }
    HardwareDescription hw;
    hw.origin = origin;
    auto field = [&](const char* key) -> std::string {
        if (!doc.contains(key) || !doc[key].is_string())
            throw std::runtime_error(origin + ": field '" + key + "' is missing or not a string");
        return doc[key].get<std::string>();
    };
    hw.id = field("id");
    hw.name = field("name");
    const std::string kind = field("kind");
    if (kind == "lpu") hw.kind = DeviceKind::Lpu;
    else if (kind == "gpu") hw.kind = DeviceKind::Gpu;
    else if (kind == "cpu") hw.kind = DeviceKind::Cpu;
    else throw std::runtime_error(origin + ": field 'kind' must be lpu, gpu or cpu, got '" + kind + "'");
    if (doc.contains("description") && doc["description"].is_string()) hw.description = doc["description"];
    if (!doc.contains("parameters") || !doc["parameters"].is_object())
        throw std::runtime_error(origin + ": field 'parameters' is missing or not an object");
    const auto& params = doc["parameters"];
    for (const auto& [key, entry] : params.items()) {
        if (!entry.is_object() || !entry.contains("value"))
            throw std::runtime_error(origin + ": parameter '" + key + "' must be an object with a \"value\"");
        if (!entry.contains("source") || !entry["source"].is_string() || entry["source"].get<std::string>().empty())
            throw std::runtime_error(origin + ": parameter '" + key + "' has no \"source\" (every number needs one)");
        SourcedValue sv;
        const auto& value = entry["value"];
        if (value.is_number()) sv.value = value.get<double>();
        else if (value.is_string() && value == "measure") sv.value = kMeasure;
        else if (value.is_string()) sv.value = 0.0; // textual choices, read by key
        else throw std::runtime_error(origin + ": parameter '" + key + "' value must be a number or string");
        if (entry.contains("unit") && entry["unit"].is_string()) sv.unit = entry["unit"];
        sv.source = entry["source"];
        hw.parameters[key] = std::move(sv);
    }
    const Reader reader(hw, origin);
    if (hw.kind == DeviceKind::Lpu) readLpu(hw, reader, params);
    else readRoofline(hw, reader);
    hw.powerWatts = reader.number("power_watts");
    hw.pricePerHour = reader.number("price_per_hour");
    return hw;
}

HardwareDescription loadHardwareFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open hardware file " + path);
    std::ostringstream text;
    text << in.rdbuf();
    auto hw = parseHardwareJson(text.str(), path);
    fillMeasuredValues(hw);
    return hw;
}

std::vector<std::string> builtinHardwareIds() {
    std::vector<std::string> ids;
    for (const auto& file : embeddedHardwareFiles()) {
        std::string name = file.fileName;
        ids.push_back(name.substr(0, name.size() - 5)); // strip ".json"
    }
    return ids;
}

std::string builtinHardwareText(const std::string& id) {
    for (const auto& file : embeddedHardwareFiles())
        if (std::string(file.fileName) == id + ".json") return file.text;
    std::string known;
    for (const auto& k : builtinHardwareIds()) known += (known.empty() ? "" : ", ") + k;
    throw std::invalid_argument("unknown hardware '" + id + "' (built-in: " + known + ")");
}

HardwareDescription builtinHardware(const std::string& id) {
    auto hw = parseHardwareJson(builtinHardwareText(id), "built-in " + id + ".json");
    hw.origin = "built-in";
    fillMeasuredValues(hw);
    return hw;
}

void fillMeasuredValues(HardwareDescription& hw) {
    if (hw.kind != DeviceKind::Cpu) return;
    bool any = false;
    for (const auto& [key, v] : hw.parameters) any = any || std::isnan(v.value);
    if (!any) return;
    const CpuMeasurement& m = measureLocalCpu();
    auto fill = [&](const char* key, double value, double& target) {
        auto it = hw.parameters.find(key);
        if (it == hw.parameters.end() || !std::isnan(it->second.value)) return;
        it->second.value = value;
        target = value;
    };
    fill("memory_bandwidth", m.memoryBandwidth, hw.roofline.memoryBandwidth);
    fill("memory_bytes", m.memoryBytes, hw.roofline.memoryBytes);
    for (auto& [format, flops] : hw.roofline.peakFlops) {
        if (!std::isnan(flops)) continue;
        flops = m.fp32Flops;
        hw.parameters["flops_" + std::string(formatName(format))].value = m.fp32Flops;
    }
    hw.roofline.measured = true;
}

} // namespace wb::sim
