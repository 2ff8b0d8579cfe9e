#pragma once
// A read-only memory mapping of a whole file. Weights stay in the page cache and are shared.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace wb {

class MappedFile {
public:
    MappedFile() = default;
    // Throws std::runtime_error naming the path and the OS error.
    explicit MappedFile(const std::string& path);
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::uint8_t* data() const { return data_; }
    std::size_t size() const { return size_; }
    std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
    const std::string& path() const { return path_; }

private:
    void release() noexcept;
    std::string path_;
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

} // namespace wb
