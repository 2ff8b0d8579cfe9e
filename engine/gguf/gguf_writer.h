#pragma once
// Writes GGUF v3 (or v2) files exactly per the GGUF specification (ggml-org/ggml docs/gguf.md): header,
// key-value metadata, tensor infos, padding to the alignment, tensor data. Used by `iwb synth`, `iwb quantize`
// and by tests that need well-formed or deliberately corrupted files.
#include "engine/gguf/ggml_types.h"
#include "engine/gguf/gguf_value.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace wb::gguf {

class GgufWriter {
public:
    explicit GgufWriter(std::uint32_t version = 3, std::uint64_t alignment = 32);

    // Metadata, written in insertion order. Setting a key again replaces its value in place.
    void set(const std::string& key, Value value);
    void setString(const std::string& key, std::string text);
    void setUInt32(const std::string& key, std::uint32_t number);
    void setInt32(const std::string& key, std::int32_t number);
    void setUInt64(const std::string& key, std::uint64_t number);
    void setFloat32(const std::string& key, float number);
    void setBool(const std::string& key, bool flag);
    void setStringArray(const std::string& key, const std::vector<std::string>& items);
    void setFloat32Array(const std::string& key, const std::vector<float>& items);
    void setInt32Array(const std::string& key, const std::vector<std::int32_t>& items);
    bool remove(const std::string& key);

    // A tensor whose bytes are produced when the file is written (so large files are never held twice).
    // `ne` is in ggml order (ne[0] = row length). The byte size follows from the type and shape.
    using DataFill = std::function<void(std::uint8_t* destination, std::size_t byteCount)>;
    void addTensor(const std::string& name, GgmlType type, std::vector<std::uint64_t> ne, DataFill fill);
    void addTensor(const std::string& name, GgmlType type, std::vector<std::uint64_t> ne,
                   std::vector<std::uint8_t> bytes);
    void addTensorF32(const std::string& name, std::vector<std::uint64_t> ne, const std::vector<float>& values);

    // Byte positions of each part of the file as it will be written (for tests that corrupt one field).
    struct Layout {
        std::uint64_t kvCountOffset = 0;                // u64 metadata_kv_count
        std::uint64_t tensorCountOffset = 0;            // u64 tensor_count
        std::vector<std::uint64_t> kvOffsets;           // start of each key
        std::vector<std::uint64_t> tensorInfoOffsets;   // start of each tensor info (its name length)
        std::uint64_t dataOffset = 0;                   // start of the aligned data section
        std::uint64_t totalSize = 0;
    };
    Layout layout() const;

    std::vector<std::uint8_t> toBytes() const;
    // Writes PATH.partial then renames it over PATH, so a failed write never leaves a half file at PATH.
    void writeFile(const std::string& path) const;

private:
    struct PendingTensor {
        std::string name;
        GgmlType type;
        std::vector<std::uint64_t> ne;
        std::uint64_t byteSize;
        std::uint64_t offset; // within the data section
        DataFill fill;
    };
    template <typename Sink> void emit(Sink& sink) const;

    std::uint32_t version_;
    std::uint64_t alignment_;
    std::vector<std::pair<std::string, Value>> metadata_;
    std::vector<PendingTensor> tensors_;
    std::uint64_t dataSize_ = 0;
};

} // namespace wb::gguf
