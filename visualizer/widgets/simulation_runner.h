#pragma once
// Runs simulations off the GUI thread. The panel submits a request on every control change. Only the
// newest request matters: submitting raises the cancel flag of every older job (simulate() then stops
// at its next layer with SimulationCancelled, a job still waiting in the queue returns at once), and a
// result that arrives after a newer request was submitted is dropped, so the views only ever show the
// newest settings. Results arrive on the GUI thread through a queued signal. Destroying the runner
// cancels its jobs and waits only for the running one to reach its next cancellation point.
#include "visualizer/core/simulation.h"
#include "visualizer/core/view_queries.h"

#include <QObject>
#include <QString>
#include <QThreadPool>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
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
    ~SimulationRunner() override; // cancels, then waits for the running job to stop

    // Starts `request`; any older job is cancelled and its result will not be reported.
    void submit(const SimulationRequest& request);
    // Cancels every job; nothing more is reported until the next submit().
    void cancel();
    // True while a job of the newest request has not reported yet.
    bool busy() const { return inFlight_ > 0 && !cancelledAll_; }
    // Jobs still on the worker thread (cancelled ones included).
    int jobsInFlight() const { return inFlight_; }
    int completedRuns() const { return completed_; }
    // Jobs that ended without being reported: cancelled or overtaken by a newer request.
    int droppedRuns() const { return dropped_; }
    // Of those, the ones that stopped early because they saw their cancel flag.
    int cancelledRuns() const { return cancelled_; }

    // Runs one request on the calling thread (what the worker does). Honours request.settings.cancel,
    // also for the LPU comparisons it adds; throws sim::SimulationCancelled when it is raised.
    static SharedResult run(const SimulationRequest& request);

Q_SIGNALS:
    void started();
    void finished(wb::simviews::SharedResult result);
    void failed(QString message);

private:
    using CancelFlag = std::shared_ptr<std::atomic<bool>>;
    void onDone(std::uint64_t job, SharedResult result, const QString& error, bool cancelled);

    QThreadPool pool_;
    CancelFlag current_; // the newest job's flag
    std::uint64_t latestJob_ = 0;
    bool cancelledAll_ = false;
    int inFlight_ = 0;
    int completed_ = 0;
    int dropped_ = 0;
    int cancelled_ = 0;
};

} // namespace wb::simviews

Q_DECLARE_METATYPE(wb::simviews::SharedResult)
