#pragma once
// A small, fully specified pseudo-random generator so that a seed gives the same tokens on every
// platform and standard library (std:: distributions are implementation-defined).
// xoshiro256** 1.0 by D. Blackman and S. Vigna (https://prng.di.unimi.it/xoshiro256starstar.c), seeded
// through splitmix64 (https://prng.di.unimi.it/splitmix64.c) as its authors recommend.
#include <array>
#include <cstdint>

namespace wb {

class Xoshiro256StarStar {
public:
    explicit Xoshiro256StarStar(std::uint64_t seed) { reseed(seed); }

    void reseed(std::uint64_t seed) {
        std::uint64_t x = seed;
        for (auto& word : state_)
            word = splitmix64(x);
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    // Uniform in [0, 1): the top 53 bits scaled by 2^-53, exact in a double.
    double nextUnit() { return double(next() >> 11) * 0x1.0p-53; }

    static std::uint64_t splitmix64(std::uint64_t& x) {
        std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }

private:
    static std::uint64_t rotl(std::uint64_t value, int k) { return (value << k) | (value >> (64 - k)); }
    std::array<std::uint64_t, 4> state_{};
};

} // namespace wb
