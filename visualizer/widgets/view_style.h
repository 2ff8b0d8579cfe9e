#pragma once
// Shared look of the simulator views: one colour per op kind, bound kind and SRAM content, the teaching
// texts behind the tooltips, and "Save as PNG" for every view.
#include "visualizer/core/schedule.h"
#include "visualizer/core/simulation.h"

#include <QColor>
#include <QString>

class QWidget;

namespace wb::simviews {

QColor colorFor(sim::OpKind kind);
QColor colorFor(sim::BoundKind kind);
QColor colorFor(sim::SliceContent content);
// Roofline per-layer bounds ("memory", "compute") and LPU bound names ("VXM", "dependency chain").
QColor colorForBoundName(const QString& bound);

QString displayName(sim::OpKind kind);
QString displayName(sim::SliceContent content);
// One or two sentences on what a bound means, for tooltips.
QString explainBound(sim::BoundKind kind);
QString explainBoundName(const QString& bound);
// Why SRAM-resident weights make LPU decode fast.
QString explainSramResidency();

// "embed", "output" or the layer number.
QString layerName(int layer, int modelLayers);

// Display texts of the numbers the views show (shared so tests compare like with like).
QString formatMilliseconds(double ms); // "2.89 ms", "4.76 s"
QString formatRate(double perSecond);  // "346", "35.9", "0.21"
QString formatJoules(double joules);   // "499 J", "19.5 J", "0.42 J"
QString formatDollars(double dollars); // "$462", "$19.36", "$0.041"
QString formatCount(double value);     // "30 808" with thin-space thousands

// Adds a context menu with "Save image as PNG..." to `widget` (which must not use its own context menu).
void addPngExportMenu(QWidget* widget);
// Grabs `widget` and writes a PNG. Returns false (and leaves no file) when writing fails.
bool saveWidgetPng(QWidget* widget, const QString& path);

} // namespace wb::simviews
