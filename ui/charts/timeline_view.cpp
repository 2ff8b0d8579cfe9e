#include "ui/charts/timeline_view.h"

#include "ui/charts/chart_style.h"

#include <QKeyEvent>
#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

namespace wb::ui::charts {

namespace {
constexpr int kGutter = 78;   // lane labels
constexpr int kPassBand = 18; // pass labels
constexpr int kAxisBand = 18; // time ticks
constexpr int kBottomMargin = 4;
constexpr int kRightMargin = 8;
constexpr int kMinLaneHeight = 18;
constexpr int kMaxLaneHeight = 48;
constexpr double kMinWindowNs = 200; // zoom limit
constexpr double kWheelStep = 1.25;

// 1-2-5 steps so that ticks are at least `minPixels` apart.
double niceStep(double rangeNs, double pixels, double minPixels) {
    const double raw = rangeNs * minPixels / std::max(pixels, 1.0);
    const double magnitude = std::pow(10.0, std::floor(std::log10(std::max(raw, 1e-9))));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * magnitude >= raw) return m * magnitude;
    return 10 * magnitude;
}

QString formatTickNs(double ns, double step) {
    if (step >= 1e6) return QStringLiteral("%1 ms").arg(ns / 1e6, 0, 'f', step >= 1e7 ? 0 : 1);
    if (step >= 1e3)
        return QStringLiteral("%1 ms").arg(ns / 1e6, 0, 'f', step >= 1e5 ? 1 : (step >= 1e4 ? 2 : 3));
    return QStringLiteral("%1 µs").arg(ns / 1e3, 0, 'f', step >= 100 ? 1 : 2);
}
} // namespace

TimelineView::TimelineView(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("timelineView"));
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setToolTip({});
}

QSize TimelineView::sizeHint() const {
    const int lanes = std::max(1, laneCount());
    return {900, kPassBand + kAxisBand + kBottomMargin + lanes * 28 + 8};
}

void TimelineView::clear() {
    timeline_ = {};
    following_ = true;
    viewStartAbs_ = 0;
    viewEndAbs_ = 1;
    update();
}

void TimelineView::setTimeline(telemetry::Timeline timeline) {
    const bool lanesChanged = timeline.lanes.size() != timeline_.lanes.size();
    timeline_ = std::move(timeline);
    if (following_) {
        const double origin = static_cast<double>(timeline_.originNs);
        const double span = std::max(1.0, static_cast<double>(timeline_.spanNs));
        viewStartAbs_ = origin - span * 0.005;
        viewEndAbs_ = origin + span * 1.005;
    }
    if (lanesChanged) updateGeometry();
    update();
}

void TimelineView::setVisibleRange(double startNs, double endNs) {
    const double origin = static_cast<double>(timeline_.originNs);
    viewStartAbs_ = origin + std::min(startNs, endNs);
    viewEndAbs_ = origin + std::max(endNs, startNs);
    following_ = false;
    clampView();
    update();
}

void TimelineView::clampView() {
    if (viewEndAbs_ - viewStartAbs_ < kMinWindowNs) {
        const double middle = (viewStartAbs_ + viewEndAbs_) / 2;
        viewStartAbs_ = middle - kMinWindowNs / 2;
        viewEndAbs_ = middle + kMinWindowNs / 2;
    }
}

TimelineView::Geometry TimelineView::geometryFor(const QRect& target) const {
    Geometry g;
    g.axisTop = target.top() + kPassBand;
    const int top = g.axisTop + kAxisBand;
    const int available = target.bottom() - kBottomMargin - top;
    const int lanes = std::max(1, laneCount());
    g.laneHeight = std::clamp(available / lanes, kMinLaneHeight, kMaxLaneHeight);
    g.plot = QRect(target.left() + kGutter, top, std::max(10, target.width() - kGutter - kRightMargin),
                   g.laneHeight * lanes);
    return g;
}

double TimelineView::xForNs(double ns) const {
    const Geometry g = geometryFor(rect());
    const double abs = static_cast<double>(timeline_.originNs) + ns;
    return g.plot.left() + (abs - viewStartAbs_) / (viewEndAbs_ - viewStartAbs_) * g.plot.width();
}

int TimelineView::laneCenterY(int lane) const {
    const Geometry g = geometryFor(rect());
    return g.plot.top() + lane * g.laneHeight + g.laneHeight / 2;
}

