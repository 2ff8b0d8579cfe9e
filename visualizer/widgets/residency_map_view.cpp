#include "visualizer/widgets/residency_map_view.h"

#include "visualizer/core/view_queries.h"
#include "visualizer/widgets/view_style.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollArea>
#include <QScrollBar>
#include <QSlider>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>

namespace wb::simviews {
namespace {

constexpr int kChipLabelWidth = 130;
constexpr int kHeaderHeight = 34;
constexpr int kHemisphereGap = 6;

QString megabytes(double bytes) {
    return QString::number(bytes / 1e6, 'f', bytes >= 100e6 ? 0 : 1) + " MB";
}

QString tokensText(double tokens) {
    return formatCount(tokens);
}

} // namespace

// The painted grid inside the scroll area.
class ResidencyGrid : public QWidget {
public:
    explicit ResidencyGrid(ResidencyMapView* view) : QWidget(nullptr), view_(view) {
        setMouseTracking(true);
        setAttribute(Qt::WA_OpaquePaintEvent);
    }

    int rowHeight() const { return rowHeight_; }
    void fitRows(int availableHeight) {
        const int chips = std::max(1, view_->chipCount());
        rowHeight_ = std::clamp((availableHeight - kHeaderHeight) / chips, 3, 18);
        setMinimumHeight(kHeaderHeight + chips * rowHeight_ + 4);
        update();
    }
    void setRowHeight(int h) {
        rowHeight_ = std::clamp(h, 3, 30);
        setMinimumHeight(kHeaderHeight + std::max(1, view_->chipCount()) * rowHeight_ + 4);
        update();
    }

    double cellWidth() const {
        const int slices = std::max(1, view_->sliceCount());
        return std::max(2.0, double(width() - kChipLabelWidth - kHemisphereGap - 8) / slices);
    }
    int hemisphereSize() const { return std::max(1, view_->sliceCount() / 2); }

    QRect cell(int chip, int slice) const {
        const double w = cellWidth();
        const int gap = slice >= hemisphereSize() ? kHemisphereGap : 0;
        const int left = kChipLabelWidth + gap + static_cast<int>(slice * w);
        const int right = kChipLabelWidth + gap + static_cast<int>((slice + 1) * w);
        return QRect(left, kHeaderHeight + chip * rowHeight_, std::max(1, right - left - (w >= 5 ? 1 : 0)),
                     std::max(1, rowHeight_ - (rowHeight_ >= 6 ? 1 : 0)));
    }

    bool cellAt(const QPoint& p, int& chip, int& slice) const {
        if (p.y() < kHeaderHeight || p.x() < kChipLabelWidth) return false;
        chip = (p.y() - kHeaderHeight) / rowHeight_;
        if (chip >= view_->chipCount()) return false;
        const double w = cellWidth();
        int x = p.x() - kChipLabelWidth;
        const int westWidth = static_cast<int>(hemisphereSize() * w);
        if (x >= westWidth + kHemisphereGap)
            x -= kHemisphereGap;
        else if (x >= westWidth)
            return false;
        slice = static_cast<int>(x / w);
        return slice >= 0 && slice < view_->sliceCount();
    }

