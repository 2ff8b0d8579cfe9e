#include "engine/model/greedy_timing.h"

#include "engine/model/inference_context.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace wb {

void fillWithRandomTokens(InferenceContext& context, int depth, std::mt19937& rng) {
    context.reset();
    if (depth <= 0) return;
    std::uniform_int_distribution<std::int32_t> anyToken(0, context.vocabSize() - 1);
    std::vector<std::int32_t> prefix(static_cast<std::size_t>(depth));
    for (auto& t : prefix)
        t = anyToken(rng);
    context.evaluate(prefix);
}

double timeGreedyGeneration(InferenceContext& context, int depth, int tokens, std::mt19937& rng,
                            const std::function<void()>& afterEachPass) {
    if (depth < 0 || tokens < 1)
        throw std::invalid_argument("timed generation needs depth >= 0 and at least one token");
    if (static_cast<std::int64_t>(depth) + tokens > context.contextLength())
        throw std::invalid_argument(std::to_string(depth) + " + " + std::to_string(tokens) +
                                    " tokens do not fit in the context length of " +
                                    std::to_string(context.contextLength()));
    fillWithRandomTokens(context, depth, rng);
    if (depth > 0 && afterEachPass) afterEachPass();
    std::uniform_int_distribution<std::int32_t> anyToken(0, context.vocabSize() - 1);
    std::vector<std::int32_t> token{anyToken(rng)};
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < tokens; ++i) {
        const auto logits = context.evaluate(token);
        if (afterEachPass) afterEachPass();
        // Greedy next token, so each step depends on the last as in real decoding.
        token[0] = static_cast<std::int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace wb
