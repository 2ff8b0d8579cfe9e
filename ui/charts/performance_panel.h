#pragma once
// The "Performance" workspace: live charts of a generation while tokens stream. Reports arrive through
// the slots (queued from the generation worker), go into one RunAggregator (the engine does the numbers)
// and mark the charts they change as dirty; ONE coalescing single-shot timer (PlotJuggler's pattern,
// kRefreshIntervalMs => at most 25 refreshes/s; 5/s while the engine uses every processor) then refreshes
// only the dirty charts, each with one queued replot. Exports: charts as PNG files or one multi-page PDF; the
// trace as Chrome JSON or CSV (engine/telemetry/trace_export.h), from setTraceData() when given, else from
// the retained passes.
#include "engine/telemetry/event.h"
#include "engine/telemetry/pass_report.h"
#include "engine/telemetry/run_aggregator.h"

#include <QString>
#include <QStringList>
#include <QWidget>

#include <memory>

class QLabel;
class QMenu;
class QTimer;
class QToolButton;

namespace wb::ui::charts {

class LayerOpTable;
class LayerTimingChart;
class MemoryChart;
class TimelineView;
class TokenLatencyChart;

class PerformancePanel : public QWidget {
    Q_OBJECT
public:
    static constexpr int kRefreshIntervalMs = 40; // at most 25 refreshes/s while a processor is free
    // When the engine computes on every processor, each millisecond the GUI thread paints is taken from
    // it: 5 refreshes/s then. Measured on 2 cores, 110M Q8_0, Performance workspace on screen
    // (`inference-workbench MODEL --prompt … --report-speed --runs 15 --watch-charts`): generation at
    // 0.86-0.89 of the engine's speed at 25/s, 0.91-0.95 at 10/s, 0.96-0.97 at 5/s (docs/app.md).
    static constexpr int kBusyRefreshIntervalMs = 200;

    explicit PerformancePanel(QWidget* parent = nullptr);
    ~PerformancePanel() override;

    const telemetry::RunAggregator& aggregator() const { return aggregator_; }
    TokenLatencyChart* latencyChart() const { return latency_; }
    LayerTimingChart* layerChart() const { return layers_; }
    LayerOpTable* opTable() const { return opTable_; }
    MemoryChart* memoryChart() const { return memory_; }
    TimelineView* timelineView() const { return timeline_; }
    QMenu* exportMenu() const { return exportMenu_; }
    // Timer-driven refreshes so far (each refreshes only the charts whose data changed).
    int refreshCount() const { return refreshCount_; }
    bool refreshPending() const;

    // Writes token_latency.png, layer_timing.png, memory.png, timeline.png and performance.png (the whole
    // panel) into `directory` (created if missing); returns the files written, empty on failure.
    QStringList exportPng(const QString& directory);
    // One PDF, one page per chart. False on failure (lastError()).
    bool exportPdf(const QString& path);
    // The full trace of a run (e.g. the Recorder's), preferred over the passes the panel retained.
    void setTraceData(std::shared_ptr<const telemetry::TraceData> trace);
    bool exportChromeTrace(const QString& path);
    bool exportCsv(const QString& path);
    QString lastError() const { return lastError_; }

public Q_SLOTS:
    void onPassReported(const wb::telemetry::PassReport& pass);
    // A batch of passes in order (the worker sends them every ~50 ms): one dirty mark for all of them.
    void onPassesReported(const std::vector<wb::telemetry::PassReport>& passes);
    void onMemoryReported(const wb::telemetry::MemoryReport& memory);
    void reset();
    // Says why a run is not charted (e.g. live charts were off for it); cleared by the next reset().
    void showNotCharted(const QString& reason);
    // Chooses the refresh rate: kBusyRefreshIntervalMs when the engine's threads occupy every processor.
    void setEngineUsesEveryCore(bool everyCore);
    int refreshIntervalMs() const;
    // Refreshes the dirty charts now (the timer calls this).
    void refreshNow();

protected:
    void showEvent(QShowEvent* event) override;

private:
    enum Dirty : unsigned { kLatency = 1, kLayers = 2, kMemory = 4, kTimeline = 8, kTable = 16 };
    void markDirty(unsigned what);
    void buildExportMenu();
    telemetry::TraceData traceForExport() const;

    telemetry::RunAggregator aggregator_;
    std::shared_ptr<const telemetry::TraceData> trace_;
    TokenLatencyChart* latency_ = nullptr;
    LayerTimingChart* layers_ = nullptr;
    LayerOpTable* opTable_ = nullptr;
    MemoryChart* memory_ = nullptr;
    TimelineView* timeline_ = nullptr;
    QLabel* status_ = nullptr;
    QToolButton* exportButton_ = nullptr;
    QMenu* exportMenu_ = nullptr;
    QTimer* refreshTimer_ = nullptr;
    unsigned dirty_ = 0;
    int refreshCount_ = 0;
    QString lastError_;
};

} // namespace wb::ui::charts
