#pragma once
// Test-only: writes a small GGUF v3 file (metadata only, no tensors) into memory, so tests can build
// hostile or minimal inputs. Layout per the GGUF specification (ggml-org/ggml docs/gguf.md).
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace wb::test {

class GgufBuilder {
public:
    GgufBuilder& string(std::string_view key, std::string_view value) {
        beginKey(key, 8);
        putString(value);
        return *this;
    }
    GgufBuilder& uint32(std::string_view key, std::uint32_t value) {
        beginKey(key, 4);
        put(value);
        return *this;
    }
    GgufBuilder& int32(std::string_view key, std::int32_t value) {
        beginKey(key, 5);
        put(value);
        return *this;
    }
    GgufBuilder& boolean(std::string_view key, bool value) {
        beginKey(key, 7);
        put(static_cast<std::uint8_t>(value ? 1 : 0));
        return *this;
    }
    GgufBuilder& strings(std::string_view key, const std::vector<std::string>& values) {
        beginArray(key, 8, values.size());
        for (const auto& value : values)
            putString(value);
        return *this;
    }
    GgufBuilder& int32s(std::string_view key, const std::vector<std::int32_t>& values) {
        beginArray(key, 5, values.size());
        for (const auto value : values)
            put(value);
        return *this;
    }
    GgufBuilder& float32s(std::string_view key, const std::vector<float>& values) {
        beginArray(key, 6, values.size());
        for (const auto value : values)
            put(value);
        return *this;
    }

    std::vector<std::uint8_t> bytes() const {
        std::vector<std::uint8_t> out;
        const auto append = [&out](const auto& value) {
            const auto* p = reinterpret_cast<const std::uint8_t*>(&value);
            out.insert(out.end(), p, p + sizeof value);
        };
        append(std::uint32_t{0x46554747}); // "GGUF"
        append(std::uint32_t{3});
        append(std::uint64_t{0}); // tensors
        append(static_cast<std::uint64_t>(count_));
        out.insert(out.end(), body_.begin(), body_.end());
        return out;
    }

private:
    template <class T> void put(const T& value) { putBytes(&value, sizeof value); }
    void putString(std::string_view value) {
        put(static_cast<std::uint64_t>(value.size()));
        putBytes(value.data(), value.size());
    }
    void putBytes(const void* data, std::size_t size) {
        if (size == 0) return;
        const std::size_t at = body_.size();
        body_.resize(at + size);
        std::memcpy(body_.data() + at, data, size);
    }
    void beginKey(std::string_view key, std::uint32_t type) {
        putString(key);
        put(type);
        ++count_;
    }
    void beginArray(std::string_view key, std::uint32_t elementType, std::size_t n) {
        beginKey(key, 9);
        put(elementType);
        put(static_cast<std::uint64_t>(n));
    }

    std::vector<std::uint8_t> body_;
    std::size_t count_ = 0;
};

} // namespace wb::test
