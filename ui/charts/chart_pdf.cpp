#include "ui/charts/chart_pdf.h"

#include <qcustomplot.h>

#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>

namespace wb::ui::charts {

namespace {
// Pages are drawn in a logical coordinate space this wide; the painter window maps it onto the page.
constexpr int kLogicalWidth = 1200;
constexpr int kTitleHeight = 40;
} // namespace

struct ChartPdfWriter::State {
    QPdfWriter writer;
    QCPPainter painter;
    QRect logical;
    int pages = 0;
    bool ok = false;
    explicit State(const QString& path) : writer(path) {}
};

ChartPdfWriter::ChartPdfWriter(const QString& path, const QString& documentTitle)
    : state_(std::make_unique<State>(path)) {
    QPdfWriter& writer = state_->writer;
    writer.setTitle(documentTitle);
    writer.setCreator(QStringLiteral("Inference Workbench"));
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize::A4), QPageLayout::Landscape,
                                     QMarginsF(10, 10, 10, 10), QPageLayout::Millimeter));
    writer.setResolution(300);
    if (!state_->painter.begin(&writer)) return;
    const QRect page = writer.pageLayout().paintRectPixels(writer.resolution());
    const int logicalHeight = kLogicalWidth * page.height() / std::max(1, page.width());
    state_->logical = QRect(0, 0, kLogicalWidth, logicalHeight);
    state_->painter.setWindow(state_->logical);
    state_->painter.setViewport(0, 0, page.width(), page.height());
    state_->painter.setMode(QCPPainter::pmVectorized);
    state_->painter.setMode(QCPPainter::pmNoCaching);
    state_->ok = true;
}

ChartPdfWriter::~ChartPdfWriter() {
    if (state_ && state_->painter.isActive()) state_->painter.end();
}

bool ChartPdfWriter::ok() const {
    return state_->ok;
}

static QRect startPage(QPdfWriter& writer, QCPPainter& painter, const QRect& logical, int& pages,
                       const QString& title) {
    if (pages++ > 0) writer.newPage();
    painter.save();
    QFont font = painter.font();
    font.setPixelSize(20);
    font.setBold(true);
    painter.setFont(font);
    painter.setPen(Qt::black);
    painter.drawText(QRect(0, 0, logical.width(), kTitleHeight), Qt::AlignLeft | Qt::AlignVCenter, title);
    painter.restore();
    return QRect(0, kTitleHeight, logical.width(), logical.height() - kTitleHeight);
}

void ChartPdfWriter::addPlotPage(const QString& title, QCustomPlot* plot) {
    if (!state_->ok) return;
    const QRect area = startPage(state_->writer, state_->painter, state_->logical, state_->pages, title);
    state_->painter.save();
    state_->painter.translate(area.topLeft());
    plot->toPainter(&state_->painter, area.width(), area.height());
    state_->painter.restore();
    // toPainter laid the plot out for the page; lay it out for the screen again.
    plot->replot(QCustomPlot::rpQueuedReplot);
}

void ChartPdfWriter::addPaintedPage(const QString& title,
                                    const std::function<void(QPainter*, const QRect&)>& paint) {
    if (!state_->ok) return;
    const QRect area = startPage(state_->writer, state_->painter, state_->logical, state_->pages, title);
    state_->painter.save();
    paint(&state_->painter, area);
    state_->painter.restore();
}

bool ChartPdfWriter::finish() {
    if (!state_->ok) return false;
    state_->ok = state_->painter.end();
    return state_->ok;
}

} // namespace wb::ui::charts
