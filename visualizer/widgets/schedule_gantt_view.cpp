#include "visualizer/widgets/schedule_gantt_view.h"

#include "visualizer/widgets/view_style.h"

#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>
#include <limits>

namespace wb::simviews {
namespace {

constexpr int kLegendHeight = 24;
constexpr int kAxisHeight = 22;
constexpr int kLabelWidth = 150;
constexpr double kMinimumWindowCycles = 40;

QString withThousands(double value) {
    return formatCount(value);
}

QString byteText(double bytes) {
    if (bytes >= 1e9) return QString::number(bytes / 1e9, 'f', 2) + " GB";
    if (bytes >= 1e6) return QString::number(bytes / 1e6, 'f', 2) + " MB";
    if (bytes >= 1e3) return QString::number(bytes / 1e3, 'f', 1) + " kB";
    return QString::number(bytes, 'f', 0) + " B";
}

QString unitText(sim::UnitKind unit) {
    const auto name = sim::unitKindName(unit);
    return QString::fromLatin1(name.data(), qsizetype(name.size()));
}

// A round tick step (1, 2 or 5 x 10^k) giving about `targetTicks` ticks over `span`.
double niceStep(double span, double targetTicks) {
    const double raw = span / std::max(1.0, targetTicks);
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * magnitude >= raw) return m * magnitude;
    return 10 * magnitude;
}

} // namespace

ScheduleGanttView::ScheduleGanttView(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setFocusPolicy(Qt::WheelFocus);
    scrollBar_ = new QScrollBar(Qt::Vertical, this);
    connect(scrollBar_, &QScrollBar::valueChanged, this, [this] { update(); });
    addPngExportMenu(this);
    setToolTip({}); // tooltips are shown per op from mouseMoveEvent
}

void ScheduleGanttView::setResult(SharedResult result) {
    const bool sameLength = result_ && result && result_->lpu && result->lpu &&
                            result_->lpu->decode.makespan == result->lpu->decode.makespan;
    result_ = std::move(result);
    rebuildRows();
    hoverOp_ = -1;
    updateScrollBar();
    if (!sameLength) {
        // Open on the first pipeline stage, fitted in time: one layer's ops on every unit of its chips.
        showAll();
        if (result_ && result_->lpu && !oneRowPerChip_) {
            scrollToChip(result_->lpu->partition.headChips);
            fitVisibleRows();
        }
    }
    update();
}

void ScheduleGanttView::setOneRowPerChip(bool oneRow) {
    if (oneRow == oneRowPerChip_) return;
    const int topChip =
        rows_.empty() ? 0 : rows_[std::size_t(std::min(firstVisibleRow(), rowCount() - 1))].chip;
    oneRowPerChip_ = oneRow;
    rebuildRows();
    if (oneRow) {
        // The whole deployment at once: every chip a thin row, the whole step in time.
        rowHeight_ = std::clamp(plotArea().height() / std::max(1, rowCount()), 2, 15);
        updateScrollBar();
        scrollBar_->setValue(0);
        showAll();
    } else {
        rowHeight_ = 15;
        updateScrollBar();
        scrollToChip(topChip);
    }
    update();
}

