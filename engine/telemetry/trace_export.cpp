#include "engine/telemetry/trace_export.h"

#include "engine/telemetry/json_text.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <numeric>
#include <stdexcept>

namespace wb::telemetry {

namespace {

constexpr int kPid = 1;

std::uint64_t traceOrigin(const TraceData& trace) {
    if (trace.originNs != 0) return trace.originNs;
    std::uint64_t origin = UINT64_MAX;
    for (const Event& event : trace.events)
        origin = std::min(origin, event.startNs);
    for (const CounterSample& sample : trace.counters)
        origin = std::min(origin, sample.timeNs);
    return origin == UINT64_MAX ? 0 : origin;
}

std::int64_t relative(std::uint64_t timeNs, std::uint64_t origin) {
    return static_cast<std::int64_t>(timeNs - origin);
}

void writeMetadata(std::ostream& out, const char* name, int tid, const char* key, const std::string& value,
                   bool quoted) {
    out << "{\"ph\":\"M\",\"pid\":" << kPid << ",\"tid\":" << tid << ",\"name\":\"" << name
        << "\",\"args\":{\"" << key << "\":";
    if (quoted)
        text::writeJsonString(out, value);
    else
        out << value;
    out << "}}";
}

void writeSpan(std::ostream& out, const Event& event, std::uint64_t origin) {
    out << "{\"ph\":\"X\",\"pid\":" << kPid << ",\"tid\":" << event.thread << ",\"ts\":";
    text::writeMicros(out, relative(event.startNs, origin));
    out << ",\"dur\":";
    text::writeMicros(out, static_cast<std::int64_t>(event.durationNs()));
    switch (event.kind) {
    case SpanKind::Token:
        out << ",\"name\":\"token " << event.token
            << "\",\"cat\":\"token\",\"args\":{\"token\":" << event.token
            << ",\"token_count\":" << event.tokenCount << "}}";
        break;
    case SpanKind::Layer:
        out << ",\"name\":\"layer " << event.layer
            << "\",\"cat\":\"layer\",\"args\":{\"token\":" << event.token << ",\"layer\":" << event.layer
            << "}}";
        break;
    case SpanKind::Op: {
        const std::string_view op = opKindName(event.op);
        out << ",\"name\":\"" << op << "\",\"cat\":\"op\",\"args\":{\"token\":" << event.token
            << ",\"layer\":" << event.layer << ",\"op\":\"" << op << "\",\"bytes\":" << event.bytes
            << ",\"flops\":" << event.flops << "}}";
        break;
    }
    }
}

std::vector<Event> sortedEvents(const TraceData& trace) {
    std::vector<Event> events = trace.events;
    sortForNesting(events);
    return events;
}

template <typename Writer> void writeFile(const std::string& path, const char* what, Writer writer) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file) throw std::runtime_error("cannot open " + path + " to write the " + what);
    writer(file);
    file.flush();
    if (!file) throw std::runtime_error("cannot write the " + std::string(what) + " to " + path);
}

} // namespace

void writeChromeTrace(std::ostream& out, const TraceData& trace) {
    const std::uint64_t origin = traceOrigin(trace);
    out << "{\"displayTimeUnit\":\"ns\",\"otherData\":{";
    for (std::size_t i = 0; i < trace.otherData.size(); ++i) {
        if (i) out << ',';
        text::writeJsonString(out, trace.otherData[i].first);
        out << ':';
        text::writeJsonString(out, trace.otherData[i].second);
    }
    out << "},\n\"traceEvents\":[\n";
    writeMetadata(out, "process_name", 0, "name", trace.processName, true);
    for (const ThreadInfo& thread : trace.threads) {
        out << ",\n";
        writeMetadata(out, "thread_name", thread.id, "name", thread.name, true);
        out << ",\n";
        writeMetadata(out, "thread_sort_index", thread.id, "sort_index", std::to_string(thread.id), false);
    }
    for (const Event& event : sortedEvents(trace)) {
        out << ",\n";
        writeSpan(out, event, origin);
    }
    for (const CounterSample& sample : trace.counters) {
        out << ",\n{\"ph\":\"C\",\"pid\":" << kPid << ",\"ts\":";
        text::writeMicros(out, relative(sample.timeNs, origin));
        out << ",\"name\":";
        text::writeJsonString(out, sample.name);
        out << ",\"args\":{";
        for (std::size_t i = 0; i < sample.series.size(); ++i) {
            if (i) out << ',';
            text::writeJsonString(out, sample.series[i].first);
            out << ':';
            text::writeJsonNumber(out, sample.series[i].second);
        }
        out << "}}";
    }
    out << "\n]}\n";
}

