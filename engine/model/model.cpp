#include "engine/model/model.h"

#include "engine/tensor/quant_dot.h"

#include <algorithm>
#include <stdexcept>

#include <unistd.h>

namespace wb {

Model::Model(gguf::GgufFile file) : file_(std::move(file)) {
    config_ = readModelConfig(file_);
    weights_ = resolveModelWeights(file_, config_);
}

std::shared_ptr<const Model> Model::load(const std::string& path) {
    // GgufError derives from std::runtime_error, so parse errors pass through with their byte offsets.
    return fromFile(gguf::GgufFile::open(path));
}

std::shared_ptr<const Model> Model::load(const std::string& path, const LoadOptions& options) {
    auto cancelled = [&options] {
        return options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed);
    };
    auto report = [&](double fraction) {
        if (options.progress) options.progress(fraction);
        if (cancelled()) throw LoadCancelledError("loading " + path + " was cancelled");
    };
    if (cancelled()) throw LoadCancelledError("loading " + path + " was cancelled");
    // On a throw below, `model` (and with it the file's mapping) is released as the exception leaves.
    const CopyProgress onCopied = [&](std::size_t copied, std::size_t total) {
        report(double(copied) / double(total));
    };
    const bool repack = options.repack && avx512KernelsAvailable() && !portableKernelsForced();
    std::shared_ptr<Model> model;
    if (options.placement == FilePlacement::Automatic && repack) {
        // A copy into 2 MiB pages would only duplicate what repacking puts there when the repackable matrices
        // are most of the weights: map the file then.
        auto mapped = std::shared_ptr<Model>(new Model(gguf::GgufFile::open(path, FilePlacement::Mapped)));
        if (2 * InterleavedWeights::repackableBytes(mapped->weights_) >= mapped->weightBytes())
            model = std::move(mapped);
    }
    if (!model)
        model = std::shared_ptr<Model>(new Model(gguf::GgufFile::open(path, options.placement, onCopied)));
    const bool copied = model->file().placement() == FilePlacement::HugePageCopy;
    if (!copied) report(0.0);
    if (options.readIntoMemory && !copied) {
        const std::span<const std::uint8_t> bytes = model->file().bytes();
        const long pageSize = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
        const auto step = static_cast<std::size_t>(pageSize);
        constexpr std::size_t kCheckEvery = std::size_t{1} << 20; // cancel is honoured within 1 MiB
        const std::size_t reportEvery = std::max<std::size_t>(bytes.size() / 100, kCheckEvery);
        volatile std::uint8_t sink = 0;
        std::size_t nextCheck = kCheckEvery;
        std::size_t nextReport = reportEvery;
        for (std::size_t offset = 0; offset < bytes.size(); offset += step) {
            sink = static_cast<std::uint8_t>(sink + bytes[offset]);
            if (offset < nextCheck) continue;
            nextCheck += kCheckEvery;
            if (offset >= nextReport) {
                nextReport += reportEvery;
                report(double(offset) / double(bytes.size()));
            } else if (cancelled()) {
                throw LoadCancelledError("loading " + path + " was cancelled");
            }
        }
        (void)sink;
    }
    // The repacked copy is private memory the kernel cannot reclaim: like the file copy, it must leave half
    // of the available memory free, or the matrices stay in the file's layout.
    const std::size_t available = availableMemoryBytes();
    if (repack && available != 0 && 2 * InterleavedWeights::repackableBytes(model->weights_) <= available) {
        model->interleaved_ = InterleavedWeights::build(model->weights_, !copied, options.cancel);
        if (!model->interleaved_) throw LoadCancelledError("loading " + path + " was cancelled");
    }
    report(1.0);
    return model;
}

std::shared_ptr<const Model> Model::fromFile(gguf::GgufFile file) {
    return std::shared_ptr<const Model>(new Model(std::move(file)));
}

} // namespace wb
