#pragma once
// A multi-page PDF of charts: one page per chart, vector-drawn (QCustomPlot through its own painter,
// custom widgets through their paint routine), each page with a title line.
#include <QString>

#include <functional>
#include <memory>

class QCustomPlot;
class QPainter;
class QRect;

namespace wb::ui::charts {

class ChartPdfWriter {
public:
    // Opens `path` for writing (A4 landscape). Check ok() before adding pages.
    explicit ChartPdfWriter(const QString& path, const QString& documentTitle);
    ~ChartPdfWriter();
    ChartPdfWriter(const ChartPdfWriter&) = delete;
    ChartPdfWriter& operator=(const ChartPdfWriter&) = delete;

    bool ok() const;
    void addPlotPage(const QString& title, QCustomPlot* plot);
    // `paint` draws into the given rectangle (logical pixels of a 1200-wide page).
    void addPaintedPage(const QString& title, const std::function<void(QPainter*, const QRect&)>& paint);
    // Finishes the file; returns false when it could not be written.
    bool finish();

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace wb::ui::charts
