#pragma once
// The headline numbers of one simulation in a row of cards (wrapping to more rows when narrow): chips (and
// what decided the count), tokens/s per user, token latency, time to first token, aggregate throughput, the
// binding resource, energy and cost per token, and which SRAM bandwidth figure is in use. Each card's tooltip
// explains the number.
#include "visualizer/widgets/simulation_runner.h"

#include <QString>
#include <QWidget>
#include <map>

class QLabel;

namespace wb::simviews {

class SimulationSummaryStrip : public QWidget {
    Q_OBJECT
public:
    explicit SimulationSummaryStrip(QWidget* parent = nullptr);

    void setResult(const SharedResult& result);
    // The value text of a card: "chips", "tokens_per_s", "token_latency", "ttft", "throughput", "bound",
    // "energy", "cost", "bandwidth".
    QString valueText(const QString& card) const;
    QString detailText(const QString& card) const;

private:
    struct Card {
        QLabel* value = nullptr;
        QLabel* detail = nullptr;
        QWidget* frame = nullptr;
    };
    void addCard(const QString& key, const QString& title, const QString& tooltip);
    void setCard(const QString& key, const QString& value, const QString& detail);

    std::map<QString, Card> cards_;
};

} // namespace wb::simviews
