#include "ui/model_panel.h"

#include "ui/metadata_table_model.h"
#include "ui/model_overview.h"
#include "ui/tensor_table_model.h"

#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace wb::ui {
namespace {

QTableView* makeTable(QAbstractItemModel* model, QWidget* parent) {
    auto* view = new QTableView(parent);
    view->setModel(model);
    view->setSortingEnabled(true);
    view->setAlternatingRowColors(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setWordWrap(false);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    view->horizontalHeader()->setHighlightSections(false);
    return view;
}

QLineEdit* makeFilter(const QString& placeholder, QSortFilterProxyModel* proxy, QWidget* parent) {
    auto* filter = new QLineEdit(parent);
    filter->setPlaceholderText(placeholder);
    filter->setClearButtonEnabled(true);
    QObject::connect(filter, &QLineEdit::textChanged, proxy, &QSortFilterProxyModel::setFilterFixedString);
    return filter;
}

} // namespace

ModelPanel::ModelPanel(QWidget* parent) : QWidget(parent) {
    titleLabel_ = new QLabel(this);
    QFont titleFont = titleLabel_->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.4);
    titleFont.setBold(true);
    titleLabel_->setFont(titleFont);
    titleLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    summaryLabel_ = new QLabel(this);
    summaryLabel_->setObjectName(QStringLiteral("modelSummary"));
    summaryLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    overviewTree_ = new QTreeWidget(this);
    overviewTree_->setObjectName(QStringLiteral("modelOverview"));
    overviewTree_->setColumnCount(2);
    overviewTree_->setHeaderLabels({tr("Property"), tr("Value")});
    overviewTree_->setAlternatingRowColors(true);
    overviewTree_->setRootIsDecorated(true);
    overviewTree_->setUniformRowHeights(true);

    tables_ = new QTabWidget(this);
    tables_->setDocumentMode(true);
    tables_->addTab(buildTensorTab(), QString());
    tables_->addTab(buildMetadataTab(), QString());

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(overviewTree_);
    splitter->addWidget(tables_);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    splitter->setChildrenCollapsible(false);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(titleLabel_);
    layout->addWidget(summaryLabel_);
    layout->addWidget(splitter, 1);
    showModel(nullptr);
}

QWidget* ModelPanel::buildTensorTab() {
    auto* page = new QWidget(this);
    tensorModel_ = new TensorTableModel(this);
    tensorProxy_ = new QSortFilterProxyModel(this);
    tensorProxy_->setSourceModel(tensorModel_);
    tensorProxy_->setSortRole(TensorTableModel::kSortRole);
    tensorProxy_->setFilterKeyColumn(TensorTableModel::kName);
    tensorProxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
    tensorFilter_ = makeFilter(tr("Filter tensors by name (e.g. blk.0. or attn_q)"), tensorProxy_, page);
    tensorView_ = makeTable(tensorProxy_, page);
    tensorView_->setObjectName(QStringLiteral("tensorTable"));
    tensorView_->horizontalHeader()->setSectionResizeMode(TensorTableModel::kName, QHeaderView::Stretch);
    tensorView_->sortByColumn(TensorTableModel::kIndex, Qt::AscendingOrder);

    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 6, 0, 0);
    layout->addWidget(tensorFilter_);
    layout->addWidget(tensorView_, 1);
    return page;
}

QWidget* ModelPanel::buildMetadataTab() {
    auto* page = new QWidget(this);
    metadataModel_ = new MetadataTableModel(this);
    metadataProxy_ = new QSortFilterProxyModel(this);
    metadataProxy_->setSourceModel(metadataModel_);
    metadataProxy_->setFilterKeyColumn(MetadataTableModel::kKey);
    metadataProxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
    metadataFilter_ = makeFilter(tr("Filter keys (e.g. tokenizer. or rope)"), metadataProxy_, page);
    auto* view = makeTable(metadataProxy_, page);
    view->setObjectName(QStringLiteral("metadataTable"));
    view->horizontalHeader()->setSectionResizeMode(MetadataTableModel::kValue, QHeaderView::Stretch);
    view->sortByColumn(-1, Qt::AscendingOrder); // file order until the user sorts

    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 6, 0, 0);
    layout->addWidget(metadataFilter_);
    layout->addWidget(view, 1);
    return page;
}

void ModelPanel::showModel(OpenedModelPtr model) {
    model_ = std::move(model);
    tensorModel_->setModel(model_);
    metadataModel_->setModel(model_);
    tensorFilter_->clear();
    metadataFilter_->clear();
    const std::size_t tensorCount = model_ ? model_->file.tensors().size() : 0;
    const std::size_t metadataCount = model_ ? model_->file.metadata().size() : 0;
    tables_->setTabText(0, tr("Tensors (%1)").arg(tensorCount));
    tables_->setTabText(1, tr("Metadata (%1)").arg(metadataCount));
    titleLabel_->setText(model_ ? displayName(*model_) : QString());
    summaryLabel_->setText(model_ ? oneLineSummary(*model_) : QString());
    fillOverview();
    for (int column = 0; column < TensorTableModel::kColumnCount; ++column)
        if (column != TensorTableModel::kName) tensorView_->resizeColumnToContents(column);
}

void ModelPanel::fillOverview() {
    overviewTree_->clear();
    if (!model_) return;
    for (const auto& section : overviewSections(*model_)) {
        auto* group = new QTreeWidgetItem(overviewTree_, {section.title});
        QFont bold = group->font(0);
        bold.setBold(true);
        group->setFont(0, bold);
        group->setFirstColumnSpanned(true);
        for (const auto& row : section.rows) {
            auto* item = new QTreeWidgetItem(group, {row.label, row.value});
            item->setToolTip(1, row.value);
        }
    }
    overviewTree_->expandAll();
    overviewTree_->resizeColumnToContents(0);
}

QString ModelPanel::summaryText() const {
    return summaryLabel_->text();
}

QString ModelPanel::tensorTabTitle() const {
    return tables_->tabText(0);
}

} // namespace wb::ui