void ScheduleGanttView::rebuildRows() {
    rows_.clear();
    rowOfOp_.clear();
    if (!result_ || !result_->lpu) return;
    const auto& schedule = result_->lpu->decode;
    const int unitsPerChip = 4 + schedule.linksPerChip;
    // Slot of (chip, unit, link) in unitRows() order; only slots with ops become rows.
    std::vector<int> slotRow(static_cast<std::size_t>(schedule.chips) * unitsPerChip, -1);
    std::vector<int> chipRow(static_cast<std::size_t>(schedule.chips), -1);
    std::vector<bool> used(slotRow.size(), false);
    auto slotOf = [&](const sim::ScheduledOp& op) {
        const int unitSlot = op.unit == sim::UnitKind::C2c ? 4 + op.unitIndex : static_cast<int>(op.unit);
        return static_cast<std::size_t>(op.chip) * unitsPerChip + unitSlot;
    };
    std::vector<bool> chipUsed(chipRow.size(), false);
    for (const auto& op : schedule.ops) {
        used[slotOf(op)] = true;
        chipUsed[static_cast<std::size_t>(op.chip)] = true;
    }
    for (const auto& unitRow : schedule.unitRows()) {
        const auto chip = static_cast<std::size_t>(unitRow.chip);
        if (!chipUsed[chip]) continue; // spare chips hold nothing and run nothing
        if (oneRowPerChip_) {
            if (chipRow[chip] < 0) {
                chipRow[chip] = static_cast<int>(rows_.size());
                rows_.push_back({unitRow.chip, -1, 0, {}, 0});
            }
            continue;
        }
        const int unitSlot =
            unitRow.unit == sim::UnitKind::C2c ? 4 + unitRow.index : static_cast<int>(unitRow.unit);
        const auto slot = chip * unitsPerChip + static_cast<std::size_t>(unitSlot);
        // The four compute units always show (an idle unit is information); links only when used.
        if (unitRow.unit == sim::UnitKind::C2c && !used[slot]) continue;
        slotRow[slot] = static_cast<int>(rows_.size());
        rows_.push_back({unitRow.chip, static_cast<int>(unitRow.unit), unitRow.index, {}, 0});
    }
    rowOfOp_.assign(schedule.ops.size(), -1);
    for (std::size_t i = 0; i < schedule.ops.size(); ++i) {
        const auto& op = schedule.ops[i];
        const int row = oneRowPerChip_ ? chipRow[static_cast<std::size_t>(op.chip)] : slotRow[slotOf(op)];
        rowOfOp_[i] = row;
        auto& r = rows_[static_cast<std::size_t>(row)];
        r.ops.push_back(static_cast<int>(i));
        r.longestOp = std::max(r.longestOp, double(op.end - op.start));
    }
    for (auto& row : rows_)
        std::stable_sort(row.ops.begin(), row.ops.end(), [&](int a, int b) {
            return schedule.ops[std::size_t(a)].start < schedule.ops[std::size_t(b)].start;
        });
}

QRect ScheduleGanttView::plotArea() const {
    const int right = width() - scrollBar_->sizeHint().width();
    return QRect(QPoint(kLabelWidth, kLegendHeight + kAxisHeight), QPoint(right - 1, height() - 1));
}

void ScheduleGanttView::resizeEvent(QResizeEvent*) {
    const int barWidth = scrollBar_->sizeHint().width();
    scrollBar_->setGeometry(width() - barWidth, kLegendHeight + kAxisHeight, barWidth,
                            height() - kLegendHeight - kAxisHeight);
    updateScrollBar();
}

void ScheduleGanttView::updateScrollBar() {
    const int content = rowCount() * rowHeight_;
    const int view = plotArea().height();
    scrollBar_->setRange(0, std::max(0, content - view));
    scrollBar_->setPageStep(std::max(1, view));
    scrollBar_->setSingleStep(rowHeight_);
}

double ScheduleGanttView::cycleToX(double cycle) const {
    const QRect area = plotArea();
    return area.left() + (cycle - t0_) / (t1_ - t0_) * area.width();
}

double ScheduleGanttView::xToCycle(double x) const {
    const QRect area = plotArea();
    return t0_ + (x - area.left()) / std::max(1, area.width()) * (t1_ - t0_);
}

int ScheduleGanttView::rowTop(int row) const {
    return plotArea().top() + row * rowHeight_ - scrollBar_->value();
}

int ScheduleGanttView::firstVisibleRow() const {
    return std::max(0, scrollBar_->value() / rowHeight_);
}

int ScheduleGanttView::lastVisibleRow() const {
    const int last = (scrollBar_->value() + plotArea().height() - 1) / rowHeight_;
    return std::min(rowCount() - 1, last);
}

