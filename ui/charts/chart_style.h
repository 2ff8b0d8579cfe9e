#pragma once
// The shared look of the live performance charts: one colour per operation (attention family in blues,
// feed-forward in oranges/reds, norms in greens), display names, number texts and the common plot setup.
#include "engine/telemetry/op_kind.h"

#include <QColor>
#include <QFont>
#include <QString>

#include <cstdint>

class QCustomPlot;

namespace wb::ui::charts {

QColor opColor(telemetry::OpKind op);
// "Q proj", "FFN down", "Sampling" ...
QString opDisplayName(telemetry::OpKind op);

QString formatMs(double ms);          // "0.412 ms", "12.3 ms", "1.25 s"
QString formatBytes(std::uint64_t n); // "812 B", "1.13 MiB", "2.50 GiB"
QString formatRate(double perSecond); // "1 234", "35.9", "0.21"

// Series colours shared by the charts and their legends.
namespace series {
inline const QColor kLatency{0x33, 0x66, 0xaa};
inline const QColor kRate{0xe0, 0x7b, 0x1a};
inline const QColor kTtft{0xc0, 0x39, 0x2b};
inline const QColor kRss{0x55, 0x55, 0x55};
inline const QColor kWeights{0x4e, 0x79, 0xa7};
inline const QColor kKvAllocated{0xf2, 0x8e, 0x2b};
inline const QColor kKvUsed{0xc8, 0x5a, 0x00};
} // namespace series

QFont titleFont();
// White background, light grid, no antialiasing on data (dense graphs), small tick labels.
void applyPlotStyle(QCustomPlot* plot);

} // namespace wb::ui::charts
