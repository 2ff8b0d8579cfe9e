#include "visualizer/widgets/simulation_summary_strip.h"

#include "visualizer/widgets/view_style.h"

#include <QFrame>
#include <QLabel>
#include <QLayout>
#include <QList>
#include <QVBoxLayout>

#include <algorithm>

namespace wb::simviews {
namespace {

// Cards left to right at their preferred size, wrapping to another row when the strip is narrower than
// one row, so the panel fits a smaller window.
class CardFlowLayout : public QLayout {
public:
    explicit CardFlowLayout(QWidget* parent) : QLayout(parent) {}
    ~CardFlowLayout() override {
        while (QLayoutItem* item = CardFlowLayout::takeAt(0))
            delete item;
    }
    void addItem(QLayoutItem* item) override { items_.append(item); }
    int count() const override { return static_cast<int>(items_.size()); }
    QLayoutItem* itemAt(int index) const override { return items_.value(index); }
    QLayoutItem* takeAt(int index) override {
        return index >= 0 && index < items_.size() ? items_.takeAt(index) : nullptr;
    }
    Qt::Orientations expandingDirections() const override { return {}; }
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override { return arrange(QRect(0, 0, width, 0), false); }
    QSize sizeHint() const override { // all in one row
        int width = 0;
        int height = 0;
        for (const QLayoutItem* item : items_) {
            const QSize size = item->sizeHint();
            width += size.width() + (width > 0 ? spacing() : 0);
            height = std::max(height, size.height());
        }
        return QSize(width, height);
    }
    QSize minimumSize() const override { // the widest card
        QSize size(0, 0);
        for (const QLayoutItem* item : items_)
            size = size.expandedTo(item->sizeHint());
        return size;
    }
    void setGeometry(const QRect& rect) override {
        QLayout::setGeometry(rect);
        arrange(rect, true);
    }

private:
    // Places (or only measures) the items in `rect`; returns the height used.
    int arrange(const QRect& rect, bool place) const {
        int x = rect.x();
        int y = rect.y();
        int rowHeight = 0;
        for (QLayoutItem* item : items_) {
            const QSize size = item->sizeHint();
            if (x > rect.x() && x + size.width() > rect.x() + rect.width()) {
                x = rect.x();
                y += rowHeight + spacing();
                rowHeight = 0;
            }
            if (place) item->setGeometry(QRect(QPoint(x, y), size));
            x += size.width() + spacing();
            rowHeight = std::max(rowHeight, size.height());
        }
        return y + rowHeight - rect.y();
    }

    QList<QLayoutItem*> items_;
};

} // namespace

SimulationSummaryStrip::SimulationSummaryStrip(QWidget* parent) : QWidget(parent) {
    auto* layout = new CardFlowLayout(this);
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
    layout()->addWidget(frame);
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