void ScheduleGanttView::setTimeWindow(double startCycle, double endCycle) {
    const double makespan = result_ && result_->lpu ? double(result_->lpu->decode.makespan) : 1.0;
    double span = std::clamp(endCycle - startCycle, std::min(kMinimumWindowCycles, makespan), makespan);
    double start = std::clamp(startCycle, 0.0, makespan - span);
    t0_ = start;
    t1_ = start + span;
    update();
}

void ScheduleGanttView::zoomTime(double factor, double anchorX) {
    const double anchor = xToCycle(anchorX);
    const double span = (t1_ - t0_) / factor;
    const double fraction = (anchor - t0_) / (t1_ - t0_);
    setTimeWindow(anchor - fraction * span, anchor - fraction * span + span);
}

void ScheduleGanttView::showAll() {
    const double makespan = result_ && result_->lpu ? double(result_->lpu->decode.makespan) : 1.0;
    setTimeWindow(0, makespan);
}

void ScheduleGanttView::fitVisibleRows() {
    if (!result_ || !result_->lpu || rows_.empty()) return;
    const auto& ops = result_->lpu->decode.ops;
    double first = std::numeric_limits<double>::max(), last = 0;
    for (int r = firstVisibleRow(); r <= lastVisibleRow(); ++r)
        for (int op : rows_[std::size_t(r)].ops) {
            first = std::min(first, double(ops[std::size_t(op)].start));
            last = std::max(last, double(ops[std::size_t(op)].end));
        }
    if (last <= first) return;
    const double margin = (last - first) * 0.03;
    setTimeWindow(first - margin, last + margin);
}

void ScheduleGanttView::setRowHeight(int pixels) {
    const int top = firstVisibleRow();
    rowHeight_ = std::clamp(pixels, 2, 40);
    updateScrollBar();
    scrollBar_->setValue(top * rowHeight_);
    update();
}

void ScheduleGanttView::scrollToChip(int chip) {
    for (int r = 0; r < rowCount(); ++r) {
        if (rows_[static_cast<std::size_t>(r)].chip >= chip) {
            scrollBar_->setValue(r * rowHeight_);
            return;
        }
    }
}

std::size_t ScheduleGanttView::firstOpEndingAfter(const Row& row, double cycle) const {
    const auto& ops = result_->lpu->decode.ops;
    // Ops are sorted by start; none lasts longer than row.longestOp, so earlier ones end before `cycle`.
    const double from = cycle - row.longestOp;
    const auto it = std::lower_bound(row.ops.begin(), row.ops.end(), from, [&](int op, double t) {
        return double(ops[std::size_t(op)].start) < t;
    });
    return static_cast<std::size_t>(it - row.ops.begin());
}

int ScheduleGanttView::visibleOpCount() const {
    if (!result_ || !result_->lpu) return 0;
    const auto& ops = result_->lpu->decode.ops;
    int count = 0;
    for (int r = firstVisibleRow(); r <= lastVisibleRow(); ++r) {
        const auto& row = rows_[static_cast<std::size_t>(r)];
        for (std::size_t i = firstOpEndingAfter(row, t0_); i < row.ops.size(); ++i) {
            const auto& op = ops[static_cast<std::size_t>(row.ops[i])];
            if (double(op.start) >= t1_) break;
            if (double(op.end) > t0_) ++count;
        }
    }
    return count;
}

QRectF ScheduleGanttView::opRect(int opIndex) const {
    if (!result_ || !result_->lpu || opIndex < 0 || std::size_t(opIndex) >= rowOfOp_.size()) return {};
    const int row = rowOfOp_[std::size_t(opIndex)];
    if (row < firstVisibleRow() || row > lastVisibleRow()) return {};
    const auto& op = result_->lpu->decode.ops[std::size_t(opIndex)];
    const QRect area = plotArea();
    const double left = std::max<double>(area.left(), cycleToX(double(op.start)));
    const double right = std::min<double>(area.right(), cycleToX(double(op.end)));
    if (right < left) return {};
    const int top = rowTop(row);
    return QRectF(QPointF(left, top + 1), QPointF(std::max(right, left + 1), top + rowHeight_ - 2));
}