std::pair<std::size_t, std::size_t> TimelineView::visibleRange(const telemetry::TimelineLane& lane,
                                                               double start, double end) const {
    // Spans are sorted by start; one that begins up to maxDurationNs before the window may reach into it.
    const double origin = static_cast<double>(timeline_.originNs);
    const double from = start - origin - static_cast<double>(lane.maxDurationNs);
    const double to = end - origin;
    const auto first = std::lower_bound(
        lane.spans.begin(), lane.spans.end(), from,
        [](const telemetry::TimelineSpan& s, double t) { return static_cast<double>(s.startNs) < t; });
    const auto last =
        std::upper_bound(first, lane.spans.end(), to, [](double t, const telemetry::TimelineSpan& s) {
            return t < static_cast<double>(s.startNs);
        });
    return {static_cast<std::size_t>(first - lane.spans.begin()),
            static_cast<std::size_t>(last - lane.spans.begin())};
}

int TimelineView::visibleSpanCount() const {
    const double origin = static_cast<double>(timeline_.originNs);
    int count = 0;
    for (const auto& lane : timeline_.lanes) {
        const auto [first, last] = visibleRange(lane, viewStartAbs_, viewEndAbs_);
        for (std::size_t k = first; k < last; ++k)
            if (origin + static_cast<double>(lane.spans[k].endNs()) >= viewStartAbs_) ++count;
    }
    return count;
}

int TimelineView::render(QPainter* painter, const QRect& target) const {
    const Geometry g = geometryFor(target);
    const double origin = static_cast<double>(timeline_.originNs);
    const double window = viewEndAbs_ - viewStartAbs_;
    const auto xOf = [&](double abs) {
        return g.plot.left() + (abs - viewStartAbs_) / window * g.plot.width();
    };

    painter->save();
    painter->fillRect(target, Qt::white);
    painter->setRenderHint(QPainter::Antialiasing, false);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    painter->setFont(small);
    const QFontMetrics metrics(small);

    if (timeline_.lanes.empty()) {
        painter->setPen(QColor(0x80, 0x80, 0x80));
        painter->drawText(target, Qt::AlignCenter, tr("The operations of the last tokens appear here."));
        painter->restore();
        return 0;
    }

    // Pass bands: alternating shades behind the lanes, labels above.
    painter->setClipRect(QRect(g.plot.left(), target.top(), g.plot.width(), target.height()));
    for (std::size_t k = 0; k < timeline_.passes.size(); ++k) {
        const auto& pass = timeline_.passes[k];
        const double x0 = xOf(origin + static_cast<double>(pass.startNs));
        const double x1 = xOf(origin + static_cast<double>(pass.endNs));
        if (x1 < g.plot.left() || x0 > g.plot.right()) continue;
        const QRectF band(x0, g.plot.top(), std::max(1.0, x1 - x0), g.plot.height());
        painter->fillRect(band, k % 2 == 0 ? QColor(0xf6, 0xf7, 0xf9) : QColor(0xee, 0xf0, 0xf4));
        const QString label = pass.isPrompt ? tr("prompt") : tr("token %1").arg(pass.generatedIndex);
        const QRectF labelRect(x0 + 3, target.top(), std::max(0.0, x1 - x0 - 6), kPassBand);
        if (labelRect.width() > metrics.horizontalAdvance(label)) {
            painter->setPen(QColor(0x50, 0x50, 0x50));
            painter->drawText(labelRect, Qt::AlignLeft | Qt::AlignVCenter, label);
        }
        painter->setPen(QPen(QColor(0xc8, 0xcc, 0xd4), 1));
        painter->drawLine(QPointF(x0, target.top() + 2), QPointF(x0, g.plot.bottom()));
    }

    // Time axis.
    const double step = niceStep(window, g.plot.width(), 90);
    const double firstTick = std::ceil((viewStartAbs_ - origin) / step) * step;
    painter->setPen(QColor(0x60, 0x60, 0x60));
    for (double t = firstTick; origin + t <= viewEndAbs_; t += step) {
        const double x = xOf(origin + t);
        painter->drawLine(QPointF(x, g.axisTop + kAxisBand - 5), QPointF(x, g.axisTop + kAxisBand));
        painter->drawText(QRectF(x + 3, g.axisTop, 120, kAxisBand - 2), Qt::AlignLeft | Qt::AlignVCenter,
                          formatTickNs(t, step));
    }
    painter->setPen(QColor(0xb0, 0xb0, 0xb0));
    painter->drawLine(g.plot.left(), g.axisTop + kAxisBand, g.plot.right(), g.axisTop + kAxisBand);

    // Spans.
    int painted = 0;
    for (int laneIndex = 0; laneIndex < laneCount(); ++laneIndex) {
        const auto& lane = timeline_.lanes[static_cast<std::size_t>(laneIndex)];
        const int top = g.plot.top() + laneIndex * g.laneHeight;
        const int inset = std::max(2, g.laneHeight / 8);
        const QRectF laneBox(g.plot.left(), top + inset, g.plot.width(), g.laneHeight - 2 * inset);
        const auto [first, last] = visibleRange(lane, viewStartAbs_, viewEndAbs_);
        int lastColumn = INT32_MIN;
        for (std::size_t k = first; k < last; ++k) {
            const auto& span = lane.spans[k];
            const double x0 = xOf(origin + static_cast<double>(span.startNs));
            const double x1 = xOf(origin + static_cast<double>(span.endNs()));
            if (x1 < g.plot.left()) continue;
            const QColor color = opColor(span.op);
            if (x1 - x0 < 1.5) {
                // Sub-pixel spans: one column each, the first span in a column wins.
                const int column = static_cast<int>(std::floor(x0));
                if (column == lastColumn) continue;
                lastColumn = column;
                painter->fillRect(QRectF(column, laneBox.top(), 1, laneBox.height()), color);
            } else {
                const QRectF box(x0, laneBox.top(), x1 - x0, laneBox.height());
                painter->fillRect(box, color);
                if (box.width() > 4) {
                    painter->setPen(QColor(255, 255, 255));
                    painter->drawLine(box.topLeft(), box.bottomLeft());
                }
                const QString text =
                    span.layer >= 0 ? QStringLiteral("L%1 %2").arg(span.layer).arg(opDisplayName(span.op))
                                    : opDisplayName(span.op);
                if (box.width() > metrics.horizontalAdvance(text) + 6) {
                    painter->setPen(color.lightness() > 150 ? QColor(0x20, 0x20, 0x20) : QColor(Qt::white));
                    painter->drawText(box.adjusted(3, 0, -2, 0), Qt::AlignLeft | Qt::AlignVCenter, text);
                }
            }
            ++painted;
        }
    }
    painter->setClipping(false);

    // Lane labels and separators.
    for (int laneIndex = 0; laneIndex < laneCount(); ++laneIndex) {
        const int top = g.plot.top() + laneIndex * g.laneHeight;
        painter->setPen(QColor(0x30, 0x30, 0x30));
        painter->drawText(QRect(target.left() + 6, top, kGutter - 10, g.laneHeight),
                          Qt::AlignLeft | Qt::AlignVCenter,
                          tr("thread %1").arg(timeline_.lanes[static_cast<std::size_t>(laneIndex)].thread));
        painter->setPen(QColor(0xe0, 0xe0, 0xe0));
        painter->drawLine(target.left(), top + g.laneHeight, g.plot.right(), top + g.laneHeight);
    }
    painter->restore();
    return painted;
}

