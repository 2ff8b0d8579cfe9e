#include "visualizer/core/number_format.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace wb::sim {

double bytesPerElement(NumberFormat format) {
    switch (format) {
    case NumberFormat::Int8:
    case NumberFormat::Fp8: return 1.0;
    case NumberFormat::Fp16:
    case NumberFormat::Bf16: return 2.0;
    case NumberFormat::Fp32: return 4.0;
    }
    return 2.0;
}

std::string_view formatName(NumberFormat format) {
    switch (format) {
    case NumberFormat::Int8: return "int8";
    case NumberFormat::Fp8: return "fp8";
    case NumberFormat::Fp16: return "fp16";
    case NumberFormat::Bf16: return "bf16";
    case NumberFormat::Fp32: return "fp32";
    }
    return "?";
}

NumberFormat parseNumberFormat(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    for (auto format : {NumberFormat::Int8, NumberFormat::Fp8, NumberFormat::Fp16, NumberFormat::Bf16,
                        NumberFormat::Fp32})
        if (lower == formatName(format)) return format;
    throw std::invalid_argument("unknown number format '" + std::string(text) +
                                "' (expected int8, fp8, fp16, bf16 or fp32)");
}

} // namespace wb::sim
