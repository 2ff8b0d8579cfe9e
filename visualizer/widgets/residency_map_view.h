#pragma once
// The SRAM residency map: chips (rows) x MEM slices (columns, west and east hemisphere), each cell coloured
// by what fills most of that 2.5 MiB slice: instructions, weights, KV cache, activations or nothing.
// A token slider scrubs the context length and shows the KV cache growing until SRAM runs out.
#include "visualizer/core/simulation.h"
#include "visualizer/widgets/simulation_runner.h"

#include <QString>
#include <QWidget>

class QLabel;
class QSlider;
class QScrollArea;

namespace wb::simviews {

class ResidencyGrid;

class ResidencyMapView : public QWidget {
    Q_OBJECT
public:
    explicit ResidencyMapView(QWidget* parent = nullptr);

    void setResult(SharedResult result);
    // Context positions per user the map is drawn at (the slider); starts at the simulated context.
    void setTokens(int tokens);
    int tokens() const;
    QSlider* tokenSlider() const { return slider_; }

    // The map as drawn (at tokens()).
    const sim::ResidencyMap& map() const { return map_; }
    int chipCount() const { return static_cast<int>(map_.slices.size()); }
    int sliceCount() const { return map_.slicesPerChip; }
    sim::SliceContent cellContent(int chip, int slice) const;
    QString describeCell(int chip, int slice) const;
    // Where a cell is drawn, in this widget's coordinates (empty when scrolled away).
    QRect cellRect(int chip, int slice) const;
    QString hoverText() const;
    QString statusText() const;

    bool savePng(const QString& path);

private:
    void rebuildMap();

    SharedResult result_;
    sim::ResidencyMap map_;
    QSlider* slider_ = nullptr;
    QLabel* tokensLabel_ = nullptr;
    QLabel* statusLabel_ = nullptr;
    QScrollArea* scroll_ = nullptr;
    ResidencyGrid* grid_ = nullptr;
};

} // namespace wb::simviews
