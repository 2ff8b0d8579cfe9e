#include "ui/charts/token_latency_chart.h"

#include "engine/telemetry/run_aggregator.h"
#include "ui/charts/chart_style.h"

#include <qcustomplot.h>

#include <QLabel>
#include <QVBoxLayout>
#include <algorithm>

namespace wb::ui::charts {

namespace {
constexpr double kMinimumVisibleTokens = 16;
}

TokenLatencyChart::TokenLatencyChart(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("tokenLatencyChart"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    auto* title = new QLabel(tr("Token latency"), this);
    title->setFont(titleFont());
    summary_ = new QLabel(tr("Waiting for tokens…"), this);
    summary_->setObjectName(QStringLiteral("latencySummary"));
    summary_->setTextFormat(Qt::RichText);
    auto* header = new QHBoxLayout;
    header->addWidget(title);
    header->addStretch();
    header->addWidget(summary_);
    layout->addLayout(header);

    plot_ = new QCustomPlot(this);
    plot_->setMinimumHeight(160);
    layout->addWidget(plot_, 1);

    latency_ = plot_->addGraph(plot_->xAxis, plot_->yAxis);
    latency_->setName(tr("latency (ms)"));
    latency_->setPen(QPen(series::kLatency, 1));
    latency_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, series::kLatency, 3));
    latency_->setAdaptiveSampling(true);
    rate_ = plot_->addGraph(plot_->xAxis, plot_->yAxis2);
    rate_->setName(tr("tokens/s (rolling)"));
    rate_->setPen(QPen(series::kRate, 1));
    rate_->setAdaptiveSampling(true);

    plot_->xAxis->setLabel(tr("generated token"));
    plot_->yAxis->setLabel(tr("latency (ms)"));
    plot_->yAxis2->setLabel(tr("tokens/s"));
    plot_->yAxis2->setVisible(true);
    plot_->yAxis2->setLabelColor(series::kRate);
    plot_->yAxis2->grid()->setVisible(false);
    plot_->xAxis->setRange(-0.5, kMinimumVisibleTokens);
    plot_->yAxis->setRange(0, 1);
    plot_->yAxis2->setRange(0, 1);
    plot_->legend->setVisible(true);
    plot_->legend->setBrush(QColor(255, 255, 255, 220));
    plot_->legend->setBorderPen(QPen(QColor(0xd0, 0xd0, 0xd0)));
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    applyPlotStyle(plot_);
    plot_->yAxis2->setLabelColor(series::kRate);

    ttftLine_ = new QCPItemStraightLine(plot_);
    ttftLine_->setPen(QPen(series::kTtft, 1, Qt::DashLine));
    ttftLine_->point1->setCoords(0, 0);
    ttftLine_->point2->setCoords(0, 1);
    ttftLabel_ = new QCPItemText(plot_);
    ttftLabel_->setObjectName(QStringLiteral("ttftMarker"));
    ttftLabel_->setColor(series::kTtft);
    ttftLabel_->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    ttftLabel_->position->setTypeX(QCPItemPosition::ptPlotCoords);
    ttftLabel_->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    ttftLabel_->position->setCoords(0, 0.02);
    ttftLabel_->setPadding(QMargins(4, 2, 4, 2));
    clear();
}

TokenLatencyChart::~TokenLatencyChart() = default;

void TokenLatencyChart::clear() {
    latency_->data()->clear();
    rate_->data()->clear();
    lastTokenIndex_ = -1;
    ttftLine_->setVisible(false);
    ttftLabel_->setVisible(false);
    ttftLabel_->setText({});
    summary_->setText(tr("Waiting for tokens…"));
    plot_->xAxis->setRange(-0.5, kMinimumVisibleTokens);
    plot_->replot(QCustomPlot::rpQueuedReplot);
    ++replotRequests_;
}

void TokenLatencyChart::refresh(const telemetry::RunAggregator& aggregator) {
    const auto& points = aggregator.latencySeries();
    if (points.empty() || points.back().tokenIndex < lastTokenIndex_) {
        latency_->data()->clear();
        rate_->data()->clear();
        lastTokenIndex_ = -1;
    }
    // Append only what is new (the data containers are reused, never replaced).
    QVector<double> keys;
    QVector<double> latencies;
    QVector<double> rates;
    for (auto it = points.rbegin(); it != points.rend() && it->tokenIndex > lastTokenIndex_; ++it) {
        keys.prepend(it->tokenIndex);
        latencies.prepend(it->latencyMs);
        rates.prepend(it->rollingTokensPerSecond);
    }
    if (!keys.isEmpty()) {
        latency_->addData(keys, latencies, true);
        rate_->addData(keys, rates, true);
        lastTokenIndex_ = static_cast<int>(keys.back());
    }
    if (!points.empty()) {
        latency_->data()->removeBefore(points.front().tokenIndex);
        rate_->data()->removeBefore(points.front().tokenIndex);
    }

    const telemetry::RunSummary s = aggregator.summary();
    if (s.ttftMs) {
        ttftLine_->setVisible(true);
        ttftLabel_->setVisible(true);
        ttftLabel_->setText(tr("TTFT %1").arg(formatMs(*s.ttftMs)));
    }
    if (s.generatedTokens > 0) {
        summary_->setText(
            tr("<b>%1</b> tok/s &nbsp;·&nbsp; TTFT <b>%2</b> &nbsp;·&nbsp; p50 %3 &nbsp;·&nbsp; p90 %4 "
               "&nbsp;·&nbsp; %5 tokens")
                .arg(formatRate(s.tokensPerSecond), s.ttftMs ? formatMs(*s.ttftMs) : QStringLiteral("–"),
                     formatMs(s.p50LatencyMs), formatMs(s.p90LatencyMs))
                .arg(s.generatedTokens));
    } else if (s.promptTokens > 0) {
        summary_->setText(tr("prompt: %1 tokens in %2").arg(s.promptTokens).arg(formatMs(s.promptMs)));
    }

    if (!points.empty()) {
        const double first = points.front().tokenIndex;
        const double last = points.back().tokenIndex;
        plot_->xAxis->setRange(first - 0.5, std::max(last + 0.5, first + kMinimumVisibleTokens));
        bool found = false;
        const QCPRange latencyRange = latency_->getValueRange(found);
        if (found) plot_->yAxis->setRange(0, std::max(latencyRange.upper * 1.15, 1e-3));
        const QCPRange rateRange = rate_->getValueRange(found);
        if (found) plot_->yAxis2->setRange(0, std::max(rateRange.upper * 1.15, 1.0));
    }
    plot_->replot(QCustomPlot::rpQueuedReplot);
    ++replotRequests_;
}

int TokenLatencyChart::pointCount() const {
    return latency_->data()->size();
}

bool TokenLatencyChart::hasTtftMarker() const {
    return ttftLabel_->visible() && ttftLine_->visible() && !ttftLabel_->text().isEmpty();
}

QString TokenLatencyChart::ttftText() const {
    return ttftLabel_->text();
}

QString TokenLatencyChart::summaryText() const {
    return summary_->text();
}

bool TokenLatencyChart::savePng(const QString& path) {
    return grab().save(path, "PNG");
}

} // namespace wb::ui::charts
