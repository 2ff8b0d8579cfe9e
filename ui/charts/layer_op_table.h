#pragma once
// The operations of one layer (or of the ops outside the blocks): last-token time and share, run mean /
// min / max per call, bytes, FLOPs and the achieved rates, from RunAggregator::layerOpTable. Sortable.
#include "engine/telemetry/run_aggregator.h"

#include <QAbstractTableModel>
#include <QWidget>

#include <vector>

class QLabel;
class QTableView;

namespace wb::ui::charts {

class LayerOpTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Op,
        LastMs,
        Share,
        MeanMs,
        MinMs,
        MaxMs,
        Calls,
        Bytes,
        Flops,
        GbPerS,
        GflopPerS,
        ColumnCount
    };
    using QAbstractTableModel::QAbstractTableModel;

    void setRows(std::vector<telemetry::LayerOpRow> rows);
    const std::vector<telemetry::LayerOpRow>& rows() const { return rows_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<telemetry::LayerOpRow> rows_;
};

class LayerOpTable : public QWidget {
    Q_OBJECT
public:
    explicit LayerOpTable(QWidget* parent = nullptr);

    // Shows `layer` (-1: outside the blocks); refresh() keeps it current.
    void showLayer(const telemetry::RunAggregator& aggregator, int layer);
    void refresh(const telemetry::RunAggregator& aggregator);
    void clear();
    int layer() const { return layer_; }
    bool hasLayer() const { return hasLayer_; }
    LayerOpTableModel* model() const { return model_; }
    QTableView* view() const { return view_; }
    QString titleText() const;

private:
    QLabel* title_ = nullptr;
    QTableView* view_ = nullptr;
    LayerOpTableModel* model_ = nullptr;
    int layer_ = -1;
    bool hasLayer_ = false;
};

} // namespace wb::ui::charts
