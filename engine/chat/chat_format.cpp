#include "engine/chat/chat_format.h"

#include <array>
#include <stdexcept>
#include <utility>

// Rendering follows each model family's published Hugging Face chat template (the Jinja text in
// tokenizer.chat_template), with add_generation_prompt=true. Families without a system role (Mistral,
// Gemma) get the system text in front of the first user message, as llama.cpp does.

namespace wb {
namespace {

bool contains(std::string_view text, std::string_view marker) {
    return text.find(marker) != std::string_view::npos;
}

constexpr std::array<std::pair<ChatFormatKind, std::string_view>, 8> kNames{{
    {ChatFormatKind::Raw, "raw"},
    {ChatFormatKind::Llama2, "llama2"},
    {ChatFormatKind::Llama3, "llama3"},
    {ChatFormatKind::ChatML, "chatml"},
    {ChatFormatKind::Mistral, "mistral"},
    {ChatFormatKind::Gemma, "gemma"},
    {ChatFormatKind::Phi3, "phi3"},
    {ChatFormatKind::Zephyr, "zephyr"},
}};

enum class Role { System, User, Assistant };

Role roleOf(const ChatMessage& message) {
    if (message.role == "system") return Role::System;
    if (message.role == "user") return Role::User;
    if (message.role == "assistant") return Role::Assistant;
    throw std::invalid_argument("chat: unknown message role '" + message.role +
                                "' (expected system, user or assistant)");
}

// For formats without a system role: the system text joins the first user message.
std::vector<ChatMessage> foldSystemIntoFirstUser(std::span<const ChatMessage> messages) {
    std::string system;
    std::vector<ChatMessage> folded;
    for (const auto& message : messages) {
        if (roleOf(message) == Role::System) {
            system += (system.empty() ? "" : "\n\n") + message.content;
            continue;
        }
        folded.push_back(message);
    }
    if (!system.empty()) {
        for (auto& message : folded) {
            if (roleOf(message) == Role::User) {
                message.content = system + "\n\n" + message.content;
                return folded;
            }
        }
        folded.insert(folded.begin(), ChatMessage{"user", system});
    }
    return folded;
}

std::string renderChatML(std::span<const ChatMessage> messages, bool addAssistantPrompt) {
    std::string out;
    for (const auto& message : messages) {
        roleOf(message);
        out += "<|im_start|>" + message.role + "\n" + message.content + "<|im_end|>\n";
    }
    if (addAssistantPrompt) out += "<|im_start|>assistant\n";
    return out;
}

std::string renderLlama3(std::span<const ChatMessage> messages, bool addAssistantPrompt) {
    std::string out;
    for (const auto& message : messages) {
        roleOf(message);
        out +=
            "<|start_header_id|>" + message.role + "<|end_header_id|>\n\n" + message.content + "<|eot_id|>";
    }
    if (addAssistantPrompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
    return out;
}

// Meta's Llama-2 chat format: "[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {answer} </s><s>[INST]
// ...". The first <s> is the BOS the tokenizer adds.
std::string renderLlama2(std::span<const ChatMessage> messages) {
    std::string out;
    std::string pendingSystem;
    bool firstUser = true;
    for (const auto& message : messages) {
        switch (roleOf(message)) {
        case Role::System:
            pendingSystem += message.content;
            break;
        case Role::User:
            out += firstUser ? "[INST] " : "<s>[INST] ";
            if (!pendingSystem.empty()) out += "<<SYS>>\n" + pendingSystem + "\n<</SYS>>\n\n";
            pendingSystem.clear();
            out += message.content + " [/INST]";
            firstUser = false;
            break;
        case Role::Assistant:
            out += " " + message.content + " </s>";
            break;
        }
    }
    // A system message with no user turn after it (found by tests/fuzz/fuzz_chat_format) was dropped
    // silently; it opens a turn instead, as llama.cpp's llama2 template does (src/llama-chat.cpp).
    if (!pendingSystem.empty())
        out += (firstUser ? "[INST] " : "<s>[INST] ") + ("<<SYS>>\n" + pendingSystem + "\n<</SYS>>\n\n");
    return out;
}

// Mistral-Instruct: "[INST] {user} [/INST]{answer}</s>[INST] {user} [/INST]".
std::string renderMistral(std::span<const ChatMessage> messages) {
    std::string out;
    for (const auto& message : foldSystemIntoFirstUser(messages)) {
        if (roleOf(message) == Role::User)
            out += "[INST] " + message.content + " [/INST]";
        else
            out += message.content + "</s>";
    }
    return out;
}

std::string renderGemma(std::span<const ChatMessage> messages, bool addAssistantPrompt) {
    std::string out;
    for (const auto& message : foldSystemIntoFirstUser(messages)) {
        const char* role = roleOf(message) == Role::User ? "user" : "model";
        out += std::string("<start_of_turn>") + role + "\n" + message.content + "<end_of_turn>\n";
    }
    if (addAssistantPrompt) out += "<start_of_turn>model\n";
    return out;
}

// Phi-3 and Zephyr share the "<|role|>\n{content}{end}\n" shape; they differ in the end-of-turn marker.
std::string renderRoleTagged(std::span<const ChatMessage> messages, bool addAssistantPrompt,
                             std::string_view end) {
    std::string out;
    for (const auto& message : messages) {
        roleOf(message);
        out += "<|" + message.role + "|>\n" + message.content + std::string(end) + "\n";
    }
    if (addAssistantPrompt) out += "<|assistant|>\n";
    return out;
}

std::string renderRaw(std::span<const ChatMessage> messages) {
    std::string out;
    for (const auto& message : messages) {
        roleOf(message);
        if (!out.empty()) out += "\n";
        out += message.content;
    }
    return out;
}

} // namespace

ChatFormatDetection ChatFormat::detect(std::string_view jinja) {
    auto found = [](ChatFormatKind kind) { return ChatFormatDetection{kind, true, {}}; };
    if (jinja.empty())
        return {ChatFormatKind::Raw, false,
                "the model has no chat template (tokenizer.chat_template); using raw completion"};
    // Most specific markers first: several families share "[INST]" or "<|user|>".
    if (contains(jinja, "<|im_start|>")) return found(ChatFormatKind::ChatML);
    if (contains(jinja, "<|start_header_id|>") && contains(jinja, "<|end_header_id|>"))
        return found(ChatFormatKind::Llama3);
    if (contains(jinja, "<start_of_turn>")) return found(ChatFormatKind::Gemma);
    if (contains(jinja, "[INST]"))
        return found(contains(jinja, "<<SYS>>") ? ChatFormatKind::Llama2 : ChatFormatKind::Mistral);
    if (contains(jinja, "<|user|>") && contains(jinja, "<|end|>")) return found(ChatFormatKind::Phi3);
    if (contains(jinja, "<|user|>") && (contains(jinja, "</s>") || contains(jinja, "eos_token")))
        return found(ChatFormatKind::Zephyr);
    return {ChatFormatKind::Raw, false,
            "chat template not recognised (supported: llama2, llama3, chatml, mistral, "
            "gemma, phi3, zephyr); using raw completion"};
}

std::optional<ChatFormat> ChatFormat::fromName(std::string_view name) {
    for (const auto& [kind, kindName] : kNames)
        if (kindName == name) return ChatFormat(kind);
    return std::nullopt;
}

std::string_view ChatFormat::name() const {
    for (const auto& [kind, kindName] : kNames)
        if (kind == kind_) return kindName;
    return "raw";
}

std::string ChatFormat::render(std::span<const ChatMessage> messages, bool addAssistantPrompt) const {
    switch (kind_) {
    case ChatFormatKind::ChatML:
        return renderChatML(messages, addAssistantPrompt);
    case ChatFormatKind::Llama3:
        return renderLlama3(messages, addAssistantPrompt);
    case ChatFormatKind::Llama2:
        return renderLlama2(messages);
    case ChatFormatKind::Mistral:
        return renderMistral(messages);
    case ChatFormatKind::Gemma:
        return renderGemma(messages, addAssistantPrompt);
    case ChatFormatKind::Phi3:
        return renderRoleTagged(messages, addAssistantPrompt, "<|end|>");
    case ChatFormatKind::Zephyr:
        return renderRoleTagged(messages, addAssistantPrompt, "</s>");
    case ChatFormatKind::Raw:
        break;
    }
    return renderRaw(messages);
}

std::vector<std::string> ChatFormat::stopStrings() const {
    switch (kind_) {
    case ChatFormatKind::ChatML:
        return {"<|im_end|>", "<|endoftext|>"};
    case ChatFormatKind::Llama3:
        return {"<|eot_id|>", "<|end_of_text|>"};
    case ChatFormatKind::Llama2:
    case ChatFormatKind::Mistral:
    case ChatFormatKind::Zephyr:
        return {"</s>"};
    case ChatFormatKind::Gemma:
        return {"<end_of_turn>"};
    case ChatFormatKind::Phi3:
        return {"<|end|>", "<|endoftext|>"};
    case ChatFormatKind::Raw:
        break;
    }
    return {};
}

} // namespace wb
