// libFuzzer harness: arbitrary bytes as a GGUF file -> GgufFile::parse -> describeModel -> Model::fromFile
// -> a one-token forward pass at a small context. Any exception is an accepted outcome (the engine's way of
// refusing a bad file); a crash, sanitizer report, leak or hang is a finding.
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/model_info.h"
#include "engine/model/inference_context.h"
#include "engine/model/model.h"

#include <cstdint>
#include <exception>
#include <span>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // A copy in heap memory: 16-byte aligned like the start of a real mapping (libFuzzer's own buffer is not
    // guaranteed to be), and ASan catches any read past its end.
    const std::vector<std::uint8_t> bytes(data, data + size);
    try {
        auto file = wb::gguf::GgufFile::parse(std::span<const std::uint8_t>(bytes), "fuzz.gguf");
        (void)wb::describeModel(file);
        for (const auto& kv : file.metadata())
            (void)kv.value.toDisplayString();
        std::uint64_t touched = 0;
        for (const auto& tensor : file.tensors()) {
            const auto tensorData = file.tensorBytes(tensor);
            if (!tensorData.empty()) touched += tensorData.front() + tensorData.back();
        }
        auto model = wb::Model::fromFile(std::move(file));
        wb::ContextOptions options;
        options.contextLength = 8; // bounded: the file's context_length must not drive the allocation here
        options.threads = 1;
        wb::InferenceContext context(model, options);
        const std::int32_t token = static_cast<std::int32_t>(touched % static_cast<std::uint64_t>(
                                                                           context.vocabSize()));
        const auto logits = context.evaluate(std::span<const std::int32_t>(&token, 1));
        if (logits.size() != static_cast<std::size_t>(context.vocabSize())) __builtin_trap();
    } catch (const std::exception&) {
        // Refused with a message: the expected outcome for almost every mutated file.
    }
    return 0;
}
