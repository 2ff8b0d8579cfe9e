#include "ui/chat/chat_workspace.h"

#include "ui/app_settings.h"
#include "ui/chat/model_card.h"
#include "ui/chat/sampling_panel.h"
#include "ui/generation_controller.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QStandardPaths>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

namespace wb::ui {
namespace {

constexpr char kSplitterKey[] = "chat/splitter";

const char* const kTtftTip = QT_TRANSLATE_NOOP(
    "ChatWorkspace",
    "Time to first token: from Send until the first new token appears. It is mostly prompt processing, "
    "so it grows with the prompt length.");
const char* const kPromptSpeedTip = QT_TRANSLATE_NOOP(
    "ChatWorkspace",
    "Prompt processing runs all prompt tokens through each layer together: every weight read from memory "
    "is used for many tokens, so the CPU's arithmetic sets the speed (compute-bound). That is why it is "
    "many times faster per token than generation.");
const char* const kGenSpeedTip = QT_TRANSLATE_NOOP(
    "ChatWorkspace",
    "Generation makes one token at a time, and each token needs every weight read from RAM once: "
    "tokens/s is roughly memory bandwidth ÷ model size (memory-bound). Smaller quantizations are faster.");

QString roleTitle(const QString& role) {
    if (role == QLatin1String("user")) return QApplication::translate("ChatWorkspace", "You");
    if (role == QLatin1String("assistant")) return QApplication::translate("ChatWorkspace", "Assistant");
    return role;
}

bool isReply(const QString& role) {
    return role == QLatin1String("assistant") || role == QLatin1String("completion");
}

QString statsLine(const MessageStats& s) {
    return QApplication::translate("ChatWorkspace",
                                   "prompt %1 tokens at %2 tokens/s · first token after %3 ms · generated %4 "
                                   "tokens at %5 tokens/s · stop: %6 · context %7/%8")
        .arg(s.promptTokens)
        .arg(s.promptTokensPerSecond, 0, 'f', 1)
        .arg(s.ttftMs, 0, 'f', 1)
        .arg(s.generatedTokens)
        .arg(s.genTokensPerSecond, 0, 'f', 1)
        .arg(stopReasonText(s.stopReason))
        .arg(s.contextUsed)
        .arg(s.contextSize);
}

QString conversationsFolder() {
    const QString override = qEnvironmentVariable("WB_SETTINGS_DIR");
    const QString base =
        override.isEmpty() ? QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) : override;
    return QDir(base).filePath(QStringLiteral("conversations"));
}

} // namespace

