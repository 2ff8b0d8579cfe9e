#include "ui/charts/layer_timing_chart.h"

#include "engine/telemetry/run_aggregator.h"
#include "ui/charts/chart_style.h"

#include <qcustomplot.h>

#include <QButtonGroup>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>
#include <QVBoxLayout>
#include <cmath>

namespace wb::ui::charts {

using telemetry::OpKind;

namespace {
constexpr double kBarWidth = 0.7;
}

LayerTimingChart::LayerTimingChart(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("layerTimingChart"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    auto* header = new QHBoxLayout;
    auto* title = new QLabel(tr("Time per layer"), this);
    title->setFont(titleFont());
    header->addWidget(title);
    header->addSpacing(8);
    lastButton_ = new QToolButton(this);
    lastButton_->setText(tr("Last token"));
    lastButton_->setObjectName(QStringLiteral("lastTokenMode"));
    averageButton_ = new QToolButton(this);
    averageButton_->setText(tr("Run average"));
    averageButton_->setObjectName(QStringLiteral("runAverageMode"));
    auto* group = new QButtonGroup(this);
    for (QToolButton* button : {lastButton_, averageButton_}) {
        button->setCheckable(true);
        button->setAutoRaise(true);
        group->addButton(button);
        header->addWidget(button);
    }
    lastButton_->setChecked(true);
    header->addStretch();
    caption_ = new QLabel(this);
    caption_->setObjectName(QStringLiteral("layerCaption"));
    header->addWidget(caption_);
    layout->addLayout(header);
    connect(lastButton_, &QToolButton::clicked, this, [this] { setMode(Mode::LastToken); });
    connect(averageButton_, &QToolButton::clicked, this, [this] { setMode(Mode::RunAverage); });

    plot_ = new QCustomPlot(this);
    plot_->setMinimumHeight(180);
    layout->addWidget(plot_, 1);

    QCPBars* below = nullptr;
    for (int op = 0; op < telemetry::kOpKindCount; ++op) {
        const auto kind = static_cast<OpKind>(op);
        if (!telemetry::isLayerOp(kind)) continue;
        auto* bars = new QCPBars(plot_->xAxis, plot_->yAxis);
        bars->setName(opDisplayName(kind));
        bars->setWidth(kBarWidth);
        bars->setPen(Qt::NoPen);
        bars->setBrush(opColor(kind));
        bars->setStackingGap(0);
        if (below != nullptr) bars->moveAbove(below);
        below = bars;
        bars_[static_cast<std::size_t>(op)] = bars;
    }
    otherTotals_ = plot_->addGraph();
    otherTotals_->setLineStyle(QCPGraph::lsNone);
    otherTotals_->setScatterStyle(QCPScatterStyle(
        QCPScatterStyle::ssDiamond, QPen(QColor(0x20, 0x20, 0x20), 1), QColor(255, 255, 255), 8));

    selection_ = new QCPItemRect(plot_);
    selection_->setPen(QPen(QColor(0x20, 0x20, 0x20), 1, Qt::DashLine));
    selection_->setBrush(Qt::NoBrush);
    selection_->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
    selection_->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
    selection_->setVisible(false);

    plot_->xAxis->setLabel(tr("layer (click for its operations)"));
    plot_->yAxis->setLabel(tr("ms"));
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    plot_->xAxis->setTicker(ticker);
    plot_->xAxis->setSubTicks(false);
    plot_->xAxis->grid()->setVisible(false);

    // Legend in its own row below the bars, several entries per line.
    plot_->axisRect()->insetLayout()->take(plot_->legend);
    plot_->plotLayout()->addElement(1, 0, plot_->legend);
    plot_->plotLayout()->setRowStretchFactor(1, 0.001);
    plot_->legend->setVisible(true);
    plot_->legend->setWrap(7);
    plot_->legend->setFillOrder(QCPLegend::foColumnsFirst, true);
    plot_->legend->setBorderPen(Qt::NoPen);
    plot_->legend->setMargins(QMargins(4, 0, 4, 2));
    QFont legendFont = plot_->font();
    legendFont.setPointSizeF(legendFont.pointSizeF() * 0.85);
    plot_->legend->setFont(legendFont);
    plot_->legend->setIconSize(10, 10);
    applyPlotStyle(plot_);

    connect(plot_, &QCustomPlot::mousePress, this, &LayerTimingChart::onPlotClicked);
    clear();
}

LayerTimingChart::~LayerTimingChart() = default;

void LayerTimingChart::clear() {
    for (QCPBars* bars : bars_)
        if (bars != nullptr) bars->data()->clear();
    otherTotals_->data()->clear();
    layers_ = 0;
    selectedLayer_ = -1;
    selection_->setVisible(false);
    caption_->clear();
    plot_->xAxis->setRange(-0.6, 4.6);
    plot_->yAxis->setRange(0, 1);
    plot_->replot(QCustomPlot::rpQueuedReplot);
    ++replotRequests_;
}

void LayerTimingChart::setMode(Mode mode) {
    lastButton_->setChecked(mode == Mode::LastToken);
    averageButton_->setChecked(mode == Mode::RunAverage);
    if (mode == mode_) return;
    mode_ = mode;
    Q_EMIT modeChanged(mode);
}

void LayerTimingChart::refresh(const telemetry::RunAggregator& aggregator) {
    const std::vector<telemetry::LayerStack> average = aggregator.averageLayers();
    const std::vector<telemetry::LayerStack>& last = aggregator.lastPassLayers();
    const auto& shown = mode_ == Mode::LastToken ? last : average;
    const auto& other = mode_ == Mode::LastToken ? average : last;
    layers_ = static_cast<int>(shown.size());

    // The few values per bar set change every pass: update them in place.
    for (int op = 0; op < telemetry::kOpKindCount; ++op) {
        QCPBars* bars = bars_[static_cast<std::size_t>(op)];
        if (bars == nullptr) continue;
        QSharedPointer<QCPBarsDataContainer> data = bars->data();
        if (data->size() != layers_) {
            QVector<double> keys(layers_);
            QVector<double> values(layers_);
            for (int layer = 0; layer < layers_; ++layer) {
                keys[layer] = layer;
                values[layer] = shown[static_cast<std::size_t>(layer)].opMs[static_cast<std::size_t>(op)];
            }
            bars->setData(keys, values, true); // only when the layer count changes
        } else {
            int layer = 0;
            for (auto it = data->begin(); it != data->end(); ++it, ++layer)
                it->value = shown[static_cast<std::size_t>(layer)].opMs[static_cast<std::size_t>(op)];
        }
    }
    QVector<double> keys(layers_);
    QVector<double> totals(layers_);
    double highest = 0;
    for (int layer = 0; layer < layers_; ++layer) {
        keys[layer] = layer;
        totals[layer] = other[static_cast<std::size_t>(layer)].totalMs;
        highest = std::max({highest, totals[layer], shown[static_cast<std::size_t>(layer)].totalMs});
    }
    if (otherTotals_->data()->size() != layers_) {
        otherTotals_->setData(keys, totals, true);
    } else {
        int layer = 0;
        for (auto it = otherTotals_->data()->begin(); it != otherTotals_->data()->end(); ++it, ++layer)
            it->value = totals[layer];
    }
    otherTotals_->setName(mode_ == Mode::LastToken ? tr("run average (total)") : tr("last token (total)"));

    const telemetry::LayerStack outside =
        mode_ == Mode::LastToken ? aggregator.lastPassOutsideLayers() : aggregator.averageOutsideLayers();
    const auto header = aggregator.lastPassHeader();
    QString which;
    if (mode_ == Mode::LastToken && header)
        which = header->isPrompt ? tr("prompt pass (%1 tokens)").arg(header->tokenCount)
                                 : tr("token %1").arg(header->generatedIndex);
    else if (mode_ == Mode::RunAverage)
        which = tr("mean of %1 %2")
                    .arg(aggregator.averagedPassCount())
                    .arg(aggregator.averageUsesGeneratedPasses() ? tr("tokens") : tr("prompt passes"));
    caption_->setText(tr("%1 · outside blocks %2").arg(which, formatMs(outside.totalMs)));

    plot_->xAxis->setRange(-0.6, std::max(layers_, 1) - 0.4);
    plot_->yAxis->setRange(0, highest > 0 ? highest * 1.12 : 1);
    updateSelectionMarker();
    plot_->replot(QCustomPlot::rpQueuedReplot);
    ++replotRequests_;
}

void LayerTimingChart::setSelectedLayer(int layer) {
    selectedLayer_ = layer >= 0 && layer < layers_ ? layer : -1;
    updateSelectionMarker();
    plot_->replot(QCustomPlot::rpQueuedReplot);
    ++replotRequests_;
}

void LayerTimingChart::updateSelectionMarker() {
    selection_->setVisible(selectedLayer_ >= 0);
    if (selectedLayer_ < 0) return;
    selection_->topLeft->setCoords(selectedLayer_ - 0.48, 0.0);
    selection_->bottomRight->setCoords(selectedLayer_ + 0.48, 1.0);
}

int LayerTimingChart::barCount() const {
    for (QCPBars* bars : bars_)
        if (bars != nullptr) return bars->data()->size();
    return 0;
}

double LayerTimingChart::stackedValue(int layer, OpKind op) const {
    const QCPBars* bars = bars_[static_cast<std::size_t>(op)];
    if (bars == nullptr || layer < 0 || layer >= bars->data()->size()) return 0;
    return (bars->data()->constBegin() + layer)->value;
}

QPoint LayerTimingChart::barCenter(int layer) const {
    double top = 0;
    for (const QCPBars* bars : bars_)
        if (bars != nullptr && layer >= 0 && layer < bars->data()->size())
            top += (bars->data()->constBegin() + layer)->value;
    const double x = plot_->xAxis->coordToPixel(layer);
    const double y = plot_->yAxis->coordToPixel(top / 2);
    return QPoint(static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y)));
}

void LayerTimingChart::onPlotClicked(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || layers_ == 0) return;
    if (!plot_->axisRect()->rect().contains(event->pos())) return;
    const long layer = std::lround(plot_->xAxis->pixelToCoord(event->pos().x()));
    if (layer < 0 || layer >= layers_) return;
    setSelectedLayer(static_cast<int>(layer));
    Q_EMIT layerClicked(static_cast<int>(layer));
}

} // namespace wb::ui::charts
