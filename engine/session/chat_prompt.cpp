#include "engine/session/chat_prompt.h"

namespace wb {

ChatPrompt buildChatPrompt(const Model& model, const Tokenizer& tokenizer,
                           std::span<const ChatMessage> messages) {
    return buildChatPrompt(ChatFormat::detect(model.file().getString("tokenizer.chat_template").value_or("")),
                           tokenizer, messages);
}

ChatPrompt buildChatPrompt(ChatFormatDetection detection, const Tokenizer& tokenizer,
                           std::span<const ChatMessage> messages) {
    ChatPrompt prompt;
    prompt.detection = std::move(detection);
    prompt.format = ChatFormat(prompt.detection.kind);
    prompt.text = prompt.format.render(messages);
    prompt.stopStrings = prompt.format.stopStrings();
    for (const auto& marker : prompt.stopStrings)
        if (const auto id = tokenizer.findToken(marker)) prompt.endTokens.push_back(*id);
    return prompt;
}

void applyChatPrompt(const ChatPrompt& prompt, GenerationOptions& options) {
    options.parseSpecial = true;
    options.stopStrings.insert(options.stopStrings.end(), prompt.stopStrings.begin(),
                               prompt.stopStrings.end());
    options.extraEndTokens.insert(options.extraEndTokens.end(), prompt.endTokens.begin(),
                                  prompt.endTokens.end());
}

} // namespace wb
