#include "engine/gguf/gguf_value.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace wb::gguf {

std::string_view valueTypeName(ValueType type) {
    switch (type) {
    case ValueType::UInt8: return "u8";
    case ValueType::Int8: return "i8";
    case ValueType::UInt16: return "u16";
    case ValueType::Int16: return "i16";
    case ValueType::UInt32: return "u32";
    case ValueType::Int32: return "i32";
    case ValueType::Float32: return "f32";
    case ValueType::Bool: return "bool";
    case ValueType::String: return "string";
    case ValueType::Array: return "array";
    case ValueType::UInt64: return "u64";
    case ValueType::Int64: return "i64";
    case ValueType::Float64: return "f64";
    }
    return "unknown";
}

bool Value::isInteger() const {
    return std::holds_alternative<std::uint64_t>(data) || std::holds_alternative<std::int64_t>(data);
}

bool Value::isNumber() const { return isInteger() || std::holds_alternative<double>(data); }

std::optional<std::uint64_t> Value::toUInt() const {
    if (const auto* u = std::get_if<std::uint64_t>(&data)) return *u;
    if (const auto* i = std::get_if<std::int64_t>(&data))
        if (*i >= 0) return static_cast<std::uint64_t>(*i);
    return std::nullopt;
}

std::optional<std::int64_t> Value::toInt() const {
    if (const auto* i = std::get_if<std::int64_t>(&data)) return *i;
    if (const auto* u = std::get_if<std::uint64_t>(&data))
        if (*u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return static_cast<std::int64_t>(*u);
    return std::nullopt;
}

std::optional<double> Value::toDouble() const {
    if (const auto* d = std::get_if<double>(&data)) return *d;
    if (const auto* u = std::get_if<std::uint64_t>(&data)) return static_cast<double>(*u);
    if (const auto* i = std::get_if<std::int64_t>(&data)) return static_cast<double>(*i);
    return std::nullopt;
}

std::optional<bool> Value::toBool() const {
    if (const auto* b = std::get_if<bool>(&data)) return *b;
    return std::nullopt;
}

std::string Value::toDisplayString(std::size_t maxItems) const {
    char buffer[64];
    if (const auto* u = std::get_if<std::uint64_t>(&data)) return std::to_string(*u);
    if (const auto* i = std::get_if<std::int64_t>(&data)) return std::to_string(*i);
    if (const auto* d = std::get_if<double>(&data)) {
        std::snprintf(buffer, sizeof buffer, "%.9g", *d);
        return buffer;
    }
    if (const auto* b = std::get_if<bool>(&data)) return *b ? "true" : "false";
    if (const auto* s = std::get_if<std::string>(&data)) {
        constexpr std::size_t kMaxChars = 120;
        if (s->size() <= kMaxChars) return *s;
        return s->substr(0, kMaxChars) + "… (" + std::to_string(s->size()) + " bytes)";
    }
    const auto& arr = std::get<ArrayValue>(data);
    std::string out = "[";
    for (std::size_t k = 0; k < arr.items.size() && k < maxItems; ++k) {
        if (k > 0) out += ", ";
        out += arr.items[k].toDisplayString(maxItems);
    }
    if (arr.items.size() > maxItems) out += ", … " + std::to_string(arr.items.size()) + " items";
    out += "]";
    return out;
}

} // namespace wb::gguf
