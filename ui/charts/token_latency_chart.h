#pragma once
// Per-token latency over the run (one point per generated token), the rolling tokens/s on a second axis,
// and a marker with the time to first token. Reads a RunAggregator; appends only the points that are new
// since the last refresh and trims the ones the aggregator dropped.
#include <QWidget>

class QCustomPlot;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;
class QLabel;

namespace wb::telemetry {
class RunAggregator;
}

namespace wb::ui::charts {

class TokenLatencyChart : public QWidget {
    Q_OBJECT
public:
    explicit TokenLatencyChart(QWidget* parent = nullptr);
    ~TokenLatencyChart() override;

    // Brings the chart up to date and queues one replot.
    void refresh(const telemetry::RunAggregator& aggregator);
    void clear();

    int pointCount() const;
    bool hasTtftMarker() const;
    QString ttftText() const;
    QString summaryText() const;
    int replotRequests() const { return replotRequests_; }
    QCustomPlot* plot() const { return plot_; }
    bool savePng(const QString& path);

private:
    QLabel* summary_ = nullptr;
    QCustomPlot* plot_ = nullptr;
    QCPGraph* latency_ = nullptr;
    QCPGraph* rate_ = nullptr;
    QCPItemStraightLine* ttftLine_ = nullptr;
    QCPItemText* ttftLabel_ = nullptr;
    int lastTokenIndex_ = -1; // highest token index already appended
    int replotRequests_ = 0;
};

} // namespace wb::ui::charts
