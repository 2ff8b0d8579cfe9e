#include "engine/tensor/quant_dot.h"

#include "engine/tensor/quant_dot_avx2.h"

#include <atomic>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__x86_64__) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace wb {
namespace {

std::atomic<bool> gForcePortable{false};
std::atomic<bool> gAllowAmx{true};

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

// AMX needs three things (Intel SDM vol. 1, ch. 18; Linux Documentation/arch/x86/xstate.rst): CPUID leaf 7
// EDX bits 24 (AMX-TILE) and 25 (AMX-INT8); the OS enabling the tile state in XCR0 (bits 17 TILECFG and
// 18 TILEDATA, read with XGETBV once OSXSAVE says XGETBV exists); and, on Linux, this process asking for
// the tile data state with arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA), since 5.16. A process that
// uses tiles without that permission is killed, so every step must succeed.
bool detectAmx() {
#if defined(__x86_64__) && defined(__linux__)
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
    if ((edx & (1u << 24)) == 0 || (edx & (1u << 25)) == 0) return false;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0 || (ecx & bit_OSXSAVE) == 0) return false;
    unsigned xcr0 = 0, xcr0High = 0;
    __asm__ volatile("xgetbv" : "=a"(xcr0), "=d"(xcr0High) : "c"(0));
    constexpr unsigned kTileState = (1u << 17) | (1u << 18);
    if ((xcr0 & kTileState) != kTileState) return false;
    constexpr long kArchReqXcompPerm = 0x1023;
    constexpr long kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
    return false;
#endif
}

} // namespace

bool amxKernelsAvailable() {
    static const bool available = avx512KernelsAvailable() && detectAmx();
    return available;
}
void setAllowAmxKernels(bool allow) {
    gAllowAmx.store(allow, std::memory_order_relaxed);
}
bool amxKernelsAllowed() {
    return gAllowAmx.load(std::memory_order_relaxed);
}

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
