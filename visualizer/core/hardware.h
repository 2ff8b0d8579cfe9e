#pragma once
// Hardware descriptions: data files (resources/hardware/*.json, embedded at build time) in which every
// number carries its source. Users copy one, edit it and load it from a path.
#include "visualizer/core/number_format.h"

#include <map>
#include <span>
#include <string>
#include <vector>

namespace wb::sim {

enum class DeviceKind { Lpu, Gpu, Cpu };
std::string_view deviceKindName(DeviceKind kind);

// One number of a description, as read from the file.
struct SourcedValue {
    double value = 0.0;
    std::string unit;
    std::string source;
};

// Parameters of a latency-first, statically scheduled chip (Groq TSP-style).
struct LpuParameters {
    double clockHz = 0;
    int memSlices = 0;
    int memHemispheres = 2;
    double memSliceBytes = 0;
    int lanes = 0;
    int superlanes = 0;
    double sramBandwidthPaper = 0;     // B/s
    double sramBandwidthMarketing = 0; // B/s
    bool useMarketingBandwidth = false;
    double streamBandwidth = 0; // B/s, stream registers: what feeds MXM/VXM
    int mxmPlanes = 0;
    int mxmPlaneDim = 0;
    double mxmFp16Flops = 0;
    int vxmAlus = 0;
    int sxmUnits = 0;
    int c2cLinks = 0;
    double c2cLinkBandwidth = 0; // B/s per direction
    double c2cHopLatencyCycles = 0;
    int chipsPerNode = 0;
    int intraNodeLinks = 0;
    int globalLinks = 0;
    int nodesPerRack = 0;
    int instructionMemSlices = 0;
    double memFillCycles = 0, vxmFillCycles = 0, sxmFillCycles = 0, mxmFillCycles = 0;

    double sramBytes() const { return memSliceBytes * memSlices; }
    double sramBandwidth() const { return useMarketingBandwidth ? sramBandwidthMarketing : sramBandwidthPaper; }
    std::string_view bandwidthChoiceName() const { return useMarketingBandwidth ? "marketing" : "paper"; }
    double int8MacsPerCycle() const { return double(mxmPlanes) * mxmPlaneDim * mxmPlaneDim; }
    double fp16MacsPerCycle() const { return mxmFp16Flops / 2.0 / clockHz; }
    // Bytes per cycle any stream-fed unit can receive: the lower of SRAM and stream-register bandwidth.
    double feedBytesPerCycle() const;
    int chipsPerRack() const { return chipsPerNode * nodesPerRack; }
};

// Parameters of a device seen through a roofline (GPU, CPU).
struct RooflineParameters {
    double memoryBandwidth = 0; // B/s
    double memoryBytes = 0;
    std::map<NumberFormat, double> peakFlops; // dense, per compute format
    bool measured = false;                    // filled from a probe at run time
    double peakFor(NumberFormat compute) const;
};

struct HardwareDescription {
    std::string id;
    std::string name;
    DeviceKind kind = DeviceKind::Lpu;
    std::string description;
    std::string origin; // "built-in" or the file path
    LpuParameters lpu;
    RooflineParameters roofline;
    double powerWatts = 0;   // per chip / device
    double pricePerHour = 0; // USD per chip / device hour
    std::map<std::string, SourcedValue> parameters; // everything the file said, for display
};

// Parses one description. `origin` names the file in error messages.
HardwareDescription parseHardwareJson(const std::string& text, const std::string& origin);
// Loads a user's (edited) copy. Throws std::runtime_error naming the path and the problem.
HardwareDescription loadHardwareFile(const std::string& path);
// The built-in descriptions, by id ("groq-tsp-v1", "h100-sxm", "a100-80g", "cpu-local").
std::vector<std::string> builtinHardwareIds();
// A built-in description. "cpu-local" has its measured values filled in (probe runs once per process).
// Throws std::invalid_argument for unknown ids, listing the known ones.
HardwareDescription builtinHardware(const std::string& id);
// The text of a built-in file, e.g. to write a copy the user can edit.
std::string builtinHardwareText(const std::string& id);
// Fills "measure" values of a CPU description from the probe (no-op for other kinds).
void fillMeasuredValues(HardwareDescription& hardware);

// Generated at build time from resources/hardware/*.json.
struct EmbeddedHardwareFile {
    const char* fileName;
    const char* text;
};
std::span<const EmbeddedHardwareFile> embeddedHardwareFiles();

} // namespace wb::sim
