#include "ui/charts/performance_panel.h"

#include "engine/telemetry/trace_export.h"
#include "ui/charts/chart_pdf.h"
#include "ui/charts/chart_style.h"
#include "ui/charts/layer_op_table.h"
#include "ui/charts/layer_timing_chart.h"
#include "ui/charts/memory_chart.h"
#include "ui/charts/timeline_view.h"
#include "ui/charts/token_latency_chart.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QSplitter>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <exception>

namespace wb::ui::charts {

namespace {

// A white card with a thin border around one chart.
QFrame* card(QWidget* content, QWidget* parent) {
    auto* frame = new QFrame(parent);
    frame->setObjectName(QStringLiteral("chartCard"));
    frame->setStyleSheet(QStringLiteral("QFrame#chartCard { background: white; border: 1px solid #d8dbe0; "
                                        "border-radius: 4px; }"));
    auto* layout = new QVBoxLayout(frame);
    layout->setContentsMargins(8, 6, 8, 6);
    layout->addWidget(content);
    return frame;
}

} // namespace

PerformancePanel::PerformancePanel(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("performancePanel"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 6, 8, 8);
    layout->setSpacing(6);

    auto* toolbar = new QHBoxLayout;
    status_ = new QLabel(tr("Run a generation to see where the time and memory go."), this);
    status_->setObjectName(QStringLiteral("performanceStatus"));
    toolbar->addWidget(status_, 1);
    auto* resetButton = new QToolButton(this);
    resetButton->setText(tr("Clear"));
    resetButton->setToolTip(tr("Forget the charted run"));
    connect(resetButton, &QToolButton::clicked, this, &PerformancePanel::reset);
    toolbar->addWidget(resetButton);
    exportButton_ = new QToolButton(this);
    exportButton_->setText(tr("Export"));
    exportButton_->setPopupMode(QToolButton::InstantPopup);
    toolbar->addWidget(exportButton_);
    layout->addLayout(toolbar);

    latency_ = new TokenLatencyChart(this);
    layers_ = new LayerTimingChart(this);
    opTable_ = new LayerOpTable(this);
    memory_ = new MemoryChart(this);
    timeline_ = new TimelineView(this);

    auto* timelineBox = new QWidget(this);
    auto* timelineLayout = new QVBoxLayout(timelineBox);
    timelineLayout->setContentsMargins(0, 0, 0, 0);
    timelineLayout->setSpacing(2);
    auto* timelineHeader = new QHBoxLayout;
    auto* timelineTitle = new QLabel(tr("Timeline of the last tokens"), timelineBox);
    timelineTitle->setFont(titleFont());
    timelineHeader->addWidget(timelineTitle);
    timelineHeader->addStretch();
    auto* hint =
        new QLabel(tr("wheel / W S: zoom · drag / A D: pan · double-click: follow live"), timelineBox);
    hint->setStyleSheet(QStringLiteral("color: #707070;"));
    timelineHeader->addWidget(hint);
    timelineLayout->addLayout(timelineHeader);
    timelineLayout->addWidget(timeline_, 1);

    auto* top = new QSplitter(Qt::Horizontal, this);
    top->addWidget(card(latency_, top));
    top->addWidget(card(layers_, top));
    auto* middle = new QSplitter(Qt::Horizontal, this);
    middle->addWidget(card(memory_, middle));
    middle->addWidget(card(opTable_, middle));
    for (QSplitter* row : {top, middle}) {
        row->setChildrenCollapsible(false);
        row->setStretchFactor(0, 1);
        row->setStretchFactor(1, 1);
    }
    auto* rows = new QSplitter(Qt::Vertical, this);
    rows->addWidget(top);
    rows->addWidget(middle);
    rows->addWidget(card(timelineBox, rows));
    rows->setChildrenCollapsible(false);
    rows->setStretchFactor(0, 4);
    rows->setStretchFactor(1, 4);
    rows->setStretchFactor(2, 2);
    layout->addWidget(rows, 1);

    connect(layers_, &LayerTimingChart::layerClicked, this,
            [this](int layer) { opTable_->showLayer(aggregator_, layer); });
    connect(layers_, &LayerTimingChart::modeChanged, this, [this] { markDirty(kLayers); });

    refreshTimer_ = new QTimer(this);
    refreshTimer_->setObjectName(QStringLiteral("refreshTimer"));
    refreshTimer_->setSingleShot(true);
    refreshTimer_->setInterval(kRefreshIntervalMs);
    connect(refreshTimer_, &QTimer::timeout, this, &PerformancePanel::refreshNow);
    buildExportMenu();
}

PerformancePanel::~PerformancePanel() = default;

void PerformancePanel::buildExportMenu() {
    exportMenu_ = new QMenu(tr("Export"), this);
    exportMenu_->setObjectName(QStringLiteral("performanceExportMenu"));
    exportMenu_->addAction(tr("Charts as &PNG…"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Export charts as PNG into"));
        if (!dir.isEmpty() && exportPng(dir).isEmpty()) status_->setText(lastError_);
    });
    exportMenu_->addAction(tr("Charts as P&DF…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export charts as PDF"), QStringLiteral("performance.pdf"), tr("PDF (*.pdf)"));
        if (!path.isEmpty() && !exportPdf(path)) status_->setText(lastError_);
    });
    exportMenu_->addSeparator();
    exportMenu_->addAction(tr("Trace as &Chrome JSON (Perfetto)…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export trace"), QStringLiteral("trace.json"), tr("Chrome trace (*.json)"));
        if (!path.isEmpty() && !exportChromeTrace(path)) status_->setText(lastError_);
    });
    exportMenu_->addAction(tr("Trace as C&SV…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export operations"),
                                                          QStringLiteral("ops.csv"), tr("CSV (*.csv)"));
        if (!path.isEmpty() && !exportCsv(path)) status_->setText(lastError_);
    });
    exportButton_->setMenu(exportMenu_);
}

