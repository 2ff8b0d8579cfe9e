#include "visualizer/widgets/simulation_runner.h"

#include "visualizer/core/hardware.h"
#include "visualizer/core/model_arch.h"

#include <exception>
#include <vector>

namespace wb::simviews {

SimulationRunner::SimulationRunner(QObject* parent) : QObject(parent) {
    qRegisterMetaType<SharedResult>("wb::simviews::SharedResult");
    pool_.setMaxThreadCount(1);
}

SimulationRunner::~SimulationRunner() {
    // Tasks post their result to this object; none may outlive it.
    pool_.waitForDone();
}

SharedResult SimulationRunner::run(const SimulationRequest& request) {
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
    auto result =
        std::make_shared<sim::SimulationResult>(sim::simulate(model, hardware, request.options, settings));
    for (auto it = lpuComparisons.rbegin(); it != lpuComparisons.rend(); ++it) {
        auto lpu = sim::builtinHardware(*it);
        lpu.lpu.useMarketingBandwidth = request.marketingBandwidth;
        try {
            const auto lpuResult =
                sim::simulate(model, lpu, request.options, {request.settings.efficiency, {}});
            result->comparison.insert(result->comparison.begin(), lpuResult.summary);
        } catch (const std::exception&) {
            // The model does not fit on that many chips: the comparison shows the other devices.
        }
    }
    sim::applyDevicePricing(*result, request.pricing);
    return result;
}

void SimulationRunner::submit(const SimulationRequest& request) {
    if (running_) {
        pending_ = request; // the newest request replaces any older waiting one
        return;
    }
    start(request);
}

void SimulationRunner::start(const SimulationRequest& request) {
    running_ = true;
    Q_EMIT started();
    pool_.start([this, request] {
        SharedResult result;
        QString error;
        try {
            result = run(request);
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            this, [this, result, error] { onDone(result, error); }, Qt::QueuedConnection);
    });
}

void SimulationRunner::onDone(SharedResult result, const QString& error) {
    running_ = false;
    ++completed_;
    if (pending_) {
        auto next = std::move(*pending_);
        pending_.reset();
        start(next);
    }
    if (result)
        Q_EMIT finished(std::move(result));
    else
        Q_EMIT failed(error);
}

} // namespace wb::simviews
