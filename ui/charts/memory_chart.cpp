#include "ui/charts/memory_chart.h"

#include "engine/telemetry/run_aggregator.h"
#include "ui/charts/chart_style.h"

#include <qcustomplot.h>

#include <QLabel>
#include <QVBoxLayout>
#include <algorithm>

namespace wb::ui::charts {

namespace {
constexpr double kMiB = 1024.0 * 1024.0;
constexpr int kMaxCellLabels = 48; // beyond this the cells are too narrow for text
constexpr int kStripHeight = 46;

QCPGraph* addSeries(QCustomPlot* plot, QCPAxisRect* rect, const QString& name, const QColor& color,
                    Qt::PenStyle style = Qt::SolidLine) {
    QCPGraph* graph = plot->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    graph->setName(name);
    graph->setPen(QPen(color, 1, style));
    graph->setAdaptiveSampling(true);
    return graph;
}
} // namespace

MemoryChart::MemoryChart(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("memoryChart"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    auto* header = new QHBoxLayout;
    auto* title = new QLabel(tr("Memory"), this);
    title->setFont(titleFont());
    header->addWidget(title);
    header->addStretch();
    summary_ = new QLabel(tr("Waiting for a memory report…"), this);
    summary_->setObjectName(QStringLiteral("memorySummary"));
    summary_->setTextFormat(Qt::RichText);
    header->addWidget(summary_);
    layout->addLayout(header);

    plot_ = new QCustomPlot(this);
    plot_->setMinimumHeight(200);
    layout->addWidget(plot_, 1);

    // Row 0: the residency strip; row 1: totals over time. One QCustomPlot, one paint buffer.
    stripRect_ = plot_->axisRect();
    stripRect_->setMinimumSize(0, kStripHeight);
    stripRect_->setMaximumSize(QWIDGETSIZE_MAX, kStripHeight);
    totalsRect_ = new QCPAxisRect(plot_);
    plot_->plotLayout()->addElement(1, 0, totalsRect_);
    plot_->plotLayout()->setRowSpacing(4);
    auto* margins = new QCPMarginGroup(plot_);
    stripRect_->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    totalsRect_->setMarginGroup(QCP::msLeft | QCP::msRight, margins);

    strip_ = new QCPColorMap(stripRect_->axis(QCPAxis::atBottom), stripRect_->axis(QCPAxis::atLeft));
    strip_->setInterpolate(false);
    strip_->setTightBoundary(false);
    QCPColorGradient gradient;
    gradient.setColorStopAt(0.0, QColor(0xf4, 0xf1, 0xea));
    gradient.setColorStopAt(0.5, QColor(0x9e, 0xc5, 0xe8));
    gradient.setColorStopAt(1.0, QColor(0x1f, 0x4e, 0x8c));
    strip_->setGradient(gradient);
    strip_->setDataRange(QCPRange(0, 1));
    QCPAxis* stripY = stripRect_->axis(QCPAxis::atLeft);
    stripY->setTicks(false);
    stripY->setTickLabels(false);
    stripY->setLabel(tr("resident"));
    stripY->setRange(0, 1);
    stripY->grid()->setVisible(false);
    QCPAxis* stripX = stripRect_->axis(QCPAxis::atBottom);
    QSharedPointer<QCPAxisTickerFixed> layerTicks(new QCPAxisTickerFixed);
    layerTicks->setTickStep(1.0);
    layerTicks->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    stripX->setTicker(layerTicks);
    stripX->setSubTicks(false);
    stripX->grid()->setVisible(false);
    stripX->setLabel(tr("layer"));
    stripX->setPadding(0);
    stripX->setLabelPadding(0);

    rss_ = addSeries(plot_, totalsRect_, tr("process RSS"), series::kRss);
    weights_ = addSeries(plot_, totalsRect_, tr("weights resident"), series::kWeights);
    kvAllocated_ = addSeries(plot_, totalsRect_, tr("KV allocated"), series::kKvAllocated, Qt::DashLine);
    kvUsed_ = addSeries(plot_, totalsRect_, tr("KV used"), series::kKvUsed);
    totalsRect_->axis(QCPAxis::atBottom)->setLabel(tr("time (s)"));
    totalsRect_->axis(QCPAxis::atLeft)->setLabel(tr("MiB"));

    // Legend inside the totals rect, between RSS (top) and the KV lines (bottom).
    plot_->axisRect()->insetLayout()->take(plot_->legend);
    totalsRect_->insetLayout()->addElement(plot_->legend, Qt::AlignVCenter | Qt::AlignRight);
    plot_->legend->setVisible(true);
    plot_->legend->setBrush(QColor(255, 255, 255, 220));
    plot_->legend->setBorderPen(QPen(QColor(0xd0, 0xd0, 0xd0)));
    plot_->legend->removeItem(plot_->legend->itemWithPlottable(strip_));
    QFont legendFont = plot_->font();
    legendFont.setPointSizeF(legendFont.pointSizeF() * 0.85);
    plot_->legend->setFont(legendFont);
    applyPlotStyle(plot_);
    clear();
}

MemoryChart::~MemoryChart() = default;

void MemoryChart::clear() {
    for (QCPGraph* graph : {rss_, weights_, kvAllocated_, kvUsed_})
        graph->data()->clear();
    appendedSamples_ = 0;
    strip_->data()->setSize(1, 1);
    strip_->data()->setRange(QCPRange(0, 0), QCPRange(0.5, 0.5));
    strip_->data()->fill(0);
    strip_->setVisible(false);
    rebuildCellLabels(0);
    stripRect_->axis(QCPAxis::atBottom)->setRange(-0.5, 4.5);
    totalsRect_->axis(QCPAxis::atBottom)->setRange(0, 10);
    totalsRect_->axis(QCPAxis::atLeft)->setRange(0, 1);
    summary_->setText(tr("Waiting for a memory report…"));
    plot_->replot(QCustomPlot::rpQueuedReplot);
    ++replotRequests_;
}

void MemoryChart::rebuildCellLabels(int layers) {
    const int wanted = layers <= kMaxCellLabels ? layers : 0;
    if (static_cast<int>(cellLabels_.size()) == wanted) return;
    for (QCPItemText* label : cellLabels_)
        plot_->removeItem(label);
    cellLabels_.clear();
    QFont font = plot_->font();
    font.setPointSizeF(font.pointSizeF() * 0.8);
    for (int layer = 0; layer < wanted; ++layer) {
        auto* label = new QCPItemText(plot_);
        label->setClipAxisRect(stripRect_);
        label->position->setAxes(stripRect_->axis(QCPAxis::atBottom), stripRect_->axis(QCPAxis::atLeft));
        label->position->setCoords(layer, 0.5);
        label->setFont(font);
        cellLabels_.push_back(label);
    }
}

void MemoryChart::refresh(const telemetry::RunAggregator& aggregator) {
    const std::vector<double> fractions = aggregator.layerResidentFraction();
    const int layers = static_cast<int>(fractions.size());
    if (layers > 0) {
        strip_->setVisible(true);
        QCPColorMapData* cells = strip_->data();
        if (cells->keySize() != layers || cells->valueSize() != 2) {
            // Two identical rows: QCPColorMap needs two to give the strip a height (cells span 0..1).
            cells->setSize(layers, 2);
            cells->setRange(QCPRange(0, layers - 1), QCPRange(0.25, 0.75));
        }
        for (int layer = 0; layer < layers; ++layer) {
            cells->setCell(layer, 0, fractions[static_cast<std::size_t>(layer)]);
            cells->setCell(layer, 1, fractions[static_cast<std::size_t>(layer)]);
        }
        stripRect_->axis(QCPAxis::atBottom)->setRange(-0.5, layers - 0.5);
        rebuildCellLabels(layers);
        for (std::size_t layer = 0; layer < cellLabels_.size(); ++layer) {
            const double f = fractions[layer];
            cellLabels_[layer]->setText(QStringLiteral("%1%").arg(f * 100, 0, 'f', 0));
            cellLabels_[layer]->setColor(f > 0.6 ? Qt::white : QColor(0x30, 0x30, 0x30));
        }
    }

    const auto& points = aggregator.memorySeries();
    if (aggregator.memoryCount() < appendedSamples_) { // a reset happened in between
        for (QCPGraph* graph : {rss_, weights_, kvAllocated_, kvUsed_})
            graph->data()->clear();
        appendedSamples_ = 0;
    }
    const std::uint64_t fresh =
        std::min<std::uint64_t>(aggregator.memoryCount() - appendedSamples_, points.size());
    if (fresh > 0) {
        QVector<double> keys;
        QVector<double> rss;
        QVector<double> weights;
        QVector<double> kvAllocated;
        QVector<double> kvUsed;
        for (auto it = points.end() - static_cast<std::ptrdiff_t>(fresh); it != points.end(); ++it) {
            keys.push_back(it->timeS);
            rss.push_back(static_cast<double>(it->processRssBytes) / kMiB);
            weights.push_back(static_cast<double>(it->weightsResidentBytes) / kMiB);
            kvAllocated.push_back(static_cast<double>(it->kvAllocatedBytes) / kMiB);
            kvUsed.push_back(static_cast<double>(it->kvUsedBytes) / kMiB);
        }
        rss_->addData(keys, rss, true);
        weights_->addData(keys, weights, true);
        kvAllocated_->addData(keys, kvAllocated, true);
        kvUsed_->addData(keys, kvUsed, true);
        appendedSamples_ = aggregator.memoryCount();
    }
    if (!points.empty()) {
        for (QCPGraph* graph : {rss_, weights_, kvAllocated_, kvUsed_})
            graph->data()->removeBefore(points.front().timeS);
        const double first = points.front().timeS;
        const double last = points.back().timeS;
        totalsRect_->axis(QCPAxis::atBottom)->setRange(first, std::max(last, first + 1e-3));
        bool found = false;
        const QCPRange range = rss_->getValueRange(found);
        if (found) totalsRect_->axis(QCPAxis::atLeft)->setRange(0, std::max(range.upper * 1.12, 1.0));
    }

    if (const auto& m = aggregator.lastMemory()) {
        summary_->setText(tr("weights <b>%1</b> / %2 resident &nbsp;·&nbsp; KV <b>%3</b> / %4 &nbsp;·&nbsp; "
                             "RSS <b>%5</b>")
                              .arg(formatBytes(m->weightsResidentBytes), formatBytes(m->weightsTotalBytes),
                                   formatBytes(m->kvUsedBytes), formatBytes(m->kvAllocatedBytes),
                                   formatBytes(m->processRssBytes)));
    }
    plot_->replot(QCustomPlot::rpQueuedReplot);
    ++replotRequests_;
}

int MemoryChart::residencyCellCount() const {
    return strip_->visible() ? strip_->data()->keySize() : 0;
}

double MemoryChart::residencyCell(int layer) const {
    if (layer < 0 || layer >= residencyCellCount()) return 0;
    return strip_->data()->cell(layer, 0);
}

int MemoryChart::seriesPointCount() const {
    return rss_->data()->size();
}

QString MemoryChart::summaryText() const {
    return summary_->text();
}

} // namespace wb::ui::charts
