#include "ui/tensor_table_model.h"

#include <QLocale>

namespace wb::ui {

TensorTableModel::TensorTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void TensorTableModel::setModel(OpenedModelPtr model) {
    beginResetModel();
    model_ = std::move(model);
    endResetModel();
}

int TensorTableModel::rowCount(const QModelIndex& parent) const {
    if (parent.isValid() || !model_) return 0;
    return static_cast<int>(model_->file.tensors().size());
}

int TensorTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : kColumnCount;
}

QVariant TensorTableModel::data(const QModelIndex& index, int role) const {
    if (!model_ || !index.isValid() || index.row() >= rowCount()) return {};
    const auto& tensor = model_->file.tensors()[static_cast<std::size_t>(index.row())];
    const quint64 fileOffset = model_->file.dataOffset() + tensor.offset;
    const QLocale locale;

    if (role == Qt::TextAlignmentRole) {
        const bool numeric = index.column() == kIndex || index.column() == kElements ||
                             index.column() == kBytes || index.column() == kFileOffset;
        return QVariant::fromValue(
            Qt::Alignment(numeric ? Qt::AlignRight | Qt::AlignVCenter : Qt::AlignLeft | Qt::AlignVCenter));
    }
    if (role == Qt::ToolTipRole && index.column() == kBytes)
        return locale.formattedDataSize(static_cast<qint64>(tensor.byteSize));
    if (role != Qt::DisplayRole && role != kSortRole) return {};

    const bool forSorting = role == kSortRole;
    switch (index.column()) {
    case kIndex:
        return index.row();
    case kName:
        return QString::fromStdString(tensor.name);
    case kType:
        return QString::fromLatin1(ggmlTypeName(tensor.type).data(),
                                   static_cast<qsizetype>(ggmlTypeName(tensor.type).size()));
    case kShape:
        return forSorting ? QVariant(static_cast<qulonglong>(tensor.elementCount))
                          : QVariant(QString::fromStdString(tensor.shapeString()));
    case kElements:
        return forSorting ? QVariant(static_cast<qulonglong>(tensor.elementCount))
                          : QVariant(locale.toString(static_cast<qulonglong>(tensor.elementCount)));
    case kBytes:
        return forSorting ? QVariant(static_cast<qulonglong>(tensor.byteSize))
                          : QVariant(locale.toString(static_cast<qulonglong>(tensor.byteSize)));
    case kFileOffset:
        return forSorting ? QVariant(static_cast<qulonglong>(fileOffset))
                          : QVariant(locale.toString(static_cast<qulonglong>(fileOffset)));
    default:
        return {};
    }
}

QVariant TensorTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal) return {};
    if (role == Qt::ToolTipRole && section == kFileOffset)
        return tr("Where the tensor's data starts, counted from the beginning of the file");
    if (role != Qt::DisplayRole) return {};
    switch (section) {
    case kIndex:
        return tr("#");
    case kName:
        return tr("Name");
    case kType:
        return tr("Type");
    case kShape:
        return tr("Shape");
    case kElements:
        return tr("Elements");
    case kBytes:
        return tr("Bytes");
    case kFileOffset:
        return tr("File offset");
    default:
        return {};
    }
}

} // namespace wb::ui
