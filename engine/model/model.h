#pragma once
// A loaded model: the mapped GGUF file, its validated configuration and the location of every weight.
// Immutable after loading, so one Model can be shared by any number of InferenceContexts and threads.
#include "engine/gguf/gguf_file.h"
#include "engine/model/interleaved_weights.h"
#include "engine/model/model_config.h"
#include "engine/model/model_weights.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace wb {

// Model::load stopped because LoadOptions::cancel was raised. Nothing of the load is left: the mapping is
// closed before this propagates.
class LoadCancelledError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct LoadOptions {
    // Read one byte of every page of the mapped file after validation, so the weights are in RAM before
    // the first prompt (otherwise the first tokens pay for the page faults). This is the slow part of a
    // load (seconds for a GiB from disk), and the part the progress and the cancel flag are for. A copy
    // (FilePlacement::HugePageCopy) is in RAM by construction.
    bool readIntoMemory = false;
    // Mapped (the default), copied into huge-page memory (iwb's --no-mmap), or whichever suits the file
    // (Automatic: what iwb and the app use; with `repack` it maps a file whose weights are mostly repacked,
    // since the repacked copy is in 2 MiB pages already); see FilePlacement.
    FilePlacement placement = FilePlacement::Mapped;
    // Repack the Q4_0/Q8_0/Q4_K/Q6_K matrices for the AVX-512 kernels where those run (InterleavedWeights;
    // iwb's default, --no-repack turns it off).
    bool repack = false;
    // Called on the loading thread with 0..1: while a copy is read, 0 after validation, then while pages are
    // read, 1 at the end.
    std::function<void(double)> progress;
    // Checked before and after validation, after every 8 MiB of a copy and every 1 MiB while pages are read
    // (also right after each progress call): when true, load() throws LoadCancelledError. May be raised from
    // any thread.
    const std::atomic<bool>* cancel = nullptr;
};

class Model {
public:
    // Opens, maps and validates a GGUF model. Throws std::runtime_error with a message naming the file and
    // the problem (missing tensor, wrong shape, unsupported architecture or type, ...).
    static std::shared_ptr<const Model> load(const std::string& path);
    // The same with progress, an optional read of every page into RAM, and a cancel flag (see LoadOptions).
    static std::shared_ptr<const Model> load(const std::string& path, const LoadOptions& options);
    // The same validation for an already parsed file (in-memory or generated); the file keeps its bytes alive
    // only if it was opened from a path, otherwise the caller must.
    static std::shared_ptr<const Model> fromFile(gguf::GgufFile file);

    const ModelConfig& config() const { return config_; }
    const gguf::GgufFile& file() const { return file_; }
    const ModelWeights& weights() const { return weights_; }
    // Bytes of all tensors the forward pass reads (a tied output counted once).
    std::uint64_t weightBytes() const { return weights_.byteSize; }
    // Bytes of the repacked copy of the Q4_0/Q8_0/Q4_K/Q6_K matrices (LoadOptions::repack), 0 when none was
    // made.
    std::size_t repackedBytes() const { return interleaved_ ? interleaved_->bytes() : 0; }

private:
    explicit Model(gguf::GgufFile file);

    gguf::GgufFile file_;
    ModelConfig config_;
    ModelWeights weights_;
    std::unique_ptr<InterleavedWeights> interleaved_; // the memory WeightMatrix::interleaved points into
};

} // namespace wb
