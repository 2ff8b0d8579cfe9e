#pragma once
// Internal: open-addressing hash indexes for the hot look-ups (text -> id, id pair -> merge). The
// standard node-based maps spend most of the Llama-3 load in cache misses; these keep slots contiguous.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wb::tokenizer_detail {

inline std::uint64_t hashBytes(std::string_view text) {
    // FNV-1a, 64-bit (http://www.isthe.com/chongo/tech/comp/fnv/), then a final mix for the low bits.
    std::uint64_t h = 14695981039346656037ull;
    for (const char c : text)
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    return h ^ (h >> 29);
}

inline std::uint64_t mix64(std::uint64_t x) {
    // splitmix64 finaliser
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// Text -> id over a table of strings that outlives the index. Later inserts of the same text win.
class TextIndex {
public:
    void build(const std::vector<std::string>& texts) {
        texts_ = &texts;
        std::size_t capacity = 16;
        while (capacity < texts.size() * 2)
            capacity <<= 1;
        mask_ = capacity - 1;
        slots_.assign(capacity, Slot{});
        for (std::size_t id = 0; id < texts.size(); ++id) {
            const std::uint64_t h = hashBytes(texts[id]);
            std::size_t at = h & mask_;
            while (true) {
                Slot& slot = slots_[at];
                if (slot.id < 0) {
                    slot = {static_cast<std::uint32_t>(h >> 32), static_cast<std::int32_t>(id)};
                    break;
                }
                if (slot.tag == static_cast<std::uint32_t>(h >> 32) && texts[slot.id] == texts[id]) {
                    slot.id = static_cast<std::int32_t>(id);
                    break;
                }
                at = (at + 1) & mask_;
            }
        }
    }

    std::int32_t find(std::string_view text) const {
        if (slots_.empty()) return -1;
        const std::uint64_t h = hashBytes(text);
        const auto tag = static_cast<std::uint32_t>(h >> 32);
        for (std::size_t at = h & mask_;; at = (at + 1) & mask_) {
            const Slot& slot = slots_[at];
            if (slot.id < 0) return -1;
            if (slot.tag == tag && (*texts_)[slot.id] == text) return slot.id;
        }
    }

private:
    struct Slot {
        std::uint32_t tag = 0;
        std::int32_t id = -1;
    };
    const std::vector<std::string>* texts_ = nullptr;
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
};

// (left id, right id) -> (rank, result id). The first insert of a key wins.
class PairIndex {
public:
    struct Value {
        std::int32_t rank = -1;
        std::int32_t result = -1;
    };

    void reserve(std::size_t count) {
        std::size_t capacity = 16;
        while (capacity < count * 2)
            capacity <<= 1;
        mask_ = capacity - 1;
        slots_.assign(capacity, Slot{});
        size_ = 0;
    }
    // Returns false when the key was already present. reserve() must have room for every insert.
    bool insert(std::uint64_t key, Value value) {
        for (std::size_t at = mix64(key) & mask_;; at = (at + 1) & mask_) {
            Slot& slot = slots_[at];
            if (slot.value.rank < 0) {
                slot = {key, value};
                ++size_;
                return true;
            }
            if (slot.key == key) return false;
        }
    }
    const Value* find(std::uint64_t key) const {
        if (slots_.empty()) return nullptr;
        for (std::size_t at = mix64(key) & mask_;; at = (at + 1) & mask_) {
            const Slot& slot = slots_[at];
            if (slot.value.rank < 0) return nullptr;
            if (slot.key == key) return &slot.value;
        }
    }
    std::size_t size() const { return size_; }

private:
    struct Slot {
        std::uint64_t key = 0;
        Value value;
    };
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    std::size_t size_ = 0;
};

} // namespace wb::tokenizer_detail