    QString hoverText;

protected:
    void paintEvent(QPaintEvent* event) override {
        QPainter painter(this);
        painter.fillRect(event->rect(), palette().base());
        const auto& map = view_->map();
        if (map.slices.empty()) {
            painter.setPen(palette().color(QPalette::PlaceholderText));
            painter.drawText(rect().adjusted(0, 0, 0, -rect().height() + 200), Qt::AlignCenter,
                             tr("The residency map shows an LPU deployment; pick an LPU hardware."));
            return;
        }
        paintHeader(painter);
        const int first = std::max(0, (event->rect().top() - kHeaderHeight) / rowHeight_);
        const int last =
            std::min(view_->chipCount() - 1, (event->rect().bottom() - kHeaderHeight) / rowHeight_);
        QFont labelFont = font();
        labelFont.setPointSizeF(std::min(font().pointSizeF() * 0.85, rowHeight_ * 0.65));
        painter.setFont(labelFont);
        for (int c = first; c <= last; ++c) {
            const auto& row = map.slices[std::size_t(c)];
            for (int s = 0; s < static_cast<int>(row.size()); ++s)
                painter.fillRect(cell(c, s), colorFor(row[std::size_t(s)]));
            if (rowHeight_ >= 9) {
                const auto& a = map.chips[std::size_t(c)];
                QString label = QStringLiteral("chip %1").arg(a.chip);
                if (a.role == sim::ChipRole::Head)
                    label += tr(" \u00b7 head");
                else if (a.role == sim::ChipRole::Layers)
                    label += a.layerCount == 1 ? tr(" \u00b7 L%1").arg(a.firstLayer)
                                               : tr(" \u00b7 L%1\u2013%2")
                                                     .arg(a.firstLayer)
                                                     .arg(a.firstLayer + a.layerCount - 1);
                else
                    label += tr(" \u00b7 spare");
                painter.setPen(palette().color(QPalette::Text));
                painter.drawText(QRect(6, cell(c, 0).top(), kChipLabelWidth - 10, rowHeight_),
                                 Qt::AlignVCenter | Qt::AlignLeft, label);
            } else if (c % 50 == 0) {
                // Rows too thin for a label each: a labelled tick every 50 chips.
                QFont tickFont = font();
                tickFont.setPointSizeF(font().pointSizeF() * 0.85);
                painter.setFont(tickFont);
                painter.setPen(palette().color(QPalette::Text));
                const int y = cell(c, 0).top();
                painter.drawLine(kChipLabelWidth - 8, y, kChipLabelWidth - 2, y);
                painter.drawText(QRect(6, std::max(y - 8, kHeaderHeight), kChipLabelWidth - 18, 16),
                                 Qt::AlignVCenter | Qt::AlignRight, QStringLiteral("chip %1").arg(c));
                painter.setFont(labelFont);
            }
        }
    }

    void paintHeader(QPainter& painter) {
        painter.fillRect(QRect(0, 0, width(), kHeaderHeight), palette().color(QPalette::Window));
        QFont small = font();
        small.setPointSizeF(font().pointSizeF() * 0.85);
        painter.setFont(small);
        painter.setPen(palette().color(QPalette::Text));
        const int half = hemisphereSize();
        const QRect west = cell(0, 0).united(cell(0, half - 1));
        const QRect east = cell(0, half).united(cell(0, view_->sliceCount() - 1));
        painter.drawText(QRect(west.left(), 2, west.width(), 14), Qt::AlignCenter,
                         tr("west hemisphere: MEM slices 0\u2013%1").arg(half - 1));
        painter.drawText(QRect(east.left(), 2, east.width(), 14), Qt::AlignCenter,
                         tr("east hemisphere: MEM slices %1\u2013%2").arg(half).arg(view_->sliceCount() - 1));
        painter.drawText(QRect(6, 2, kChipLabelWidth - 10, kHeaderHeight - 4),
                         Qt::AlignLeft | Qt::AlignBottom, tr("chip"));
        for (int s = 0; s < view_->sliceCount(); s += 4) {
            const QRect c = cell(0, s);
            painter.drawText(QRect(c.left() - 10, 16, 24, 16), Qt::AlignCenter, QString::number(s));
        }
    }

    void mouseMoveEvent(QMouseEvent* event) override {
        int chip = 0, slice = 0;
        if (!cellAt(event->position().toPoint(), chip, slice)) {
            hoverText.clear();
            QToolTip::hideText();
            return;
        }
        hoverText = view_->describeCell(chip, slice);
        QToolTip::showText(event->globalPosition().toPoint(), hoverText, this);
    }