ChatWorkspace::ChatWorkspace(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("chatWorkspace"));
    generation_ = new GenerationController(this);

    modelCard_ = new ModelCard(this);
    sampling_ = new SamplingPanel(this);
    auto* side = new QWidget(this);
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->addWidget(modelCard_);
    sideLayout->addWidget(sampling_, 1);
    auto* sideScroll = new QScrollArea(this);
    sideScroll->setWidget(side);
    sideScroll->setWidgetResizable(true);
    sideScroll->setFrameShape(QFrame::NoFrame);

    splitter_ = new QSplitter(Qt::Horizontal, this);
    splitter_->setObjectName(QStringLiteral("chatSplitter"));
    splitter_->addWidget(buildChatColumn());
    splitter_->addWidget(sideScroll);
    splitter_->setStretchFactor(0, 3);
    splitter_->setStretchFactor(1, 1);
    splitter_->setSizes({880, 400});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(splitter_);
    const auto settings = openAppSettings();
    splitter_->restoreState(settings->value(kSplitterKey).toByteArray());
    connect(splitter_, &QSplitter::splitterMoved, this, &ChatWorkspace::saveSplitter);

    buildActions();

    autosaveTimer_ = new QTimer(this);
    autosaveTimer_->setInterval(kAutosaveWhileStreamingMs);
    connect(autosaveTimer_, &QTimer::timeout, this, &ChatWorkspace::autosave);

    connect(modelCard_, &ModelCard::openRequested, this, &ChatWorkspace::openModelRequested);
    connect(modelCard_, &ModelCard::unloadRequested, this, &ChatWorkspace::unloadRequested);
    connect(modelCard_, &ModelCard::demoRequested, generation_, &GenerationController::prepareDemoModel);
    connect(sampling_, &SamplingPanel::settingsChanged, this, [this] {
        const GenerationSettings chosen = sampling_->settings();
        modelCard_->setChosenContext(chosen.contextLength, chosen.kvCacheType);
    });
    modelCard_->setChosenContext(sampling_->settings().contextLength, sampling_->settings().kvCacheType);

    connect(generation_, &GenerationController::loadStarted, modelCard_,
            [this](const QString& path) { modelCard_->showLoading(path, generation_->canCancelLoad()); });
    connect(modelCard_, &ModelCard::cancelLoadRequested, generation_, &GenerationController::cancelLoad);
    connect(generation_, &GenerationController::loadCancelled, this,
            [this](const QString& path, bool restored) {
                // A restored model was shown again by modelLoaded just before.
                if (!restored)
                    modelCard_->showNoModel(tr("Loading %1 was cancelled.").arg(QFileInfo(path).fileName()));
                liveStats_->setText(tr("Loading %1 was cancelled.").arg(QFileInfo(path).fileName()));
                updateControls();
            });
    connect(generation_, &GenerationController::loadProgress, modelCard_, &ModelCard::setLoadProgress);
    connect(generation_, &GenerationController::modelLoaded, this, &ChatWorkspace::onModelLoaded);
    connect(generation_, &GenerationController::loadFailed, this,
            [this](const QString& path, const QString& message) {
                modelCard_->showNoModel(tr("Could not load %1: %2").arg(QFileInfo(path).fileName(), message));
                updateControls();
            });
    connect(generation_, &GenerationController::modelUnloaded, this, [this] {
        modelCard_->showNoModel();
        updateControls();
    });
    connect(generation_, &GenerationController::demoReady, this, &ChatWorkspace::demoModelReady);
    connect(generation_, &GenerationController::generationStarted, this,
            [this](quint64 id, int prompt, int size) {
                if (id == activeRequest_) updateGauge(prompt, size);
            });
    connect(generation_, &GenerationController::textAppended, this, &ChatWorkspace::appendStreamText);
    connect(generation_, &GenerationController::generationFinished, this,
            &ChatWorkspace::onGenerationFinished);
    connect(generation_, &GenerationController::generationFailed, this, &ChatWorkspace::onGenerationFailed);
    connect(generation_, &GenerationController::busyChanged, this, &ChatWorkspace::updateControls);

    restoreAutosave();
    renderTranscript();
    updateControls();
}

ChatWorkspace::~ChatWorkspace() {
    // The partial reply of an interrupted generation is kept by the last autosave.
    if (activeRequest_ != 0) autosave();
}