void PerformancePanel::onPassReported(const telemetry::PassReport& pass) {
    aggregator_.addPass(pass);
    markDirty(kLatency | kLayers | kTimeline | kTable);
}

void PerformancePanel::onPassesReported(const std::vector<telemetry::PassReport>& passes) {
    if (passes.empty()) return;
    for (const telemetry::PassReport& pass : passes)
        aggregator_.addPass(pass);
    markDirty(kLatency | kLayers | kTimeline | kTable);
}

void PerformancePanel::onMemoryReported(const telemetry::MemoryReport& memory) {
    aggregator_.addMemory(memory);
    markDirty(kMemory);
}

void PerformancePanel::reset() {
    aggregator_.reset();
    trace_.reset();
    refreshTimer_->stop();
    dirty_ = 0;
    latency_->clear();
    layers_->clear();
    opTable_->clear();
    memory_->clear();
    timeline_->clear();
    status_->setText(tr("Run a generation to see where the time and memory go."));
}

void PerformancePanel::showNotCharted(const QString& reason) {
    status_->setText(reason);
}

void PerformancePanel::markDirty(unsigned what) {
    dirty_ |= what;
    // Coalesce: however fast reports arrive, the charts refresh at most once per interval.
    if (!refreshTimer_->isActive()) refreshTimer_->start();
}

void PerformancePanel::setEngineUsesEveryCore(bool everyCore) {
    refreshTimer_->setInterval(everyCore ? kBusyRefreshIntervalMs : kRefreshIntervalMs);
}

int PerformancePanel::refreshIntervalMs() const {
    return refreshTimer_->interval();
}

bool PerformancePanel::refreshPending() const {
    return refreshTimer_->isActive();
}

