#include "visualizer/widgets/layer_waterfall_view.h"

#include "visualizer/widgets/view_style.h"

#include <QMouseEvent>
#include <QToolTip>
#include <QVBoxLayout>
#include <cmath>
#include <qcustomplot.h>

namespace wb::simviews {
namespace {

QString boundText(sim::BoundKind kind) {
    const auto name = sim::boundKindName(kind);
    return QString::fromLatin1(name.data(), qsizetype(name.size()));
}

} // namespace

LayerWaterfallView::LayerWaterfallView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    plot_ = new QCustomPlot(this);
    plot_->setNoAntialiasingOnDrag(true);
    plot_->plotLayout()->insertRow(0);
    plot_->plotLayout()->addElement(
        0, 0,
        new QCPTextElement(plot_, tr("Decode time per layer, split by what the critical path waited for"),
                           QFont(font().family(), static_cast<int>(font().pointSizeF() * 1.1), QFont::Bold)));
    plot_->yAxis->setLabel(tr("time per token (\u00b5s)"));
    plot_->xAxis->setLabel(tr("layer"));
    plot_->legend->setVisible(true);
    plot_->legend->setBrush(QColor(255, 255, 255, 230));
    plot_->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    plot_->legend->setWrap(6);
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->axisRect()->setRangeDrag(Qt::Horizontal);
    plot_->axisRect()->setRangeZoom(Qt::Horizontal);
    plot_->installEventFilter(this);
    plot_->setMouseTracking(true);
    layout->addWidget(plot_);
    addPngExportMenu(plot_);
}

void LayerWaterfallView::setResult(SharedResult result) {
    result_ = std::move(result);
    plot_->clearPlottables();
    layerCount_ = 0;
    if (!result_) {
        plot_->replot();
        return;
    }
    const int modelLayers = static_cast<int>(result_->model.layers);
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    QCPBars* below = nullptr;
    auto addSeries = [&](const QString& name, const QColor& color) {
        auto* bars = new QCPBars(plot_->xAxis, plot_->yAxis);
        bars->setName(name);
        bars->setPen(Qt::NoPen);
        bars->setBrush(color);
        bars->setWidthType(QCPBars::wtPlotCoords);
        bars->setWidth(0.8);
        if (below != nullptr) bars->moveAbove(below);
        below = bars;
        return bars;
    };
    std::vector<int> layers;
    if (result_->lpu) {
        const auto& timings = result_->lpu->decode.layers;
        for (const auto& t : timings)
            layers.push_back(t.layer);
        for (int k = 0; k < sim::kBoundKinds; ++k) {
            const auto kind = static_cast<sim::BoundKind>(k);
            auto* bars = addSeries(boundText(kind), colorFor(kind));
            for (std::size_t i = 0; i < timings.size(); ++i)
                bars->addData(double(i), timings[i].breakdownUs[std::size_t(k)]);
        }
        plot_->yAxis->setLabel(tr("critical-path time per token (\u00b5s)"));
    } else {
        const auto& s = result_->summary;
        for (const auto& [layer, us] : s.perLayerUs)
            layers.push_back(layer);
        for (const char* bound : {"memory", "compute"}) {
            auto* bars =
                addSeries(tr("%1-bound").arg(QLatin1String(bound)), colorForBoundName(QLatin1String(bound)));
            for (std::size_t i = 0; i < s.perLayerUs.size(); ++i)
                bars->addData(double(i), s.perLayerBound[i] == bound ? s.perLayerUs[i].second : 0.0);
        }
        plot_->yAxis->setLabel(tr("roofline time per token (\u00b5s)"));
    }
    layerCount_ = static_cast<int>(layers.size());
    const int every = layerCount_ <= 40 ? 1 : layerCount_ <= 100 ? 10 : 20;
    for (int i = 0; i < layerCount_; ++i) {
        const int layer = layers[std::size_t(i)];
        const bool edge = layer < 0 || layer >= modelLayers;
        // Layer 0 sits next to "embed": label it only when every layer is labelled.
        if (edge || (layer % every == 0 && (layer > 0 || every == 1)))
            ticker->addTick(i, layerName(layer, modelLayers));
    }
    plot_->xAxis->setTicker(ticker);
    plot_->xAxis->setRange(-1, layerCount_);
    bool found = false;
    const QCPRange yRange = below != nullptr ? below->getValueRange(found) : QCPRange(0, 1);
    // Headroom above the tallest bar keeps the legend clear of the bars.
    plot_->yAxis->setRange(0, found ? yRange.upper * 1.3 : 1.0);
    plot_->replot();
}

