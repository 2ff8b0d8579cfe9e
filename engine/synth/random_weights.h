#pragma once
// Deterministic, counter-based pseudo-random weights. Every row of every tensor has its own key derived from
// (seed, tensor name, row), so the bytes do not depend on how rows are split across threads.
#include <cstdint>
#include <string_view>

namespace wb::synth {

// SplitMix64 finaliser (Steele, Lea, Flood: "Fast splittable pseudorandom number generators", OOPSLA 2014).
constexpr std::uint64_t mix64(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Key of one tensor: the seed mixed with an FNV-1a hash of its name.
std::uint64_t tensorKey(std::uint64_t seed, std::string_view tensorName);

// Fills n values with mean + stddev * (approximately normal noise). Each value is the Irwin-Hall sum of the
// four 16-bit parts of one 64-bit hash output (bounded at +-3.46 sigma, smooth enough for synthetic weights).
void fillNormalRow(std::uint64_t tensorKey, std::uint64_t row, float mean, float stddev, float* out,
                   std::int64_t n);

} // namespace wb::synth
