#pragma once
// Token-level numbers of one generation, filled by whoever drives it (the session): time to first token,
// per-token latency, prompt processing time and context fill. Shapes follow llama-server's
// result_timings (prompt_n/ms/per_second, predicted_n/ms/per_second).
#include <cstdint>
#include <vector>

namespace wb::telemetry {

struct GenerationMetrics {
    std::int32_t promptTokens = 0;
    double promptMs = 0;                // prompt processing (all prompt passes)
    double ttftMs = 0;                  // request start -> first generated token sampled
    std::vector<double> tokenLatencyMs; // per generated token: since the previous token (the first: since
                                        // the prompt finished)
    std::int32_t contextUsed = 0;       // positions filled in the KV cache
    std::int32_t contextSize = 0;       // positions the cache holds

    std::int32_t generatedTokens() const { return static_cast<std::int32_t>(tokenLatencyMs.size()); }
    double generationMs() const;
    double promptTokensPerSecond() const;     // 0 when nothing was timed
    double generationTokensPerSecond() const; // 0 when nothing was timed
    double contextFill() const;               // used / size in [0, 1]
    // Latency percentile by nearest rank (p in [0, 100]); 0 without tokens.
    double latencyPercentileMs(double p) const;
};

// Fills GenerationMetrics from timestamps taken by the generation loop.
class GenerationTimer {
public:
    explicit GenerationTimer(std::int32_t contextSize);
    void requestStarted(); // before the prompt is evaluated
    void promptFinished(std::int32_t promptTokens);
    void tokenGenerated(); // after each sampled token
    void setContextUsed(std::int32_t used) { metrics_.contextUsed = used; }
    const GenerationMetrics& metrics() const { return metrics_; }

private:
    GenerationMetrics metrics_;
    std::uint64_t requestNs_ = 0;
    std::uint64_t promptStartNs_ = 0;
    std::uint64_t lastNs_ = 0;
};

} // namespace wb::telemetry