QWidget* ChatWorkspace::buildChatColumn() {
    auto* column = new QWidget(this);
    auto* layout = new QVBoxLayout(column);
    layout->setContentsMargins(0, 0, 0, 0);

    auto* top = new QHBoxLayout;
    modeBox_ = new QComboBox(column);
    modeBox_->setObjectName(QStringLiteral("modeBox"));
    modeBox_->addItem(tr("Chat"), int(PromptMode::Chat));
    modeBox_->addItem(tr("Raw completion"), int(PromptMode::Raw));
    modeBox_->setToolTip(tr("Chat wraps the conversation in the model's chat format (its special turn "
                            "markers). Raw completion gives the model your text as is and lets it continue. "
                            "Switching starts a new conversation."));
    systemPrompt_ = new QLineEdit(column);
    systemPrompt_->setObjectName(QStringLiteral("systemPrompt"));
    systemPrompt_->setPlaceholderText(tr("System prompt (optional): how the assistant should behave"));
    systemPrompt_->setToolTip(
        tr("Sent first in every chat turn, in the model's system role. Chat mode only."));
    top->addWidget(new QLabel(tr("Mode"), column));
    top->addWidget(modeBox_);
    top->addWidget(systemPrompt_, 1);
    layout->addLayout(top);
    formatHint_ = new QLabel(column);
    formatHint_->setWordWrap(true);
    formatHint_->hide();
    layout->addWidget(formatHint_);

    transcript_ = new QTextBrowser(column);
    transcript_->setObjectName(QStringLiteral("transcript"));
    transcript_->setOpenLinks(false);
    transcript_->setPlaceholderText(tr("Type below and press Ctrl+Enter to send."));
    layout->addWidget(transcript_, 1);

    auto* gaugeRow = new QHBoxLayout;
    contextGauge_ = new QProgressBar(column);
    contextGauge_->setObjectName(QStringLiteral("contextGauge"));
    contextGauge_->setRange(0, 1);
    contextGauge_->setValue(0);
    contextGauge_->setFormat(tr("context %v / %m tokens"));
    contextGauge_->setToolTip(tr("How much of the context window the last generation filled (prompt + "
                                 "reply). When it is full the model cannot see more and generation stops."));
    liveStats_ = new QLabel(column);
    liveStats_->setObjectName(QStringLiteral("liveStats"));
    liveStats_->setToolTip(tr(kTtftTip) + QStringLiteral("\n\n") + tr(kPromptSpeedTip) +
                           QStringLiteral("\n\n") + tr(kGenSpeedTip));
    liveStats_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    contextGauge_->setMinimumWidth(220);
    contextGauge_->setMaximumWidth(320);
    liveStats_->setWordWrap(true);
    gaugeRow->addWidget(contextGauge_);
    gaugeRow->addWidget(liveStats_, 1);
    layout->addLayout(gaugeRow);
    autosaveWarning_ = new QLabel(column);
    autosaveWarning_->setObjectName(QStringLiteral("autosaveWarning"));
    autosaveWarning_->setWordWrap(true);
    autosaveWarning_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    autosaveWarning_->setStyleSheet(QStringLiteral("QLabel { color: #c62828; }"));
    autosaveWarning_->setToolTip(tr("The conversation could not be saved to %1. It is still in the window; "
                                    "export it, or free space, and the next save clears this warning.")
                                     .arg(QDir::toNativeSeparators(autosavePath())));
    autosaveWarning_->hide();
    layout->addWidget(autosaveWarning_);

    input_ = new QPlainTextEdit(column);
    input_->setObjectName(QStringLiteral("promptInput"));
    input_->setPlaceholderText(tr("Message (Ctrl+Enter sends, Esc stops)"));
    input_->setMaximumHeight(120);
    layout->addWidget(input_);

    auto* buttons = new QHBoxLayout;
    sendButton_ = new QPushButton(tr("Send"), column);
    sendButton_->setToolTip(tr("Send the message and generate a reply (Ctrl+Enter)."));
    stopButton_ = new QPushButton(tr("Stop"), column);
    stopButton_->setToolTip(tr("Stop generating; the text so far is kept (Esc)."));
    regenerateButton_ = new QPushButton(tr("Regenerate"), column);
    regenerateButton_->setToolTip(
        tr("Replace the last reply with a new one (Ctrl+R). With the same seed and "
           "settings the reply is the same; tick Random seed for a different one."));
    copyButton_ = new QPushButton(tr("Copy reply"), column);
    copyButton_->setToolTip(tr("Copy the last reply to the clipboard (Ctrl+Shift+C)."));
    newButton_ = new QPushButton(tr("New"), column);
    newButton_->setToolTip(
        tr("Start a new conversation (the current one is kept in the conversations folder)."));
    exportButton_ = new QPushButton(tr("Export"), column);
    exportButton_->setToolTip(
        tr("Save the conversation as Markdown or JSON (with every message's statistics)."));
    for (QPushButton* button :
         {sendButton_, stopButton_, regenerateButton_, copyButton_, newButton_, exportButton_})
        buttons->addWidget(button);
    buttons->addStretch(1);
    layout->addLayout(buttons);

    connect(sendButton_, &QPushButton::clicked, this, &ChatWorkspace::send);
    connect(stopButton_, &QPushButton::clicked, this, &ChatWorkspace::stop);
    connect(regenerateButton_, &QPushButton::clicked, this, &ChatWorkspace::regenerate);
    connect(copyButton_, &QPushButton::clicked, this, &ChatWorkspace::copyLastReply);
    connect(newButton_, &QPushButton::clicked, this, &ChatWorkspace::newConversation);
    connect(modeBox_, &QComboBox::activated, this,
            [this](int index) { setMode(PromptMode(modeBox_->itemData(index).toInt())); });
    connect(systemPrompt_, &QLineEdit::editingFinished, this,
            [this] { setSystemPrompt(systemPrompt_->text()); });
    return column;
}