int ScheduleGanttView::opAt(const QPoint& position) const {
    if (!result_ || !result_->lpu || !plotArea().contains(position)) return -1;
    const int row = (position.y() - plotArea().top() + scrollBar_->value()) / rowHeight_;
    if (row < 0 || row >= rowCount()) return -1;
    const auto& ops = result_->lpu->decode.ops;
    const auto& r = rows_[std::size_t(row)];
    const double cycle = xToCycle(position.x());
    const double slack = 2.0 * (t1_ - t0_) / std::max(1, plotArea().width()); // two pixels
    int best = -1;
    double bestDistance = slack;
    for (std::size_t i = firstOpEndingAfter(r, cycle - slack); i < r.ops.size(); ++i) {
        const auto& op = ops[std::size_t(r.ops[i])];
        if (double(op.start) > cycle + slack) break;
        const double distance = cycle < double(op.start) ? double(op.start) - cycle
                                : cycle > double(op.end) ? cycle - double(op.end)
                                                         : 0.0;
        if (distance <= bestDistance) {
            // Inside beats near; among overlapping ops (one row per chip) the latest start wins.
            bestDistance = distance;
            best = r.ops[i];
        }
    }
    return best;
}

QString ScheduleGanttView::describeOp(int opIndex) const {
    if (!result_ || !result_->lpu || opIndex < 0 || std::size_t(opIndex) >= result_->lpu->decode.ops.size())
        return {};
    const auto& schedule = result_->lpu->decode;
    const auto& op = schedule.ops[std::size_t(opIndex)];
    const int modelLayers = static_cast<int>(result_->model.layers);
    QString text =
        QStringLiteral("<b>%1</b> &mdash; %2<br>").arg(QString::fromUtf8(op.label), displayName(op.kind));
    text += QStringLiteral("chip %1, unit %2%3, layer %4<br>")
                .arg(op.chip)
                .arg(unitText(op.unit))
                .arg(op.unit == sim::UnitKind::C2c ? QStringLiteral(" link %1").arg(op.unitIndex) : QString())
                .arg(layerName(op.layer, modelLayers));
    text += QStringLiteral("cycles %1 &rarr; %2: <b>%3 cycles</b> (%4 &micro;s)<br>")
                .arg(withThousands(double(op.start)), withThousands(double(op.end)),
                     withThousands(double(op.end - op.start)))
                .arg(schedule.cyclesToUs(op.end - op.start), 0, 'f', 2);
    if (op.readyAt > op.end)
        text += QStringLiteral("result usable at cycle %1 (pipeline or link latency)<br>")
                    .arg(withThousands(double(op.readyAt)));
    if (op.bytes > 0) text += QStringLiteral("data: %1<br>").arg(byteText(op.bytes));
    if (op.kind == sim::OpKind::Send && op.peerChip >= 0)
        text += QStringLiteral("to chip %1<br>").arg(op.peerChip);
    if (op.criticalPred >= 0) {
        const auto& pred = schedule.ops[std::size_t(op.criticalPred)];
        text += QStringLiteral("waited for: %1 on chip %2 %3<br>")
                    .arg(QString::fromUtf8(pred.label))
                    .arg(pred.chip)
                    .arg(unitText(pred.unit));
    }
    if (op.groupHead >= 0 && op.kind == sim::OpKind::MatMul)
        text += QStringLiteral("<i>streamed group paced by %1.</i> %2")
                    .arg(QString::fromLatin1(sim::boundKindName(op.binding).data(),
                                             qsizetype(sim::boundKindName(op.binding).size())),
                         explainBound(op.binding));
    return text;
}

