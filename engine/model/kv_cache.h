#pragma once
// The attention key/value cache. Per layer, keys and values are each one contiguous block laid out
// [position][kv_head][head_dim], so a batch of new tokens is one contiguous range and attention streams
// rows in position order. Elements are F32 or F16 (llama.cpp's default, half the memory).
#include <cstdint>
#include <memory>
#include <stdexcept>

namespace wb {

enum class KvCacheType : std::uint8_t { F32, F16 };

// The cache does not fit in the memory available (RAM + swap, or the address-space limit). The message
// gives the size and the context and suggests a smaller one.
class KvCacheMemoryError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class KvCache {
public:
    // Throws std::invalid_argument for non-positive sizes, std::length_error when the size cannot be
    // addressed, KvCacheMemoryError when it does not fit in the available memory.
    KvCache(KvCacheType type, std::int32_t layerCount, std::int32_t contextLength, std::int32_t kvDim);

    KvCacheType type() const { return type_; }
    std::int32_t contextLength() const { return contextLength_; }
    std::int32_t kvDim() const { return kvDim_; }
    std::uint64_t byteSize() const { return static_cast<std::uint64_t>(elementCount_) * elementBytes(); }

    // Rows of kvDim elements starting at `position`; T is float for F32 and std::uint16_t (fp16 bits) for
    // F16.
    template <typename T> T* keys(std::int32_t layer, std::int32_t position) const {
        return static_cast<T*>(data_.get()) + offset(layer, 0, position);
    }
    template <typename T> T* values(std::int32_t layer, std::int32_t position) const {
        return static_cast<T*>(data_.get()) + offset(layer, 1, position);
    }

private:
    std::size_t elementBytes() const {
        return type_ == KvCacheType::F32 ? sizeof(float) : sizeof(std::uint16_t);
    }
    std::size_t offset(std::int32_t layer, int kind, std::int32_t position) const {
        const std::size_t block = static_cast<std::size_t>(layer) * 2 + static_cast<std::size_t>(kind);
        return (block * static_cast<std::size_t>(contextLength_) + static_cast<std::size_t>(position)) *
               static_cast<std::size_t>(kvDim_);
    }

    KvCacheType type_;
    std::int32_t contextLength_;
    std::int32_t kvDim_;
    std::size_t elementCount_ = 0;
    // Not zero-filled: pages are committed only as positions are written, and nothing reads a position
    // before it is written.
    std::unique_ptr<void, void (*)(void*)> data_{nullptr, [](void*) {}};
};

} // namespace wb
