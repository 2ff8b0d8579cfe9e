#include "engine/util/mapped_file.h"

#include "engine/util/cache_size.h"
#include "engine/util/mapping_guard.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace wb {

std::size_t availableMemoryBytes() {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    std::size_t kib = 0;
    std::string unit;
    while (meminfo >> key >> kib >> unit)
        if (key == "MemAvailable:") return kib * 1024;
    return 0;
}

FilePlacement resolvePlacement(FilePlacement requested, std::size_t fileBytes, std::size_t availableBytes,
                               std::uint64_t cacheBytes) {
    if (requested != FilePlacement::Automatic) return requested;
    const bool streamsFromMemory = fileBytes > cacheBytes;
    const bool fits = availableBytes != 0 && fileBytes <= availableBytes / 2;
    return streamsFromMemory && fits ? FilePlacement::HugePageCopy : FilePlacement::Mapped;
}

MappedFile::MappedFile(const std::string& path, FilePlacement placement, const CopyProgress& onCopied)
    : path_(path), placement_(placement) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        throw std::runtime_error("cannot open '" + path + "': " + std::strerror(err));
    }
    try {
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            const int err = errno;
            throw std::runtime_error("cannot stat '" + path + "': " + std::strerror(err));
        }
        if (!S_ISREG(st.st_mode)) throw std::runtime_error("'" + path + "' is not a regular file");
        size_ = static_cast<std::size_t>(st.st_size);
        placement_ = resolvePlacement(placement, size_, availableMemoryBytes(), lastLevelCacheBytes());
        if (size_ > 0) {
            if (placement_ == FilePlacement::Mapped)
                mapFile(fd);
            else
                copyFile(fd, onCopied);
        }
    } catch (...) {
        release();
        ::close(fd);
        throw;
    }
    ::close(fd); // a mapping keeps the file alive; a copy no longer needs it
}

void MappedFile::mapFile(int fd) {
    void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
    if (mapped == MAP_FAILED) {
        const int err = errno;
        throw std::runtime_error("cannot map '" + path_ + "': " + std::strerror(err));
    }
    region_ = mapped;
    regionBytes_ = size_;
    data_ = static_cast<const std::uint8_t*>(mapped);
    mapping_guard::registerRange(data_, size_); // the file may be truncated while mapped
}

void MappedFile::copyFile(int fd, const CopyProgress& onCopied) {
    // A private copy cannot be dropped under memory pressure the way mapped pages can: refuse one that does
    // not fit rather than let the copy push the machine into swap or the OOM killer.
    const std::size_t available = availableMemoryBytes();
    if (available != 0 && size_ > available)
        throw std::runtime_error(
            "cannot copy '" + path_ + "' into memory: it is " + std::to_string(size_ >> 20) +
            " MiB and only " + std::to_string(available >> 20) + " MiB are available (map the file instead)");
    copy_ = HugePageBuffer(size_, ("'" + path_ + "'").c_str());
    std::uint8_t* start = copy_.data();
    constexpr std::size_t kChunk = std::size_t{8} << 20;
    for (std::size_t done = 0; done < size_;) {
        const std::size_t want = size_ - done < kChunk ? size_ - done : kChunk;
        const ssize_t got = ::pread(fd, start + done, want, static_cast<off_t>(done));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            const int err = errno;
            throw std::runtime_error("cannot read '" + path_ + "': " + std::strerror(err));
        }
        if (got == 0)
            throw std::runtime_error("'" + path_ + "' ended at byte " + std::to_string(done) +
                                     " while being read (it was " + std::to_string(size_) + " bytes)");
        done += static_cast<std::size_t>(got);
        if (onCopied) onCopied(done, size_);
    }
    copy_.makeReadOnly(); // like a mapping
    data_ = start;
}

MappedFile::~MappedFile() { release(); }

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)), placement_(other.placement_), data_(other.data_), size_(other.size_),
      region_(other.region_), regionBytes_(other.regionBytes_), copy_(std::move(other.copy_)) {
    other.data_ = nullptr;
    other.size_ = 0;
    other.region_ = nullptr;
    other.regionBytes_ = 0;
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        release();
        path_ = std::move(other.path_);
        placement_ = other.placement_;
        data_ = other.data_;
        size_ = other.size_;
        region_ = other.region_;
        regionBytes_ = other.regionBytes_;
        copy_ = std::move(other.copy_);
        other.data_ = nullptr;
        other.size_ = 0;
        other.region_ = nullptr;
        other.regionBytes_ = 0;
    }
    return *this;
}

void MappedFile::release() noexcept {
    if (placement_ == FilePlacement::Mapped && data_ != nullptr) mapping_guard::unregisterRange(data_);
    if (region_ != nullptr) ::munmap(region_, regionBytes_);
    copy_ = HugePageBuffer();
    data_ = nullptr;
    size_ = 0;
    region_ = nullptr;
    regionBytes_ = 0;
}

} // namespace wb
