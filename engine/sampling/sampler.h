#pragma once
// Token sampling: turns one next-token logit vector into a token id.
//
// Chain order (the same as llama.cpp's default chain, common/sampling.cpp, minus DRY/typical/XTC):
//   1. penalties   repeat / presence / frequency over the last `repeatLastN` accepted tokens
//   2. top-k       keep the k highest logits (k <= 0: off)
//   3. top-p       keep the smallest prefix whose softmax probability mass reaches p (p >= 1: off)
//   4. min-p       keep tokens whose probability is at least minP x the highest one (minP <= 0: off)
//   5. temperature divide the logits by T
//   6. draw        softmax over what is left, one uniform draw from the seeded generator
// top-p and min-p see probabilities at temperature 1, as in llama.cpp. temperature <= 0 is greedy:
// the highest penalized logit wins, ties go to the lowest id, and no random number is drawn.
#include "engine/sampling/random.h"

#include <cstdint>
#include <deque>
#include <span>
#include <vector>

namespace wb {

using TokenId = std::int32_t;

struct SamplingParams {
    static constexpr std::uint64_t kDefaultSeed = 0x5eed;

    float temperature = 0.8f;
    int topK = 40;
    float topP = 0.95f;
    float minP = 0.05f;
    float repeatPenalty = 1.0f; // 1 = off
    int repeatLastN = 64;       // 0 = penalties off, -1 = every accepted token
    float presencePenalty = 0.0f;
    float frequencyPenalty = 0.0f;
    std::uint64_t seed = kDefaultSeed;

    bool greedy() const { return temperature <= 0.0f; }
};

struct TokenCandidate {
    TokenId id = 0;
    float logit = 0.0f;
    float probability = 0.0f; // filled by softmax()
};

// The chain's steps, exposed so that each can be checked on its own. Candidate lists are sorted by
// logit descending, ties by ascending id, on output of every filter.
namespace sampling {

// Sorted candidates for a whole logit vector.
std::vector<TokenCandidate> candidatesFrom(std::span<const float> logits);
// llama.cpp's penalty arithmetic: for a token seen c > 0 times in `history`, a positive logit is divided
// by repeatPenalty and a negative one multiplied by it, then c * frequency + presence is subtracted.
void applyPenalties(std::span<float> logits, std::span<const TokenId> history, float repeatPenalty,
                    float presencePenalty, float frequencyPenalty);
void softmax(std::vector<TokenCandidate>& candidates); // sets .probability; input must be sorted
void topK(std::vector<TokenCandidate>& candidates, int k);
void topP(std::vector<TokenCandidate>& candidates, float p);
void minP(std::vector<TokenCandidate>& candidates, float p);
// Index of the highest logit; ties to the lowest id. The span must not be empty.
TokenId argmax(std::span<const float> logits);

} // namespace sampling

class Sampler {
public:
    explicit Sampler(SamplingParams params = {});

    const SamplingParams& params() const { return params_; }

    // Picks the next token from one logit vector (one float per vocabulary entry).
    TokenId sample(std::span<const float> logits);
    // What `sample` would draw from: the candidates left after every filter, with their final
    // probabilities (after temperature). Greedy gives one candidate with probability 1. No draw is made.
    std::vector<TokenCandidate> distribution(std::span<const float> logits) const;
    // Records a token (prompt or generated) in the penalty history.
    void accept(TokenId token);
    // Forgets the history and restarts the generator from the seed.
    void reset();

private:
    bool penaltiesActive() const; // a penalty is set and the history is not empty
    std::vector<float> penalized(std::span<const float> logits) const;

    SamplingParams params_;
    Xoshiro256StarStar random_;
    std::deque<TokenId> history_;
};

} // namespace wb
