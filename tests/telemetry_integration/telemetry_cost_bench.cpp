// Telemetry cost, measured in one process so that load from other processes hits both modes alike:
// generations alternate between telemetry on and off (on-off, off-on, ...), and the medians of prompt and
// generation speed are compared. Also times one recorded span in a tight loop. Not a test (it takes seconds
// to minutes):
//   telemetry_cost_bench MODEL [reps=9] [generated=64] [prompt-repeat=4] [threads=2]
#include "engine/session/generation_session.h"
#include "engine/telemetry/recorder.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n == 0 ? 0 : (n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]));
}

double nanosecondsPerSpan(bool enabled) {
    wb::telemetry::Recorder recorder(enabled);
    std::vector<wb::telemetry::Event> sink;
    constexpr int kSpans = 1 << 20;
    const std::uint64_t start = wb::telemetry::steadyNowNs();
    for (int i = 0; i < kSpans; ++i) {
        { const wb::telemetry::OpScope span(&recorder, i, 0, wb::telemetry::OpKind::QProj, 1, 2); }
        if ((i & 4095) == 4095) { // drain as the session does between passes (not timed separately)
            sink.clear();
            recorder.drainEvents(sink);
        }
    }
    return double(wb::telemetry::steadyNowNs() - start) / kSpans;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s MODEL [reps] [generated] [prompt-repeat] [threads]\n", argv[0]);
        return 2;
    }
    const std::string model = argv[1];
    const int reps = argc > 2 ? std::atoi(argv[2]) : 9;
    const int generated = argc > 3 ? std::atoi(argv[3]) : 64;
    const int promptRepeat = argc > 4 ? std::atoi(argv[4]) : 4;
    const int threads = argc > 5 ? std::atoi(argv[5]) : 2;

    std::printf("one op span: %.1f ns recording, %.2f ns switched off\n", nanosecondsPerSpan(true),
                nanosecondsPerSpan(false));

    auto session = wb::GenerationSession::open(model, {0, threads});
    std::string prompt;
    for (int i = 0; i < promptRepeat; ++i)
        prompt += "The quick brown fox jumps over the lazy dog. ";
    wb::GenerationOptions options;
    options.maxTokens = generated;
    options.sampling.temperature = 0;
    options.telemetry.keepTrace = false; // what the app does: live reports only
    session->generate(prompt, options);  // warm up
    std::vector<double> pp[2], tg[2], coverage;
    std::size_t promptTokens = 0, tokens = 0;
    for (int r = 0; r < reps; ++r) {
        for (int step = 0; step < 2;
             ++step) { // 0 = on, 1 = off; ABBA order so neither mode always goes first
            const int mode = (r % 2 == 0) ? step : 1 - step;
            options.telemetry.enabled = mode == 0;
            const wb::GenerationResult result = session->generate(prompt, options);
            pp[mode].push_back(result.timings.promptTokensPerSecond);
            tg[mode].push_back(result.timings.genTokensPerSecond);
            promptTokens = result.promptIds.size();
            tokens = result.ids.size();
            if (mode == 0) coverage.push_back(result.telemetry.opMs / result.telemetry.passMs);
        }
    }
    std::printf("%s: prompt %zu tokens, %zu generated, %d threads, %d alternating runs per mode\n",
                model.c_str(), promptTokens, tokens, threads, reps);
    std::printf("  prompt t/s   on %10.2f  off %10.2f  on/off %.4f\n", median(pp[0]), median(pp[1]),
                median(pp[0]) / median(pp[1]));
    std::printf("  generate t/s on %10.2f  off %10.2f  on/off %.4f\n", median(tg[0]), median(tg[1]),
                median(tg[0]) / median(tg[1]));
    std::printf("  op spans cover %.1f %% of the pass wall time (median run)\n", 100 * median(coverage));
    return 0;
}
