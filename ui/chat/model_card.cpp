#include "ui/chat/model_card.h"

#include "engine/model/kv_memory.h"
#include "engine/synth/synth_model.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTextDocument>
#include <QVBoxLayout>

#include <algorithm>

namespace wb::ui {

QString formatBytes(std::uint64_t bytes) {
    const double value = double(bytes);
    if (value >= 1024.0 * 1024.0 * 1024.0)
        return QStringLiteral("%1 GiB").arg(value / (1024.0 * 1024.0 * 1024.0), 0, 'f', 2);
    if (value >= 1024.0 * 1024.0) return QStringLiteral("%1 MiB").arg(value / (1024.0 * 1024.0), 0, 'f', 2);
    if (value >= 1024.0) return QStringLiteral("%1 KiB").arg(value / 1024.0, 0, 'f', 1);
    return QStringLiteral("%1 B").arg(bytes);
}

QString formatCount(std::uint64_t count) {
    const double value = double(count);
    if (value >= 1e9) return QStringLiteral("%1 B").arg(value / 1e9, 0, 'f', 2);
    if (value >= 1e6) return QStringLiteral("%1 M").arg(value / 1e6, 0, 'f', 1);
    if (value >= 1e3) return QStringLiteral("%1 K").arg(value / 1e3, 0, 'f', 1);
    return QString::number(count);
}

ModelCard::ModelCard(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("modelCard"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    title_ = new QLabel(this);
    title_->setWordWrap(true);
    QFont titleFont = title_->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.15);
    title_->setFont(titleFont);
    banner_ = new QLabel(this);
    banner_->setObjectName(QStringLiteral("randomWeightsBanner"));
    banner_->setWordWrap(true);
    banner_->setAutoFillBackground(true);
    banner_->setMargin(4);
    banner_->setToolTip(tr("A synthetic model of a real architecture with random weights: every timing "
                           "and memory number is what a trained model of this shape would show, but "
                           "the text it writes means nothing."));
    details_ = new QLabel(this);
    details_->setWordWrap(true);
    details_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1000);
    progress_->setTextVisible(true);
    progress_->setFormat(tr("Loading… %p%"));
    progress_->setToolTip(tr("Mapping the file, validating every tensor and reading the weights into RAM."));
    cancelButton_ = new QPushButton(tr("Cancel"), this);
    cancelButton_->setObjectName(QStringLiteral("cancelLoadButton"));
    cancelButton_->setToolTip(tr("Stop loading (Esc) and go back to the model loaded before, if any."));
    auto* progressRow = new QHBoxLayout;
    progressRow->addWidget(progress_, 1);
    progressRow->addWidget(cancelButton_);

    auto* buttons = new QHBoxLayout;
    openButton_ = new QPushButton(tr("Open model…"), this);
    openButton_->setToolTip(tr("Open a GGUF file (Ctrl+O). You can also drop one on the window."));
    demoButton_ = new QPushButton(tr("Try the demo model"), this);
    demoButton_->setToolTip(tr("Makes a small llama-shaped model with random weights (about 12 MB, written "
                               "once to the cache folder) and loads it: real timings, noise for text."));
    unloadButton_ = new QPushButton(tr("Unload"), this);
    unloadButton_->setToolTip(tr("Free the model's memory (weights and KV cache)."));
    buttons->addWidget(openButton_);
    buttons->addWidget(demoButton_);
    buttons->addWidget(unloadButton_);
    buttons->addStretch(1);

    layout->addWidget(title_);
    layout->addWidget(banner_);
    layout->addLayout(progressRow);
    layout->addWidget(details_);
    layout->addLayout(buttons);

    connect(openButton_, &QPushButton::clicked, this, &ModelCard::openRequested);
    connect(demoButton_, &QPushButton::clicked, this, &ModelCard::demoRequested);
    connect(unloadButton_, &QPushButton::clicked, this, &ModelCard::unloadRequested);
    connect(cancelButton_, &QPushButton::clicked, this, &ModelCard::cancelLoadRequested);
    showNoModel();
}

void ModelCard::showLoading(const QString& path, bool cancellable) {
    model_.reset();
    title_->setText(tr("Loading %1").arg(QFileInfo(path).fileName()));
    banner_->hide();
    details_->clear();
    progress_->setValue(0);
    progress_->show();
    cancelButton_->setVisible(cancellable);
    cancelButton_->setEnabled(cancellable);
    demoButton_->setEnabled(false);
    openButton_->setEnabled(false);
    unloadButton_->setEnabled(false);
}

void ModelCard::setLoadProgress(double fraction) {
    progress_->setValue(int(std::clamp(fraction, 0.0, 1.0) * 1000));
}

void ModelCard::showModel(const LoadedModelInfo& model) {
    model_ = model;
    progress_->hide();
    cancelButton_->hide();
    openButton_->setEnabled(true);
    demoButton_->setEnabled(false);
    demoButton_->hide();
    unloadButton_->setEnabled(true);
    refresh();
}

