#pragma once
// The key-value metadata of an opened model as table rows (key, value type, abbreviated value).
#include "ui/opened_model.h"

#include <QAbstractTableModel>

namespace wb::ui {

class MetadataTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { kKey, kType, kValue, kColumnCount };

    explicit MetadataTableModel(QObject* parent = nullptr);

    void setModel(OpenedModelPtr model); // nullptr empties the table

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    OpenedModelPtr model_;
};

} // namespace wb::ui
