#pragma once
// Gantt chart of the last passes' operations, one lane per worker thread, painted with QPainter. Only
// spans inside the visible time window are visited (binary search per lane) and spans narrower than a
// pixel collapse into one pixel column, so long traces stay smooth.
// Wheel: zoom around the cursor; drag: pan; W/S zoom, A/D pan (Tracy/Perfetto keys); double-click or F:
// fit and follow the live data again. Hovering a span shows what it is.
#include "engine/telemetry/run_aggregator.h"

#include <QString>
#include <QWidget>

class QPainter;

namespace wb::ui::charts {

class TimelineView : public QWidget {
    Q_OBJECT
public:
    explicit TimelineView(QWidget* parent = nullptr);

    // New data. While following (the default, and after fitAll()) the view fits the whole timeline.
    void setTimeline(telemetry::Timeline timeline);
    void clear();
    const telemetry::Timeline& timeline() const { return timeline_; }

    // Visible window in ns since timeline().originNs.
    double visibleStartNs() const { return viewStartAbs_ - static_cast<double>(timeline_.originNs); }
    double visibleEndNs() const { return viewEndAbs_ - static_cast<double>(timeline_.originNs); }
    void setVisibleRange(double startNs, double endNs); // stops following
    // factor > 1 zooms in, keeping the time under widget x `anchorX` in place.
    void zoomBy(double factor, double anchorX);
    void panByPixels(double dx);
    void fitAll(); // and follow
    bool following() const { return following_; }

    int laneCount() const { return static_cast<int>(timeline_.lanes.size()); }
    // Spans that intersect the visible window (what a paint visits).
    int visibleSpanCount() const;
    int lastPaintedSpanCount() const { return lastPainted_; }
    // The span under a widget position: lane and index, or {-1, -1}.
    std::pair<int, int> spanAt(const QPoint& position) const;
    QString describeSpan(int lane, int index) const;
    double xForNs(double ns) const;  // widget x of a time since origin
    int laneCenterY(int lane) const; // widget y of a lane's middle

    // Paints the chart into `target` (also used for PDF pages); returns the spans drawn.
    int render(QPainter* painter, const QRect& target) const;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return {300, 110}; }

protected:
    void paintEvent(QPaintEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    struct Geometry {
        QRect plot;     // spans area
        int laneHeight; // pixels per lane
        int axisTop;    // time axis band above the lanes
    };
    Geometry geometryFor(const QRect& target) const;
    // Index range [first, last) of a lane's spans intersecting [startAbs, endAbs].
    std::pair<std::size_t, std::size_t> visibleRange(const telemetry::TimelineLane& lane, double start,
                                                     double end) const;
    void clampView();

    telemetry::Timeline timeline_;
    double viewStartAbs_ = 0; // steady-clock ns, so the view stays put while the origin moves
    double viewEndAbs_ = 1;
    bool following_ = true;
    bool dragging_ = false;
    QPoint dragStart_;
    double dragViewStart_ = 0;
    double dragViewEnd_ = 0;
    mutable int lastPainted_ = 0;
};

} // namespace wb::ui::charts
