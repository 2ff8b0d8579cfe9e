#include "ui/start_page.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QTextDocument>
#include <QVBoxLayout>

#include <algorithm>

namespace wb::ui {
namespace {

QString plain(const QString& html) {
    QTextDocument document;
    document.setHtml(html);
    return document.toPlainText();
}

} // namespace

StartPage::StartPage(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("startPage"));

    auto* icon = new QLabel(this);
    icon->setPixmap(QIcon(QStringLiteral(":/icons/inference-workbench.svg")).pixmap(96, 96));
    auto* title = new QLabel(tr("Inference Workbench"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 2.0);
    titleFont.setBold(true);
    title->setFont(titleFont);

    intro_ = new QLabel(this);
    intro_->setWordWrap(true);
    intro_->setText(
        tr("<p>Look inside a local language model: open a <b>GGUF</b> file to see its architecture, "
           "hyperparameters, tokenizer and every tensor with its type, shape, size and position in "
           "the file. Nothing is uploaded; the file is only read.</p>"));

    auto* openButton =
        new QPushButton(QIcon::fromTheme(QStringLiteral("document-open")), tr("Open model…"), this);
    openButton->setObjectName(QStringLiteral("startOpenButton"));
    openButton->setDefault(true);
    openButton->setMinimumHeight(openButton->sizeHint().height() + 8);
    connect(openButton, &QPushButton::clicked, this, &StartPage::openRequested);

    howTo_ = new QLabel(this);
    howTo_->setWordWrap(true);
    howTo_->setOpenExternalLinks(true);
    howTo_->setTextFormat(Qt::RichText);
    howTo_->setText(tr(
        "<h3>Three ways to open a model</h3>"
        "<ul>"
        "<li>Click <b>Open model…</b> above, or use <b>File › Open model…</b> (Ctrl+O).</li>"
        "<li><b>Drag a .gguf file</b> from your file manager and drop it anywhere on this window.</li>"
        "<li>Start the app with the file: <code>inference-workbench path/to/model.gguf</code></li>"
        "</ul>"
        "<h3>Where to get GGUF files</h3>"
        "<ul>"
        "<li>Hugging Face hosts thousands: search for <a href=\"https://huggingface.co/models?library=gguf\">"
        "models with GGUF files</a> and download one .gguf (small ones such as a 0.5–1.5 B model at Q4_0 or "
        "Q8_0 are a good start).</li>"
        "<li>llama.cpp's <code>convert_hf_to_gguf.py</code> turns a Hugging Face checkpoint into GGUF.</li>"
        "<li>Any file used by llama.cpp, Ollama, LM Studio, GPT4All or KoboldCpp is a GGUF file.</li>"
        "</ul>"
        "<h3>What you will see</h3>"
        "<p>A summary of the file and model, the tokenizer, totals per tensor type, a sortable tensor table "
        "(sort by <i>Bytes</i> to find the biggest weights) and the raw metadata. The command-line tool "
        "<code>iwb inspect</code> prints the same information.</p>"));

    recentTitle_ = new QLabel(tr("<h3>Recent models</h3>"), this);
    recentList_ = new QListWidget(this);
    recentList_->setObjectName(QStringLiteral("startRecentList"));
    connect(recentList_, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        Q_EMIT recentFileRequested(item->data(Qt::UserRole).toString());
    });

    auto* header = new QHBoxLayout;
    header->addWidget(icon);
    header->addSpacing(12);
    header->addWidget(title, 1);

    auto* column = new QVBoxLayout;
    column->addLayout(header);
    column->addWidget(intro_);
    column->addSpacing(8);
    column->addWidget(openButton, 0, Qt::AlignLeft);
    column->addWidget(howTo_);
    column->addWidget(recentTitle_);
    column->addWidget(recentList_);
    column->addStretch(1);

    // Keep the text at a readable line length, centred in wide windows.
    auto* content = new QWidget(this);
    content->setLayout(column);
    content->setMaximumWidth(760);
    auto* outer = new QHBoxLayout(this);
    outer->addStretch(1);
    outer->addWidget(content, 4);
    outer->addStretch(1);
    setRecentFiles({});
}

void StartPage::setRecentFiles(const QStringList& paths) {
    recentList_->clear();
    for (const QString& path : paths) {
        auto* item = new QListWidgetItem(QStringLiteral("%1 — %2").arg(QFileInfo(path).fileName(), path));
        item->setData(Qt::UserRole, path);
        item->setToolTip(path);
        recentList_->addItem(item);
    }
    // As tall as its entries (up to six), so a short list does not leave an empty box.
    const int shownRows = std::min<int>(static_cast<int>(paths.size()), 6);
    recentList_->setFixedHeight(recentList_->sizeHintForRow(0) * shownRows + 2 * recentList_->frameWidth() +
                                4);
    recentTitle_->setVisible(!paths.isEmpty());
    recentList_->setVisible(!paths.isEmpty());
}

QString StartPage::guidanceText() const {
    return plain(intro_->text()) + QLatin1Char('\n') + plain(howTo_->text());
}

} // namespace wb::ui
