#pragma once
// A conversation as the chat workspace keeps it: messages with their statistics, the mode and system
// prompt, the model it was held with. Saved as JSON (autosave and export) and exported as Markdown.
// Saving writes a temporary file next to the target and renames it over the target (QSaveFile), so a
// crash or a failed write leaves the previous file intact.
#include "ui/generation_types.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>

#include <stdexcept>
#include <vector>

namespace wb::ui {

struct ConversationMessage {
    QString role; // "user", "assistant"; in raw mode "prompt" and "completion"
    QString content;
    MessageStats stats; // valid for generated messages
    QDateTime created;
};

struct Conversation {
    static constexpr int kFormatVersion = 1;

    PromptMode mode = PromptMode::Chat;
    QString systemPrompt;
    QString modelPath;
    std::vector<ConversationMessage> messages;
    QDateTime updated;

    bool isEmpty() const { return messages.empty(); }
    // The generation turns for chat mode: system (if any) then every user/assistant message.
    std::vector<ChatTurn> chatTurns() const;
};

class ConversationFormatError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

QJsonObject conversationToJson(const Conversation& conversation);
// Throws ConversationFormatError naming the missing or wrong field.
Conversation conversationFromJson(const QJsonObject& json);
QString conversationToMarkdown(const Conversation& conversation);

QString modeName(PromptMode mode);                 // "chat", "raw"
QString stopReasonText(const QString& stopReason); // "end of text", "max tokens", ...

// Atomic save (temporary file + rename). False with `error` set when anything fails; the old file is kept.
bool writeFileAtomically(const QString& path, const QByteArray& bytes, QString* error);
bool saveConversation(const Conversation& conversation, const QString& path, QString* error);
// Throws ConversationFormatError (bad content) or std::runtime_error (cannot read).
Conversation loadConversation(const QString& path);

} // namespace wb::ui