    void wheelEvent(QWheelEvent* event) override {
        if (event->modifiers() & Qt::ControlModifier) {
            setRowHeight(rowHeight_ + (event->angleDelta().y() > 0 ? 1 : -1));
            event->accept();
            return;
        }
        QWidget::wheelEvent(event);
    }

private:
    ResidencyMapView* view_;
    int rowHeight_ = 6;
};

ResidencyMapView::ResidencyMapView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* top = new QHBoxLayout;
    for (auto content :
         {sim::SliceContent::Weights, sim::SliceContent::KvCache, sim::SliceContent::Activations,
          sim::SliceContent::Instructions, sim::SliceContent::Free}) {
        auto* swatch = new QLabel;
        swatch->setFixedSize(12, 12);
        swatch->setStyleSheet(
            QStringLiteral("background:%1; border:1px solid #888;").arg(colorFor(content).name()));
        top->addWidget(swatch);
        top->addWidget(new QLabel(displayName(content)));
        top->addSpacing(8);
    }
    top->addStretch(1);
    tokensLabel_ = new QLabel;
    top->addWidget(tokensLabel_);
    slider_ = new QSlider(Qt::Horizontal);
    slider_->setMinimumWidth(220);
    slider_->setToolTip(
        tr("Scrub the context length: the KV cache grows by the same bytes per token on every "
           "layer chip until it runs out of SRAM; then the deployment needs more chips."));
    top->addWidget(slider_);
    layout->addLayout(top);
    statusLabel_ = new QLabel;
    statusLabel_->setWordWrap(true);
    layout->addWidget(statusLabel_);
    scroll_ = new QScrollArea;
    scroll_->setWidgetResizable(true);
    scroll_->setFrameShape(QFrame::NoFrame);
    grid_ = new ResidencyGrid(this);
    scroll_->setWidget(grid_);
    layout->addWidget(scroll_, 1);
    connect(slider_, &QSlider::valueChanged, this, [this] { rebuildMap(); });
    addPngExportMenu(this);
    setToolTip(explainSramResidency());
}

void ResidencyMapView::setResult(SharedResult result) {
    result_ = std::move(result);
    const QSignalBlocker block(slider_);
    if (result_ && result_->lpu) {
        const double context = result_->options.context;
        const double limit = result_->lpu->residency.contextLimitTokens;
        // Room to scrub past the simulated context, up to where SRAM runs out (and a little beyond).
        double maximum = std::max(context * 2.0, limit > 0 ? std::min(limit * 1.1, context * 64.0) : 0.0);
        maximum = std::min(maximum, 2.0e9);
        slider_->setRange(0, static_cast<int>(maximum));
        slider_->setSingleStep(std::max(1, static_cast<int>(maximum / 200)));
        slider_->setPageStep(std::max(1, static_cast<int>(maximum / 20)));
        slider_->setValue(static_cast<int>(context));
        slider_->setEnabled(true);
    } else {
        slider_->setEnabled(false);
    }
    rebuildMap();
    grid_->fitRows(scroll_->viewport()->height());
}

void ResidencyMapView::setTokens(int tokens) {
    slider_->setValue(tokens);
}

int ResidencyMapView::tokens() const {
    return slider_->value();
}

void ResidencyMapView::rebuildMap() {
    if (!result_ || !result_->lpu) {
        map_ = {};
        tokensLabel_->clear();
        statusLabel_->setText(result_ ? tr("Residency applies to LPU hardware only: a GPU or CPU streams its "
                                           "weights from off-chip memory every token.")
                                      : QString());
        grid_->update();
        return;
    }
    const auto& lpu = *result_->lpu;
    if (slider_->value() == static_cast<int>(result_->options.context))
        map_ = lpu.residency;
    else
        map_ = sim::residencyAtContext(result_->hardware, lpu.residency, result_->options, slider_->value());
    tokensLabel_->setText(tr("context: <b>%1</b> tokens per user").arg(tokensText(slider_->value())));
    statusLabel_->setText(statusText());
    grid_->setMinimumHeight(kHeaderHeight + chipCount() * grid_->rowHeight() + 4);
    grid_->update();
}

