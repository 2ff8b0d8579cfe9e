#pragma once
// The decode step's static schedule as a zoomable Gantt chart, in the spirit of Groq's GroqView: one row
// per functional unit (MEM, VXM, MXM, SXM, each used C2C link), rows grouped by chip. Painted directly
// with QPainter: only ops inside the visible time window and rows are visited, and ops narrower than a
// pixel share one pixel column, so tens of thousands of ops stay smooth.
// Wheel: zoom time around the cursor; Shift+wheel: scroll rows; Ctrl+wheel: row height; drag: pan;
// double-click: show everything. Hovering an op shows what it is, where and when.
#include "visualizer/widgets/simulation_runner.h"

#include <QString>
#include <QWidget>
#include <vector>

class QScrollBar;

namespace wb::simviews {

class ScheduleGanttView : public QWidget {
    Q_OBJECT
public:
    explicit ScheduleGanttView(QWidget* parent = nullptr);

    void setResult(SharedResult result);
    // One row per chip (all its units overlaid) instead of one row per unit: the token's wavefront.
    void setOneRowPerChip(bool oneRow);
    bool oneRowPerChip() const { return oneRowPerChip_; }

    // Time window in cycles of the decode pass.
    void setTimeWindow(double startCycle, double endCycle);
    double windowStart() const { return t0_; }
    double windowEnd() const { return t1_; }
    // factor > 1 zooms in, keeping the cycle under widget x-coordinate `anchorX` in place.
    void zoomTime(double factor, double anchorX);
    void showAll();
    // Time window = the span of the ops in the rows now on screen.
    void fitVisibleRows();
    void setRowHeight(int pixels);
    int rowHeight() const { return rowHeight_; }
    void scrollToChip(int chip);

    int rowCount() const { return static_cast<int>(rows_.size()); }
    // Ops that intersect the visible time window in the visible rows.
    int visibleOpCount() const;
    // Where an op is drawn (widget coordinates); empty when its row is hidden or scrolled away.
    QRectF opRect(int opIndex) const;
    // The op under a widget position, or -1.
    int opAt(const QPoint& position) const;
    // Tooltip text of an op (rich text).
    QString describeOp(int opIndex) const;
    QString hoverText() const { return hoverText_; }

    bool savePng(const QString& path);
    QSize sizeHint() const override { return {900, 520}; }
    QSize minimumSizeHint() const override { return {300, 160}; }

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    struct Row {
        int chip = 0;
        int unit = 0;         // UnitKind, or -1 for a whole-chip row
        int index = 0;        // C2C link
        std::vector<int> ops; // by start cycle
        double longestOp = 0; // cycles, bounds the search back from the window start
    };

    void rebuildRows();
    void updateScrollBar();
    QRect plotArea() const;
    double cycleToX(double cycle) const;
    double xToCycle(double x) const;
    int firstVisibleRow() const;
    int lastVisibleRow() const;
    int rowTop(int row) const;
    // Index into row.ops of the first op that may end after `cycle`.
    std::size_t firstOpEndingAfter(const Row& row, double cycle) const;
    QString rowLabel(const Row& row) const;
    void paintAxis(QPainter& painter, const QRect& area);
    void paintLegend(QPainter& painter);
    void paintLabels(QPainter& painter, const QRect& area, int first, int last);
    void paintOps(QPainter& painter, const QRect& area, int first, int last);

    SharedResult result_;
    std::vector<Row> rows_;
    std::vector<int> rowOfOp_;
    bool oneRowPerChip_ = false;
    double t0_ = 0, t1_ = 1;
    int rowHeight_ = 15;
    QScrollBar* scrollBar_ = nullptr;
    QPoint dragStart_;
    double dragT0_ = 0;
    int dragScroll_ = 0;
    bool dragging_ = false;
    QString hoverText_;
    int hoverOp_ = -1;
};

} // namespace wb::simviews