QString ScheduleGanttView::rowLabel(const Row& row) const {
    if (row.unit < 0) return QStringLiteral("chip %1").arg(row.chip);
    const auto unit = static_cast<sim::UnitKind>(row.unit);
    return unit == sim::UnitKind::C2c ? QStringLiteral("C2C %1").arg(row.index) : unitText(unit);
}

void ScheduleGanttView::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    paintLegend(painter);
    if (!result_ || !result_->lpu) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter,
                         result_ ? tr("The Gantt chart shows an LPU's static schedule; pick an LPU hardware.")
                                 : tr("No simulation yet."));
        return;
    }
    const QRect area = plotArea();
    const int first = firstVisibleRow(), last = lastVisibleRow();
    paintLabels(painter, area, first, last);
    paintOps(painter, area, first, last);
    paintAxis(painter, area);
}

void ScheduleGanttView::paintLegend(QPainter& painter) {
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.9);
    painter.setFont(small);
    int x = 8;
    const int y = 5;
    for (auto kind : {sim::OpKind::WeightRead, sim::OpKind::KvWrite, sim::OpKind::Dequantize,
                      sim::OpKind::MatMul, sim::OpKind::Vector, sim::OpKind::LaneReduce, sim::OpKind::Send}) {
        painter.fillRect(QRect(x, y + 2, 12, 12), colorFor(kind));
        const QString name = displayName(kind);
        painter.setPen(palette().color(QPalette::Text));
        painter.drawText(QPoint(x + 16, y + 12), name);
        x += 16 + painter.fontMetrics().horizontalAdvance(name) + 14;
    }
    if (result_ && result_->lpu) {
        const auto& s = result_->lpu->decode;
        const QString info = tr("%1 ops on %2 chips, %3 cycles = %4 \u00b5s per decode step")
                                 .arg(s.ops.size())
                                 .arg(s.chips)
                                 .arg(withThousands(double(s.makespan)))
                                 .arg(s.cyclesToUs(s.makespan), 0, 'f', 1);
        const int w = painter.fontMetrics().horizontalAdvance(info);
        if (x + w + 8 < width()) {
            painter.setPen(palette().color(QPalette::PlaceholderText));
            painter.drawText(QPoint(width() - w - 8, y + 12), info);
        }
    }
}

void ScheduleGanttView::paintLabels(QPainter& painter, const QRect& area, int first, int last) {
    painter.save();
    painter.setClipRect(QRect(0, area.top(), width(), area.height()));
    QFont labelFont = font();
    labelFont.setPointSizeF(std::min(font().pointSizeF() * 0.9, rowHeight_ * 0.6));
    painter.setFont(labelFont);
    const QColor shade = palette().color(QPalette::AlternateBase);
    const QColor separator = palette().color(QPalette::Mid);
    const auto& partition = result_->lpu->partition;
    for (int r = first; r <= last; ++r) {
        const auto& row = rows_[std::size_t(r)];
        const int top = rowTop(r);
        const bool chipStart = r == 0 || rows_[std::size_t(r - 1)].chip != row.chip;
        if (row.chip % 2 == 1 && rowHeight_ >= 6)
            painter.fillRect(QRect(0, top, area.right(), rowHeight_), shade);
        if (chipStart && rowHeight_ >= 4 && !oneRowPerChip_) {
            painter.setPen(separator);
            painter.drawLine(0, top, area.right(), top);
        }
        if (rowHeight_ < 8) {
            // Rows too thin for a label each: a labelled tick every 50 chips.
            if (chipStart && row.chip % 50 == 0) {
                QFont tickFont = font();
                tickFont.setPointSizeF(font().pointSizeF() * 0.85);
                painter.setFont(tickFont);
                painter.setPen(palette().color(QPalette::Text));
                painter.drawLine(kLabelWidth - 8, top, kLabelWidth - 2, top);
                painter.drawText(QRect(6, std::max(top - 8, area.top()), kLabelWidth - 18, 16),
                                 Qt::AlignVCenter | Qt::AlignRight, QStringLiteral("chip %1").arg(row.chip));
                painter.setFont(labelFont);
            }
            continue;
        }
        painter.setPen(palette().color(QPalette::Text));
        if (oneRowPerChip_ || chipStart || r == first) {
            QString chipText = QStringLiteral("chip %1").arg(row.chip);
            const int stage = row.chip >= partition.headChips
                                  ? (row.chip - partition.headChips) / std::max(1, partition.tensorParallel)
                                  : -1;
            if (row.chip < partition.headChips)
                chipText += tr(" \u00b7 head");
            else if (stage < partition.stages)
                chipText += tr(" \u00b7 stage %1").arg(stage);
            painter.drawText(QRect(6, top, 96, rowHeight_), Qt::AlignVCenter | Qt::AlignLeft, chipText);
        }
        if (!oneRowPerChip_) {
            painter.setPen(palette().color(QPalette::PlaceholderText));
            painter.drawText(QRect(100, top, kLabelWidth - 106, rowHeight_),
                             Qt::AlignVCenter | Qt::AlignRight, rowLabel(row));
        }
    }
    painter.restore();
    painter.setPen(separator);
    painter.drawLine(kLabelWidth - 1, area.top(), kLabelWidth - 1, area.bottom());
}