void ChatWorkspace::buildActions() {
    menu_ = new QMenu(tr("&Chat"), this);
    menu_->setObjectName(QStringLiteral("chatMenu"));
    sendAction_ = menu_->addAction(tr("&Send"), this, &ChatWorkspace::send);
    sendAction_->setShortcuts(
        {QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)});
    stopAction_ = menu_->addAction(tr("S&top"), this, &ChatWorkspace::stop);
    stopAction_->setShortcut(QKeySequence(Qt::Key_Escape));
    regenerateAction_ = menu_->addAction(tr("&Regenerate"), this, &ChatWorkspace::regenerate);
    regenerateAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    copyAction_ = menu_->addAction(tr("&Copy reply"), this, &ChatWorkspace::copyLastReply);
    copyAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    menu_->addSeparator();
    newAction_ = menu_->addAction(tr("&New conversation"), this, &ChatWorkspace::newConversation);
    newAction_->setShortcut(QKeySequence::New);
    auto askAndExport = [this](const QString& filter, const QString& suffix, bool markdown) {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export conversation"), QStringLiteral("conversation.%1").arg(suffix), filter);
        if (path.isEmpty()) return;
        QString error;
        if (!(markdown ? exportMarkdown(path, &error) : exportJson(path, &error))) {
            auto* box =
                new QMessageBox(QMessageBox::Warning, tr("Export failed"), error, QMessageBox::Ok, this);
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->open();
        }
    };
    exportMarkdownAction_ = menu_->addAction(tr("Export as &Markdown…"), this, [askAndExport, this] {
        askAndExport(tr("Markdown (*.md)"), QStringLiteral("md"), true);
    });
    exportJsonAction_ = menu_->addAction(tr("Export as &JSON…"), this, [askAndExport, this] {
        askAndExport(tr("JSON (*.json)"), QStringLiteral("json"), false);
    });
    menu_->addSeparator();
    demoAction_ =
        menu_->addAction(tr("Load the &demo model"), generation_, &GenerationController::prepareDemoModel);
    demoAction_->setToolTip(modelCard_->demoButton()->toolTip());
    auto* exportMenu = new QMenu(this);
    exportMenu->addAction(exportMarkdownAction_);
    exportMenu->addAction(exportJsonAction_);
    exportButton_->setMenu(exportMenu);
    // The shortcuts work wherever the focus is in the window, even when the menu bar is hidden.
    addActions({sendAction_, stopAction_, regenerateAction_, copyAction_, newAction_});
}

void ChatWorkspace::loadModel(const QString& path) {
    generation_->loadModel(path, sampling_->settings());
}

void ChatWorkspace::unloadModel() {
    // Closing while a model loads stops the load at once instead of finishing it only to unload it.
    if (generation_->canCancelLoad()) generation_->cancelLoad();
    generation_->unloadModel();
}

void ChatWorkspace::onModelLoaded(const LoadedModelInfo& model) {
    modelCard_->showModel(model);
    const GenerationSettings settings = sampling_->settings();
    modelCard_->setChosenContext(settings.contextLength, settings.kvCacheType);
    conversation_.modelPath = model.path;
    // A model without a chat format writes better continuations than replies: start new ones in raw mode.
    if (conversation_.isEmpty() && activeRequest_ == 0)
        setMode(model.chatFormatRecognised ? PromptMode::Chat : PromptMode::Raw);
    formatHint_->setVisible(!model.chatFormatRecognised && conversation_.mode == PromptMode::Chat);
    formatHint_->setText(tr("This model has no chat format it announces; chat mode sends the turns as "
                            "plain text. Raw completion may suit it better."));
    updateControls();
    if (!pendingPrompt_.isNull()) {
        const QString prompt = pendingPrompt_;
        pendingPrompt_ = QString();
        setInputText(prompt);
        send();
    }
}

void ChatWorkspace::setMode(PromptMode mode) {
    if (mode == conversation_.mode) {
        modeBox_->setCurrentIndex(modeBox_->findData(int(mode)));
        return;
    }
    if (activeRequest_ != 0) {
        modeBox_->setCurrentIndex(modeBox_->findData(int(conversation_.mode)));
        return;
    }
    if (!conversation_.isEmpty()) newConversation();
    conversation_.mode = mode;
    modeBox_->setCurrentIndex(modeBox_->findData(int(mode)));
    systemPrompt_->setEnabled(mode == PromptMode::Chat);
    formatHint_->setVisible(mode == PromptMode::Chat && generation_->model() &&
                            !generation_->model()->chatFormatRecognised);
    input_->setPlaceholderText(mode == PromptMode::Chat ? tr("Message (Ctrl+Enter sends, Esc stops)")
                                                        : tr("Text for the model to continue (Ctrl+Enter)"));
    autosave();
}

