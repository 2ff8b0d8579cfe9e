#pragma once
// GGUF reader: versions 2 and 3, little-endian, memory-mapped. Everything read from the file is
// validated before it is trusted; a bad file raises GgufError naming the field and its byte offset.
// Format: GGUF specification, ggml-org/ggml docs/gguf.md.
#include "engine/gguf/ggml_types.h"
#include "engine/gguf/gguf_value.h"
#include "engine/util/mapped_file.h"

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wb::gguf {

class GgufError : public std::runtime_error {
public:
    GgufError(std::string field, std::uint64_t offset, const std::string& problem);
    const std::string& field() const { return field_; }
    std::uint64_t offset() const { return offset_; }

private:
    std::string field_;
    std::uint64_t offset_;
};

struct TensorInfo {
    std::string name;
    GgmlType type = GgmlType::F32;
    std::uint32_t nDims = 0;
    std::array<std::uint64_t, 4> ne{1, 1, 1, 1}; // ggml order: ne[0] is the contiguous row length
    std::uint64_t offset = 0;                     // relative to the data section
    std::uint64_t elementCount = 0;
    std::uint64_t byteSize = 0;
    std::uint64_t infoOffset = 0; // where this tensor's info record starts in the file

    std::uint64_t rows() const { return elementCount / ne[0]; }
    std::string shapeString() const; // "[64, 512]"
};

struct KeyValue {
    std::string key;
    Value value;
    std::uint64_t offset = 0; // byte offset of the key in the file
};

class GgufFile {
public:
    static constexpr std::uint32_t kMagic = 0x46554747; // "GGUF" little-endian
    static constexpr std::uint64_t kDefaultAlignment = 32;
    static constexpr std::uint32_t kMaxDims = 4;
    static constexpr std::size_t kMaxTensorNameBytes = 64;   // GGML_MAX_NAME
    static constexpr std::size_t kMaxKeyBytes = 65535;       // spec: keys are at most 2^16-1 bytes
    static constexpr int kMaxArrayNesting = 8;

    // Maps (or copies, see FilePlacement; onCopied follows a copy) and parses a file. Throws GgufError (bad
    // content) or std::runtime_error (cannot open or read).
    static GgufFile open(const std::string& path, FilePlacement placement = FilePlacement::Mapped,
                         const CopyProgress& onCopied = {});
    // Parses bytes held in memory; the caller keeps them alive. For fuzzers and generated tests.
    static GgufFile parse(std::span<const std::uint8_t> bytes, std::string sourceName = "<memory>");

    const std::string& sourceName() const { return sourceName_; }
    // Where open() put the bytes, Mapped or HugePageCopy (parse(): Mapped, i.e. caller memory of unknown
    // page size).
    FilePlacement placement() const { return placement_; }
    std::uint32_t version() const { return version_; }
    std::uint64_t alignment() const { return alignment_; }
    std::uint64_t dataOffset() const { return dataOffset_; }
    std::uint64_t fileSize() const { return bytes_.size(); }
    std::span<const std::uint8_t> bytes() const { return bytes_; }

    const std::vector<KeyValue>& metadata() const { return metadata_; }
    const Value* find(std::string_view key) const;
    // Typed look-ups: nullopt when absent or of an incompatible type.
    std::optional<std::string> getString(std::string_view key) const;
    std::optional<std::uint64_t> getUInt(std::string_view key) const;
    std::optional<double> getDouble(std::string_view key) const;
    std::optional<bool> getBool(std::string_view key) const;
    const ArrayValue* getArray(std::string_view key) const;

    const std::vector<TensorInfo>& tensors() const { return tensors_; }
    const TensorInfo* findTensor(std::string_view name) const;
    // The tensor's bytes inside the mapping (validated to lie within the file).
    std::span<const std::uint8_t> tensorBytes(const TensorInfo& tensor) const;

private:
    GgufFile() = default;
    void parseAll();

    FilePlacement placement_ = FilePlacement::Mapped;
    std::shared_ptr<const void> storage_; // keeps the mapping alive when opened from a path
    std::span<const std::uint8_t> bytes_;
    std::string sourceName_;
    std::uint32_t version_ = 0;
    std::uint64_t alignment_ = kDefaultAlignment;
    std::uint64_t dataOffset_ = 0;
    std::vector<KeyValue> metadata_;
    std::unordered_map<std::string, std::size_t> metadataIndex_;
    std::vector<TensorInfo> tensors_;
    std::unordered_map<std::string, std::size_t> tensorIndex_;
};

} // namespace wb::gguf
