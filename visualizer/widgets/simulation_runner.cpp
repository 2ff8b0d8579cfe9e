#include "visualizer/widgets/simulation_runner.h"

#include "visualizer/core/hardware.h"
#include "visualizer/core/lpu_compiler.h"
#include "visualizer/core/model_arch.h"

#include <exception>
#include <utility>
#include <vector>

namespace wb::simviews {
namespace {

void throwIfCancelled(const std::atomic<bool>* cancel) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) throw sim::SimulationCancelled();
}

} // namespace

SimulationRunner::SimulationRunner(QObject* parent) : QObject(parent) {
    qRegisterMetaType<SharedResult>("wb::simviews::SharedResult");
    pool_.setMaxThreadCount(1);
}

SimulationRunner::~SimulationRunner() {
    // Tasks post their result to this object; none may outlive it. Cancelled, the running one stops at
    // its next layer and the queued ones never start.
    cancel();
    pool_.clear();
    pool_.waitForDone();
}

SharedResult SimulationRunner::run(const SimulationRequest& request) {
    const std::atomic<bool>* cancel = request.settings.cancel;
    throwIfCancelled(cancel); // a job overtaken while it waited in the queue: no file read, no probe
    const auto model = sim::resolveModel(request.modelPresetOrPath);
    auto hardware = sim::builtinHardware(request.hardwareId);
    hardware.lpu.useMarketingBandwidth = request.marketingBandwidth;
    auto priced = request.pricing.find(hardware.id);
    if (priced != request.pricing.end()) {
        hardware.powerWatts = priced->second.powerWatts;
        hardware.pricePerHour = priced->second.pricePerHour;
    }
    // simulate() compares against LPUs at their automatic chip count; the panel's chip count is what the
    // user is looking at (and the automatic plan can take far longer), so LPU comparisons use it instead.
    sim::SimulationSettings settings = request.settings;
    std::vector<std::string> lpuComparisons;
    if (hardware.kind != sim::DeviceKind::Lpu) {
        std::erase_if(settings.compareWith, [&](const std::string& id) {
            const bool lpu =
                sim::parseHardwareJson(sim::builtinHardwareText(id), id).kind == sim::DeviceKind::Lpu;
            if (lpu) lpuComparisons.push_back(id);
            return lpu;
        });
    }
    throwIfCancelled(cancel);
    auto result =
        std::make_shared<sim::SimulationResult>(sim::simulate(model, hardware, request.options, settings));
    for (auto it = lpuComparisons.rbegin(); it != lpuComparisons.rend(); ++it) {
        throwIfCancelled(cancel);
        auto lpu = sim::builtinHardware(*it);
        lpu.lpu.useMarketingBandwidth = request.marketingBandwidth;
        try {
            sim::SimulationSettings lpuSettings;
            lpuSettings.efficiency = request.settings.efficiency;
            lpuSettings.cancel = cancel;
            const auto lpuResult = sim::simulate(model, lpu, request.options, lpuSettings);
            result->comparison.insert(result->comparison.begin(), lpuResult.summary);
        } catch (const sim::SimulationCancelled&) {
            throw;
        } catch (const std::exception&) {
            // The model does not fit on that many chips: the comparison shows the other devices.
        }
    }
    throwIfCancelled(cancel);
    sim::applyDevicePricing(*result, request.pricing);
    return result;
}

void SimulationRunner::submit(const SimulationRequest& request) {
    if (current_) current_->store(true, std::memory_order_relaxed); // the older job is stale now
    current_ = std::make_shared<std::atomic<bool>>(false);
    cancelledAll_ = false;
    const std::uint64_t job = ++latestJob_;
    ++inFlight_;
    pool_.start([this, request, job, flag = current_] {
        SimulationRequest own = request;
        own.settings.cancel = flag.get(); // `flag` lives as long as this task
        SharedResult result;
        QString error;
        bool cancelled = false;
        try {
            result = run(own);
        } catch (const sim::SimulationCancelled&) {
            cancelled = true;
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            this, [this, job, result, error, cancelled] { onDone(job, result, error, cancelled); },
            Qt::QueuedConnection);
    });
    Q_EMIT started();
}

void SimulationRunner::cancel() {
    if (current_) current_->store(true, std::memory_order_relaxed);
    cancelledAll_ = true;
}

void SimulationRunner::onDone(std::uint64_t job, SharedResult result, const QString& error, bool cancelled) {
    --inFlight_;
    if (cancelled) ++cancelled_;
    if (cancelled || job != latestJob_ || cancelledAll_) {
        ++dropped_; // stale: only the newest request's result is shown
        return;
    }
    ++completed_;
    if (result)
        Q_EMIT finished(std::move(result));
    else
        Q_EMIT failed(error);
}

} // namespace wb::simviews