void ChatWorkspace::setSystemPrompt(const QString& text) {
    if (systemPrompt_->text() != text) systemPrompt_->setText(text);
    if (conversation_.systemPrompt == text) return;
    conversation_.systemPrompt = text;
    autosave();
}

void ChatWorkspace::setInputText(const QString& text) {
    input_->setPlainText(text);
}

bool ChatWorkspace::send() {
    if (activeRequest_ != 0 || !generation_->hasModel() || generation_->isLoading()) return false;
    const QString text = input_->toPlainText();
    if (text.trimmed().isEmpty()) return false;
    if (systemPrompt_->text() != conversation_.systemPrompt)
        conversation_.systemPrompt = systemPrompt_->text();
    const bool chat = conversation_.mode == PromptMode::Chat;
    conversation_.messages.push_back(
        {chat ? QStringLiteral("user") : QStringLiteral("prompt"), text, {}, QDateTime::currentDateTime()});
    input_->clear();
    startGeneration();
    return true;
}

void ChatWorkspace::sendWhenReady(const QString& prompt, int maxTokens) {
    pendingMaxTokens_ = maxTokens;
    if (generation_->hasModel() && !generation_->isLoading() && activeRequest_ == 0) {
        setInputText(prompt);
        send();
    } else {
        pendingPrompt_ = prompt;
    }
}

void ChatWorkspace::startGeneration() {
    GenerationRequest request;
    request.mode = conversation_.mode;
    request.settings = sampling_->settings();
    request.telemetry = request.settings.telemetry;
    if (pendingMaxTokens_ >= -1) request.settings.maxTokens = pendingMaxTokens_;
    if (request.mode == PromptMode::Chat) {
        request.turns = conversation_.chatTurns();
    } else {
        request.rawPrompt = conversation_.messages.back().content;
    }
    streamingText_.clear();
    // Save the new message before the worker starts: the worker can produce thousands of tokens per
    // second, and a Stop pressed right after Send should find it still at the start.
    autosave();
    activeRequest_ = generation_->generate(request);
    if (activeRequest_ == 0) {
        liveStats_->setText(tr("No model is ready to generate."));
        updateControls();
        return;
    }
    liveStats_->setText(tr("Processing the prompt…"));
    liveStatsClock_.invalidate(); // the first chunk shows its numbers at once
    renderTranscript();
    autosaveTimer_->start();
    updateControls();
}

void ChatWorkspace::stop() {
    if (activeRequest_ != 0) generation_->stop();
    if (generation_->canCancelLoad()) generation_->cancelLoad(); // Esc also cancels a model load
}

bool ChatWorkspace::regenerate() {
    if (activeRequest_ != 0 || !generation_->hasModel() || generation_->isLoading()) return false;
    if (conversation_.messages.empty() || !isReply(conversation_.messages.back().role)) return false;
    conversation_.messages.pop_back();
    startGeneration();
    return true;
}

GenerationSettings ChatWorkspace::generationSettings() const {
    return sampling_->settings();
}

bool ChatWorkspace::regenerateWithMaxTokens(int maxTokens) {
    const int previous = pendingMaxTokens_;
    pendingMaxTokens_ = maxTokens;
    if (regenerate()) return true;
    pendingMaxTokens_ = previous;
    return false;
}

void ChatWorkspace::copyLastReply() {
    for (auto it = conversation_.messages.rbegin(); it != conversation_.messages.rend(); ++it) {
        if (isReply(it->role)) {
            QApplication::clipboard()->setText(it->content);
            return;
        }
    }
}

