#pragma once
// LPU vs GPU vs CPU: token latency and tokens/s per user as bars (log scales: the devices differ by orders
// of magnitude), and a table with TTFT, bound, power, energy per token and cost per million tokens.
#include "visualizer/widgets/simulation_runner.h"

#include <QString>
#include <QWidget>
#include <vector>

class QCustomPlot;
class QCPAxisRect;
class QTableWidget;

namespace wb::simviews {

class LatencyComparisonView : public QWidget {
    Q_OBJECT
public:
    explicit LatencyComparisonView(QWidget* parent = nullptr);

    // Redraws from result.summary + result.comparison (call again after prices change).
    void setResult(SharedResult result);
    int deviceCount() const { return static_cast<int>(devices_.size()); }
    QString deviceId(int device) const;
    // The plotted values of one device.
    double plottedLatencyMs(int device) const;
    double plottedTokensPerSecond(int device) const;
    QTableWidget* table() const { return table_; }
    QCustomPlot* plot() const { return plot_; }

    bool savePng(const QString& path);

private:
    void fillTable();

    SharedResult result_;
    std::vector<const sim::DeviceSummary*> devices_;
    QCustomPlot* plot_ = nullptr;
    QCPAxisRect* latencyRect_ = nullptr;
    QCPAxisRect* rateRect_ = nullptr;
    QTableWidget* table_ = nullptr;
};

} // namespace wb::simviews