void TimelineView::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    lastPainted_ = render(&painter, rect());
    if (!following_) {
        painter.setPen(QColor(0x80, 0x80, 0x80));
        QFont small = font();
        small.setPointSizeF(small.pointSizeF() * 0.8);
        painter.setFont(small);
        painter.drawText(rect().adjusted(0, 0, -kRightMargin, 0), Qt::AlignRight | Qt::AlignTop,
                         tr("paused — double-click to follow"));
    }
}

void TimelineView::zoomBy(double factor, double anchorX) {
    if (factor <= 0) return;
    const Geometry g = geometryFor(rect());
    const double ratio = std::clamp((anchorX - g.plot.left()) / std::max(1, g.plot.width()), 0.0, 1.0);
    const double anchor = viewStartAbs_ + ratio * (viewEndAbs_ - viewStartAbs_);
    const double width = (viewEndAbs_ - viewStartAbs_) / factor;
    viewStartAbs_ = anchor - ratio * width;
    viewEndAbs_ = viewStartAbs_ + width;
    following_ = false;
    clampView();
    update();
}

void TimelineView::panByPixels(double dx) {
    const Geometry g = geometryFor(rect());
    const double shift = dx / std::max(1, g.plot.width()) * (viewEndAbs_ - viewStartAbs_);
    viewStartAbs_ -= shift;
    viewEndAbs_ -= shift;
    following_ = false;
    update();
}

void TimelineView::fitAll() {
    following_ = true;
    setTimeline(std::move(timeline_));
}