void writeChromeTraceFile(const std::string& path, const TraceData& trace) {
    writeFile(path, "Chrome trace", [&](std::ostream& out) { writeChromeTrace(out, trace); });
}

void writeOpCsv(std::ostream& out, const TraceData& trace) {
    const std::uint64_t origin = traceOrigin(trace);
    std::vector<Event> ops;
    for (const Event& event : trace.events)
        if (event.kind == SpanKind::Op) ops.push_back(event);
    std::stable_sort(ops.begin(), ops.end(), [](const Event& a, const Event& b) {
        return a.token != b.token ? a.token < b.token : a.startNs < b.startNs;
    });
    out << kOpCsvHeader << '\n';
    for (const Event& op : ops) {
        out << op.token << ',' << op.layer << ',' << opKindName(op.op) << ',' << op.thread << ',';
        text::writeMicros(out, relative(op.startNs, origin));
        out << ',';
        text::writeMicros(out, static_cast<std::int64_t>(op.durationNs()));
        out << ',' << op.bytes << ',' << op.flops << '\n';
    }
}

void writeOpCsvFile(const std::string& path, const TraceData& trace) {
    writeFile(path, "op CSV", [&](std::ostream& out) { writeOpCsv(out, trace); });
}

namespace {
double mean(const std::vector<double>& values) {
    return values.empty()
               ? 0
               : std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}
double sampleStddev(const std::vector<double>& values) {
    if (values.size() < 2) return 0;
    const double m = mean(values);
    double squares = 0;
    for (double v : values)
        squares += (v - m) * (v - m);
    return std::sqrt(squares / static_cast<double>(values.size() - 1));
}
std::vector<double> asDoubles(const std::vector<std::uint64_t>& values) {
    return {values.begin(), values.end()};
}
} // namespace

double BenchRecord::avgNs() const {
    return mean(asDoubles(samplesNs));
}
double BenchRecord::stddevNs() const {
    return sampleStddev(asDoubles(samplesNs));
}

std::vector<double> BenchRecord::samplesTs() const {
    std::vector<double> ts;
    for (std::uint64_t ns : samplesNs)
        ts.push_back(ns > 0 ? 1e9 * static_cast<double>(nPrompt + nGen) / static_cast<double>(ns) : 0.0);
    return ts;
}
double BenchRecord::avgTs() const {
    return mean(samplesTs());
}
double BenchRecord::stddevTs() const {
    return sampleStddev(samplesTs());
}

void writeBenchJsonLine(std::ostream& out, const BenchRecord& r) {
    const auto str = [&](const char* key, const std::string& value) {
        out << ",\"" << key << "\":";
        text::writeJsonString(out, value);
    };
    const auto num = [&](const char* key, double value) {
        out << ",\"" << key << "\":";
        text::writeJsonNumber(out, value);
    };
    const auto integer = [&](const char* key, std::uint64_t value) { out << ",\"" << key << "\":" << value; };
    out << "{\"build_commit\":";
    text::writeJsonString(out, r.buildCommit);
    out << ",\"build_number\":" << r.buildNumber;
    str("cpu_info", r.cpuInfo);
    str("gpu_info", r.gpuInfo);
    str("backends", r.backends);
    str("model_filename", r.modelFilename);
    str("model_type", r.modelType);
    integer("model_size", r.modelSize);
    integer("model_n_params", r.modelNParams);
    out << ",\"n_batch\":" << r.nBatch << ",\"n_ubatch\":" << r.nUbatch << ",\"n_threads\":" << r.nThreads;
    str("type_k", r.typeK);
    str("type_v", r.typeV);
    out << ",\"n_gpu_layers\":" << r.nGpuLayers << ",\"n_prompt\":" << r.nPrompt << ",\"n_gen\":" << r.nGen
        << ",\"n_depth\":" << r.nDepth;
    str("test_time", r.testTime);
    integer("avg_ns", static_cast<std::uint64_t>(std::llround(r.avgNs())));
    integer("stddev_ns", static_cast<std::uint64_t>(std::llround(r.stddevNs())));
    num("avg_ts", r.avgTs());
    num("stddev_ts", r.stddevTs());
    out << ",\"samples_ns\":[";
    for (std::size_t i = 0; i < r.samplesNs.size(); ++i)
        out << (i ? "," : "") << r.samplesNs[i];
    out << "],\"samples_ts\":[";
    const std::vector<double> ts = r.samplesTs();
    for (std::size_t i = 0; i < ts.size(); ++i) {
        if (i) out << ',';
        text::writeJsonNumber(out, ts[i]);
    }
    out << "]}\n";
}

std::string isoUtcNow() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buffer;
}

} // namespace wb::telemetry