void ChatWorkspace::newConversation() {
    if (activeRequest_ != 0) return;
    if (!conversation_.isEmpty()) {
        // Keep the old one next to the autosave, named by its time.
        const QString archive =
            QDir(conversationsFolder())
                .filePath(
                    QStringLiteral("conversation-%1.json")
                        .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-hhmmss-zzz"))));
        QString error;
        saveConversation(conversation_, archive, &error);
    }
    conversation_.messages.clear();
    renderTranscript();
    updateGauge(0, contextGauge_->maximum());
    liveStats_->clear();
    autosave();
    updateControls();
}

void ChatWorkspace::appendStreamText(const TextChunk& chunk) {
    if (chunk.requestId != activeRequest_) return;
    streamingText_ += chunk.text;
    if (!chunk.text.isEmpty()) {
        QScrollBar* bar = transcript_->verticalScrollBar();
        const bool atBottom = bar->value() >= bar->maximum() - 4;
        streamCursor_.insertText(chunk.text);
        if (atBottom) bar->setValue(bar->maximum());
    }
    // The gauge and this line relayout and repaint part of the window; a few times a second is enough
    // (the final numbers are set when the reply ends).
    if (liveStatsClock_.isValid() && liveStatsClock_.elapsed() < kLiveStatsIntervalMs) return;
    liveStatsClock_.start();
    updateGauge(chunk.contextUsed, chunk.contextSize);
    const double seconds = chunk.elapsedMs / 1000.0;
    liveStats_->setText(
        tr("generating… %1 tokens in %2 s").arg(chunk.generatedTokens).arg(seconds, 0, 'f', 1));
}

void ChatWorkspace::onGenerationFinished(quint64 id, const MessageStats& stats, const QString& text) {
    if (id != activeRequest_) return;
    activeRequest_ = 0;
    pendingMaxTokens_ = -2;
    autosaveTimer_->stop();
    const bool chat = conversation_.mode == PromptMode::Chat;
    conversation_.messages.push_back({chat ? QStringLiteral("assistant") : QStringLiteral("completion"), text,
                                      stats, QDateTime::currentDateTime()});
    streamingText_.clear();
    renderTranscript();
    showStats(stats);
    updateGauge(stats.contextUsed, stats.contextSize);
    autosave();
    updateControls();
    Q_EMIT generationDone();
}

void ChatWorkspace::onGenerationFailed(quint64 id, const QString& message) {
    if (id != activeRequest_) return;
    activeRequest_ = 0;
    pendingMaxTokens_ = -2;
    autosaveTimer_->stop();
    streamingText_.clear();
    // The message that asked stays, so the user can fix the settings and press Regenerate... or edit.
    liveStats_->setText(tr("Generation failed: %1").arg(message));
    renderTranscript();
    autosave();
    updateControls();
    Q_EMIT generationDone();
}

void ChatWorkspace::showStats(const MessageStats& stats) {
    liveStats_->setText(statsLine(stats));
}

void ChatWorkspace::updateGauge(int used, int size) {
    contextGauge_->setRange(0, std::max(size, 1));
    contextGauge_->setValue(std::clamp(used, 0, std::max(size, 1)));
}

void ChatWorkspace::updateControls() {
    const bool generating = activeRequest_ != 0;
    const bool ready = generation_->hasModel() && !generation_->isLoading();
    const bool hasReply = !conversation_.messages.empty() && isReply(conversation_.messages.back().role);
    const bool anyReply = std::any_of(conversation_.messages.begin(), conversation_.messages.end(),
                                      [](const ConversationMessage& m) { return isReply(m.role); });
    sendButton_->setEnabled(ready && !generating);
    sendAction_->setEnabled(ready && !generating);
    stopButton_->setEnabled(generating);
    stopAction_->setEnabled(generating || generation_->canCancelLoad());
    regenerateButton_->setEnabled(ready && !generating && hasReply);
    regenerateAction_->setEnabled(ready && !generating && hasReply);
    copyButton_->setEnabled(anyReply);
    copyAction_->setEnabled(anyReply);
    newButton_->setEnabled(!generating);
    newAction_->setEnabled(!generating);
    modeBox_->setEnabled(!generating);
    exportButton_->setEnabled(!conversation_.isEmpty());
    demoAction_->setEnabled(!generation_->isLoading());
}

void ChatWorkspace::renderTranscript() {
    QTextDocument* document = transcript_->document();
    document->clear();
    QTextCursor cursor(document);
    const QPalette pal = palette();
    QTextCharFormat body;
    QTextCharFormat header;
    header.setFontWeight(QFont::Bold);
    QTextCharFormat completion;
    completion.setForeground(pal.color(QPalette::Link));
    QTextCharFormat stats;
    stats.setForeground(pal.color(QPalette::PlaceholderText));
    stats.setFontPointSize(std::max(6.0, font().pointSizeF() * 0.85));
    QTextBlockFormat spaced;
    spaced.setTopMargin(8);
    const bool chat = conversation_.mode == PromptMode::Chat;
    bool first = true;
    auto newBlock = [&](const QTextBlockFormat& format) {
        if (!first) cursor.insertBlock(format);
        first = false;
    };
    auto writeStats = [&](const MessageStats& s) {
        cursor.insertBlock(QTextBlockFormat());
        cursor.insertText(statsLine(s), stats);
    };
    for (const ConversationMessage& message : conversation_.messages) {
        if (chat) {
            newBlock(spaced);
            cursor.insertText(roleTitle(message.role), header);
            cursor.insertBlock(QTextBlockFormat());
            cursor.insertText(message.content, body);
        } else if (message.role == QLatin1String("prompt")) {
            newBlock(spaced);
            cursor.insertText(message.content, body);
        } else {
            cursor.insertText(message.content, completion);
        }
        if (message.stats.valid) writeStats(message.stats);
    }
    if (activeRequest_ != 0) {
        if (chat) {
            newBlock(spaced);
            cursor.insertText(roleTitle(QStringLiteral("assistant")), header);
            cursor.insertBlock(QTextBlockFormat());
        }
        cursor.setCharFormat(chat ? body : completion);
        cursor.insertText(streamingText_);
        streamCursor_ = cursor;
    }
    transcript_->verticalScrollBar()->setValue(transcript_->verticalScrollBar()->maximum());
}

QString ChatWorkspace::transcriptText() const {
    return transcript_->toPlainText();
}

bool ChatWorkspace::isBusy() const {
    return activeRequest_ != 0 || generation_->isLoading() || generation_->isGenerating();
}

bool ChatWorkspace::exportMarkdown(const QString& path, QString* error) const {
    return writeFileAtomically(path, conversationToMarkdown(conversation_).toUtf8(), error);
}

bool ChatWorkspace::exportJson(const QString& path, QString* error) const {
    return saveConversation(conversation_, path, error);
}

QString ChatWorkspace::autosavePath() {
    return QDir(conversationsFolder()).filePath(QStringLiteral("current.json"));
}

bool ChatWorkspace::autosave() {
    QDir().mkpath(conversationsFolder());
    Conversation snapshot = conversation_;
    snapshot.systemPrompt = systemPrompt_->text();
    snapshot.updated = QDateTime::currentDateTime();
    if (activeRequest_ != 0 && !streamingText_.isEmpty()) // the reply so far, without statistics
        snapshot.messages.push_back({conversation_.mode == PromptMode::Chat ? QStringLiteral("assistant")
                                                                            : QStringLiteral("completion"),
                                     streamingText_,
                                     {},
                                     QDateTime::currentDateTime()});
    QString error;
    if (!saveConversation(snapshot, autosavePath(), &error)) {
        setAutosaveError(error.isEmpty() ? tr("unknown error") : error);
        return false;
    }
    setAutosaveError(QString());
    return true;
}

void ChatWorkspace::setAutosaveError(const QString& error) {
    if (error == autosaveError_) return;
    autosaveError_ = error;
    if (autosaveWarning_ == nullptr) return;
    autosaveWarning_->setText(tr("⚠ The conversation is not saved: %1").arg(error));
    autosaveWarning_->setVisible(!error.isEmpty());
    Q_EMIT autosaveErrorChanged(error);
}

void ChatWorkspace::restoreAutosave() {
    const QString path = autosavePath();
    if (!QFileInfo::exists(path)) return;
    try {
        conversation_ = loadConversation(path);
    } catch (const std::exception& error) {
        setAutosaveError(tr("the saved conversation could not be read (%1)").arg(error.what()));
        conversation_ = Conversation{};
        return;
    }
    modeBox_->setCurrentIndex(modeBox_->findData(int(conversation_.mode)));
    systemPrompt_->setText(conversation_.systemPrompt);
    systemPrompt_->setEnabled(conversation_.mode == PromptMode::Chat);
    for (auto it = conversation_.messages.rbegin(); it != conversation_.messages.rend(); ++it) {
        if (it->stats.valid) {
            showStats(it->stats);
            updateGauge(it->stats.contextUsed, it->stats.contextSize);
            break;
        }
    }
}

void ChatWorkspace::saveSplitter() {
    const auto settings = openAppSettings();
    settings->setValue(kSplitterKey, splitter_->saveState());
}

void ChatWorkspace::changeEvent(QEvent* event) {
    // Light/dark: the transcript's colours come from the palette; redraw when the system switches.
    if (event->type() == QEvent::PaletteChange && transcript_ != nullptr) renderTranscript();
    QWidget::changeEvent(event);
}

} // namespace wb::ui
