#pragma once
// Puts a conversation into the model's chat format and tells generation where the assistant's turn ends.
#include "engine/chat/chat_format.h"
#include "engine/session/generation_session.h"

#include <span>
#include <string>
#include <vector>

namespace wb {

struct ChatPrompt {
    ChatFormatDetection detection; // what tokenizer.chat_template was recognised as (warning when not)
    ChatFormat format;
    std::string text;                     // the rendered prompt; tokenize it with parseSpecial on
    std::vector<std::string> stopStrings; // the format's end-of-turn markers as text
    std::vector<TokenId> endTokens;       // the same markers where the vocabulary has them as one token
};

// Uses the model's tokenizer.chat_template to pick the format.
ChatPrompt buildChatPrompt(const Model& model, const Tokenizer& tokenizer,
                           std::span<const ChatMessage> messages);
ChatPrompt buildChatPrompt(ChatFormatDetection detection, const Tokenizer& tokenizer,
                           std::span<const ChatMessage> messages);

// Adds the chat prompt's stop markers to the options and turns special-token parsing on.
void applyChatPrompt(const ChatPrompt& prompt, GenerationOptions& options);

} // namespace wb