void PerformancePanel::refreshNow() {
    // A hidden panel keeps its dirty flags and catches up when shown.
    if (dirty_ == 0 || !isVisible()) return;
    const unsigned dirty = dirty_;
    dirty_ = 0;
    ++refreshCount_;
    if (dirty & kLatency) latency_->refresh(aggregator_);
    if (dirty & kLayers) layers_->refresh(aggregator_);
    if (dirty & kTable) opTable_->refresh(aggregator_);
    if (dirty & kMemory) memory_->refresh(aggregator_);
    if (dirty & kTimeline) timeline_->setTimeline(aggregator_.timeline());
    const telemetry::RunSummary s = aggregator_.summary();
    status_->setText(tr("%1 passes · %2 prompt tokens · %3 generated · context %4 / %5")
                         .arg(s.passes)
                         .arg(s.promptTokens)
                         .arg(s.generatedTokens)
                         .arg(s.contextUsed)
                         .arg(s.contextSize));
}

void PerformancePanel::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (dirty_ != 0 && !refreshTimer_->isActive()) refreshTimer_->start();
}

QStringList PerformancePanel::exportPng(const QString& directory) {
    refreshNow();
    QStringList written;
    if (!QDir().mkpath(directory)) {
        lastError_ = tr("Cannot create the folder %1").arg(directory);
        return {};
    }
    const QDir dir(directory);
    const std::pair<QWidget*, const char*> parts[] = {{latency_, "token_latency.png"},
                                                      {layers_, "layer_timing.png"},
                                                      {memory_, "memory.png"},
                                                      {timeline_, "timeline.png"},
                                                      {this, "performance.png"}};
    for (const auto& [widget, name] : parts) {
        const QString path = dir.filePath(QString::fromLatin1(name));
        if (!widget->grab().save(path, "PNG")) {
            lastError_ = tr("Cannot write %1").arg(path);
            return {};
        }
        written << path;
    }
    return written;
}

bool PerformancePanel::exportPdf(const QString& path) {
    refreshNow();
    ChartPdfWriter pdf(path, tr("Inference Workbench — performance"));
    if (!pdf.ok()) {
        lastError_ = tr("Cannot write %1").arg(path);
        return false;
    }
    pdf.addPlotPage(tr("Token latency"), latency_->plot());
    pdf.addPlotPage(layers_->mode() == LayerTimingChart::Mode::LastToken ? tr("Time per layer — last token")
                                                                         : tr("Time per layer — run average"),
                    layers_->plot());
    pdf.addPlotPage(tr("Memory residency"), memory_->plot());
    pdf.addPaintedPage(tr("Timeline of the last tokens"), [this](QPainter* painter, const QRect& area) {
        const int height = std::min(area.height(), timeline_->sizeHint().height() * 2);
        timeline_->render(painter, QRect(area.left(), area.top(), area.width(), height));
    });
    if (!pdf.finish()) {
        lastError_ = tr("Cannot write %1").arg(path);
        return false;
    }
    return true;
}

void PerformancePanel::setTraceData(std::shared_ptr<const telemetry::TraceData> trace) {
    trace_ = std::move(trace);
}

telemetry::TraceData PerformancePanel::traceForExport() const {
    if (trace_) return *trace_;
    return aggregator_.traceData();
}

bool PerformancePanel::exportChromeTrace(const QString& path) {
    try {
        telemetry::TraceData trace = traceForExport();
        trace.otherData.emplace_back("source", trace_ ? "recorder" : "live charts (retained passes)");
        telemetry::writeChromeTraceFile(path.toStdString(), trace);
        return true;
    } catch (const std::exception& error) {
        lastError_ = QString::fromStdString(error.what());
        return false;
    }
}

bool PerformancePanel::exportCsv(const QString& path) {
    try {
        telemetry::writeOpCsvFile(path.toStdString(), traceForExport());
        return true;
    } catch (const std::exception& error) {
        lastError_ = QString::fromStdString(error.what());
        return false;
    }
}

} // namespace wb::ui::charts
