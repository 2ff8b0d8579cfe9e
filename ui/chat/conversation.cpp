#include "ui/chat/conversation.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

namespace wb::ui {
namespace {

QJsonObject statsToJson(const MessageStats& stats) {
    return QJsonObject{
        {QStringLiteral("prompt_tokens"), stats.promptTokens},
        {QStringLiteral("prompt_ms"), stats.promptMs},
        {QStringLiteral("prompt_tokens_per_second"), stats.promptTokensPerSecond},
        {QStringLiteral("generated_tokens"), stats.generatedTokens},
        {QStringLiteral("generation_ms"), stats.generationMs},
        {QStringLiteral("generated_tokens_per_second"), stats.genTokensPerSecond},
        {QStringLiteral("time_to_first_token_ms"), stats.ttftMs},
        {QStringLiteral("total_ms"), stats.totalMs},
        {QStringLiteral("stop_reason"), stats.stopReason},
        {QStringLiteral("context_used"), stats.contextUsed},
        {QStringLiteral("context_size"), stats.contextSize},
        {QStringLiteral("seed"), QString::number(stats.seed)}, // 64-bit: a JSON double would round it
    };
}

QJsonValue require(const QJsonObject& object, const QString& key, QJsonValue::Type type,
                   const QString& where) {
    const QJsonValue value = object.value(key);
    if (value.type() != type)
        throw ConversationFormatError(
            QStringLiteral("%1: field '%2' is missing or has the wrong type").arg(where, key).toStdString());
    return value;
}

MessageStats statsFromJson(const QJsonObject& json, const QString& where) {
    auto number = [&](const char* key) { return require(json, key, QJsonValue::Double, where).toDouble(); };
    MessageStats stats;
    stats.valid = true;
    stats.promptTokens = int(number("prompt_tokens"));
    stats.promptMs = number("prompt_ms");
    stats.promptTokensPerSecond = number("prompt_tokens_per_second");
    stats.generatedTokens = int(number("generated_tokens"));
    stats.generationMs = number("generation_ms");
    stats.genTokensPerSecond = number("generated_tokens_per_second");
    stats.ttftMs = number("time_to_first_token_ms");
    stats.totalMs = number("total_ms");
    stats.stopReason = require(json, QStringLiteral("stop_reason"), QJsonValue::String, where).toString();
    stats.contextUsed = int(number("context_used"));
    stats.contextSize = int(number("context_size"));
    stats.seed = json.value(QStringLiteral("seed")).toString().toULongLong();
    return stats;
}

QString fence(const QString& text) {
    // A fence longer than any backtick run inside the text.
    int longest = 0, run = 0;
    for (const QChar c : text) {
        run = c == QLatin1Char('`') ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    return QString(std::max(3, longest + 1), QLatin1Char('`'));
}

} // namespace

std::vector<ChatTurn> Conversation::chatTurns() const {
    std::vector<ChatTurn> turns;
    if (!systemPrompt.trimmed().isEmpty()) turns.push_back({QStringLiteral("system"), systemPrompt});
    for (const ConversationMessage& message : messages)
        turns.push_back({message.role, message.content});
    return turns;
}

QString modeName(PromptMode mode) {
    return mode == PromptMode::Chat ? QStringLiteral("chat") : QStringLiteral("raw");
}

QString stopReasonText(const QString& stopReason) {
    if (stopReason == QLatin1String("end_of_generation")) return QStringLiteral("end of text");
    if (stopReason == QLatin1String("max_tokens")) return QStringLiteral("max tokens");
    if (stopReason == QLatin1String("stop_string")) return QStringLiteral("stop string");
    if (stopReason == QLatin1String("context_full")) return QStringLiteral("context full");
    if (stopReason == QLatin1String("cancelled")) return QStringLiteral("stopped");
    return stopReason;
}

QJsonObject conversationToJson(const Conversation& conversation) {
    QJsonArray messages;
    for (const ConversationMessage& message : conversation.messages) {
        QJsonObject json{{QStringLiteral("role"), message.role},
                         {QStringLiteral("content"), message.content},
                         {QStringLiteral("created"), message.created.toString(Qt::ISODateWithMs)}};
        if (message.stats.valid) json.insert(QStringLiteral("stats"), statsToJson(message.stats));
        messages.append(json);
    }
    return QJsonObject{{QStringLiteral("format"), QStringLiteral("inference-workbench-conversation")},
                       {QStringLiteral("version"), Conversation::kFormatVersion},
                       {QStringLiteral("mode"), modeName(conversation.mode)},
                       {QStringLiteral("system_prompt"), conversation.systemPrompt},
                       {QStringLiteral("model"), conversation.modelPath},
                       {QStringLiteral("updated"), conversation.updated.toString(Qt::ISODateWithMs)},
                       {QStringLiteral("messages"), messages}};
}

Conversation conversationFromJson(const QJsonObject& json) {
    const QString top = QStringLiteral("conversation");
    if (json.value(QStringLiteral("format")).toString() != QLatin1String("inference-workbench-conversation"))
        throw ConversationFormatError("not an Inference Workbench conversation (field 'format')");
    const int version = int(require(json, QStringLiteral("version"), QJsonValue::Double, top).toDouble());
    if (version != Conversation::kFormatVersion)
        throw ConversationFormatError("conversation format version " + std::to_string(version) +
                                      " is not supported (expected " +
                                      std::to_string(Conversation::kFormatVersion) + ")");
    Conversation conversation;
    const QString mode = require(json, QStringLiteral("mode"), QJsonValue::String, top).toString();
    if (mode != QLatin1String("chat") && mode != QLatin1String("raw"))
        throw ConversationFormatError("conversation: mode '" + mode.toStdString() + "' is not chat or raw");
    conversation.mode = mode == QLatin1String("chat") ? PromptMode::Chat : PromptMode::Raw;
    conversation.systemPrompt = json.value(QStringLiteral("system_prompt")).toString();
    conversation.modelPath = json.value(QStringLiteral("model")).toString();
    conversation.updated =
        QDateTime::fromString(json.value(QStringLiteral("updated")).toString(), Qt::ISODate);
    const QJsonArray messages = require(json, QStringLiteral("messages"), QJsonValue::Array, top).toArray();
    for (qsizetype i = 0; i < messages.size(); ++i) {
        const QString where = QStringLiteral("messages[%1]").arg(i);
        if (!messages[i].isObject()) throw ConversationFormatError(where.toStdString() + ": not an object");
        const QJsonObject object = messages[i].toObject();
        ConversationMessage message;
        message.role = require(object, QStringLiteral("role"), QJsonValue::String, where).toString();
        message.content = require(object, QStringLiteral("content"), QJsonValue::String, where).toString();
        message.created =
            QDateTime::fromString(object.value(QStringLiteral("created")).toString(), Qt::ISODate);
        if (object.contains(QStringLiteral("stats")))
            message.stats =
                statsFromJson(require(object, QStringLiteral("stats"), QJsonValue::Object, where).toObject(),
                              where + QStringLiteral(".stats"));
        conversation.messages.push_back(std::move(message));
    }
    return conversation;
}

QString conversationToMarkdown(const Conversation& conversation) {
    QString out = QStringLiteral("# Conversation\n\n");
    if (!conversation.modelPath.isEmpty())
        out += QStringLiteral("- Model: `%1`\n").arg(QFileInfo(conversation.modelPath).fileName());
    out +=
        QStringLiteral("- Mode: %1\n").arg(conversation.mode == PromptMode::Chat ? "chat" : "raw completion");
    if (conversation.updated.isValid())
        out += QStringLiteral("- Saved: %1\n").arg(conversation.updated.toString(Qt::ISODate));
    out += QLatin1Char('\n');
    if (conversation.mode == PromptMode::Chat && !conversation.systemPrompt.isEmpty())
        out += QStringLiteral("## System\n\n%1\n\n").arg(conversation.systemPrompt);
    for (const ConversationMessage& message : conversation.messages) {
        QString title = message.role;
        if (!title.isEmpty()) title[0] = title[0].toUpper();
        out += QStringLiteral("## %1\n\n").arg(title);
        const QString marker = fence(message.content);
        // Raw completions are kept byte-exact in a fence; chat text is Markdown already.
        if (conversation.mode == PromptMode::Raw)
            out += QStringLiteral("%1text\n%2\n%1\n\n").arg(marker, message.content);
        else
            out += message.content + QStringLiteral("\n\n");
        if (message.stats.valid) {
            const MessageStats& s = message.stats;
            out += QStringLiteral("*Prompt: %1 tokens at %2 tokens/s · generated: %3 tokens at %4 tokens/s · "
                                  "time to first token: %5 ms · stop: %6 · context %7/%8*\n\n")
                       .arg(s.promptTokens)
                       .arg(s.promptTokensPerSecond, 0, 'f', 1)
                       .arg(s.generatedTokens)
                       .arg(s.genTokensPerSecond, 0, 'f', 1)
                       .arg(s.ttftMs, 0, 'f', 1)
                       .arg(stopReasonText(s.stopReason))
                       .arg(s.contextUsed)
                       .arg(s.contextSize);
        }
    }
    return out;
}

bool writeFileAtomically(const QString& path, const QByteArray& bytes, QString* error) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error) *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return false;
    }
    if (file.write(bytes) != bytes.size() || !file.commit()) {
        if (error) *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        file.cancelWriting();
        return false;
    }
    return true;
}

bool saveConversation(const Conversation& conversation, const QString& path, QString* error) {
    return writeFileAtomically(
        path, QJsonDocument(conversationToJson(conversation)).toJson(QJsonDocument::Indented), error);
}

Conversation loadConversation(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw std::runtime_error(QStringLiteral("%1: %2").arg(path, file.errorString()).toStdString());
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        throw ConversationFormatError(QStringLiteral("%1: JSON error at byte %2: %3")
                                          .arg(path)
                                          .arg(parseError.offset)
                                          .arg(parseError.errorString())
                                          .toStdString());
    if (!document.isObject()) throw ConversationFormatError(path.toStdString() + ": not a JSON object");
    return conversationFromJson(document.object());
}

} // namespace wb::ui
