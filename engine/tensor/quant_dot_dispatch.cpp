#include "engine/tensor/quant_dot.h"

#include "engine/tensor/quant_dot_avx2.h"

#include <atomic>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace wb {
namespace {

std::atomic<bool> gForcePortable{false};

bool detectAvx2() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    // F16C through CPUID leaf 1 (ECX bit 29): clang 14 rejects "f16c" in __builtin_cpu_supports, and the
    // fuzzing/sanitizer builds use clang.
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    const bool hasF16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && hasF16c;
#else
    return false;
#endif
}

} // namespace

bool avx2KernelsAvailable() {
    static const bool available = detectAvx2();
    return available;
}

void setForcePortableKernels(bool force) {
    gForcePortable.store(force, std::memory_order_relaxed);
}
bool portableKernelsForced() {
    return gForcePortable.load(std::memory_order_relaxed);
}

float quantizedDot(GgmlType weightType, const std::uint8_t* row, const void* activations, std::int64_t n) {
    if (avx2KernelsAvailable() && !gForcePortable.load(std::memory_order_relaxed) &&
        hasAvx2Kernel(weightType))
        return quantizedDotAvx2(weightType, row, activations, n);
    return quantizedDotPortable(weightType, row, activations, n);
}

} // namespace wb
