#include "visualizer/widgets/latency_comparison_view.h"

#include "visualizer/widgets/view_style.h"

#include <QHeaderView>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>
#include <qcustomplot.h>

namespace wb::simviews {
namespace {

QColor deviceColor(const std::string& kind, int index) {
    if (kind == "lpu") return index == 0 ? QColor(0xf2, 0x8e, 0x2b) : QColor(0xf2, 0x8e, 0x2b).lighter(125);
    if (kind == "gpu") return index % 2 == 0 ? QColor(0x59, 0xa1, 0x4f) : QColor(0x8c, 0xd1, 0x7d);
    return QColor(0x79, 0x70, 0x6e);
}

QCPAxisRect* makeBarRect(QCustomPlot* plot, const QString& title) {
    auto* rect = new QCPAxisRect(plot);
    rect->axis(QCPAxis::atLeft)->setScaleType(QCPAxis::stLogarithmic);
    rect->axis(QCPAxis::atLeft)->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    rect->axis(QCPAxis::atLeft)->setNumberFormat(QStringLiteral("gb"));
    rect->axis(QCPAxis::atLeft)->setNumberPrecision(0);
    rect->axis(QCPAxis::atLeft)->setLabel(title);
    rect->axis(QCPAxis::atLeft)->grid()->setSubGridVisible(true);
    rect->axis(QCPAxis::atBottom)->grid()->setVisible(false);
    return rect;
}

} // namespace

LatencyComparisonView::LatencyComparisonView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* splitter = new QSplitter(Qt::Vertical);
    plot_ = new QCustomPlot;
    plot_->plotLayout()->clear();
    plot_->plotLayout()->addElement(
        0, 0,
        new QCPTextElement(plot_, tr("One user's decode speed: LPU static schedule vs GPU/CPU roofline"),
                           QFont(font().family(), static_cast<int>(font().pointSizeF() * 1.1), QFont::Bold)));
    auto* row = new QCPLayoutGrid;
    plot_->plotLayout()->addElement(1, 0, row);
    latencyRect_ = makeBarRect(plot_, tr("token latency (ms, log scale; lower is better)"));
    rateRect_ = makeBarRect(plot_, tr("tokens/s per user (log scale; higher is better)"));
    row->addElement(0, 0, latencyRect_);
    row->addElement(0, 1, rateRect_);
    plot_->setMinimumHeight(260);
    plot_->setToolTip(
        tr("The LPU keeps every weight in on-chip SRAM and runs a static schedule; a GPU or CPU at "
           "batch 1 reads all weights from memory for every token, so its token latency is about "
           "model bytes / memory bandwidth (divided by the efficiency MBU)."));
    splitter->addWidget(plot_);
    table_ = new QTableWidget;
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->setVisible(false);
    table_->setAlternatingRowColors(true);
    splitter->addWidget(table_);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({620, 220});
    layout->addWidget(splitter);
    addPngExportMenu(plot_);
}

void LatencyComparisonView::setResult(SharedResult result) {
    result_ = std::move(result);
    devices_.clear();
    plot_->clearPlottables();
    plot_->clearItems();
    if (result_) {
        devices_.push_back(&result_->summary);
        for (const auto& c : result_->comparison)
            devices_.push_back(&c);
    }
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    double latencyMax = 1e-3, latencyMin = 1e9, rateMax = 1e-3, rateMin = 1e9;
    for (int i = 0; i < deviceCount(); ++i) {
        const auto& d = *devices_[std::size_t(i)];
        const QString label = QString::fromStdString(d.hardwareId) +
                              (d.chips > 1 ? QStringLiteral("\n\u00d7%1").arg(d.chips) : QString());
        ticker->addTick(i, label);
        const QColor color = deviceColor(d.kind, i);
        struct Panel {
            QCPAxisRect* rect;
            double value;
            QString text;
        };
        for (const Panel& p : {Panel{latencyRect_, d.tokenLatencyMs, formatMilliseconds(d.tokenLatencyMs)},
                               Panel{rateRect_, d.tokensPerSecPerUser, formatRate(d.tokensPerSecPerUser)}}) {
            auto* bars = new QCPBars(p.rect->axis(QCPAxis::atBottom), p.rect->axis(QCPAxis::atLeft));
            bars->setName(QString::fromStdString(d.hardwareId));
            bars->setBrush(color);
            bars->setPen(QPen(color.darker(130)));
            bars->setWidth(0.6);
            bars->setBaseValue(1e-6);
            bars->addData(i, p.value);
            auto* text = new QCPItemText(plot_);
            text->setClipAxisRect(p.rect);
            text->position->setAxes(p.rect->axis(QCPAxis::atBottom), p.rect->axis(QCPAxis::atLeft));
            text->position->setCoords(i, p.value);
            text->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
            text->setPadding(QMargins(0, 0, 0, 2));
            text->setText(p.text);
            QFont bold = font();
            bold.setBold(true);
            text->setFont(bold);
        }
        latencyMax = std::max(latencyMax, d.tokenLatencyMs);
        latencyMin = std::min(latencyMin, d.tokenLatencyMs);
        rateMax = std::max(rateMax, d.tokensPerSecPerUser);
        rateMin = std::min(rateMin, d.tokensPerSecPerUser);
    }
    for (auto* rect : {latencyRect_, rateRect_}) {
        rect->axis(QCPAxis::atBottom)->setTicker(ticker);
        rect->axis(QCPAxis::atBottom)->setRange(-0.6, std::max(1, deviceCount()) - 0.4);
    }
    // Decades around the data, with room above the tallest bar for its label.
    auto decadeRange = [](double low, double high) {
        return QCPRange(std::pow(10.0, std::floor(std::log10(std::max(1e-6, low))) - 0.3),
                        std::pow(10.0, std::ceil(std::log10(std::max(1e-6, high)) + 0.25)));
    };
    latencyRect_->axis(QCPAxis::atLeft)->setRange(decadeRange(latencyMin, latencyMax));
    rateRect_->axis(QCPAxis::atLeft)->setRange(decadeRange(rateMin, rateMax));
    plot_->replot();
    fillTable();
}

