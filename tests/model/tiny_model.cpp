#include "tests/model/tiny_model.h"

#include <algorithm>
#include <random>

namespace wb::test {

gguf::GgufWriter makeTinyModel(const TinyModelOptions& o) {
    gguf::GgufWriter writer;
    const std::string a = o.architecture;
    writer.setString("general.architecture", a);
    writer.setString("general.name", "tiny-" + a);
    writer.setUInt32(a + ".block_count", o.blocks);
    writer.setUInt32(a + ".context_length", o.context);
    writer.setUInt32(a + ".embedding_length", o.embedding);
    writer.setUInt32(a + ".feed_forward_length", o.feedForward);
    writer.setUInt32(a + ".attention.head_count", o.heads);
    writer.setUInt32(a + ".attention.head_count_kv", o.headsKv);
    writer.setFloat32(a + ".rope.freq_base", 10000.0f);
    writer.setFloat32(a + ".attention.layer_norm_rms_epsilon", 1e-5f);
    std::vector<std::string> tokens;
    for (std::uint32_t i = 0; i < o.vocab; ++i)
        tokens.push_back(std::string("t").append(std::to_string(i)));
    writer.setStringArray("tokenizer.ggml.tokens", tokens);

    std::mt19937 rng(42);
    std::normal_distribution<float> normal(0.0f, 0.3f);
    const std::uint64_t headDim = o.heads ? o.embedding / o.heads : 0;
    const std::uint64_t qDim = headDim * o.heads, kvDim = headDim * o.headsKv;
    auto add = [&](const std::string& name, std::vector<std::uint64_t> ne, float base) {
        if (o.omit.count(name)) return;
        if (auto it = o.shapes.find(name); it != o.shapes.end()) ne = it->second;
        if (auto it = o.types.find(name); it != o.types.end()) {
            writer.addTensor(name, it->second, ne,
                             [](std::uint8_t* d, std::size_t n) { std::fill(d, d + n, 0); });
            return;
        }
        std::uint64_t count = 1;
        for (auto dim : ne)
            count *= dim;
        std::vector<float> values(count);
        for (auto& v : values)
            v = base + normal(rng);
        writer.addTensorF32(name, ne, values);
    };
    const bool biases = o.attentionBiases || a == "qwen2";
    add("token_embd.weight", {o.embedding, o.vocab}, 0.0f);
    const std::uint32_t tensorBlocks = o.tensorBlocks ? o.tensorBlocks : o.blocks;
    for (std::uint32_t i = 0; i < tensorBlocks; ++i) {
        const std::string p = "blk." + std::to_string(i) + ".";
        add(p + "attn_norm.weight", {o.embedding}, 1.0f);
        add(p + "attn_q.weight", {o.embedding, qDim}, 0.0f);
        add(p + "attn_k.weight", {o.embedding, kvDim}, 0.0f);
        add(p + "attn_v.weight", {o.embedding, kvDim}, 0.0f);
        if (biases) {
            add(p + "attn_q.bias", {qDim}, 0.0f);
            add(p + "attn_k.bias", {kvDim}, 0.0f);
            add(p + "attn_v.bias", {kvDim}, 0.0f);
        }
        add(p + "attn_output.weight", {qDim, o.embedding}, 0.0f);
        add(p + "ffn_norm.weight", {o.embedding}, 1.0f);
        add(p + "ffn_gate.weight", {o.embedding, o.feedForward}, 0.0f);
        add(p + "ffn_up.weight", {o.embedding, o.feedForward}, 0.0f);
        add(p + "ffn_down.weight", {o.feedForward, o.embedding}, 0.0f);
    }
    add("output_norm.weight", {o.embedding}, 1.0f);
    if (!o.tiedOutput) add("output.weight", {o.embedding, o.vocab}, 0.0f);
    return writer;
}

InMemoryModel loadInMemory(const gguf::GgufWriter& writer) {
    InMemoryModel result;
    result.bytes = std::make_shared<std::vector<std::uint8_t>>(writer.toBytes());
    result.model = Model::fromFile(gguf::GgufFile::parse(*result.bytes, "tiny.gguf"));
    return result;
}

} // namespace wb::test
