#pragma once
// A whole file, read-only in memory: either mapped (weights stay in the page cache and are shared, as with
// llama.cpp's mmap) or copied once into private memory backed by 2 MiB pages where the kernel grants them
// (llama.cpp's --no-mmap, plus huge pages), or whichever suits the file (Automatic). The copy costs a read of
// the file at load time; in exchange the weights stream through far fewer TLB entries (the generation kernel
// ran up to 30 % faster on Q4_0 weights in 2 MiB pages, docs/performance.md).
#include "engine/util/huge_page_buffer.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace wb {

enum class FilePlacement {
    Mapped,       // mmap of the file
    HugePageCopy, // read into anonymous memory, 2 MiB aligned, madvise(MADV_HUGEPAGE)
    // HugePageCopy when the file is larger than the last-level cache (so the weights stream from RAM, where
    // 2 MiB pages pay) and takes at most half of MemAvailable (the rest stays for the KV cache, the page
    // cache and everything else); Mapped otherwise, so a small model stays shared and pages in visibly.
    // Resolved when the file is opened; MappedFile::placement() reports which one it became.
    Automatic,
};

// Called during a copy after every chunk with the bytes copied so far and the file size. It may throw to
// abandon the copy (a cancelled load); the memory is released before the exception leaves.
using CopyProgress = std::function<void(std::size_t copied, std::size_t total)>;

// MemAvailable of /proc/meminfo in bytes (the kernel's estimate of what can be allocated without swapping),
// or 0 when it cannot be read.
std::size_t availableMemoryBytes();

// What `requested` becomes for a file of `fileBytes`, with `availableBytes` of MemAvailable (0: unknown) and
// a last-level cache of `cacheBytes`.
FilePlacement resolvePlacement(FilePlacement requested, std::size_t fileBytes, std::size_t availableBytes,
                               std::uint64_t cacheBytes);

class MappedFile {
public:
    MappedFile() = default;
    // Throws std::runtime_error naming the path and the OS error.
    explicit MappedFile(const std::string& path, FilePlacement placement = FilePlacement::Mapped,
                        const CopyProgress& onCopied = {});
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::uint8_t* data() const { return data_; }
    std::size_t size() const { return size_; }
    std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
    const std::string& path() const { return path_; }
    // Mapped or HugePageCopy (never Automatic).
    FilePlacement placement() const { return placement_; }

private:
    void mapFile(int fd);
    void copyFile(int fd, const CopyProgress& onCopied);
    void release() noexcept;
    std::string path_;
    FilePlacement placement_ = FilePlacement::Mapped;
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    void* region_ = nullptr; // the mapping
    std::size_t regionBytes_ = 0;
    HugePageBuffer copy_;
};

} // namespace wb
