#include "engine/gguf/gguf_writer.h"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <cstring>
#include <stdexcept>

namespace wb::gguf {
namespace {

std::uint64_t alignUp(std::uint64_t value, std::uint64_t alignment) {
    return (value + alignment - 1) / alignment * alignment;
}

// Appends to memory, or only counts bytes (for the layout).
struct VectorSink {
    std::vector<std::uint8_t>& out;
    void put(const void* data, std::size_t size) {
        const auto* bytes = static_cast<const std::uint8_t*>(data);
        out.insert(out.end(), bytes, bytes + size);
    }
    std::uint64_t position() const { return out.size(); }
};

struct FileSink {
    std::FILE* file;
    std::uint64_t written = 0;
    void put(const void* data, std::size_t size) {
        // errno names the problem, e.g. "No space left on device".
        if (size != 0 && std::fwrite(data, 1, size, file) != size)
            throw std::runtime_error(std::strerror(errno));
        written += size;
    }
    std::uint64_t position() const { return written; }
};

struct CountingSink {
    std::uint64_t count = 0;
    void put(const void*, std::size_t size) { count += size; }
    std::uint64_t position() const { return count; }
};

template <typename Sink, typename T> void putScalar(Sink& sink, T value) { sink.put(&value, sizeof value); }

template <typename Sink> void putString(Sink& sink, const std::string& text) {
    putScalar<Sink, std::uint64_t>(sink, text.size());
    sink.put(text.data(), text.size());
}

template <typename Sink> void putValue(Sink& sink, const Value& value) {
    switch (value.type) {
    case ValueType::UInt8: putScalar(sink, static_cast<std::uint8_t>(*value.toUInt())); break;
    case ValueType::Int8: putScalar(sink, static_cast<std::int8_t>(*value.toInt())); break;
    case ValueType::UInt16: putScalar(sink, static_cast<std::uint16_t>(*value.toUInt())); break;
    case ValueType::Int16: putScalar(sink, static_cast<std::int16_t>(*value.toInt())); break;
    case ValueType::UInt32: putScalar(sink, static_cast<std::uint32_t>(*value.toUInt())); break;
    case ValueType::Int32: putScalar(sink, static_cast<std::int32_t>(*value.toInt())); break;
    case ValueType::UInt64: putScalar(sink, *value.toUInt()); break;
    case ValueType::Int64: putScalar(sink, *value.toInt()); break;
    case ValueType::Float32: putScalar(sink, static_cast<float>(*value.toDouble())); break;
    case ValueType::Float64: putScalar(sink, *value.toDouble()); break;
    case ValueType::Bool: putScalar(sink, static_cast<std::uint8_t>(*value.toBool() ? 1 : 0)); break;
    case ValueType::String: putString(sink, *value.string()); break;
    case ValueType::Array: {
        const ArrayValue& array = *value.array();
        putScalar(sink, static_cast<std::uint32_t>(array.elementType));
        putScalar<Sink, std::uint64_t>(sink, array.items.size());
        for (const Value& item : array.items) putValue(sink, item);
        break;
    }
    }
}

template <typename Sink> void putPadding(Sink& sink, std::uint64_t alignment) {
    static const std::uint8_t zeros[256] = {};
    std::uint64_t pad = alignUp(sink.position(), alignment) - sink.position();
    while (pad > 0) {
        const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(pad, sizeof zeros));
        sink.put(zeros, chunk);
        pad -= chunk;
    }
}

Value scalar(ValueType type, std::uint64_t u) { return Value{type, u}; }

} // namespace

GgufWriter::GgufWriter(std::uint32_t version, std::uint64_t alignment) : version_(version), alignment_(alignment) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
        throw std::invalid_argument("GGUF alignment must be a power of two");
    if (alignment != 32) setUInt32("general.alignment", static_cast<std::uint32_t>(alignment));
}

void GgufWriter::set(const std::string& key, Value value) {
    for (auto& entry : metadata_)
        if (entry.first == key) {
            entry.second = std::move(value);
            return;
        }
    metadata_.emplace_back(key, std::move(value));
}

