#pragma once
// Chat prompt formats. A GGUF model carries its chat format as a Jinja template
// (tokenizer.chat_template); instead of running Jinja we recognise the well-known formats by their
// characteristic markers (the same approach as llama.cpp's llm_chat_detect_template, src/llama-chat.cpp)
// and render them with fixed code. Unknown templates fall back to raw completion, and say so.
//
// Rendered text never contains the BOS token: the tokenizer adds it when the model's metadata asks for it.
// Special markers (<|im_start|>, [INST], ...) are plain text here; tokenize with special-token parsing on.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wb {

enum class ChatFormatKind { Raw, Llama2, Llama3, ChatML, Mistral, Gemma, Phi3, Zephyr };

struct ChatMessage {
    std::string role; // "system", "user" or "assistant"
    std::string content;
};

struct ChatFormatDetection {
    ChatFormatKind kind = ChatFormatKind::Raw;
    bool recognised = false;
    // Empty when recognised; otherwise a one-line warning for the user.
    std::string warning;
};

class ChatFormat {
public:
    explicit ChatFormat(ChatFormatKind kind = ChatFormatKind::Raw) : kind_(kind) {}

    // Recognises a format from the Jinja text of tokenizer.chat_template (empty: no template).
    static ChatFormatDetection detect(std::string_view jinjaTemplate);
    // By name as printed by name() ("chatml", "llama2", ...); nullopt for unknown names.
    static std::optional<ChatFormat> fromName(std::string_view name);

    ChatFormatKind kind() const { return kind_; }
    std::string_view name() const;

    // The whole conversation, followed by the opening of the assistant's turn when addAssistantPrompt.
    // Throws std::invalid_argument for a role other than system/user/assistant.
    std::string render(std::span<const ChatMessage> messages, bool addAssistantPrompt = true) const;
    // Text that ends the assistant's turn: generation stops there, and the marker is not output.
    std::vector<std::string> stopStrings() const;

private:
    ChatFormatKind kind_;
};

} // namespace wb