QString ResidencyMapView::statusText() const {
    if (!result_ || !result_->lpu || map_.chips.empty()) return {};
    double kv = 0;
    int overflowing = 0;
    const double sram = result_->hardware.lpu.sramBytes();
    for (const auto& chip : map_.chips) {
        kv = std::max(kv, chip.bytes.kvCache);
        if (chip.bytes.total() > sram) ++overflowing;
    }
    QString text = tr("%1 chips \u00d7 %2 slices of %3 MiB. KV cache per layer chip at this context: %4.")
                       .arg(chipCount())
                       .arg(sliceCount())
                       .arg(map_.sliceBytes / 1048576.0, 0, 'f', 1)
                       .arg(megabytes(kv));
    if (map_.contextLimitTokens > 0)
        text += tr(" SRAM runs out at about %1 tokens per user.").arg(tokensText(map_.contextLimitTokens));
    if (overflowing > 0)
        text +=
            tr(" <span style='color:#c0392b'><b>Does not fit:</b> the KV cache overflows SRAM on %1 chips; "
               "the planner would need more chips.</span>")
                .arg(overflowing);
    return text;
}

sim::SliceContent ResidencyMapView::cellContent(int chip, int slice) const {
    return map_.slices.at(std::size_t(chip)).at(std::size_t(slice));
}

QString ResidencyMapView::describeCell(int chip, int slice) const {
    if (chip < 0 || chip >= chipCount() || slice < 0 || slice >= sliceCount()) return {};
    const auto& a = map_.chips[std::size_t(chip)];
    const auto content = cellContent(chip, slice);
    const int half = std::max(1, sliceCount() / 2);
    QString text = tr("<b>chip %1, MEM slice %2</b> (%3 hemisphere, slice %4 of %5)<br>")
                       .arg(a.chip)
                       .arg(slice)
                       .arg(slice < half ? tr("west") : tr("east"))
                       .arg(slice % half)
                       .arg(half);
    QString owner;
    if (a.role == sim::ChipRole::Head)
        owner = tr("embedding table + output projection, shard %1 of %2").arg(a.tpRank + 1).arg(a.tpDegree);
    else if (a.role == sim::ChipRole::Layers)
        owner =
            tr("layer%1 %2, tensor-parallel rank %3 of %4 (pipeline stage %5)")
                .arg(a.layerCount > 1 ? "s" : "")
                .arg(a.layerCount > 1
                         ? QStringLiteral("%1\u2013%2").arg(a.firstLayer).arg(a.firstLayer + a.layerCount - 1)
                         : QString::number(a.firstLayer))
                .arg(a.tpRank + 1)
                .arg(a.tpDegree)
                .arg(a.stage);
    switch (content) {
    case sim::SliceContent::Weights:
        text += tr("<b>weights</b> of %1").arg(owner);
        break;
    case sim::SliceContent::KvCache:
        text += tr("<b>KV cache</b> (K and V rows of every cached token) of %1").arg(owner);
        break;
    case sim::SliceContent::Activations:
        text += tr("<b>activations</b>: buffers for the token rows in flight");
        break;
    case sim::SliceContent::Instructions:
        text += tr("<b>instruction memory</b>: the compiled program lives in MEM slices and takes SRAM from "
                   "weights");
        break;
    case sim::SliceContent::Free:
        text += tr("<b>free</b>");
        break;
    }
    text += tr("<br>this chip: weights %1, KV %2, activations %3, instructions %4")
                .arg(megabytes(a.bytes.weights), megabytes(a.bytes.kvCache), megabytes(a.bytes.activations),
                     megabytes(a.bytes.instructions));
    return text;
}

QRect ResidencyMapView::cellRect(int chip, int slice) const {
    const QRect inGrid = grid_->cell(chip, slice);
    const QPoint topLeft = grid_->mapTo(this, inGrid.topLeft());
    const QRect r(topLeft, inGrid.size());
    const QRect visible(scroll_->viewport()->mapTo(this, QPoint(0, 0)), scroll_->viewport()->size());
    return visible.contains(r.center()) ? r : QRect();
}

QString ResidencyMapView::hoverText() const {
    return grid_->hoverText;
}

bool ResidencyMapView::savePng(const QString& path) {
    return saveWidgetPng(this, path);
}

} // namespace wb::simviews
