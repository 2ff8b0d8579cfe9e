#pragma once
// One GGUF metadata value: a scalar, a string, or an array of values (arrays may nest).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wb::gguf {

// Value type ids from the GGUF specification (ggml-org/ggml docs/gguf.md, gguf_metadata_value_type).
enum class ValueType : std::uint32_t {
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
    String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
};
constexpr std::uint32_t kValueTypeCount = 13;
std::string_view valueTypeName(ValueType type);

struct Value;
struct ArrayValue {
    ValueType elementType = ValueType::UInt8;
    std::vector<Value> items;
};

struct Value {
    ValueType type = ValueType::UInt8;
    // Unsigned ints as uint64, signed as int64, floats as double; the original type stays in `type`.
    std::variant<std::uint64_t, std::int64_t, double, bool, std::string, ArrayValue> data;

    bool isInteger() const;
    bool isNumber() const;
    // Integers that are representable; nullopt for other types or out-of-range values.
    std::optional<std::uint64_t> toUInt() const;
    std::optional<std::int64_t> toInt() const;
    std::optional<double> toDouble() const;
    std::optional<bool> toBool() const;
    const std::string* string() const { return std::get_if<std::string>(&data); }
    const ArrayValue* array() const { return std::get_if<ArrayValue>(&data); }
    // Short human-readable rendering (arrays abbreviated after `maxItems`).
    std::string toDisplayString(std::size_t maxItems = 8) const;
};

} // namespace wb::gguf
