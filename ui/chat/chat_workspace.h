#pragma once
// The "Chat" workspace: a transcript with streaming output and per-message statistics, the prompt box,
// chat or raw-completion mode with a system prompt, the model card and the sampling panel. It owns the
// GenerationController (and so the engine's worker thread). Conversations autosave (atomically) to
// <data folder>/conversations/current.json and are restored at start, so they survive a crash.
//
// Streaming text arrives already coalesced (GenerationWorker::kChunkIntervalMs) and is appended at the end
// of the document with one cursor insert; the whole transcript is re-rendered only when a message ends.
#include "ui/chat/conversation.h"
#include "ui/generation_types.h"

#include <QElapsedTimer>
#include <QString>
#include <QTextCursor>
#include <QWidget>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QMenu;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSplitter;
class QTextBrowser;
class QTimer;

namespace wb::ui {

class GenerationController;
class ModelCard;
class SamplingPanel;

class ChatWorkspace : public QWidget {
    Q_OBJECT
public:
    static constexpr int kAutosaveWhileStreamingMs = 2000;
    // While a reply streams, the gauge and the "generating…" line change at most this often: each change
    // costs a relayout and repaint on the GUI thread, which shares the cores with the forward pass.
    static constexpr int kLiveStatsIntervalMs = 250;

    explicit ChatWorkspace(QWidget* parent = nullptr);
    ~ChatWorkspace() override;

    GenerationController* generation() const { return generation_; }
    // The sampling panel's settings, as the next request would use them.
    GenerationSettings generationSettings() const;
    ModelCard* modelCard() const { return modelCard_; }
    SamplingPanel* samplingPanel() const { return sampling_; }
    QMenu* menu() const { return menu_; }

    // Model life cycle (the window calls these when a file is opened or closed).
    void loadModel(const QString& path);
    void unloadModel();

    // The prompt box, as a user would use it.
    void setMode(PromptMode mode);
    PromptMode mode() const { return conversation_.mode; }
    void setSystemPrompt(const QString& text);
    void setInputText(const QString& text);
    // Sends the input box (chat: a user turn; raw: a prompt to continue). False when nothing was sent.
    bool send();
    void stop();
    bool regenerate();
    // Regenerate with maxTokens (>= -1) instead of the sampling panel's value (command line --runs).
    bool regenerateWithMaxTokens(int maxTokens);
    void copyLastReply();
    void newConversation();
    // Types `prompt` and sends it as soon as a model is loaded (command line --prompt); maxTokens >= 0
    // overrides the sampling panel's value.
    void sendWhenReady(const QString& prompt, int maxTokens = -2);
    bool hasPendingPrompt() const { return !pendingPrompt_.isNull(); }

    bool exportMarkdown(const QString& path, QString* error = nullptr) const;
    bool exportJson(const QString& path, QString* error = nullptr) const;
    // Autosave file; restored by the constructor.
    static QString autosavePath();
    bool autosave();
    QString lastAutosaveError() const { return autosaveError_; }
    // Shows lastAutosaveError() while it is set; hidden after the next successful save.
    QLabel* autosaveWarning() const { return autosaveWarning_; }

    bool isBusy() const; // loading or generating
    const Conversation& conversation() const { return conversation_; }
    QString transcriptText() const;
    QTextBrowser* transcript() const { return transcript_; }
    QPlainTextEdit* input() const { return input_; }
    QLineEdit* systemPromptEdit() const { return systemPrompt_; }
    QComboBox* modeBox() const { return modeBox_; }
    QProgressBar* contextGauge() const { return contextGauge_; }
    QLabel* liveStats() const { return liveStats_; }
    QPushButton* sendButton() const { return sendButton_; }
    QPushButton* stopButton() const { return stopButton_; }
    QPushButton* regenerateButton() const { return regenerateButton_; }
    QPushButton* copyButton() const { return copyButton_; }
    QSplitter* splitter() const { return splitter_; }
    QAction* sendAction() const { return sendAction_; }
    QAction* stopAction() const { return stopAction_; }
    QAction* copyAction() const { return copyAction_; }

Q_SIGNALS:
    void openModelRequested(); // the card's "Open model…"
    void unloadRequested();    // the card's "Unload" (the window closes the model everywhere)
    void demoModelReady(const QString& path);
    void generationDone(); // a generation ended (finished or failed) and the transcript is final
    // The autosave started failing (error) or works again (empty).
    void autosaveErrorChanged(const QString& error);

protected:
    void changeEvent(QEvent* event) override;

private:
    QWidget* buildChatColumn();
    void buildActions();
    void startGeneration();
    void renderTranscript();
    void appendStreamText(const TextChunk& chunk);
    void onGenerationFinished(quint64 id, const MessageStats& stats, const QString& text);
    void onGenerationFailed(quint64 id, const QString& message);
    void onModelLoaded(const LoadedModelInfo& model);
    void updateControls();
    void updateGauge(int used, int size);
    void showStats(const MessageStats& stats);
    void restoreAutosave();
    void saveSplitter();
    void setAutosaveError(const QString& error);

    GenerationController* generation_ = nullptr;
    Conversation conversation_;
    quint64 activeRequest_ = 0;
    QString streamingText_; // the reply being generated, as received so far
    QTextCursor streamCursor_;
    QString pendingPrompt_; // null: none
    int pendingMaxTokens_ = -2;
    QString autosaveError_;

    QSplitter* splitter_ = nullptr;
    ModelCard* modelCard_ = nullptr;
    SamplingPanel* sampling_ = nullptr;
    QComboBox* modeBox_ = nullptr;
    QLineEdit* systemPrompt_ = nullptr;
    QLabel* formatHint_ = nullptr;
    QTextBrowser* transcript_ = nullptr;
    QPlainTextEdit* input_ = nullptr;
    QPushButton* sendButton_ = nullptr;
    QPushButton* stopButton_ = nullptr;
    QPushButton* regenerateButton_ = nullptr;
    QPushButton* copyButton_ = nullptr;
    QPushButton* newButton_ = nullptr;
    QPushButton* exportButton_ = nullptr;
    QProgressBar* contextGauge_ = nullptr;
    QLabel* liveStats_ = nullptr;
    QLabel* autosaveWarning_ = nullptr;
    QElapsedTimer liveStatsClock_; // since the gauge and live line were last updated while streaming
    QTimer* autosaveTimer_ = nullptr;
    QMenu* menu_ = nullptr;
    QAction* sendAction_ = nullptr;
    QAction* stopAction_ = nullptr;
    QAction* regenerateAction_ = nullptr;
    QAction* copyAction_ = nullptr;
    QAction* newAction_ = nullptr;
    QAction* exportMarkdownAction_ = nullptr;
    QAction* exportJsonAction_ = nullptr;
    QAction* demoAction_ = nullptr;
};

} // namespace wb::ui
