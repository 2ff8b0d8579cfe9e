#pragma once
// One bar per transformer layer, stacked by operation, for the last token or averaged over the run
// (toggle); a diamond marks the other view's layer total so both read at a glance. Clicking a layer
// selects it (layerClicked) so its operation table can be shown.
#include "engine/telemetry/op_kind.h"

#include <QWidget>

#include <array>

class QCustomPlot;
class QCPBars;
class QCPGraph;
class QCPItemRect;
class QLabel;
class QMouseEvent;
class QToolButton;

namespace wb::telemetry {
class RunAggregator;
}

namespace wb::ui::charts {

class LayerTimingChart : public QWidget {
    Q_OBJECT
public:
    enum class Mode { LastToken, RunAverage };

    explicit LayerTimingChart(QWidget* parent = nullptr);
    ~LayerTimingChart() override;

    void refresh(const telemetry::RunAggregator& aggregator);
    void clear();

    void setMode(Mode mode);
    Mode mode() const { return mode_; }
    void setSelectedLayer(int layer); // -1: none
    int selectedLayer() const { return selectedLayer_; }

    // What is drawn, for tests: bars (layers) on the chart, and one operation's segment of a layer's stack.
    int barCount() const;
    double stackedValue(int layer, telemetry::OpKind op) const;
    // Centre of a layer's bar in plot() widget coordinates.
    QPoint barCenter(int layer) const;
    QCustomPlot* plot() const { return plot_; }
    int replotRequests() const { return replotRequests_; }

Q_SIGNALS:
    void layerClicked(int layer);
    void modeChanged(wb::ui::charts::LayerTimingChart::Mode mode);

private:
    void onPlotClicked(QMouseEvent* event);
    void updateSelectionMarker();

    QLabel* caption_ = nullptr;
    QToolButton* lastButton_ = nullptr;
    QToolButton* averageButton_ = nullptr;
    QCustomPlot* plot_ = nullptr;
    std::array<QCPBars*, telemetry::kOpKindCount> bars_{}; // block operations only
    QCPGraph* otherTotals_ = nullptr;
    QCPItemRect* selection_ = nullptr;
    Mode mode_ = Mode::LastToken;
    int layers_ = 0;
    int selectedLayer_ = -1;
    int replotRequests_ = 0;
};

} // namespace wb::ui::charts
