#include "engine/synth/synth_model.h"

#include "engine/gguf/gguf_writer.h"
#include "engine/synth/random_weights.h"
#include "engine/synth/synth_vocab.h"
#include "engine/tensor/quantize.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <future>
#include <memory>
#include <numbers>
#include <stdexcept>

namespace wb::synth {
namespace {

// How a tensor's values are drawn.
struct ValueRecipe {
    float mean = 0.0f;
    float stddev = 0.02f;
    std::vector<float> fixed; // when non-empty: exactly these values (rope_freqs)
};

struct TensorSpec {
    std::string name;
    std::vector<std::uint64_t> ne;
    ValueRecipe recipe;
};

// Llama-3 rope frequency factors, as llama.cpp's converter computes them (convert_hf_to_gguf.py,
// LlamaModel.generate_extra_tensors): factor for long wavelengths, 1 for short ones, smooth in between.
std::vector<float> llama3RopeFactors(const ModelShape& shape) {
    const Llama3RopeScaling& s = *shape.ropeScaling;
    const double lowWavelength = s.originalContext / s.lowFreqFactor;
    const double highWavelength = s.originalContext / s.highFreqFactor;
    const std::uint32_t dim = shape.headDim();
    std::vector<float> factors;
    for (std::uint32_t i = 0; i < dim; i += 2) {
        const double freq = 1.0 / std::pow(double(shape.ropeFreqBase), double(i) / dim);
        const double wavelength = 2.0 * std::numbers::pi / freq;
        if (wavelength < highWavelength)
            factors.push_back(1.0f);
        else if (wavelength > lowWavelength)
            factors.push_back(s.factor);
        else {
            const double smooth =
                (s.originalContext / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
            factors.push_back(static_cast<float>(1.0 / ((1.0 - smooth) / s.factor + smooth)));
        }
    }
    return factors;
}

// Tensor names and shapes as llama.cpp's loader expects them (src/llama-arch.cpp LLM_TENSOR_NAMES,
// src/llama-model.cpp create_tensor for LLM_ARCH_LLAMA / LLM_ARCH_QWEN2). ne is in ggml order.
std::vector<TensorSpec> tensorSpecs(const ModelShape& shape, float stddev) {
    const std::uint64_t embd = shape.embedding, ffn = shape.feedForward, vocab = shape.vocab;
    const std::uint64_t kvDim = std::uint64_t{shape.kvHeads} * shape.headDim();
    const ValueRecipe weight{0.0f, stddev, {}};
    const ValueRecipe norm{1.0f, stddev, {}}; // RMS-norm gains near 1, as in trained models
    std::vector<TensorSpec> specs;
    specs.push_back({"token_embd.weight", {embd, vocab}, weight});
    if (shape.ropeScaling) {
        auto factors = llama3RopeFactors(shape);
        const std::uint64_t count = factors.size();
        specs.push_back({"rope_freqs.weight", {count}, ValueRecipe{0.0f, 0.0f, std::move(factors)}});
    }
    const bool biases = shape.arch == Architecture::Qwen2;
    for (std::uint32_t layer = 0; layer < shape.layers; ++layer) {
        const std::string prefix = "blk." + std::to_string(layer) + ".";
        specs.push_back({prefix + "attn_norm.weight", {embd}, norm});
        specs.push_back({prefix + "attn_q.weight", {embd, embd}, weight});
        if (biases) specs.push_back({prefix + "attn_q.bias", {embd}, weight});
        specs.push_back({prefix + "attn_k.weight", {embd, kvDim}, weight});
        if (biases) specs.push_back({prefix + "attn_k.bias", {kvDim}, weight});
        specs.push_back({prefix + "attn_v.weight", {embd, kvDim}, weight});
        if (biases) specs.push_back({prefix + "attn_v.bias", {kvDim}, weight});
        specs.push_back({prefix + "attn_output.weight", {embd, embd}, weight});
        specs.push_back({prefix + "ffn_norm.weight", {embd}, norm});
        specs.push_back({prefix + "ffn_gate.weight", {embd, ffn}, weight});
        specs.push_back({prefix + "ffn_up.weight", {embd, ffn}, weight});
        specs.push_back({prefix + "ffn_down.weight", {ffn, embd}, weight});
    }
    specs.push_back({"output_norm.weight", {embd}, norm});
    if (!shape.tiedEmbeddings) specs.push_back({"output.weight", {embd, vocab}, weight});
    return specs;
}

// Generates rows [first, last) of one tensor into `destination` (the whole tensor's bytes).
void generateRows(const TensorSpec& spec, GgmlType type, std::uint64_t key, std::int64_t first,
                  std::int64_t last, std::uint8_t* destination, std::vector<float>& scratch) {
    const auto rowLength = static_cast<std::int64_t>(spec.ne[0]);
    const std::size_t rowBytes = rowByteSize(type, rowLength);
    scratch.resize(static_cast<std::size_t>(rowLength));
    for (std::int64_t row = first; row < last; ++row) {
        if (!spec.recipe.fixed.empty())
            scratch.assign(spec.recipe.fixed.begin(), spec.recipe.fixed.end());
        else
            fillNormalRow(key, static_cast<std::uint64_t>(row), spec.recipe.mean, spec.recipe.stddev,
                          scratch.data(), rowLength);
        quantizeRow(type, scratch.data(), destination + static_cast<std::size_t>(row) * rowBytes, rowLength);
    }
}

// Generates the tensors in file order and overlaps the work with the writer: while the writer stores tensor
// i, tensor i + 1 is already being generated on another thread (the file write is often the slower part).
class TensorGenerator {
public:
    struct Job {
        const TensorSpec* spec;
        GgmlType type;
        std::uint64_t key;
        std::uint64_t bytes;
    };
    // Tensors larger than this are generated in place rather than ahead, to bound the extra memory.
    static constexpr std::uint64_t kMaxAheadBytes = 512ull << 20;

    TensorGenerator(std::shared_ptr<const std::vector<TensorSpec>> specs, std::vector<Job> jobs)
        : specs_(std::move(specs)), jobs_(std::move(jobs)) {}
    ~TensorGenerator() {
        if (ahead_.valid()) ahead_.wait();
    }

    void fill(std::size_t index, std::uint8_t* out, std::size_t bytes) {
        if (ahead_.valid() && aheadIndex_ == index) {
            const std::vector<std::uint8_t> ready = ahead_.get();
            std::memcpy(out, ready.data(), bytes);
        } else {
            if (ahead_.valid()) ahead_.wait();
            ahead_ = {};
            generate(jobs_[index], out);
        }
        const std::size_t next = index + 1;
        if (next < jobs_.size() && jobs_[next].bytes <= kMaxAheadBytes) {
            aheadIndex_ = next;
            ahead_ = std::async(std::launch::async, [this, next] {
                std::vector<std::uint8_t> buffer(static_cast<std::size_t>(jobs_[next].bytes));
                generate(jobs_[next], buffer.data());
                return buffer;
            });
        }
    }

private:
    static void generate(const Job& job, std::uint8_t* out) {
        const auto rowLength = static_cast<std::int64_t>(job.spec->ne[0]);
        const auto rows = static_cast<std::int64_t>(job.bytes / rowByteSize(job.type, rowLength));
        tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, rows, 16),
                          [&](const tbb::blocked_range<std::int64_t>& range) {
                              std::vector<float> scratch;
                              generateRows(*job.spec, job.type, job.key, range.begin(), range.end(), out,
                                           scratch);
                          });
    }