void LatencyComparisonView::fillTable() {
    const QStringList headers = {
        tr("device"),       tr("method"),         tr("chips"), tr("token latency"), tr("tok/s per user"),
        tr("tok/s total"),  tr("TTFT"),           tr("bound"), tr("power"),         tr("$ per hour"),
        tr("energy/token"), tr("$ per M tokens"), tr("note")};
    table_->clear();
    table_->setColumnCount(static_cast<int>(headers.size()));
    table_->setHorizontalHeaderLabels(headers);
    table_->setRowCount(deviceCount());
    for (int i = 0; i < deviceCount(); ++i) {
        const auto& d = *devices_[std::size_t(i)];
        const QString power = d.economics.powerWatts >= 1000
                                  ? QStringLiteral("%1 kW").arg(d.economics.powerWatts / 1000, 0, 'f', 1)
                                  : QStringLiteral("%1 W").arg(d.economics.powerWatts, 0, 'f', 0);
        const QStringList cells = {QString::fromStdString(d.hardwareName),
                                   QString::fromStdString(d.method),
                                   QString::number(d.chips),
                                   formatMilliseconds(d.tokenLatencyMs),
                                   formatRate(d.tokensPerSecPerUser),
                                   formatRate(d.throughputTokensPerSec),
                                   formatMilliseconds(d.ttftMs),
                                   QString::fromStdString(d.bound),
                                   power,
                                   formatDollars(d.economics.costPerHour),
                                   formatJoules(d.economics.energyPerTokenJoules),
                                   formatDollars(d.economics.costPerMillionTokens),
                                   QString::fromStdString(d.note)};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (c >= 2 && c <= 11 && c != 7) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            if (c == 7) item->setToolTip(explainBoundName(cells[c]));
            if (c == 12) item->setToolTip(cells[c]);
            table_->setItem(i, c, item);
        }
    }
    table_->resizeColumnsToContents();
    table_->horizontalHeader()->setStretchLastSection(true);
}

QString LatencyComparisonView::deviceId(int device) const {
    return device >= 0 && device < deviceCount()
               ? QString::fromStdString(devices_[std::size_t(device)]->hardwareId)
               : QString();
}

double LatencyComparisonView::plottedLatencyMs(int device) const {
    for (int p = 0; p < plot_->plottableCount(); ++p) {
        auto* bars = qobject_cast<QCPBars*>(plot_->plottable(p));
        if (bars && bars->keyAxis()->axisRect() == latencyRect_ && bars->dataCount() == 1 &&
            int(bars->data()->at(0)->key) == device)
            return bars->data()->at(0)->value;
    }
    return -1;
}

double LatencyComparisonView::plottedTokensPerSecond(int device) const {
    for (int p = 0; p < plot_->plottableCount(); ++p) {
        auto* bars = qobject_cast<QCPBars*>(plot_->plottable(p));
        if (bars && bars->keyAxis()->axisRect() == rateRect_ && bars->dataCount() == 1 &&
            int(bars->data()->at(0)->key) == device)
            return bars->data()->at(0)->value;
    }
    return -1;
}

bool LatencyComparisonView::savePng(const QString& path) {
    return saveWidgetPng(this, path);
}

} // namespace wb::simviews