void ScheduleGanttView::paintOps(QPainter& painter, const QRect& area, int first, int last) {
    painter.save();
    painter.setClipRect(area);
    painter.setRenderHint(QPainter::Antialiasing, false);
    const auto& ops = result_->lpu->decode.ops;
    QFont opFont = font();
    opFont.setPointSizeF(std::min(font().pointSizeF() * 0.85, rowHeight_ * 0.55));
    painter.setFont(opFont);
    const int inset = rowHeight_ >= 8 ? 2 : 0;
    for (int r = first; r <= last; ++r) {
        const auto& row = rows_[std::size_t(r)];
        const int top = rowTop(r) + inset;
        const int barHeight = std::max(1, rowHeight_ - 2 * inset);
        int lastPixel = std::numeric_limits<int>::min();
        for (std::size_t i = firstOpEndingAfter(row, t0_); i < row.ops.size(); ++i) {
            const int index = row.ops[i];
            const auto& op = ops[std::size_t(index)];
            if (double(op.start) >= t1_) break;
            if (double(op.end) <= t0_) continue;
            const double x0 = std::max<double>(area.left(), cycleToX(double(op.start)));
            const double x1 = std::min<double>(area.right() + 1, cycleToX(double(op.end)));
            const int left = static_cast<int>(std::floor(x0));
            const int right = std::max(left + 1, static_cast<int>(std::ceil(x1)));
            // Ops narrower than a pixel that land in an already painted column add nothing visible.
            if (right - left <= 1 && left <= lastPixel) continue;
            const QColor color = index == hoverOp_ ? colorFor(op.kind).darker(150) : colorFor(op.kind);
            painter.fillRect(QRect(left, top, right - left, barHeight), color);
            lastPixel = std::max(lastPixel, right - 1);
            if (right - left > 46 && rowHeight_ >= 12) {
                painter.setPen(Qt::white);
                painter.drawText(QRect(left + 3, top, right - left - 6, barHeight),
                                 Qt::AlignVCenter | Qt::AlignLeft,
                                 painter.fontMetrics().elidedText(QString::fromUtf8(op.label), Qt::ElideRight,
                                                                  right - left - 6));
            }
        }
    }
    painter.restore();
}