void GgufWriter::setString(const std::string& key, std::string text) {
    set(key, Value{ValueType::String, std::move(text)});
}
void GgufWriter::setUInt32(const std::string& key, std::uint32_t number) { set(key, scalar(ValueType::UInt32, number)); }
void GgufWriter::setInt32(const std::string& key, std::int32_t number) {
    set(key, Value{ValueType::Int32, std::int64_t{number}});
}
void GgufWriter::setUInt64(const std::string& key, std::uint64_t number) { set(key, scalar(ValueType::UInt64, number)); }
void GgufWriter::setFloat32(const std::string& key, float number) {
    set(key, Value{ValueType::Float32, double{number}});
}
void GgufWriter::setBool(const std::string& key, bool flag) { set(key, Value{ValueType::Bool, flag}); }

void GgufWriter::setStringArray(const std::string& key, const std::vector<std::string>& items) {
    ArrayValue array{ValueType::String, {}};
    array.items.reserve(items.size());
    for (const auto& item : items) array.items.push_back(Value{ValueType::String, item});
    set(key, Value{ValueType::Array, std::move(array)});
}

void GgufWriter::setFloat32Array(const std::string& key, const std::vector<float>& items) {
    ArrayValue array{ValueType::Float32, {}};
    array.items.reserve(items.size());
    for (float item : items) array.items.push_back(Value{ValueType::Float32, double{item}});
    set(key, Value{ValueType::Array, std::move(array)});
}

void GgufWriter::setInt32Array(const std::string& key, const std::vector<std::int32_t>& items) {
    ArrayValue array{ValueType::Int32, {}};
    array.items.reserve(items.size());
    for (std::int32_t item : items) array.items.push_back(Value{ValueType::Int32, std::int64_t{item}});
    set(key, Value{ValueType::Array, std::move(array)});
}

bool GgufWriter::remove(const std::string& key) {
    for (auto it = metadata_.begin(); it != metadata_.end(); ++it)
        if (it->first == key) {
            metadata_.erase(it);
            return true;
        }
    return false;
}

void GgufWriter::addTensor(const std::string& name, GgmlType type, std::vector<std::uint64_t> ne, DataFill fill) {
    if (ne.empty() || ne.size() > 4) throw std::invalid_argument("tensor " + name + ": 1 to 4 dimensions");
    const auto& traits = ggmlTypeTraits(type);
    std::uint64_t elements = 1;
    for (auto dim : ne) elements *= dim;
    if (ne[0] % traits.blockSize != 0)
        throw std::invalid_argument("tensor " + name + ": row length " + std::to_string(ne[0]) +
                                    " is not a multiple of the block size " + std::to_string(traits.blockSize));
    const std::uint64_t bytes = elements / traits.blockSize * traits.bytesPerBlock;
    const std::uint64_t offset = alignUp(dataSize_, alignment_);
    tensors_.push_back(PendingTensor{name, type, std::move(ne), bytes, offset, std::move(fill)});
    dataSize_ = offset + bytes;
}

void GgufWriter::addTensor(const std::string& name, GgmlType type, std::vector<std::uint64_t> ne,
                           std::vector<std::uint8_t> bytes) {
    auto shared = std::make_shared<std::vector<std::uint8_t>>(std::move(bytes));
    const std::string label = name;
    addTensor(name, type, std::move(ne), [shared, label](std::uint8_t* destination, std::size_t count) {
        if (shared->size() != count)
            throw std::invalid_argument("tensor " + label + ": " + std::to_string(shared->size()) +
                                        " bytes given, " + std::to_string(count) + " expected");
        std::memcpy(destination, shared->data(), count);
    });
}

void GgufWriter::addTensorF32(const std::string& name, std::vector<std::uint64_t> ne,
                              const std::vector<float>& values) {
    std::vector<std::uint8_t> bytes(values.size() * sizeof(float));
    std::memcpy(bytes.data(), values.data(), bytes.size());
    addTensor(name, GgmlType::F32, std::move(ne), std::move(bytes));
}

