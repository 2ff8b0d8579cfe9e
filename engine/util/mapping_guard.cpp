#include "engine/util/mapping_guard.h"

#include <array>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace wb::mapping_guard {
namespace {

// Lock-free so the signal handler can read it: begin == 0 marks a free slot.
struct Slot {
    std::atomic<std::uintptr_t> begin{0};
    std::atomic<std::uintptr_t> end{0};
    std::atomic<bool> faulted{false};
};
constexpr std::size_t kSlotCount = 256;
std::array<Slot, kSlotCount> gSlots;
struct sigaction gPreviousAction {};
std::once_flag gInstallOnce;
std::mutex gRegistryMutex;

Slot* findSlot(std::uintptr_t address) {
    for (auto& slot : gSlots) {
        const std::uintptr_t begin = slot.begin.load(std::memory_order_acquire);
        if (begin != 0 && address >= begin && address < slot.end.load(std::memory_order_acquire))
            return &slot;
    }
    return nullptr;
}

// Not ours: hand the signal back to whoever had it before (the default action, a crash reporter, a
// sanitizer) by reinstalling their action; returning re-executes the faulting read, which then reaches
// it with its own flags. Calling it from here instead would loop forever if it returns.
void passOn() {
    sigaction(SIGBUS, &gPreviousAction, nullptr);
}

void onSigbus(int, siginfo_t* info, void*) {
    const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
    Slot* slot = findSlot(address);
    if (slot == nullptr) return passOn();
    const auto pageSize = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    const std::uintptr_t page = address & ~(pageSize - 1);
    // The raw system call: async-signal-safe, and not seen by sanitizer interceptors.
    const long mapped = syscall(SYS_mmap, page, pageSize, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (mapped == -1) return passOn();
    slot->faulted.store(true, std::memory_order_release);
}

void installHandler() {
    struct sigaction action {};
    action.sa_sigaction = onSigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &gPreviousAction);
}

} // namespace

void registerRange(const void* begin, std::size_t size) {
    if (begin == nullptr || size == 0) return;
    std::call_once(gInstallOnce, installHandler);
    const std::lock_guard lock(gRegistryMutex); // writers only; the handler reads without locking
    for (auto& slot : gSlots) {
        if (slot.begin.load(std::memory_order_relaxed) != 0) continue;
        slot.faulted.store(false, std::memory_order_relaxed);
        slot.end.store(reinterpret_cast<std::uintptr_t>(begin) + size, std::memory_order_relaxed);
        slot.begin.store(reinterpret_cast<std::uintptr_t>(begin), std::memory_order_release); // publishes
        return;
    }
}

void unregisterRange(const void* begin) {
    if (begin == nullptr) return;
    const std::lock_guard lock(gRegistryMutex);
    for (auto& slot : gSlots) {
        if (slot.begin.load(std::memory_order_relaxed) == reinterpret_cast<std::uintptr_t>(begin)) {
            slot.begin.store(0, std::memory_order_release);
            slot.end.store(0, std::memory_order_relaxed);
            slot.faulted.store(false, std::memory_order_relaxed);
            return;
        }
    }
}

bool faulted(const void* address) {
    const Slot* slot = findSlot(reinterpret_cast<std::uintptr_t>(address));
    return slot != nullptr && slot->faulted.load(std::memory_order_acquire);
}

FileChangedError::FileChangedError(const std::string& path)
    : std::runtime_error("model file changed on disk (truncated?) while in use: " + path) {}

} // namespace wb::mapping_guard
