#include "ui/metadata_table_model.h"

namespace wb::ui {
namespace {

constexpr std::size_t kShownArrayItems = 8;

QString fromView(std::string_view text) {
    return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
}

QString typeText(const gguf::Value& value) {
    if (const auto* array = value.array())
        return QStringLiteral("%1[%2]")
            .arg(fromView(gguf::valueTypeName(array->elementType)))
            .arg(array->items.size());
    return fromView(gguf::valueTypeName(value.type));
}

} // namespace

MetadataTableModel::MetadataTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void MetadataTableModel::setModel(OpenedModelPtr model) {
    beginResetModel();
    model_ = std::move(model);
    endResetModel();
}

int MetadataTableModel::rowCount(const QModelIndex& parent) const {
    if (parent.isValid() || !model_) return 0;
    return static_cast<int>(model_->file.metadata().size());
}

int MetadataTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : kColumnCount;
}

QVariant MetadataTableModel::data(const QModelIndex& index, int role) const {
    if (!model_ || !index.isValid() || index.row() >= rowCount()) return {};
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
    const auto& entry = model_->file.metadata()[static_cast<std::size_t>(index.row())];
    switch (index.column()) {
    case kKey:
        return QString::fromStdString(entry.key);
    case kType:
        return typeText(entry.value);
    case kValue: {
        // Keep cells one line high: chat templates and token lists are long and multi-line.
        QString text = QString::fromStdString(entry.value.toDisplayString(kShownArrayItems));
        if (role == Qt::DisplayRole) text.replace(QLatin1Char('\n'), QStringLiteral(" ⏎ "));
        return text;
    }
    default:
        return {};
    }
}

QVariant MetadataTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case kKey:
        return tr("Key");
    case kType:
        return tr("Type");
    case kValue:
        return tr("Value");
    default:
        return {};
    }
}

} // namespace wb::ui
