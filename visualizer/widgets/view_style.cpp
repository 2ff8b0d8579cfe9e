#include "visualizer/widgets/view_style.h"

#include <QAction>
#include <QFileDialog>
#include <QMenu>
#include <QPixmap>
#include <QWidget>
#include <algorithm>
#include <cmath>

namespace wb::simviews {

QColor colorFor(sim::OpKind kind) {
    switch (kind) {
    case sim::OpKind::WeightRead:
        return QColor(0x4e, 0x79, 0xa7); // blue: SRAM streams
    case sim::OpKind::KvWrite:
        return QColor(0x76, 0xb7, 0xb2); // teal
    case sim::OpKind::Dequantize:
        return QColor(0xf2, 0x8e, 0x2b); // orange: conversion on the VXM
    case sim::OpKind::MatMul:
        return QColor(0xe1, 0x57, 0x59); // red: MXM
    case sim::OpKind::Vector:
        return QColor(0x59, 0xa1, 0x4f); // green: VXM element-wise
    case sim::OpKind::LaneReduce:
        return QColor(0xed, 0xc9, 0x48); // yellow: SXM
    case sim::OpKind::Send:
        return QColor(0xb0, 0x7a, 0xa1); // purple: chip-to-chip
    }
    return Qt::gray;
}

QColor colorFor(sim::BoundKind kind) {
    switch (kind) {
    case sim::BoundKind::Mxm:
        return QColor(0xe1, 0x57, 0x59);
    case sim::BoundKind::Vxm:
        return QColor(0xf2, 0x8e, 0x2b);
    case sim::BoundKind::Mem:
        return QColor(0x4e, 0x79, 0xa7);
    case sim::BoundKind::Sxm:
        return QColor(0xed, 0xc9, 0x48);
    case sim::BoundKind::C2c:
        return QColor(0xb0, 0x7a, 0xa1);
    case sim::BoundKind::Dependency:
        return QColor(0x9c, 0x9c, 0x9c);
    }
    return Qt::gray;
}

QColor colorFor(sim::SliceContent content) {
    switch (content) {
    case sim::SliceContent::Free:
        return QColor(0xec, 0xec, 0xec);
    case sim::SliceContent::Instructions:
        return QColor(0x7f, 0x7f, 0x9f);
    case sim::SliceContent::Weights:
        return QColor(0x4e, 0x79, 0xa7);
    case sim::SliceContent::KvCache:
        return QColor(0xf2, 0x8e, 0x2b);
    case sim::SliceContent::Activations:
        return QColor(0x59, 0xa1, 0x4f);
    }
    return Qt::gray;
}

QColor colorForBoundName(const QString& bound) {
    if (bound.startsWith(QLatin1String("memory"))) return QColor(0x4e, 0x79, 0xa7);
    if (bound == QLatin1String("compute")) return QColor(0xe1, 0x57, 0x59);
    for (int k = 0; k < sim::kBoundKinds; ++k) {
        const auto kind = static_cast<sim::BoundKind>(k);
        if (bound ==
            QString::fromUtf8(sim::boundKindName(kind).data(), qsizetype(sim::boundKindName(kind).size())))
            return colorFor(kind);
    }
    return Qt::gray;
}

QString displayName(sim::OpKind kind) {
    switch (kind) {
    case sim::OpKind::WeightRead:
        return QStringLiteral("SRAM read (MEM)");
    case sim::OpKind::KvWrite:
        return QStringLiteral("KV write (MEM)");
    case sim::OpKind::Dequantize:
        return QStringLiteral("weight conversion (VXM)");
    case sim::OpKind::MatMul:
        return QStringLiteral("matmul (MXM)");
    case sim::OpKind::Vector:
        return QStringLiteral("vector op (VXM)");
    case sim::OpKind::LaneReduce:
        return QStringLiteral("lane reduce (SXM)");
    case sim::OpKind::Send:
        return QStringLiteral("chip-to-chip send (C2C)");
    }
    return QStringLiteral("?");
}

QString displayName(sim::SliceContent content) {
    switch (content) {
    case sim::SliceContent::Free:
        return QStringLiteral("free");
    case sim::SliceContent::Instructions:
        return QStringLiteral("instructions");
    case sim::SliceContent::Weights:
        return QStringLiteral("weights");
    case sim::SliceContent::KvCache:
        return QStringLiteral("KV cache");
    case sim::SliceContent::Activations:
        return QStringLiteral("activations");
    }
    return QStringLiteral("?");
}

QString explainBound(sim::BoundKind kind) {
    switch (kind) {
    case sim::BoundKind::Mxm:
        return QStringLiteral("MXM-bound: the matrix units were the slowest member of the stream; more "
                              "chips per layer (tensor parallelism) would split the work.");
    case sim::BoundKind::Vxm:
        return QStringLiteral("VXM-bound: the vector ALUs set the pace. At batch 1 with 8-bit weights and "
                              "16-bit activations every weight is converted on the VXM on its way into the "
                              "MXM, once per token; W8A8 (int8 activations) removes that stretch.");
    case sim::BoundKind::Mem:
        return QStringLiteral("MEM-bound: streaming from on-chip SRAM set the pace; this is the only "
                              "bandwidth bound an SRAM-resident LPU has.");
    case sim::BoundKind::Sxm:
        return QStringLiteral("SXM-bound: cross-lane reductions and permutes (norms, softmax) set the pace.");
    case sim::BoundKind::C2c:
        return QStringLiteral("C2C-bound: chip-to-chip transfers (tensor-parallel all-reduces, hops to the "
                              "next pipeline stage, about 216 cycles per hop) set the pace.");
    case sim::BoundKind::Dependency:
        return QStringLiteral("Dependency chain: neither bandwidth nor compute, but the fixed fill latency "
                              "of each op that must wait for the previous one.");
    }
    return {};
}

QString explainBoundName(const QString& bound) {
    if (bound.startsWith(QLatin1String("memory")))
        return QStringLiteral("Memory-bound: every decode step reads all weights (and the KV cache) from "
                              "HBM/DRAM; time = bytes / bandwidth. At batch 1 the arithmetic intensity is "
                              "about 1 FLOP per byte, far left of the roofline ridge.");
    if (bound == QLatin1String("compute"))
        return QStringLiteral("Compute-bound: FLOPs / peak FLOP/s exceeds the memory time.");
    for (int k = 0; k < sim::kBoundKinds; ++k) {
        const auto kind = static_cast<sim::BoundKind>(k);
        if (bound ==
            QString::fromUtf8(sim::boundKindName(kind).data(), qsizetype(sim::boundKindName(kind).size())))
            return explainBound(kind);
    }
    return {};
}

QString explainSramResidency() {
    return QStringLiteral(
        "Every weight stays in on-chip SRAM (88 MEM slices x 2.5 MiB per chip), so a decode step never waits "
        "for off-chip memory: a GPU must stream all weights from HBM once per token, which bounds it at "
        "bandwidth / model bytes. The LPU pays instead with many chips and the chain of dependent ops.");
}

QString layerName(int layer, int modelLayers) {
    if (layer < 0) return QStringLiteral("embed");
    if (layer >= modelLayers) return QStringLiteral("output");
    return QString::number(layer);
}

namespace {
QString significant(double value, int digits) {
    // Three significant digits, never scientific notation.
    const double magnitude = value == 0 ? 0 : std::floor(std::log10(std::fabs(value)));
    const int decimals = std::clamp(digits - 1 - static_cast<int>(magnitude), 0, 6);
    return QString::number(value, 'f', decimals);
}
} // namespace

QString formatMilliseconds(double ms) {
    if (ms >= 1000) return significant(ms / 1000, 3) + QStringLiteral(" s");
    if (ms < 0.1) return significant(ms * 1000, 3) + QStringLiteral(" \u00b5s");
    return significant(ms, 3) + QStringLiteral(" ms");
}

QString formatRate(double perSecond) {
    if (perSecond >= 1000) return formatCount(perSecond);
    return significant(perSecond, 3);
}

QString formatJoules(double joules) {
    if (joules >= 1000) return significant(joules / 1000, 3) + QStringLiteral(" kJ");
    return significant(joules, 3) + QStringLiteral(" J");
}

QString formatDollars(double dollars) {
    if (dollars >= 1000) return QStringLiteral("$") + formatCount(dollars);
    return QStringLiteral("$") + significant(dollars, 3);
}

QString formatCount(double value) {
    QString digits = QString::number(static_cast<qlonglong>(std::llround(value)));
    for (int i = static_cast<int>(digits.size()) - 3; i > (digits.startsWith('-') ? 1 : 0); i -= 3)
        digits.insert(i, QChar(0x2009));
    return digits;
}

bool saveWidgetPng(QWidget* widget, const QString& path) {
    if (widget == nullptr || path.isEmpty()) return false;
    return widget->grab().save(path, "PNG");
}

void addPngExportMenu(QWidget* widget) {
    widget->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(widget, &QWidget::customContextMenuRequested, widget, [widget](const QPoint& pos) {
        QMenu menu(widget);
        QAction* save = menu.addAction(QObject::tr("Save image as PNG..."));
        if (menu.exec(widget->mapToGlobal(pos)) != save) return;
        const QString path = QFileDialog::getSaveFileName(widget, QObject::tr("Save image"), QString(),
                                                          QObject::tr("PNG images (*.png)"));
        if (!path.isEmpty())
            saveWidgetPng(widget, path.endsWith(QLatin1String(".png")) ? path : path + ".png");
    });
}

} // namespace wb::simviews