    std::shared_ptr<const std::vector<TensorSpec>> specs_; // keeps Job::spec valid
    std::vector<Job> jobs_;
    std::future<std::vector<std::uint8_t>> ahead_;
    std::size_t aheadIndex_ = 0;
};

struct Assembly {
    SynthPlan plan;
    std::unique_ptr<gguf::GgufWriter> writer;
};

Assembly assemble(const SynthOptions& options) {
    ModelShape shape = options.shape;
    TokenizerKeys tokenizer;
    if (!options.vocabFrom.empty()) {
        tokenizer = tokenizerKeysFromFile(options.vocabFrom);
        shape.vocab = tokenizer.tokenCount;
    }
    shape.validate();
    if (options.vocabFrom.empty()) tokenizer = builtinByteVocabulary(shape.vocab);
    if (!(options.weightStddev > 0.0f) || !std::isfinite(options.weightStddev))
        throw std::invalid_argument("weight standard deviation must be positive");

    const QuantTarget& target = options.target;
    const bool pure = !options.mix && !target.name.ends_with("_m") && !target.name.ends_with("_s");
    const bool quantized = ggmlTypeTraits(target.baseType).quantized;

    auto writer = std::make_unique<gguf::GgufWriter>();
    // Key order of convert_hf_to_gguf.py: general.*, the architecture's hyperparameters, file type,
    // tokenizer.
    const std::string arch(architectureName(shape.arch));
    writer->setString("general.architecture", arch);
    writer->setString("general.name", shape.name.empty() ? arch : shape.name);
    if (!options.description.empty()) writer->setString("general.description", options.description);
    writer->setUInt32(arch + ".block_count", shape.layers);
    writer->setUInt32(arch + ".context_length", shape.context);
    writer->setUInt32(arch + ".embedding_length", shape.embedding);
    writer->setUInt32(arch + ".feed_forward_length", shape.feedForward);
    writer->setUInt32(arch + ".attention.head_count", shape.heads);
    writer->setUInt32(arch + ".attention.head_count_kv", shape.kvHeads);
    writer->setFloat32(arch + ".rope.freq_base", shape.ropeFreqBase);
    writer->setFloat32(arch + ".attention.layer_norm_rms_epsilon", shape.rmsNormEps);
    writer->setUInt32("general.file_type", target.fileType);
    // The converter's LlamaModel adds these two; its Qwen2Model does not (llama.cpp derives them).
    if (shape.arch == Architecture::Llama) {
        writer->setUInt32(arch + ".vocab_size", shape.vocab);
        writer->setUInt32(arch + ".rope.dimension_count", shape.headDim());
    }
    if (quantized) writer->setUInt32("general.quantization_version", 2);
    for (auto& [key, value] : tokenizer.keys)
        writer->set(key, std::move(value));

    Assembly assembly;
    auto specs = std::make_shared<const std::vector<TensorSpec>>(tensorSpecs(shape, options.weightStddev));
    std::vector<TensorGenerator::Job> jobs;
    for (std::size_t index = 0; index < specs->size(); ++index) {
        const TensorSpec& spec = (*specs)[index];
        const TypeChoice choice = chooseTensorType(
            target,
            TensorRole{spec.name, spec.ne, shape.layers, shape.heads, shape.kvHeads, !shape.tiedEmbeddings},
            pure);
        const GgmlType type = choice.quantize ? choice.type : GgmlType::F32;
        if (!canQuantize(type))
            throw std::runtime_error("cannot write tensor type " + std::string(ggmlTypeName(type)) + " for " +
                                     spec.name + ": this engine has no quantizer for it yet");
        PlannedTensor planned{spec.name, type, spec.ne, 1, 0, choice.fallback};
        for (auto dim : spec.ne)
            planned.elements *= dim;
        planned.bytes =
            rowByteSize(type, static_cast<std::int64_t>(spec.ne[0])) * (planned.elements / spec.ne[0]);
        assembly.plan.parameterCount += planned.elements;
        assembly.plan.tensorBytes += planned.bytes;
        assembly.plan.tensors.push_back(planned);

        jobs.push_back({&spec, type, tensorKey(options.seed, spec.name), planned.bytes});
    }
    auto generator = std::make_shared<TensorGenerator>(specs, std::move(jobs));
    const auto progress = options.progress;
    const std::uint64_t totalBytes = assembly.plan.tensorBytes;
    auto done = std::make_shared<std::uint64_t>(0);
    for (std::size_t index = 0; index < specs->size(); ++index) {
        const PlannedTensor& planned = assembly.plan.tensors[index];
        writer->addTensor(
            planned.name, planned.type, planned.ne,
            [generator, index, done, totalBytes, progress](std::uint8_t* out, std::size_t bytes) {
                generator->fill(index, out, bytes);
                *done += bytes;
                if (progress) progress(*done, totalBytes);
            });
    }
    assembly.plan.shape = shape;
    assembly.plan.fileBytes = writer->layout().totalSize;
    assembly.writer = std::move(writer);
    return assembly;
}

} // namespace

SynthPlan planSyntheticModel(const SynthOptions& options) {
    return assemble(options).plan;
}

SynthResult writeSyntheticModel(const SynthOptions& options, const std::string& path) {
    const auto start = std::chrono::steady_clock::now();
    Assembly assembly = assemble(options);
    assembly.writer->writeFile(path);
    SynthResult result;
    result.plan = std::move(assembly.plan);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace wb::synth
