#include "engine/synth/model_quantizer.h"

#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/tensor/dequantize.h"
#include "engine/tensor/quantize.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace wb::synth {
namespace {

std::uint32_t metadataU32(const gguf::GgufFile& file, const std::string& key) {
    const auto value = file.getUInt(key);
    return value && *value <= 0xFFFFFFFFull ? static_cast<std::uint32_t>(*value) : 0;
}

// Converts every row of one tensor: source blocks -> float -> destination blocks.
void convertTensor(const gguf::TensorInfo& tensor, std::span<const std::uint8_t> source, GgmlType to,
                   std::uint8_t* destination) {
    const auto rowLength = static_cast<std::int64_t>(tensor.ne[0]);
    const std::size_t inRowBytes = rowByteSize(tensor.type, rowLength);
    const std::size_t outRowBytes = rowByteSize(to, rowLength);
    const auto rows = static_cast<std::int64_t>(tensor.rows());
    tbb::parallel_for(
        tbb::blocked_range<std::int64_t>(0, rows, 8), [&](const tbb::blocked_range<std::int64_t>& r) {
            std::vector<float> scratch(static_cast<std::size_t>(rowLength));
            for (std::int64_t row = r.begin(); row < r.end(); ++row) {
                dequantizeRow(tensor.type, source.data() + static_cast<std::size_t>(row) * inRowBytes,
                              scratch.data(), rowLength);
                quantizeRow(to, scratch.data(), destination + static_cast<std::size_t>(row) * outRowBytes,
                            rowLength);
            }
        });
}

} // namespace

QuantizeReport quantizeModel(const std::string& inputPath, const std::string& outputPath,
                             const QuantizeOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    auto file = std::make_shared<gguf::GgufFile>(gguf::GgufFile::open(inputPath));
    const std::string arch = file->getString("general.architecture").value_or("");
    const std::uint32_t layers = metadataU32(*file, arch + ".block_count");
    const std::uint32_t heads = metadataU32(*file, arch + ".attention.head_count");
    const std::uint32_t kvHeads = file->find(arch + ".attention.head_count_kv")
                                      ? metadataU32(*file, arch + ".attention.head_count_kv")
                                      : heads;
    const bool hasOutput = file->findTensor("output.weight") != nullptr;
    const QuantTarget& target = options.target;

    gguf::GgufWriter writer(3, file->alignment());
    for (const auto& kv : file->metadata())
        writer.set(kv.key, kv.value);
    // As llama-quantize does (llama_model_quantize_impl): both keys set on every output.
    writer.setUInt32("general.quantization_version", 2);
    writer.setUInt32("general.file_type", target.fileType);

    QuantizeReport report;
    report.inputFileBytes = file->fileSize();
    const std::size_t count = file->tensors().size();
    auto done = std::make_shared<std::size_t>(0);
    for (std::size_t index = 0; index < count; ++index) {
        const gguf::TensorInfo& tensor = file->tensors()[index];
        std::vector<std::uint64_t> ne(tensor.ne.begin(), tensor.ne.begin() + tensor.nDims);
        const TypeChoice choice = chooseTensorType(
            target, TensorRole{tensor.name, ne, layers, heads, kvHeads, hasOutput}, options.pure);
        QuantizedTensor entry{tensor.name,     ne,   tensor.type,    tensor.type, tensor.byteSize,
                              tensor.byteSize, true, choice.fallback};
        if (choice.quantize && choice.type != tensor.type) {
            if (!canDequantize(tensor.type))
                throw std::runtime_error("tensor " + tensor.name + " has type " +
                                         std::string(ggmlTypeName(tensor.type)) +
                                         ", which this engine cannot dequantize");
            if (!canQuantize(choice.type))
                throw std::runtime_error("cannot quantize tensor " + tensor.name + " to " +
                                         std::string(ggmlTypeName(choice.type)) +
                                         ": no quantizer for that type yet");
            entry.to = choice.type;
            entry.copied = false;
            entry.bytesOut =
                rowByteSize(choice.type, static_cast<std::int64_t>(tensor.ne[0])) * tensor.rows();
        }
        report.tensors.push_back(entry);

        const auto progress = options.progress;
        const GgmlType to = entry.to;
        const bool copy = entry.copied;
        writer.addTensor(
            tensor.name, to, ne,
            [file, index, to, copy, done, count, progress](std::uint8_t* out, std::size_t bytes) {
                const gguf::TensorInfo& info = file->tensors()[index];
                const auto source = file->tensorBytes(info);
                if (copy)
                    std::memcpy(out, source.data(), bytes);
                else
                    convertTensor(info, source, to, out);
                ++*done;
                if (progress) progress(*done, count);
            });
    }
    writer.writeFile(outputPath);
    report.outputFileBytes = writer.layout().totalSize;
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
}

} // namespace wb::synth