void ScheduleGanttView::paintAxis(QPainter& painter, const QRect& area) {
    const auto& schedule = result_->lpu->decode;
    const QRect axis(area.left(), kLegendHeight, area.width(), kAxisHeight);
    painter.fillRect(QRect(0, kLegendHeight, width(), kAxisHeight), palette().color(QPalette::Window));
    painter.setPen(palette().color(QPalette::Text));
    painter.drawText(QRect(6, kLegendHeight, kLabelWidth - 12, kAxisHeight), Qt::AlignVCenter | Qt::AlignLeft,
                     oneRowPerChip_ ? tr("chip") : tr("chip / unit"));
    const double usPerCycle = schedule.cyclesToUs(1'000'000) / 1e6;
    const double startUs = t0_ * usPerCycle, endUs = t1_ * usPerCycle;
    const double step = niceStep(endUs - startUs, area.width() / 110.0);
    const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step)));
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.85);
    painter.setFont(small);
    const QColor grid = palette().color(QPalette::Midlight);
    for (double t = std::ceil(startUs / step) * step; t <= endUs; t += step) {
        const double x = cycleToX(t / usPerCycle);
        painter.setPen(palette().color(QPalette::Text));
        painter.drawLine(QPointF(x, axis.bottom() - 4), QPointF(x, axis.bottom()));
        painter.drawText(QRectF(x - 50, axis.top(), 100, axis.height() - 5), Qt::AlignCenter,
                         QString::number(t, 'f', decimals) + QStringLiteral(" \u00b5s"));
        painter.setPen(QPen(grid, 0, Qt::DotLine));
        painter.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()));
    }
    painter.setPen(palette().color(QPalette::Mid));
    painter.drawLine(0, axis.bottom(), width(), axis.bottom());
}

void ScheduleGanttView::wheelEvent(QWheelEvent* event) {
    const double steps = event->angleDelta().y() / 120.0;
    if (steps == 0) return;
    if (event->modifiers() & Qt::ShiftModifier) {
        scrollBar_->setValue(scrollBar_->value() - static_cast<int>(steps * 3 * rowHeight_));
    } else if (event->modifiers() & Qt::ControlModifier) {
        setRowHeight(rowHeight_ + (steps > 0 ? 2 : -2));
    } else {
        zoomTime(std::pow(1.25, steps), event->position().x());
    }
    event->accept();
}

void ScheduleGanttView::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return QWidget::mousePressEvent(event);
    dragging_ = true;
    dragStart_ = event->position().toPoint();
    dragT0_ = t0_;
    dragScroll_ = scrollBar_->value();
    setCursor(Qt::ClosedHandCursor);
}

void ScheduleGanttView::mouseMoveEvent(QMouseEvent* event) {
    const QPoint pos = event->position().toPoint();
    if (dragging_) {
        const double cyclesPerPixel = (t1_ - t0_) / std::max(1, plotArea().width());
        const double span = t1_ - t0_;
        const double start = dragT0_ - (pos.x() - dragStart_.x()) * cyclesPerPixel;
        setTimeWindow(start, start + span);
        scrollBar_->setValue(dragScroll_ - (pos.y() - dragStart_.y()));
        return;
    }
    const int op = opAt(pos);
    if (op != hoverOp_) {
        hoverOp_ = op;
        update();
    }
    if (op < 0) {
        hoverText_.clear();
        QToolTip::hideText();
        return;
    }
    hoverText_ = describeOp(op);
    QToolTip::showText(event->globalPosition().toPoint(), hoverText_, this);
}

void ScheduleGanttView::mouseReleaseEvent(QMouseEvent* event) {
    if (event->button() == Qt::LeftButton && dragging_) {
        dragging_ = false;
        unsetCursor();
    }
}

void ScheduleGanttView::mouseDoubleClickEvent(QMouseEvent*) {
    showAll();
}

void ScheduleGanttView::leaveEvent(QEvent*) {
    if (hoverOp_ >= 0) {
        hoverOp_ = -1;
        update();
    }
}

bool ScheduleGanttView::savePng(const QString& path) {
    return saveWidgetPng(this, path);
}

} // namespace wb::simviews
