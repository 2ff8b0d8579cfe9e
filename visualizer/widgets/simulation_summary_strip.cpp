#include "visualizer/widgets/simulation_summary_strip.h"

#include "visualizer/widgets/view_style.h"

#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace wb::simviews {

SimulationSummaryStrip::SimulationSummaryStrip(QWidget* parent) : QWidget(parent) {
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);
    addCard(QStringLiteral("chips"), tr("Chips"),
            tr("Chips (or devices) the model runs on. The capacity planner finds the fewest chips on which "
               "weights, KV cache, activations and instruction memory all fit in SRAM, and names the tensor "
               "class that decided the count."));
    addCard(QStringLiteral("tokens_per_s"), tr("Tokens/s per user"),
            tr("Decode speed one user sees: 1 / token latency. ") + explainSramResidency());
    addCard(QStringLiteral("token_latency"), tr("Token latency"),
            tr("Time between two generated tokens of one user. On the LPU it comes from the static "
               "schedule: the same inputs always give exactly the same number."));
    addCard(QStringLiteral("ttft"), tr("Time to first token"),
            tr("Prefill: the prompt is processed in chunks that follow each other through the pipeline."));
    addCard(QStringLiteral("throughput"), tr("Throughput"),
            tr("Tokens per second of all users together (batch x tokens/s per user)."));
    addCard(QStringLiteral("bound"), tr("Bound by"),
            tr("The resource on the critical path of the decode step that took the most time."));
    addCard(QStringLiteral("energy"), tr("Energy / token"),
            tr("Power of every chip of the deployment / aggregate throughput. Idle chips count: at batch 1 "
               "an LPU deployment burns the power of all its chips for one user."));
    addCard(QStringLiteral("cost"), tr("Cost / M tokens"),
            tr("Price per hour of every chip / tokens per hour, from the editable price per device."));
    addCard(QStringLiteral("bandwidth"), tr("SRAM bandwidth"),
            tr("Which on-chip bandwidth figure is in use: the ISCA 2020 paper's 55 TiB/s or the marketing "
               "80 TB/s (not traceable to either paper). Weights reach the MXM through the ~20 TiB/s stream "
               "registers, so the choice rarely moves decode results."));
    layout->addStretch(1);
}

void SimulationSummaryStrip::addCard(const QString& key, const QString& title, const QString& tooltip) {
    auto* frame = new QFrame;
    frame->setFrameShape(QFrame::StyledPanel);
    frame->setToolTip(tooltip);
    auto* box = new QVBoxLayout(frame);
    box->setContentsMargins(8, 4, 8, 4);
    box->setSpacing(0);
    auto* titleLabel = new QLabel(title);
    QFont small = titleLabel->font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    titleLabel->setFont(small);
    titleLabel->setStyleSheet(QStringLiteral("color: palette(placeholder-text);"));
    auto* value = new QLabel(QStringLiteral("\u2013"));
    QFont big = value->font();
    big.setPointSizeF(big.pointSizeF() * 1.5);
    big.setBold(true);
    value->setFont(big);
    auto* detail = new QLabel;
    detail->setFont(small);
    detail->setStyleSheet(QStringLiteral("color: palette(placeholder-text);"));
    box->addWidget(titleLabel);
    box->addWidget(value);
    box->addWidget(detail);
    static_cast<QHBoxLayout*>(layout())->addWidget(frame);
    cards_[key] = {value, detail, frame};
}

void SimulationSummaryStrip::setCard(const QString& key, const QString& value, const QString& detail) {
    auto& card = cards_.at(key);
    card.value->setText(value);
    card.detail->setText(detail);
}

QString SimulationSummaryStrip::valueText(const QString& card) const {
    const auto found = cards_.find(card);
    return found == cards_.end() ? QString() : found->second.value->text();
}

QString SimulationSummaryStrip::detailText(const QString& card) const {
    const auto found = cards_.find(card);
    return found == cards_.end() ? QString() : found->second.detail->text();
}

void SimulationSummaryStrip::setResult(const SharedResult& result) {
    if (!result) return;
    const auto& s = result->summary;
    QString chipsDetail;
    if (result->lpu) {
        const auto& plan = result->lpu->plan;
        chipsDetail =
            tr("fewest %1; %2 decided").arg(plan.minimumChips).arg(QString::fromStdString(plan.decidedBy));
        cards_.at(QStringLiteral("chips"))
            .frame->setToolTip(
                tr("Chips the model runs on. Planner: %1").arg(QString::fromStdString(plan.explanation)));
    } else {
        chipsDetail = s.chips > 1 ? tr("devices, ideal tensor parallel") : tr("device");
    }
    setCard(QStringLiteral("chips"), QString::number(s.chips), chipsDetail);
    setCard(QStringLiteral("tokens_per_s"), formatRate(s.tokensPerSecPerUser),
            tr("batch %1, context %2").arg(result->options.batch).arg(result->options.context));
    setCard(QStringLiteral("token_latency"), formatMilliseconds(s.tokenLatencyMs),
            QString::fromStdString(s.method));
    setCard(QStringLiteral("ttft"), formatMilliseconds(s.ttftMs),
            result->lpu
                ? tr("prompt %1, chunk %2").arg(result->options.promptTokens).arg(result->lpu->prefillChunk)
                : tr("prompt %1").arg(result->options.promptTokens));
    setCard(QStringLiteral("throughput"), formatRate(s.throughputTokensPerSec), tr("tokens/s, all users"));
    const QString bound = QString::fromStdString(s.bound);
    setCard(QStringLiteral("bound"), bound, tr("decode critical path"));
    cards_.at(QStringLiteral("bound")).frame->setToolTip(explainBoundName(bound));
    setCard(QStringLiteral("energy"), formatJoules(s.economics.energyPerTokenJoules),
            tr("%1 kW deployment")
                .arg(s.economics.powerWatts / 1000, 0, 'f', s.economics.powerWatts >= 10000 ? 0 : 2));
    setCard(QStringLiteral("cost"), formatDollars(s.economics.costPerMillionTokens),
            tr("%1 per hour").arg(formatDollars(s.economics.costPerHour)));
    if (result->hardware.kind == sim::DeviceKind::Lpu) {
        const auto& lpu = result->hardware.lpu;
        setCard(QStringLiteral("bandwidth"), lpu.useMarketingBandwidth ? tr("marketing") : tr("paper"),
                tr("%1 TB/s per chip").arg(lpu.sramBandwidth() / 1e12, 0, 'f', 1));
    } else {
        setCard(QStringLiteral("bandwidth"), tr("n/a"), tr("not an LPU"));
    }
    cards_.at(QStringLiteral("bandwidth")).frame->setVisible(true);
}

} // namespace wb::simviews
