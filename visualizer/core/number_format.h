#pragma once
// Number formats a tensor class can be stored or computed in, and their sizes.
#include <string>
#include <string_view>

namespace wb::sim {

enum class NumberFormat { Int8, Fp8, Fp16, Bf16, Fp32 };

double bytesPerElement(NumberFormat format);
std::string_view formatName(NumberFormat format);
// Accepts "int8", "fp8", "fp16", "bf16", "fp32" (case-insensitive). Throws std::invalid_argument naming the text.
NumberFormat parseNumberFormat(std::string_view text);

// Which precision each tensor class uses.
struct Precision {
    NumberFormat weights = NumberFormat::Int8;
    NumberFormat kvCache = NumberFormat::Fp16;
    NumberFormat activations = NumberFormat::Fp16;
};

} // namespace wb::sim
