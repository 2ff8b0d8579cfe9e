#include "engine/util/huge_page_buffer.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/mman.h>

namespace wb {

namespace {

std::size_t roundedToHugePages(std::size_t bytes) {
    return (bytes + HugePageBuffer::kHugePage - 1) / HugePageBuffer::kHugePage * HugePageBuffer::kHugePage;
}

} // namespace

HugePageBuffer::HugePageBuffer(std::size_t bytes, const char* what) : size_(bytes) {
    if (bytes == 0) return;
    // Reserve one huge page more than needed so the buffer can start on a 2 MiB boundary.
    const std::size_t rounded = roundedToHugePages(bytes);
    regionBytes_ = rounded + kHugePage;
    void* reserved =
        ::mmap(nullptr, regionBytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (reserved == MAP_FAILED) {
        const int err = errno;
        regionBytes_ = 0;
        size_ = 0;
        throw std::runtime_error("cannot allocate " + std::to_string(bytes) + " bytes for " + what + ": " +
                                 std::strerror(err));
    }
    region_ = reserved;
    const auto base = reinterpret_cast<std::uintptr_t>(reserved);
    start_ = reinterpret_cast<std::uint8_t*>((base + kHugePage - 1) & ~(kHugePage - 1));
    (void)::madvise(start_, rounded, MADV_HUGEPAGE);
}

HugePageBuffer::~HugePageBuffer() {
    release();
}

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept
    : region_(other.region_), regionBytes_(other.regionBytes_), start_(other.start_), size_(other.size_) {
    other.region_ = nullptr;
    other.regionBytes_ = 0;
    other.start_ = nullptr;
    other.size_ = 0;
}

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
    if (this != &other) {
        release();
        region_ = other.region_;
        regionBytes_ = other.regionBytes_;
        start_ = other.start_;
        size_ = other.size_;
        other.region_ = nullptr;
        other.regionBytes_ = 0;
        other.start_ = nullptr;
        other.size_ = 0;
    }
    return *this;
}

void HugePageBuffer::makeReadOnly() {
    if (start_ != nullptr) (void)::mprotect(start_, roundedToHugePages(size_), PROT_READ);
}

void HugePageBuffer::release() noexcept {
    if (region_ != nullptr) ::munmap(region_, regionBytes_);
    region_ = nullptr;
    regionBytes_ = 0;
    start_ = nullptr;
    size_ = 0;
}

} // namespace wb