void ModelCard::showNoModel(const QString& message) {
    model_.reset();
    kvBytes_ = 0;
    title_->setText(tr("No model loaded"));
    banner_->hide();
    progress_->hide();
    cancelButton_->hide();
    details_->setText(message.isEmpty()
                          ? tr("Open a GGUF model to chat with it, or try the built-in demo: a small "
                               "model with random weights whose timings are real.")
                          : message);
    openButton_->setEnabled(true);
    demoButton_->show();
    demoButton_->setEnabled(true);
    unloadButton_->setEnabled(false);
}

void ModelCard::setChosenContext(int contextLength, KvCacheType type) {
    chosenContext_ = contextLength;
    chosenKv_ = type;
    if (model_) refresh();
}

void ModelCard::refresh() {
    const LoadedModelInfo& m = *model_;
    title_->setText(QFileInfo(m.path).fileName());
    banner_->setVisible(m.randomWeights);
    banner_->setText(tr("Demo model: %1").arg(QString::fromUtf8(synth::kRandomWeightsDescription)));
    QPalette bannerPalette = banner_->palette();
    bannerPalette.setColor(QPalette::Window, palette().color(QPalette::Highlight));
    bannerPalette.setColor(QPalette::WindowText, palette().color(QPalette::HighlightedText));
    banner_->setPalette(bannerPalette);

    const int context = chosenContext_ > 0 ? chosenContext_ : defaultContextLength(m.config);
    kvBytes_ = kvCacheBytesFor(m.config, context, chosenKv_);

    // Quantization mix: share of the tensor bytes per ggml type, largest first.
    std::vector<std::pair<std::string, TypeTotal>> types(m.info.totalsByType.begin(),
                                                         m.info.totalsByType.end());
    std::sort(types.begin(), types.end(),
              [](const auto& a, const auto& b) { return a.second.byteSize > b.second.byteSize; });
    QStringList mix;
    for (const auto& [name, total] : types) {
        const double share =
            m.info.tensorBytes > 0 ? 100.0 * double(total.byteSize) / double(m.info.tensorBytes) : 0;
        mix << QStringLiteral("%1 %2% (%3 tensors)")
                   .arg(QString::fromStdString(name).toUpper())
                   .arg(share, 0, 'f', share < 10 ? 1 : 0)
                   .arg(total.tensorCount);
    }
    const QString file = m.info.fileTypeName.empty()
                             ? QString()
                             : QStringLiteral(" — %1").arg(QString::fromStdString(m.info.fileTypeName));
    const QString kvType = chosenKv_ == KvCacheType::F16 ? QStringLiteral("F16") : QStringLiteral("F32");
    QString html = QStringLiteral("<table cellspacing=2>");
    auto row = [&html](const QString& label, const QString& value, const QString& tip = {}) {
        html += QStringLiteral("<tr><td title=\"%3\"><b>%1</b></td><td>%2</td></tr>")
                    .arg(label.toHtmlEscaped(), value.toHtmlEscaped(), tip.toHtmlEscaped());
    };
    row(tr("Architecture"), QStringLiteral("%1, %2 layers, %3 wide, %4 heads (%5 KV)")
                                .arg(QString::fromStdString(m.config.architecture))
                                .arg(m.config.blockCount)
                                .arg(m.config.embeddingLength)
                                .arg(m.config.headCount)
                                .arg(m.config.headCountKv));
    row(tr("Parameters"), formatCount(m.info.parameterCount));
    row(tr("Quantization"), mix.join(QStringLiteral(", ")) + file);
    row(tr("Context"), tr("%1 tokens chosen (trained: %2)").arg(context).arg(m.config.contextLength));
    row(tr("Chat format"),
        m.chatFormatRecognised ? m.chatFormat : tr("none recognised — chat uses plain text"));
    row(tr("Weights"), formatBytes(m.weightBytes), tr("Bytes of all tensors the forward pass reads."));
    row(tr("KV cache"), tr("%1 at %2 tokens, %3").arg(formatBytes(kvBytes_)).arg(context).arg(kvType),
        tr("2 (keys and values) × layers × context × KV heads × head size × bytes per element."));
    row(tr("Total"), formatBytes(m.weightBytes + kvBytes_));
    row(tr("Loaded in"), tr("%1 ms, %2 threads").arg(m.loadMs, 0, 'f', 0).arg(m.threads));
    html += QStringLiteral("</table>");
    details_->setText(html);
}

QString ModelCard::text() const {
    QTextDocument document;
    document.setHtml(details_->text());
    QString all = title_->text() + QLatin1Char('\n');
    if (!banner_->isHidden()) all += banner_->text() + QLatin1Char('\n');
    return all + document.toPlainText();
}

} // namespace wb::ui
