#include "ui/charts/layer_op_table.h"

#include "ui/charts/chart_style.h"

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace wb::ui::charts {

void LayerOpTableModel::setRows(std::vector<telemetry::LayerOpRow> rows) {
    if (rows.size() == rows_.size() && !rows.empty()) {
        rows_ = std::move(rows);
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    rows_ = std::move(rows);
    endResetModel();
}

int LayerOpTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int LayerOpTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LayerOpTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal) return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Op:
            return tr("Operation");
        case LastMs:
            return tr("Last");
        case Share:
            return tr("Share");
        case MeanMs:
            return tr("Mean");
        case MinMs:
            return tr("Min");
        case MaxMs:
            return tr("Max");
        case Calls:
            return tr("Calls");
        case Bytes:
            return tr("Bytes");
        case Flops:
            return tr("FLOPs");
        case GbPerS:
            return tr("GB/s");
        case GflopPerS:
            return tr("GFLOP/s");
        default:
            return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case LastMs:
            return tr("Time in the last pass");
        case Share:
            return tr("Share of the layer's time in the last pass");
        case MeanMs:
            return tr("Mean per call over the run (generated tokens)");
        case Bytes:
            return tr("Weight and KV bytes read in the last pass");
        case GbPerS:
            return tr("Bytes read per second in the last pass");
        default:
            return {};
        }
    }
    return {};
}

QVariant LayerOpTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const telemetry::LayerOpRow& row = rows_[static_cast<std::size_t>(index.row())];
    if (role == Qt::DecorationRole && index.column() == Op) return opColor(row.op);
    if (role == Qt::TextAlignmentRole)
        return index.column() == Op ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                    : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::UserRole) { // sort keys
        switch (index.column()) {
        case Op:
            return static_cast<int>(row.op);
        case LastMs:
            return row.lastMs;
        case Share:
            return row.shareOfLayer;
        case MeanMs:
            return row.meanMs;
        case MinMs:
            return row.minMs;
        case MaxMs:
            return row.maxMs;
        case Calls:
            return static_cast<qulonglong>(row.calls);
        case Bytes:
            return static_cast<qulonglong>(row.lastBytes);
        case Flops:
            return static_cast<qulonglong>(row.lastFlops);
        case GbPerS:
            return row.lastGigabytesPerSecond;
        case GflopPerS:
            return row.lastGigaflopsPerSecond;
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
    case Op:
        return opDisplayName(row.op);
    case LastMs:
        return formatMs(row.lastMs);
    case Share:
        return QStringLiteral("%1 %").arg(row.shareOfLayer * 100, 0, 'f', 1);
    case MeanMs:
        return row.calls > 0 ? formatMs(row.meanMs) : QStringLiteral("–");
    case MinMs:
        return row.calls > 0 ? formatMs(row.minMs) : QStringLiteral("–");
    case MaxMs:
        return row.calls > 0 ? formatMs(row.maxMs) : QStringLiteral("–");
    case Calls:
        return static_cast<qulonglong>(row.calls);
    case Bytes:
        return formatBytes(row.lastBytes);
    case Flops:
        return QLocale(QLocale::English).toString(static_cast<qulonglong>(row.lastFlops));
    case GbPerS:
        return QString::number(row.lastGigabytesPerSecond, 'f', 2);
    case GflopPerS:
        return QString::number(row.lastGigaflopsPerSecond, 'f', 2);
    default:
        return {};
    }
}

LayerOpTable::LayerOpTable(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("layerOpTable"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    title_ = new QLabel(this);
    title_->setFont(titleFont());
    layout->addWidget(title_);
    model_ = new LayerOpTableModel(this);
    auto* proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(model_);
    proxy->setSortRole(Qt::UserRole);
    view_ = new QTableView(this);
    view_->setModel(proxy);
    view_->setSortingEnabled(true);
    view_->sortByColumn(-1, Qt::AscendingOrder); // execution order until the user sorts
    view_->setAlternatingRowColors(true);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view_->verticalHeader()->setVisible(false);
    view_->verticalHeader()->setDefaultSectionSize(view_->fontMetrics().height() + 6);
    // Interactive, sized to the contents when the rows are replaced (another layer), not on every live
    // update: ResizeToContents measured the text of every cell at each refresh while tokens stream, one of
    // the largest costs of the GUI thread with the charts on screen (docs/app.md).
    view_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    view_->horizontalHeader()->setStretchLastSection(true);
    connect(model_, &QAbstractItemModel::modelReset, view_, [this] { view_->resizeColumnsToContents(); });
    view_->setShowGrid(false);
    layout->addWidget(view_, 1);
    clear();
}

void LayerOpTable::clear() {
    hasLayer_ = false;
    layer_ = -1;
    model_->setRows({});
    title_->setText(tr("Operations — click a layer bar"));
}

void LayerOpTable::showLayer(const telemetry::RunAggregator& aggregator, int layer) {
    hasLayer_ = true;
    layer_ = layer;
    refresh(aggregator);
}

void LayerOpTable::refresh(const telemetry::RunAggregator& aggregator) {
    if (!hasLayer_) return;
    model_->setRows(aggregator.layerOpTable(layer_));
    title_->setText(layer_ >= 0 ? tr("Operations of layer %1").arg(layer_)
                                : tr("Operations outside the blocks"));
}

QString LayerOpTable::titleText() const {
    return title_->text();
}

} // namespace wb::ui::charts
