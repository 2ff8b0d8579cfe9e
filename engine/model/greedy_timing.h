#pragma once
// The timed generation loop of `iwb bench` (llama-bench's tg test) as one function, so that the desktop app
// runs exactly the loop bench times, in its own process, on its own generation thread: its reply speed can
// then be compared with the engine's without the run-to-run spread of two processes (docs/app.md).
#include <cstdint>
#include <functional>
#include <random>

namespace wb {

class InferenceContext;

// Resets `context` and evaluates `depth` random tokens in one batch (nothing when depth is 0).
void fillWithRandomTokens(InferenceContext& context, int depth, std::mt19937& rng);

// Resets `context`, evaluates `depth` random tokens (untimed), then `tokens` passes of one token each, every
// token the greedy choice of the last logits (the first one random). Returns the seconds the `tokens`
// passes took. afterEachPass runs after every evaluate(), timed or not (bench drains telemetry there).
// Throws std::invalid_argument when depth + tokens does not fit the context, and what evaluate() throws.
double timeGreedyGeneration(InferenceContext& context, int depth, int tokens, std::mt19937& rng,
                            const std::function<void()>& afterEachPass = {});

} // namespace wb
