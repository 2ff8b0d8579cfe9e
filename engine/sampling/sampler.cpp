#include "engine/sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>

namespace wb {
namespace sampling {
namespace {

bool higherFirst(const TokenCandidate& a, const TokenCandidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

} // namespace

std::vector<TokenCandidate> candidatesFrom(std::span<const float> logits) {
    std::vector<TokenCandidate> candidates(logits.size());
    for (std::size_t i = 0; i < logits.size(); ++i) {
        // NaN would break the ordering; a NaN logit can never be a sensible choice.
        const float logit = std::isnan(logits[i]) ? -std::numeric_limits<float>::infinity() : logits[i];
        candidates[i] = {static_cast<TokenId>(i), logit, 0.0f};
    }
    std::sort(candidates.begin(), candidates.end(), higherFirst);
    return candidates;
}

namespace {
// Candidates for the k highest logits only, selected in one pass with a k-entry heap whose top is the
// lowest-ranked candidate kept: most entries cost one comparison, and no vocabulary-sized array is built
// (150k entries for Qwen) on every token. The result is the same list a full sort would give.
std::vector<TokenCandidate> topCandidates(std::span<const float> logits, int k) {
    if (k <= 0 || static_cast<std::size_t>(k) >= logits.size()) return candidatesFrom(logits);
    const auto keep = static_cast<std::size_t>(k);
    std::vector<TokenCandidate> heap;
    heap.reserve(keep);
    auto offer = [&](std::size_t i) {
        const float logit = std::isnan(logits[i]) ? -std::numeric_limits<float>::infinity() : logits[i];
        if (heap.size() < keep) {
            heap.push_back({static_cast<TokenId>(i), logit, 0.0f});
            std::push_heap(heap.begin(), heap.end(), higherFirst);
            return;
        }
        // Ids rise with i, so an equal logit ranks below every kept candidate.
        if (!(logit > heap.front().logit)) return;
        std::pop_heap(heap.begin(), heap.end(), higherFirst);
        heap.back() = {static_cast<TokenId>(i), logit, 0.0f};
        std::push_heap(heap.begin(), heap.end(), higherFirst);
    };
    // Once the heap is full, a block of logits none of which beats the lowest kept one is skipped with one
    // vectorizable comparison pass (a NaN compares false, as its -inf would).
    constexpr std::size_t kBlock = 16;
    const std::size_t size = logits.size();
    std::size_t i = 0;
    for (; i + kBlock <= size; i += kBlock) {
        if (heap.size() == keep) {
            const float threshold = heap.front().logit;
            bool any = false;
            for (std::size_t j = 0; j < kBlock; ++j)
                any |= logits[i + j] > threshold;
            if (!any) continue;
        }
        for (std::size_t j = 0; j < kBlock; ++j)
            offer(i + j);
    }
    for (; i < size; ++i)
        offer(i);
    std::sort_heap(heap.begin(), heap.end(), higherFirst); // best first
    return heap;
}
} // namespace

void applyPenalties(std::span<float> logits, std::span<const TokenId> history, float repeatPenalty,
                    float presencePenalty, float frequencyPenalty) {
    if (history.empty() || (repeatPenalty == 1.0f && presencePenalty == 0.0f && frequencyPenalty == 0.0f))
        return;
    std::map<TokenId, int> counts;
    for (const TokenId token : history)
        ++counts[token];
    for (const auto& [token, count] : counts) {
        if (token < 0 || static_cast<std::size_t>(token) >= logits.size()) continue;
        float& logit = logits[static_cast<std::size_t>(token)];
        logit = logit <= 0.0f ? logit * repeatPenalty : logit / repeatPenalty;
        logit -= float(count) * frequencyPenalty + presencePenalty;
    }
}

void softmax(std::vector<TokenCandidate>& candidates) {
    if (candidates.empty()) return;
    const float maxLogit = candidates.front().logit;
    if (!std::isfinite(maxLogit)) { // everything masked: no preference left, treat as uniform
        for (auto& candidate : candidates)
            candidate.probability = 1.0f / float(candidates.size());
        return;
    }
    double sum = 0.0;
    std::vector<double> weights(candidates.size());
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        weights[i] = std::exp(double(candidates[i].logit) - double(maxLogit));
        sum += weights[i];
    }
    for (std::size_t i = 0; i < candidates.size(); ++i)
        candidates[i].probability = float(weights[i] / sum);
}

void topK(std::vector<TokenCandidate>& candidates, int k) {
    if (k > 0 && static_cast<std::size_t>(k) < candidates.size())
        candidates.resize(static_cast<std::size_t>(k));
}

void topP(std::vector<TokenCandidate>& candidates, float p) {
    if (p >= 1.0f || candidates.empty()) return;
    softmax(candidates);
    double cumulative = 0.0;
    std::size_t keep = candidates.size();
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        cumulative += candidates[i].probability;
        if (cumulative >= double(p)) { // at least one token always stays
            keep = i + 1;
            break;
        }
    }
    candidates.resize(keep);
}

void minP(std::vector<TokenCandidate>& candidates, float p) {
    if (p <= 0.0f || candidates.empty()) return;
    // probability_i >= p * probability_max  <=>  logit_i >= logit_max + ln p (same softmax denominator)
    const float threshold = candidates.front().logit + std::log(p);
    std::size_t keep = 1;
    while (keep < candidates.size() && candidates[keep].logit >= threshold)
        ++keep;
    candidates.resize(keep);
}

TokenId argmax(std::span<const float> logits) {
    if (logits.empty()) throw std::invalid_argument("sampler: empty logit vector");
    std::size_t best = 0;
    for (std::size_t i = 1; i < logits.size(); ++i) // strict '>' keeps the lowest id on ties
        if (logits[i] > logits[best] || std::isnan(logits[best])) best = i;
    return static_cast<TokenId>(best);
}

} // namespace sampling

