#include "engine/telemetry/json_text.h"

#include <charconv>
#include <cmath>

namespace wb::telemetry::text {

void writeJsonString(std::ostream& out, std::string_view value) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.put('"');
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        switch (c) {
        case '"':
            out << "\\\"";
            break;
        case '\\':
            out << "\\\\";
            break;
        case '\n':
            out << "\\n";
            break;
        case '\r':
            out << "\\r";
            break;
        case '\t':
            out << "\\t";
            break;
        default:
            if (byte < 0x20) {
                const char escaped[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 15]};
                out.write(escaped, sizeof escaped);
            } else {
                out.put(c);
            }
        }
    }
    out.put('"');
}

void writeJsonNumber(std::ostream& out, double value) {
    if (!std::isfinite(value)) {
        out << "null";
        return;
    }
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.write(buffer, result.ptr - buffer);
}

void writeMicros(std::ostream& out, std::int64_t nanoseconds) {
    char buffer[32];
    char* p = buffer;
    std::uint64_t magnitude = static_cast<std::uint64_t>(nanoseconds);
    if (nanoseconds < 0) {
        *p++ = '-';
        magnitude = ~magnitude + 1;
    }
    p = std::to_chars(p, buffer + sizeof buffer, magnitude / 1000).ptr;
    const auto fraction = static_cast<unsigned>(magnitude % 1000);
    *p++ = '.';
    *p++ = static_cast<char>('0' + fraction / 100);
    *p++ = static_cast<char>('0' + fraction / 10 % 10);
    *p++ = static_cast<char>('0' + fraction % 10);
    out.write(buffer, p - buffer);
}

} // namespace wb::telemetry::text
