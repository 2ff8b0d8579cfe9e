#pragma once
// Runs simulations off the GUI thread. The panel submits a request on every control change; while one
// simulation runs, only the newest waiting request is kept, so a dragged slider never builds a backlog.
// Results arrive on the GUI thread through a queued signal.
#include "visualizer/core/simulation.h"
#include "visualizer/core/view_queries.h"

#include <QObject>
#include <QString>
#include <QThreadPool>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace wb::simviews {

struct SimulationRequest {
    std::string modelPresetOrPath;   // preset id, or a .gguf path (read on the worker thread)
    std::string hardwareId;          // built-in hardware
    bool marketingBandwidth = false; // LPU SRAM bandwidth: marketing 80 TB/s instead of paper 55 TiB/s
    sim::DeploymentOptions options;
    sim::SimulationSettings settings;
    std::map<std::string, sim::DevicePricing> pricing; // per hardware id, the user's power and price
};

using SharedResult = std::shared_ptr<sim::SimulationResult>;

class SimulationRunner : public QObject {
    Q_OBJECT
public:
    explicit SimulationRunner(QObject* parent = nullptr);
    ~SimulationRunner() override; // waits for a running simulation

    void submit(const SimulationRequest& request);
    bool busy() const { return running_; }
    int completedRuns() const { return completed_; }

    // Runs one request on the calling thread (what the worker does).
    static SharedResult run(const SimulationRequest& request);

Q_SIGNALS:
    void started();
    void finished(wb::simviews::SharedResult result);
    void failed(QString message);

private:
    void start(const SimulationRequest& request);
    void onDone(SharedResult result, const QString& error);

    QThreadPool pool_;
    bool running_ = false;
    int completed_ = 0;
    std::optional<SimulationRequest> pending_;
};

} // namespace wb::simviews

Q_DECLARE_METATYPE(wb::simviews::SharedResult)
