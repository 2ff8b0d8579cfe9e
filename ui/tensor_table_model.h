#pragma once
// The tensors of an opened model as table rows. It only converts wb::gguf::TensorInfo fields to cells;
// Qt::DisplayRole is text for people, kSortRole the raw value so sorting by size or offset is numeric.
#include "ui/opened_model.h"

#include <QAbstractTableModel>

namespace wb::ui {

class TensorTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { kIndex, kName, kType, kShape, kElements, kBytes, kFileOffset, kColumnCount };
    static constexpr int kSortRole = Qt::UserRole + 1;

    explicit TensorTableModel(QObject* parent = nullptr);

    void setModel(OpenedModelPtr model); // nullptr empties the table

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    OpenedModelPtr model_;
};

} // namespace wb::ui