template <typename Sink> void GgufWriter::emit(Sink& sink) const {
    putScalar<Sink, std::uint32_t>(sink, 0x46554747u); // "GGUF"
    putScalar(sink, version_);
    putScalar<Sink, std::uint64_t>(sink, tensors_.size());
    putScalar<Sink, std::uint64_t>(sink, metadata_.size());
    for (const auto& [key, value] : metadata_) {
        putString(sink, key);
        putScalar(sink, static_cast<std::uint32_t>(value.type));
        putValue(sink, value);
    }
    for (const auto& tensor : tensors_) {
        putString(sink, tensor.name);
        putScalar(sink, static_cast<std::uint32_t>(tensor.ne.size()));
        for (auto dim : tensor.ne) putScalar<Sink, std::uint64_t>(sink, dim);
        putScalar(sink, static_cast<std::uint32_t>(tensor.type));
        putScalar(sink, tensor.offset);
    }
    if (tensors_.empty()) return;
    putPadding(sink, alignment_);
    const std::uint64_t dataStart = sink.position();
    std::vector<std::uint8_t> buffer;
    for (const auto& tensor : tensors_) {
        while (sink.position() < dataStart + tensor.offset) {
            static const std::uint8_t zero = 0;
            sink.put(&zero, 1);
        }
        buffer.resize(static_cast<std::size_t>(tensor.byteSize));
        tensor.fill(buffer.data(), buffer.size());
        sink.put(buffer.data(), buffer.size());
    }
}

GgufWriter::Layout GgufWriter::layout() const {
    Layout result;
    CountingSink sink;
    putScalar<CountingSink, std::uint32_t>(sink, 0);
    putScalar(sink, version_);
    result.tensorCountOffset = sink.position();
    putScalar<CountingSink, std::uint64_t>(sink, 0);
    result.kvCountOffset = sink.position();
    putScalar<CountingSink, std::uint64_t>(sink, 0);
    for (const auto& [key, value] : metadata_) {
        result.kvOffsets.push_back(sink.position());
        putString(sink, key);
        putScalar(sink, static_cast<std::uint32_t>(value.type));
        putValue(sink, value);
    }
    for (const auto& tensor : tensors_) {
        result.tensorInfoOffsets.push_back(sink.position());
        putString(sink, tensor.name);
        putScalar(sink, static_cast<std::uint32_t>(tensor.ne.size()));
        for (auto dim : tensor.ne) putScalar<CountingSink, std::uint64_t>(sink, dim);
        putScalar(sink, static_cast<std::uint32_t>(tensor.type));
        putScalar(sink, tensor.offset);
    }
    result.dataOffset = tensors_.empty() ? sink.position() : alignUp(sink.position(), alignment_);
    result.totalSize = tensors_.empty() ? sink.position() : result.dataOffset + dataSize_;
    return result;
}

std::vector<std::uint8_t> GgufWriter::toBytes() const {
    std::vector<std::uint8_t> out;
    out.reserve(static_cast<std::size_t>(layout().totalSize));
    VectorSink sink{out};
    emit(sink);
    return out;
}

void GgufWriter::writeFile(const std::string& path) const {
    const std::string partial = path + ".partial";
    std::FILE* file = std::fopen(partial.c_str(), "wb");
    if (file == nullptr) throw std::runtime_error("cannot create '" + partial + "': " + std::strerror(errno));
    try {
        FileSink sink{file};
        emit(sink);
        if (std::fflush(file) != 0) throw std::runtime_error(std::strerror(errno));
    } catch (const std::exception& error) {
        std::fclose(file);
        std::remove(partial.c_str());
        throw std::runtime_error("cannot write '" + path + "': " + error.what());
    }
    if (std::fclose(file) != 0 || std::rename(partial.c_str(), path.c_str()) != 0) {
        const int error = errno; // before remove() can change it
        std::remove(partial.c_str());
        throw std::runtime_error("cannot write '" + path + "': " + std::strerror(error));
    }
}

} // namespace wb::gguf
