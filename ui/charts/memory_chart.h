#pragma once
// Memory residency: a heat strip with one cell per layer (share of its weights resident in RAM), and the
// totals over time: process RSS, weights resident, KV cache allocated and used. Reads a RunAggregator;
// the time series only get the samples that are new since the last refresh.
#include <QWidget>

#include <cstdint>
#include <vector>

class QCustomPlot;
class QCPAxisRect;
class QCPColorMap;
class QCPGraph;
class QCPItemText;
class QLabel;

namespace wb::telemetry {
class RunAggregator;
}

namespace wb::ui::charts {

class MemoryChart : public QWidget {
    Q_OBJECT
public:
    explicit MemoryChart(QWidget* parent = nullptr);
    ~MemoryChart() override;

    void refresh(const telemetry::RunAggregator& aggregator);
    void clear();

    // What is drawn, for tests.
    int residencyCellCount() const;
    double residencyCell(int layer) const; // resident fraction shown in the cell, [0, 1]
    int seriesPointCount() const;
    QString summaryText() const;
    QCustomPlot* plot() const { return plot_; }
    int replotRequests() const { return replotRequests_; }

private:
    void rebuildCellLabels(int layers);

    QLabel* summary_ = nullptr;
    QCustomPlot* plot_ = nullptr;
    QCPAxisRect* stripRect_ = nullptr;
    QCPAxisRect* totalsRect_ = nullptr;
    QCPColorMap* strip_ = nullptr;
    QCPGraph* rss_ = nullptr;
    QCPGraph* weights_ = nullptr;
    QCPGraph* kvAllocated_ = nullptr;
    QCPGraph* kvUsed_ = nullptr;
    std::vector<QCPItemText*> cellLabels_;
    std::uint64_t appendedSamples_ = 0; // aggregator.memoryCount() already in the graphs
    int replotRequests_ = 0;
};

} // namespace wb::ui::charts