int LayerWaterfallView::barCount() const {
    return layerCount_;
}

int LayerWaterfallView::seriesCount() const {
    return plot_->plottableCount();
}

int LayerWaterfallView::seriesPoints(int series) const {
    auto* bars = qobject_cast<QCPBars*>(plot_->plottable(series));
    return bars == nullptr ? 0 : bars->dataCount();
}

QString LayerWaterfallView::seriesName(int series) const {
    auto* p = plot_->plottable(series);
    return p == nullptr ? QString() : p->name();
}

double LayerWaterfallView::stackedValue(int layerIndex) const {
    double sum = 0;
    for (int s = 0; s < plot_->plottableCount(); ++s) {
        auto* bars = qobject_cast<QCPBars*>(plot_->plottable(s));
        if (bars == nullptr || layerIndex < 0 || layerIndex >= bars->dataCount()) continue;
        sum += bars->data()->at(layerIndex)->value;
    }
    return sum;
}

QString LayerWaterfallView::describeLayer(int index) const {
    if (!result_ || index < 0 || index >= layerCount_) return {};
    const int modelLayers = static_cast<int>(result_->model.layers);
    if (result_->lpu) {
        const auto& t = result_->lpu->decode.layers[std::size_t(index)];
        QString text = tr("<b>layer %1</b> (pipeline stage %2): %3 \u00b5s, bound by <b>%4</b><br>")
                           .arg(layerName(t.layer, modelLayers))
                           .arg(t.stage)
                           .arg(t.timeUs, 0, 'f', 2)
                           .arg(boundText(t.bound));
        for (int k = 0; k < sim::kBoundKinds; ++k)
            if (t.breakdownUs[std::size_t(k)] > 0)
                text += QStringLiteral("&nbsp;&nbsp;%1: %2 \u00b5s<br>")
                            .arg(boundText(static_cast<sim::BoundKind>(k)))
                            .arg(t.breakdownUs[std::size_t(k)], 0, 'f', 2);
        return text + explainBound(t.bound);
    }
    const auto& s = result_->summary;
    const QString bound = QString::fromStdString(s.perLayerBound[std::size_t(index)]);
    return tr("<b>layer %1</b>: %2 \u00b5s, %3-bound<br>%4")
        .arg(layerName(s.perLayerUs[std::size_t(index)].first, modelLayers))
        .arg(s.perLayerUs[std::size_t(index)].second, 0, 'f', 2)
        .arg(bound, explainBoundName(bound));
}

bool LayerWaterfallView::eventFilter(QObject* watched, QEvent* event) {
    if (watched == plot_ && event->type() == QEvent::MouseMove) {
        auto* mouse = static_cast<QMouseEvent*>(event);
        const int index = static_cast<int>(std::lround(plot_->xAxis->pixelToCoord(mouse->position().x())));
        if (plot_->axisRect()->rect().contains(mouse->position().toPoint()) && index >= 0 &&
            index < layerCount_)
            QToolTip::showText(mouse->globalPosition().toPoint(), describeLayer(index), plot_);
        else
            QToolTip::hideText();
    }
    return QWidget::eventFilter(watched, event);
}

bool LayerWaterfallView::savePng(const QString& path) {
    return saveWidgetPng(this, path);
}

} // namespace wb::simviews