std::pair<int, int> TimelineView::spanAt(const QPoint& position) const {
    const Geometry g = geometryFor(rect());
    if (!g.plot.contains(position) || laneCount() == 0) return {-1, -1};
    const int lane = (position.y() - g.plot.top()) / g.laneHeight;
    if (lane < 0 || lane >= laneCount()) return {-1, -1};
    const double nsPerPixel = (viewEndAbs_ - viewStartAbs_) / std::max(1, g.plot.width());
    const double at = viewStartAbs_ + (position.x() - g.plot.left()) * nsPerPixel;
    const auto& spans = timeline_.lanes[static_cast<std::size_t>(lane)];
    const auto [first, last] = visibleRange(spans, at - 2 * nsPerPixel, at + 2 * nsPerPixel);
    const double origin = static_cast<double>(timeline_.originNs);
    int best = -1;
    double bestDistance = 2 * nsPerPixel;
    for (std::size_t k = first; k < last; ++k) {
        const double s = origin + static_cast<double>(spans.spans[k].startNs);
        const double e = origin + static_cast<double>(spans.spans[k].endNs());
        const double distance = at < s ? s - at : (at > e ? at - e : 0);
        if (distance <= bestDistance) {
            bestDistance = distance;
            best = static_cast<int>(k);
            if (distance == 0) break;
        }
    }
    return best < 0 ? std::pair{-1, -1} : std::pair{lane, best};
}

QString TimelineView::describeSpan(int lane, int index) const {
    if (lane < 0 || lane >= laneCount()) return {};
    const auto& spans = timeline_.lanes[static_cast<std::size_t>(lane)].spans;
    if (index < 0 || index >= static_cast<int>(spans.size())) return {};
    const auto& span = spans[static_cast<std::size_t>(index)];
    QString pass = tr("pass %1").arg(span.passIndex);
    for (const auto& p : timeline_.passes)
        if (p.passIndex == span.passIndex)
            pass =
                p.isPrompt ? tr("prompt pass %1").arg(span.passIndex) : tr("token %1").arg(p.generatedIndex);
    const QString where = span.layer >= 0 ? tr("layer %1").arg(span.layer) : tr("outside the blocks");
    return tr("<b>%1</b> · %2<br>%3 · thread %4<br>%5 · start +%6<br>%7 read · %8 FLOPs")
        .arg(opDisplayName(span.op), where, pass)
        .arg(timeline_.lanes[static_cast<std::size_t>(lane)].thread)
        .arg(formatMs(static_cast<double>(span.durationNs) / 1e6),
             formatMs(static_cast<double>(span.startNs) / 1e6), formatBytes(span.bytes),
             QLocale(QLocale::English).toString(static_cast<qulonglong>(span.flops)));
}

void TimelineView::wheelEvent(QWheelEvent* event) {
    const double steps = event->angleDelta().y() / 120.0;
    if (steps == 0) return;
    zoomBy(std::pow(kWheelStep, steps), event->position().x());
    event->accept();
}

void TimelineView::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    dragging_ = true;
    dragStart_ = event->pos();
    dragViewStart_ = viewStartAbs_;
    dragViewEnd_ = viewEndAbs_;
    setCursor(Qt::ClosedHandCursor);
}

void TimelineView::mouseMoveEvent(QMouseEvent* event) {
    if (dragging_) {
        viewStartAbs_ = dragViewStart_;
        viewEndAbs_ = dragViewEnd_;
        panByPixels(event->pos().x() - dragStart_.x());
        return;
    }
    const auto [lane, index] = spanAt(event->pos());
    if (lane >= 0)
        QToolTip::showText(event->globalPosition().toPoint(), describeSpan(lane, index), this);
    else
        QToolTip::hideText();
}

void TimelineView::mouseReleaseEvent(QMouseEvent*) {
    dragging_ = false;
    unsetCursor();
}

void TimelineView::mouseDoubleClickEvent(QMouseEvent*) {
    fitAll();
}

void TimelineView::keyPressEvent(QKeyEvent* event) {
    const double middle = geometryFor(rect()).plot.center().x();
    switch (event->key()) {
    case Qt::Key_W:
        zoomBy(kWheelStep, middle);
        break;
    case Qt::Key_S:
        zoomBy(1 / kWheelStep, middle);
        break;
    case Qt::Key_A:
        panByPixels(width() / 10.0);
        break;
    case Qt::Key_D:
        panByPixels(-width() / 10.0);
        break;
    case Qt::Key_F:
        fitAll();
        break;
    default:
        QWidget::keyPressEvent(event);
        return;
    }
}

void TimelineView::leaveEvent(QEvent*) {
    QToolTip::hideText();
}

} // namespace wb::ui::charts
