#pragma once
// A whole file, read-only in memory: either mapped (weights stay in the page cache and are shared; the
// default, as llama.cpp's mmap) or copied once into private memory backed by 2 MiB pages where the kernel
// grants them (llama.cpp's --no-mmap, plus huge pages). The copy costs a read of the file at load time; in
// exchange the weights stream through far fewer TLB entries (the generation kernel ran up to 30 % faster on
// Q4_0 weights in 2 MiB pages, docs/performance.md).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace wb {

enum class FilePlacement {
    Mapped,       // mmap of the file
    HugePageCopy, // read into anonymous memory, 2 MiB aligned, madvise(MADV_HUGEPAGE)
};

class MappedFile {
public:
    MappedFile() = default;
    // Throws std::runtime_error naming the path and the OS error.
    explicit MappedFile(const std::string& path, FilePlacement placement = FilePlacement::Mapped);
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::uint8_t* data() const { return data_; }
    std::size_t size() const { return size_; }
    std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
    const std::string& path() const { return path_; }
    FilePlacement placement() const { return placement_; }

private:
    void mapFile(int fd);
    void copyFile(int fd);
    void release() noexcept;
    std::string path_;
    FilePlacement placement_ = FilePlacement::Mapped;
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    void* region_ = nullptr; // what munmap releases: the mapping, or the copy's whole reservation
    std::size_t regionBytes_ = 0;
};

} // namespace wb
