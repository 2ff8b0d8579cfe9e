#include "engine/telemetry/token_metrics.h"

#include "engine/telemetry/recorder.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace wb::telemetry {

double GenerationMetrics::generationMs() const {
    return std::accumulate(tokenLatencyMs.begin(), tokenLatencyMs.end(), 0.0);
}

double GenerationMetrics::promptTokensPerSecond() const {
    return promptMs > 0 ? promptTokens * 1000.0 / promptMs : 0;
}

double GenerationMetrics::generationTokensPerSecond() const {
    const double ms = generationMs();
    return ms > 0 ? generatedTokens() * 1000.0 / ms : 0;
}

double GenerationMetrics::contextFill() const {
    return contextSize > 0 ? std::clamp(static_cast<double>(contextUsed) / contextSize, 0.0, 1.0) : 0;
}

double GenerationMetrics::latencyPercentileMs(double p) const {
    if (tokenLatencyMs.empty()) return 0;
    std::vector<double> sorted = tokenLatencyMs;
    std::sort(sorted.begin(), sorted.end());
    const double rank = std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(sorted.size()));
    const auto index = static_cast<std::size_t>(std::max(rank, 1.0)) - 1;
    return sorted[std::min(index, sorted.size() - 1)];
}

GenerationTimer::GenerationTimer(std::int32_t contextSize) {
    metrics_.contextSize = contextSize;
}

void GenerationTimer::requestStarted() {
    requestNs_ = promptStartNs_ = lastNs_ = steadyNowNs();
}

void GenerationTimer::promptFinished(std::int32_t promptTokens) {
    const std::uint64_t now = steadyNowNs();
    metrics_.promptTokens += promptTokens;
    metrics_.promptMs = static_cast<double>(now - promptStartNs_) / 1e6;
    metrics_.contextUsed += promptTokens;
    lastNs_ = now;
}

void GenerationTimer::tokenGenerated() {
    const std::uint64_t now = steadyNowNs();
    if (metrics_.tokenLatencyMs.empty()) metrics_.ttftMs = static_cast<double>(now - requestNs_) / 1e6;
    metrics_.tokenLatencyMs.push_back(static_cast<double>(now - lastNs_) / 1e6);
    ++metrics_.contextUsed;
    lastNs_ = now;
}

} // namespace wb::telemetry
