#include "engine/gguf/gguf_file.h"

#include "engine/util/mapped_file.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace wb::gguf {
namespace {

std::string quoted(std::string_view text) {
    std::string out = "'";
    for (char c : text.substr(0, 80)) out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
    if (text.size() > 80) out += "...";
    return out + "'";
}

// Bounds-checked little-endian cursor over the file bytes.
class Cursor {
public:
    explicit Cursor(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    std::uint64_t position() const { return pos_; }
    std::uint64_t remaining() const { return bytes_.size() - pos_; }

    void need(std::uint64_t count, const std::string& field) const {
        if (count > remaining())
            throw GgufError(field, pos_,
                            "truncated: needs " + std::to_string(count) + " bytes but the file ends at byte " +
                                std::to_string(bytes_.size()));
    }

    template <typename T> T read(const std::string& field) {
        need(sizeof(T), field);
        T value;
        std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return value;
    }

    std::string readString(const std::string& field, std::uint64_t maxBytes) {
        const std::uint64_t start = pos_;
        const auto length = read<std::uint64_t>(field + " length");
        if (length > remaining())
            throw GgufError(field, start,
                            "string length " + std::to_string(length) + " exceeds the " +
                                std::to_string(remaining()) + " bytes left in the file");
        if (length > maxBytes)
            throw GgufError(field, start,
                            "string length " + std::to_string(length) + " exceeds the limit of " +
                                std::to_string(maxBytes) + " bytes");
        std::string text(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<std::size_t>(length));
        pos_ += length;
        return text;
    }

private:
    std::span<const std::uint8_t> bytes_;
    std::uint64_t pos_ = 0;
};

// Smallest encoded size of one element of a type, used to bound counts by what the file can hold.
std::uint64_t minEncodedSize(ValueType type) {
    switch (type) {
    case ValueType::UInt8:
    case ValueType::Int8:
    case ValueType::Bool: return 1;
    case ValueType::UInt16:
    case ValueType::Int16: return 2;
    case ValueType::UInt32:
    case ValueType::Int32:
    case ValueType::Float32: return 4;
    case ValueType::UInt64:
    case ValueType::Int64:
    case ValueType::Float64:
    case ValueType::String: return 8;
    case ValueType::Array: return 12;
    }
    return 1;
}

ValueType readValueType(Cursor& cursor, const std::string& field) {
    const std::uint64_t at = cursor.position();
    const auto raw = cursor.read<std::uint32_t>(field);
    if (raw >= kValueTypeCount)
        throw GgufError(field, at, "unknown metadata value type " + std::to_string(raw));
    return static_cast<ValueType>(raw);
}

Value readValue(Cursor& cursor, ValueType type, const std::string& field, int depth) {
    Value value;
    value.type = type;
    switch (type) {
    case ValueType::UInt8: value.data = std::uint64_t{cursor.read<std::uint8_t>(field)}; break;
    case ValueType::Int8: value.data = std::int64_t{cursor.read<std::int8_t>(field)}; break;
    case ValueType::UInt16: value.data = std::uint64_t{cursor.read<std::uint16_t>(field)}; break;
    case ValueType::Int16: value.data = std::int64_t{cursor.read<std::int16_t>(field)}; break;
    case ValueType::UInt32: value.data = std::uint64_t{cursor.read<std::uint32_t>(field)}; break;
    case ValueType::Int32: value.data = std::int64_t{cursor.read<std::int32_t>(field)}; break;
    case ValueType::UInt64: value.data = cursor.read<std::uint64_t>(field); break;
    case ValueType::Int64: value.data = cursor.read<std::int64_t>(field); break;
    case ValueType::Float32: value.data = double{cursor.read<float>(field)}; break;
    case ValueType::Float64: value.data = cursor.read<double>(field); break;
    case ValueType::Bool: {
        const std::uint64_t at = cursor.position();
        const auto raw = cursor.read<std::uint8_t>(field);
        if (raw > 1) throw GgufError(field, at, "bool value " + std::to_string(raw) + " is neither 0 nor 1");
        value.data = raw == 1;
        break;
    }
    case ValueType::String:
        value.data = cursor.readString(field, std::numeric_limits<std::uint64_t>::max());
        break;
    case ValueType::Array: {
        const std::uint64_t at = cursor.position();
        if (depth >= GgufFile::kMaxArrayNesting)
            throw GgufError(field, at, "arrays nested deeper than " + std::to_string(GgufFile::kMaxArrayNesting));
        ArrayValue array;
        array.elementType = readValueType(cursor, field + " element type");
        const std::uint64_t countAt = cursor.position();
        const auto count = cursor.read<std::uint64_t>(field + " element count");
        if (count > cursor.remaining() / minEncodedSize(array.elementType))
            throw GgufError(field + " element count", countAt,
                            "array of " + std::to_string(count) + " " +
                                std::string(valueTypeName(array.elementType)) + " elements cannot fit in the " +
                                std::to_string(cursor.remaining()) + " bytes left");
        array.items.reserve(static_cast<std::size_t>(count));
        for (std::uint64_t k = 0; k < count; ++k)
            array.items.push_back(readValue(cursor, array.elementType, field, depth + 1));
        value.data = std::move(array);
        break;
    }
    }
    return value;
}

bool multiplyOverflows(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
    return __builtin_mul_overflow(a, b, &out);
}

} // namespace

GgufError::GgufError(std::string field, std::uint64_t offset, const std::string& problem)
    : std::runtime_error("invalid GGUF: " + field + " at byte " + std::to_string(offset) + ": " + problem),
      field_(std::move(field)), offset_(offset) {}

std::string TensorInfo::shapeString() const {
    std::string out = "[";
    for (std::uint32_t d = 0; d < nDims; ++d) {
        if (d > 0) out += ", ";
        out += std::to_string(ne[d]);
    }
    return out + "]";
}

GgufFile GgufFile::open(const std::string& path, FilePlacement placement, const CopyProgress& onCopied) {
    auto mapping = std::make_shared<MappedFile>(path, placement, onCopied);
    GgufFile file;
    file.bytes_ = mapping->bytes();
    file.placement_ = mapping->placement();
    file.storage_ = std::move(mapping);
    file.sourceName_ = path;
    file.parseAll();
    return file;
}

GgufFile GgufFile::parse(std::span<const std::uint8_t> bytes, std::string sourceName) {
    GgufFile file;
    file.bytes_ = bytes;
    file.sourceName_ = std::move(sourceName);
    file.parseAll();
    return file;
}

void GgufFile::parseAll() {
    Cursor cursor(bytes_);
    const auto magic = cursor.read<std::uint32_t>("magic");
    if (magic != kMagic) throw GgufError("magic", 0, "not a GGUF file (the first 4 bytes are not \"GGUF\")");

    const auto version = cursor.read<std::uint32_t>("version");
    if (version != 2 && version != 3) {
        if (version != 0 && (version & 0xFFFFu) == 0)
            throw GgufError("version", 4, "big-endian GGUF files are not supported");
        throw GgufError("version", 4,
                        "unsupported GGUF version " + std::to_string(version) + " (supported: 2 and 3)");
    }
    version_ = version;

    const std::uint64_t countsAt = cursor.position();
    const auto tensorCount = cursor.read<std::uint64_t>("tensor_count");
    const auto kvCount = cursor.read<std::uint64_t>("metadata_kv_count");
    // Smallest possible records: a key-value pair is 8 + 4 + 1 bytes, a tensor info 8 + 4 + 8 + 4 + 8.
    if (kvCount > cursor.remaining() / 13)
        throw GgufError("metadata_kv_count", countsAt + 8,
                        std::to_string(kvCount) + " key-value pairs cannot fit in a file of " +
                            std::to_string(bytes_.size()) + " bytes");
    if (tensorCount > cursor.remaining() / 32)
        throw GgufError("tensor_count", countsAt,
                        std::to_string(tensorCount) + " tensors cannot fit in a file of " +
                            std::to_string(bytes_.size()) + " bytes");

    metadata_.reserve(static_cast<std::size_t>(kvCount));
    for (std::uint64_t k = 0; k < kvCount; ++k) {
        const std::uint64_t keyAt = cursor.position();
        const std::string indexField = "metadata key #" + std::to_string(k);
        std::string key = cursor.readString(indexField, kMaxKeyBytes);
        if (key.empty()) throw GgufError(indexField, keyAt, "empty key");
        const std::string field = "metadata " + quoted(key);
        if (metadataIndex_.count(key) != 0) throw GgufError(field, keyAt, "duplicate key");
        const ValueType type = readValueType(cursor, field + " type");
        Value value = readValue(cursor, type, field, 0);
        metadataIndex_.emplace(key, metadata_.size());
        metadata_.push_back(KeyValue{std::move(key), std::move(value), keyAt});
    }

    if (const Value* align = find("general.alignment")) {
        const auto it = std::find_if(metadata_.begin(), metadata_.end(),
                                     [](const KeyValue& kv) { return kv.key == "general.alignment"; });
        const auto a = align->toUInt();
        if (!a || align->type != ValueType::UInt32 || *a == 0 || (*a & (*a - 1)) != 0)
            throw GgufError("metadata 'general.alignment'", it->offset,
                            "alignment must be a u32 power of two, got " + align->toDisplayString());
        alignment_ = *a;
    }

    tensors_.reserve(static_cast<std::size_t>(tensorCount));
    for (std::uint64_t t = 0; t < tensorCount; ++t) {
        TensorInfo info;
        info.infoOffset = cursor.position();
        const std::string indexField = "tensor #" + std::to_string(t);
        info.name = cursor.readString(indexField + " name", kMaxTensorNameBytes);
        const std::string field = "tensor " + quoted(info.name);
        if (info.name.empty()) throw GgufError(indexField + " name", info.infoOffset, "empty tensor name");
        if (tensorIndex_.count(info.name) != 0)
            throw GgufError(field, info.infoOffset, "duplicate tensor name");

        const std::uint64_t dimsAt = cursor.position();
        info.nDims = cursor.read<std::uint32_t>(field + " n_dims");
        if (info.nDims == 0 || info.nDims > kMaxDims)
            throw GgufError(field + " n_dims", dimsAt,
                            "n_dims is " + std::to_string(info.nDims) + " (must be 1 to 4)");
        std::uint64_t elements = 1;
        for (std::uint32_t d = 0; d < info.nDims; ++d) {
            const std::uint64_t dimAt = cursor.position();
            const auto dim = cursor.read<std::uint64_t>(field + " ne[" + std::to_string(d) + "]");
            if (dim == 0) throw GgufError(field + " ne[" + std::to_string(d) + "]", dimAt, "dimension is zero");
            if (multiplyOverflows(elements, dim, elements) ||
                elements > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                throw GgufError(field + " ne[" + std::to_string(d) + "]", dimAt,
                                "element count overflows 63 bits (shape " + std::to_string(dim) + ")");
            info.ne[d] = dim;
        }
        info.elementCount = elements;

        const std::uint64_t typeAt = cursor.position();
        const auto rawType = cursor.read<std::uint32_t>(field + " type");
        const auto traits = ggmlTypeTraits(rawType);
        if (!traits)
            throw GgufError(field + " type", typeAt, "unknown or removed ggml type " + std::to_string(rawType));
        info.type = traits->type;
        if (info.ne[0] % traits->blockSize != 0)
            throw GgufError(field + " ne[0]", dimsAt + 4,
                            "row length " + std::to_string(info.ne[0]) + " is not a multiple of the " +
                                std::string(traits->name) + " block size " + std::to_string(traits->blockSize));
        if (multiplyOverflows(elements / traits->blockSize, traits->bytesPerBlock, info.byteSize))
            throw GgufError(field, info.infoOffset, "byte size overflows 64 bits");

        const std::uint64_t offsetAt = cursor.position();
        info.offset = cursor.read<std::uint64_t>(field + " offset");
        if (info.offset % alignment_ != 0)
            throw GgufError(field + " offset", offsetAt,
                            "data offset " + std::to_string(info.offset) + " is not a multiple of the alignment " +
                                std::to_string(alignment_));
        tensorIndex_.emplace(info.name, tensors_.size());
        tensors_.push_back(std::move(info));
    }

    // The data section starts at the next multiple of the alignment after the tensor infos.
    const std::uint64_t infoEnd = cursor.position();
    dataOffset_ = (infoEnd + alignment_ - 1) / alignment_ * alignment_;
    if (tensors_.empty()) {
        dataOffset_ = std::min<std::uint64_t>(dataOffset_, bytes_.size());
        return;
    }
    if (dataOffset_ > bytes_.size())
        throw GgufError("tensor data", infoEnd,
                        "truncated: the data section would start at byte " + std::to_string(dataOffset_) +
                            " but the file ends at byte " + std::to_string(bytes_.size()));
    const std::uint64_t dataSize = bytes_.size() - dataOffset_;
    for (const TensorInfo& info : tensors_) {
        if (info.offset > dataSize || info.byteSize > dataSize - info.offset)
            throw GgufError("tensor " + quoted(info.name) + " data", dataOffset_ + std::min(info.offset, dataSize),
                            "truncated or out of range: " + std::to_string(info.byteSize) + " bytes at data offset " +
                                std::to_string(info.offset) + " but the data section holds " +
                                std::to_string(dataSize) + " bytes");
    }
    // Tensors must not overlap: each byte of weights belongs to one tensor.
    std::vector<const TensorInfo*> byOffset;
    byOffset.reserve(tensors_.size());
    for (const TensorInfo& info : tensors_) byOffset.push_back(&info);
    std::sort(byOffset.begin(), byOffset.end(),
              [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
    for (std::size_t k = 1; k < byOffset.size(); ++k) {
        const TensorInfo& previous = *byOffset[k - 1];
        const TensorInfo& current = *byOffset[k];
        if (current.offset < previous.offset + previous.byteSize)
            throw GgufError("tensor " + quoted(current.name) + " offset", current.infoOffset,
                            "data overlaps tensor " + quoted(previous.name));
    }
}

const Value* GgufFile::find(std::string_view key) const {
    const auto it = metadataIndex_.find(std::string(key));
    return it == metadataIndex_.end() ? nullptr : &metadata_[it->second].value;
}

std::optional<std::string> GgufFile::getString(std::string_view key) const {
    const Value* value = find(key);
    if (value == nullptr || value->string() == nullptr) return std::nullopt;
    return *value->string();
}

std::optional<std::uint64_t> GgufFile::getUInt(std::string_view key) const {
    const Value* value = find(key);
    return value == nullptr ? std::nullopt : value->toUInt();
}

std::optional<double> GgufFile::getDouble(std::string_view key) const {
    const Value* value = find(key);
    return value == nullptr ? std::nullopt : value->toDouble();
}

std::optional<bool> GgufFile::getBool(std::string_view key) const {
    const Value* value = find(key);
    return value == nullptr ? std::nullopt : value->toBool();
}

const ArrayValue* GgufFile::getArray(std::string_view key) const {
    const Value* value = find(key);
    return value == nullptr ? nullptr : value->array();
}

const TensorInfo* GgufFile::findTensor(std::string_view name) const {
    const auto it = tensorIndex_.find(std::string(name));
    return it == tensorIndex_.end() ? nullptr : &tensors_[it->second];
}

std::span<const std::uint8_t> GgufFile::tensorBytes(const TensorInfo& tensor) const {
    return bytes_.subspan(static_cast<std::size_t>(dataOffset_ + tensor.offset),
                          static_cast<std::size_t>(tensor.byteSize));
}

} // namespace wb::gguf
