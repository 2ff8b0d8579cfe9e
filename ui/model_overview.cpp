#include "ui/model_overview.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QLocale>

namespace wb::ui {
namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("ModelOverview", text);
}

QString number(std::uint64_t value) {
    return QLocale().toString(static_cast<qulonglong>(value));
}

QString bytes(std::uint64_t value) {
    return QStringLiteral("%1 (%2 bytes)")
        .arg(QLocale().formattedDataSize(static_cast<qint64>(value)), number(value));
}

QString orNone(const std::string& text) {
    return text.empty() ? tr("(not set)") : QString::fromStdString(text);
}

QString countOrUnknown(std::uint32_t value) {
    return value == 0 ? tr("(not set)") : number(value);
}

} // namespace

QString displayName(const OpenedModel& model) {
    return QFileInfo(QString::fromStdString(model.info.path)).fileName();
}

QString oneLineSummary(const OpenedModel& model) {
    const auto& info = model.info;
    QStringList parts;
    if (!info.architecture.empty()) parts << QString::fromStdString(info.architecture);
    if (!info.name.empty() && info.name != info.architecture)
        parts << QStringLiteral("“%1”").arg(QString::fromStdString(info.name));
    parts << tr("%1 parameters").arg(number(info.parameterCount));
    parts << QLocale().formattedDataSize(static_cast<qint64>(info.fileSize));
    parts << tr("%1 tensors").arg(number(model.file.tensors().size()));
    if (!info.fileTypeName.empty()) parts << QString::fromStdString(info.fileTypeName);
    return parts.join(QStringLiteral(" · "));
}

std::vector<OverviewSection> overviewSections(const OpenedModel& model) {
    const auto& info = model.info;
    const auto& hp = info.hparams;
    std::vector<OverviewSection> sections;

    sections.push_back({tr("File"),
                        {{tr("Path"), QString::fromStdString(info.path)},
                         {tr("Size"), bytes(info.fileSize)},
                         {tr("GGUF version"), QString::number(info.ggufVersion)},
                         {tr("Alignment"), number(model.file.alignment())},
                         {tr("Tensor data starts at"), tr("byte %1").arg(number(model.file.dataOffset()))},
                         {tr("Metadata entries"), number(model.file.metadata().size())}}});

    QString fileType = tr("(not set)");
    if (info.fileType)
        fileType =
            QStringLiteral("%1 (%2)").arg(*info.fileType).arg(QString::fromStdString(info.fileTypeName));
    sections.push_back({tr("Model"),
                        {{tr("Architecture"), orNone(info.architecture)},
                         {tr("Name"), orNone(info.name)},
                         {tr("Parameters"), number(info.parameterCount)},
                         {tr("Tensors"), number(model.file.tensors().size())},
                         {tr("Tensor data"), bytes(info.tensorBytes)},
                         {tr("File type"), fileType}}});

    QString rope = tr("dims %1, base %2").arg(number(hp.ropeDimensionCount)).arg(hp.ropeFreqBase);
    if (!hp.ropeScalingType.empty())
        rope +=
            tr(", scaling %1 ×%2").arg(QString::fromStdString(hp.ropeScalingType)).arg(hp.ropeScalingFactor);
    if (hp.hasRopeFreqs) rope += tr(", rope_freqs tensor");
    sections.push_back({tr("Hyperparameters"),
                        {{tr("Layers"), countOrUnknown(hp.blockCount)},
                         {tr("Embedding length"), countOrUnknown(hp.embeddingLength)},
                         {tr("Feed-forward length"), countOrUnknown(hp.feedForwardLength)},
                         {tr("Heads / KV heads"), tr("%1 / %2").arg(hp.headCount).arg(hp.headCountKv)},
                         {tr("Context length"), countOrUnknown(hp.contextLength)},
                         {tr("RoPE"), rope},
                         {tr("RMS norm epsilon"), QString::number(hp.rmsNormEps, 'g', 6)}}});

    sections.push_back({tr("Tokenizer"),
                        {{tr("Model"), orNone(info.tokenizerModel)},
                         {tr("Pre-tokenizer"), orNone(info.tokenizerPre)},
                         {tr("Vocabulary"), tr("%1 tokens").arg(number(hp.vocabSize))},
                         {tr("Chat template"), info.chatTemplate.empty() ? tr("none") : tr("yes")}}});

    OverviewSection totals{tr("Totals by type"), {}};
    for (const auto& [type, total] : info.totalsByType) {
        totals.rows.push_back({QString::fromStdString(type),
                               tr("%1 tensors, %2 elements, %3")
                                   .arg(number(total.tensorCount), number(total.elementCount),
                                        QLocale().formattedDataSize(static_cast<qint64>(total.byteSize)))});
    }
    sections.push_back(std::move(totals));
    return sections;
}

} // namespace wb::ui
