#include "ui/charts/chart_style.h"

#include <qcustomplot.h>

#include <QLocale>
#include <array>
#include <cmath>

namespace wb::ui::charts {

using telemetry::OpKind;

QColor opColor(OpKind op) {
    switch (op) {
    case OpKind::Embedding:
        return QColor(0x8c, 0x8c, 0x8c);
    case OpKind::AttnNorm:
        return QColor(0x8c, 0xc0, 0x84);
    case OpKind::QProj:
        return QColor(0x1f, 0x4e, 0x8c);
    case OpKind::KProj:
        return QColor(0x3a, 0x6f, 0xb0);
    case OpKind::VProj:
        return QColor(0x6a, 0x98, 0xd0);
    case OpKind::Rope:
        return QColor(0x9e, 0xc5, 0xe8);
    case OpKind::Attention:
        return QColor(0x76, 0xb7, 0xb2);
    case OpKind::OProj:
        return QColor(0x2c, 0x8c, 0x8c);
    case OpKind::FfnNorm:
        return QColor(0x4f, 0x9a, 0x4a);
    case OpKind::FfnGate:
        return QColor(0xf2, 0x8e, 0x2b);
    case OpKind::FfnUp:
        return QColor(0xf5, 0xb8, 0x6a);
    case OpKind::FfnActivation:
        return QColor(0xed, 0xc9, 0x48);
    case OpKind::FfnDown:
        return QColor(0xd1, 0x4b, 0x4b);
    case OpKind::OutputNorm:
        return QColor(0xa8, 0xd5, 0x9c);
    case OpKind::OutputHead:
        return QColor(0x9c, 0x6a, 0xb0);
    case OpKind::Sampling:
        return QColor(0xc9, 0xa0, 0xdc);
    case OpKind::Other:
        return QColor(0xbb, 0xbb, 0xbb);
    }
    return Qt::gray;
}

QString opDisplayName(OpKind op) {
    static const std::array<const char*, telemetry::kOpKindCount> names{
        "Embedding", "Attn norm",   "Q proj",      "K proj",   "V proj", "RoPE",
        "Attention", "O proj",      "FFN norm",    "FFN gate", "FFN up", "SiLU × up",
        "FFN down",  "Output norm", "Output head", "Sampling", "Other"};
    const auto index = static_cast<std::size_t>(op);
    return index < names.size() ? QString::fromUtf8(names[index]) : QStringLiteral("?");
}

QString formatMs(double ms) {
    if (ms >= 1000) return QStringLiteral("%1 s").arg(ms / 1000, 0, 'f', 2);
    if (ms >= 100) return QStringLiteral("%1 ms").arg(ms, 0, 'f', 0);
    if (ms >= 10) return QStringLiteral("%1 ms").arg(ms, 0, 'f', 1);
    if (ms >= 1) return QStringLiteral("%1 ms").arg(ms, 0, 'f', 2);
    if (ms >= 0.01) return QStringLiteral("%1 ms").arg(ms, 0, 'f', 3);
    return QStringLiteral("%1 µs").arg(ms * 1000, 0, 'f', 2);
}

QString formatBytes(std::uint64_t n) {
    const double value = static_cast<double>(n);
    if (n < 1024) return QStringLiteral("%1 B").arg(n);
    if (value < 1024.0 * 1024) return QStringLiteral("%1 KiB").arg(value / 1024, 0, 'f', 1);
    if (value < 1024.0 * 1024 * 1024) return QStringLiteral("%1 MiB").arg(value / (1024.0 * 1024), 0, 'f', 2);
    return QStringLiteral("%1 GiB").arg(value / (1024.0 * 1024 * 1024), 0, 'f', 2);
}

QString formatRate(double perSecond) {
    if (perSecond >= 100) {
        QLocale locale(QLocale::English);
        locale.setNumberOptions(QLocale::DefaultNumberOptions);
        return locale.toString(std::round(perSecond), 'f', 0).replace(QLatin1Char(','), QChar(0x2009));
    }
    if (perSecond >= 10) return QString::number(perSecond, 'f', 1);
    return QString::number(perSecond, 'f', 2);
}

QFont titleFont() {
    QFont font;
    font.setPointSizeF(font.pointSizeF() * 1.05);
    font.setBold(true);
    return font;
}

void applyPlotStyle(QCustomPlot* plot) {
    plot->setBackground(Qt::white);
    plot->setNotAntialiasedElements(QCP::aePlottables | QCP::aeGrid | QCP::aeAxes);
    plot->setAntialiasedElements(QCP::aeItems | QCP::aeLegend);
    plot->setNoAntialiasingOnDrag(true);
    plot->setPlottingHint(QCP::phFastPolylines, true);
    QFont tickFont = plot->font();
    tickFont.setPointSizeF(tickFont.pointSizeF() * 0.85);
    const QPen gridPen(QColor(0xe4, 0xe4, 0xe4), 0, Qt::SolidLine);
    const QPen axisPen(QColor(0x90, 0x90, 0x90));
    for (QCPAxisRect* rect : plot->axisRects()) {
        for (QCPAxis* axis : rect->axes()) {
            axis->setTickLabelFont(tickFont);
            axis->setBasePen(axisPen);
            axis->setTickPen(axisPen);
            axis->setSubTickPen(axisPen);
            axis->setTickLabelColor(QColor(0x40, 0x40, 0x40));
            axis->setLabelColor(QColor(0x30, 0x30, 0x30));
            axis->grid()->setPen(gridPen);
            axis->grid()->setSubGridVisible(false);
        }
    }
}

} // namespace wb::ui::charts