Sampler::Sampler(SamplingParams params) : params_(params), random_(params.seed) {}

void Sampler::accept(TokenId token) {
    if (params_.repeatLastN == 0) return;
    history_.push_back(token);
    if (params_.repeatLastN > 0)
        while (history_.size() > static_cast<std::size_t>(params_.repeatLastN))
            history_.pop_front();
}

void Sampler::reset() {
    history_.clear();
    random_.reseed(params_.seed);
}

bool Sampler::penaltiesActive() const {
    return !history_.empty() && (params_.repeatPenalty != 1.0f || params_.presencePenalty != 0.0f ||
                                 params_.frequencyPenalty != 0.0f);
}

std::vector<float> Sampler::penalized(std::span<const float> logits) const {
    std::vector<float> adjusted(logits.begin(), logits.end());
    const std::vector<TokenId> history(history_.begin(), history_.end());
    sampling::applyPenalties(adjusted, history, params_.repeatPenalty, params_.presencePenalty,
                             params_.frequencyPenalty);
    return adjusted;
}

std::vector<TokenCandidate> Sampler::distribution(std::span<const float> logits) const {
    if (logits.empty()) throw std::invalid_argument("sampler: empty logit vector");
    // Without active penalties the logits are used in place (no vocabulary-sized copy per token).
    std::vector<float> copy;
    if (penaltiesActive()) copy = penalized(logits);
    const std::span<const float> adjusted = penaltiesActive() ? std::span<const float>(copy) : logits;
    if (params_.greedy()) {
        const TokenId best = sampling::argmax(adjusted);
        return {{best, adjusted[static_cast<std::size_t>(best)], 1.0f}};
    }
    std::vector<TokenCandidate> candidates = sampling::topCandidates(adjusted, params_.topK);
    sampling::topP(candidates, params_.topP);
    sampling::minP(candidates, params_.minP);
    for (auto& candidate : candidates)
        candidate.logit /= params_.temperature;
    sampling::softmax(candidates);
    return candidates;
}

TokenId Sampler::sample(std::span<const float> logits) {
    if (params_.greedy()) {
        if (logits.empty()) throw std::invalid_argument("sampler: empty logit vector");
        return penaltiesActive() ? sampling::argmax(penalized(logits)) : sampling::argmax(logits);
    }
    const std::vector<TokenCandidate> candidates = distribution(logits);
    // Inverse-CDF draw over the final probabilities, summed in double in a fixed order.
    const double target = random_.nextUnit();
    double cumulative = 0.0;
    for (const auto& candidate : candidates) {
        cumulative += double(candidate.probability);
        if (target < cumulative) return candidate.id;
    }
    return candidates.back().id; // rounding left the total just under 1
}

} // namespace wb
