// libFuzzer harness for engine/chat: random Jinja text through ChatFormat::detect, random format names
// through fromName, and random conversations (any role, any bytes) rendered in every format.
#include "engine/chat/chat_format.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr wb::ChatFormatKind kKinds[] = {wb::ChatFormatKind::Raw,     wb::ChatFormatKind::Llama2,
                                         wb::ChatFormatKind::Llama3,  wb::ChatFormatKind::ChatML,
                                         wb::ChatFormatKind::Mistral, wb::ChatFormatKind::Gemma,
                                         wb::ChatFormatKind::Phi3,    wb::ChatFormatKind::Zephyr};

std::string pickRole(FuzzedDataProvider& input) {
    static const char* const kRoles[] = {"system", "user", "assistant"};
    if (input.ConsumeIntegralInRange<int>(0, 15) == 0) return input.ConsumeRandomLengthString(16);
    return kRoles[input.ConsumeIntegralInRange<int>(0, 2)];
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    const std::string jinja = input.ConsumeRandomLengthString(4096);
    const auto detection = wb::ChatFormat::detect(jinja);
    if (detection.recognised != detection.warning.empty()) __builtin_trap();

    if (const auto named = wb::ChatFormat::fromName(input.ConsumeRandomLengthString(16)))
        if (wb::ChatFormat::fromName(named->name())->kind() != named->kind()) __builtin_trap();

    std::vector<wb::ChatMessage> messages;
    const int messageCount = input.ConsumeIntegralInRange<int>(0, 8);
    for (int i = 0; i < messageCount; ++i) {
        std::string role = pickRole(input);
        messages.push_back({std::move(role), input.ConsumeRandomLengthString(512)});
    }
    const bool addAssistantPrompt = input.ConsumeBool();
    for (const auto kind : {detection.kind, kKinds[input.ConsumeIntegralInRange<std::size_t>(0, 7)]}) {
        const wb::ChatFormat format(kind);
        try {
            const std::string text = format.render(messages, addAssistantPrompt);
            // Every message's content must reach the prompt unchanged.
            for (const auto& message : messages)
                if (text.find(message.content) == std::string::npos) __builtin_trap();
        } catch (const std::invalid_argument&) {
            // An unknown role: refused with a message.
        }
        for (const auto& stop : format.stopStrings())
            if (stop.empty()) __builtin_trap(); // an empty stop string would end every generation at once
    }
    return 0;
}
