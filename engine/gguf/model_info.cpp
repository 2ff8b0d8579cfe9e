#include "engine/gguf/model_info.h"

#include <limits>

namespace wb {
namespace {

std::uint32_t u32(const gguf::GgufFile& file, const std::string& key) {
    const auto value = file.getUInt(key);
    if (!value || *value > std::numeric_limits<std::uint32_t>::max()) return 0;
    return static_cast<std::uint32_t>(*value);
}

} // namespace

ModelInfo describeModel(const gguf::GgufFile& file) {
    ModelInfo info;
    info.path = file.sourceName();
    info.ggufVersion = file.version();
    info.fileSize = file.fileSize();
    info.architecture = file.getString("general.architecture").value_or("");
    info.name = file.getString("general.name").value_or("");
    if (const auto ft = file.getUInt("general.file_type"); ft && *ft <= std::numeric_limits<std::uint32_t>::max()) {
        info.fileType = static_cast<std::uint32_t>(*ft);
        info.fileTypeName = std::string(llamaFileTypeName(*info.fileType));
    }

    const std::string arch = info.architecture;
    auto& hp = info.hparams;
    hp.blockCount = u32(file, arch + ".block_count");
    hp.embeddingLength = u32(file, arch + ".embedding_length");
    hp.feedForwardLength = u32(file, arch + ".feed_forward_length");
    hp.headCount = u32(file, arch + ".attention.head_count");
    hp.headCountKv = file.find(arch + ".attention.head_count_kv") ? u32(file, arch + ".attention.head_count_kv")
                                                                  : hp.headCount;
    hp.contextLength = u32(file, arch + ".context_length");
    hp.ropeFreqBase = file.getDouble(arch + ".rope.freq_base").value_or(10000.0);
    hp.ropeScalingType = file.getString(arch + ".rope.scaling.type").value_or("");
    hp.ropeScalingFactor = file.getDouble(arch + ".rope.scaling.factor").value_or(1.0);
    if (hp.ropeScalingFactor == 1.0)
        if (const auto linear = file.getDouble(arch + ".rope.scale_linear")) hp.ropeScalingFactor = *linear;
    hp.rmsNormEps = file.getDouble(arch + ".attention.layer_norm_rms_epsilon").value_or(1e-5);
    hp.hasRopeFreqs = file.findTensor("rope_freqs.weight") != nullptr;

    info.tokenizerModel = file.getString("tokenizer.ggml.model").value_or("");
    info.tokenizerPre = file.getString("tokenizer.ggml.pre").value_or("");
    info.chatTemplate = file.getString("tokenizer.chat_template").value_or("");

    hp.vocabSize = u32(file, arch + ".vocab_size");
    if (hp.vocabSize == 0)
        if (const auto* tokens = file.getArray("tokenizer.ggml.tokens"))
            hp.vocabSize = static_cast<std::uint32_t>(tokens->items.size());
    if (hp.vocabSize == 0)
        if (const auto* embd = file.findTensor("token_embd.weight"); embd && embd->nDims >= 2)
            hp.vocabSize = static_cast<std::uint32_t>(embd->ne[1]);

    hp.ropeDimensionCount = u32(file, arch + ".rope.dimension_count");
    if (hp.ropeDimensionCount == 0 && hp.headCount > 0) hp.ropeDimensionCount = hp.embeddingLength / hp.headCount;

    for (const auto& tensor : file.tensors()) {
        info.parameterCount += tensor.elementCount;
        info.tensorBytes += tensor.byteSize;
        auto& total = info.totalsByType[std::string(ggmlTypeName(tensor.type))];
        ++total.tensorCount;
        total.elementCount += tensor.elementCount;
        total.byteSize += tensor.byteSize;
    }
    return info;
}

} // namespace wb
