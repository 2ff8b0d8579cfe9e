#pragma once
// Shows an opened model the way `iwb inspect` does: a summary tree (file, model, hyperparameters,
// tokenizer, totals by type) next to a sortable, filterable tensor table and the raw metadata.
#include "ui/opened_model.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;
class QTreeWidget;

namespace wb::ui {

class MetadataTableModel;
class TensorTableModel;

class ModelPanel : public QWidget {
    Q_OBJECT
public:
    explicit ModelPanel(QWidget* parent = nullptr);

    void showModel(OpenedModelPtr model); // nullptr clears the panel
    OpenedModelPtr model() const { return model_; }

    // For tests and for panels added later that link to a tensor.
    QTableView* tensorView() const { return tensorView_; }
    QSortFilterProxyModel* tensorProxy() const { return tensorProxy_; }
    TensorTableModel* tensorModel() const { return tensorModel_; }
    QString summaryText() const;
    QString tensorTabTitle() const;

private:
    QWidget* buildTensorTab();
    QWidget* buildMetadataTab();
    void fillOverview();

    OpenedModelPtr model_;
    QLabel* titleLabel_ = nullptr;
    QLabel* summaryLabel_ = nullptr;
    QTreeWidget* overviewTree_ = nullptr;
    QTabWidget* tables_ = nullptr;
    TensorTableModel* tensorModel_ = nullptr;
    QSortFilterProxyModel* tensorProxy_ = nullptr;
    QTableView* tensorView_ = nullptr;
    QLineEdit* tensorFilter_ = nullptr;
    MetadataTableModel* metadataModel_ = nullptr;
    QSortFilterProxyModel* metadataProxy_ = nullptr;
    QLineEdit* metadataFilter_ = nullptr;
};

} // namespace wb::ui
