#pragma once
// Private anonymous memory that starts on a 2 MiB boundary and asks for transparent huge pages
// (madvise(MADV_HUGEPAGE); advice only: the kernel may still use 4 KiB pages). Weights streamed from DRAM
// every token go through far fewer TLB entries in 2 MiB pages (docs/performance.md).
#include <cstddef>
#include <cstdint>

namespace wb {

class HugePageBuffer {
public:
    static constexpr std::size_t kHugePage = std::size_t{2} << 20;

    HugePageBuffer() = default;
    // Zero-filled, writable. Throws std::runtime_error naming `what` and the OS error.
    HugePageBuffer(std::size_t bytes, const char* what);
    ~HugePageBuffer();
    HugePageBuffer(HugePageBuffer&& other) noexcept;
    HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
    HugePageBuffer(const HugePageBuffer&) = delete;
    HugePageBuffer& operator=(const HugePageBuffer&) = delete;

    std::uint8_t* data() const { return start_; }
    std::size_t size() const { return size_; }
    // From now on a stray write faults, as with a read-only mapping.
    void makeReadOnly();

private:
    void release() noexcept;
    void* region_ = nullptr; // the whole reservation, what munmap releases
    std::size_t regionBytes_ = 0;
    std::uint8_t* start_ = nullptr;
    std::size_t size_ = 0;
};

} // namespace wb
