#pragma once
// Per-layer bound waterfall: one stacked bar per layer (embedding, every transformer layer, output head)
// splitting the layer's critical-path time into MXM, VXM, MEM, SXM, C2C and dependency-chain stretches.
// For a GPU/CPU (roofline) each layer's bar is coloured by its bound, memory or compute.
#include "visualizer/widgets/simulation_runner.h"

#include <QString>
#include <QWidget>

class QCustomPlot;

namespace wb::simviews {

class LayerWaterfallView : public QWidget {
    Q_OBJECT
public:
    explicit LayerWaterfallView(QWidget* parent = nullptr);

    void setResult(SharedResult result);
    // Distinct layer positions that carry a bar.
    int barCount() const;
    // Per series (bound kind), the number of data points.
    int seriesCount() const;
    int seriesPoints(int series) const;
    QString seriesName(int series) const;
    // Bar height sum of one layer (index into the layer list), as plotted.
    double stackedValue(int layerIndex) const;
    QString describeLayer(int layerIndex) const;
    QCustomPlot* plot() const { return plot_; }

    bool savePng(const QString& path);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    SharedResult result_;
    QCustomPlot* plot_ = nullptr;
    int layerCount_ = 0;
};

} // namespace wb::simviews
