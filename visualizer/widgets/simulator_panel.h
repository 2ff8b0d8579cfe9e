#pragma once
// The LPU simulator as one panel: a column of controls (model, hardware, chips, precision, context,
// prompt, batch, SRAM bandwidth figure, price and power per device) and the views of the latest result
// (summary strip; tabs with the schedule Gantt, SRAM residency map, per-layer bound waterfall and the
// LPU/GPU/CPU comparison). Every control change cancels the simulation it makes stale at once and
// re-simulates after a 30 ms pause, on a worker thread. While the panel is hidden (another tab of the main
// window) changes only mark it out of date: it simulates when shown. Price and power edits only reprice the
// current result.
#include "visualizer/widgets/simulation_runner.h"

#include <QString>
#include <QWidget>
#include <map>

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QRadioButton;
class QSlider;
class QSpinBox;
class QTabWidget;
class QTimer;

namespace wb::simviews {

class LatencyComparisonView;
class LayerWaterfallView;
class ResidencyMapView;
class ScheduleGanttView;
class SimulationSummaryStrip;

class SimulatorPanel : public QWidget {
    Q_OBJECT
public:
    explicit SimulatorPanel(QWidget* parent = nullptr);
    ~SimulatorPanel() override;

    // The model open in the main window: adds (or updates) a "current model" entry and selects it, with
    // the chip count on automatic (the planner sizes the deployment to the model). An empty path removes
    // the entry and, if it was selected, returns to the preset and chip setting in use before it.
    void setModelFile(const QString& path);
    QString modelFile() const;
    // Submits the current settings at once instead of after the debounce pause (when visible).
    void simulateNow();
    // Drops the running simulation (its result is not shown); the next change simulates again.
    void cancelSimulation();

    // Programmatic control (same effect as the user changing the control).
    void setModelPreset(const QString& presetId);
    void setHardware(const QString& hardwareId);
    void setChips(int chips); // 0: automatic (the planner's minimum)
    void setContext(int tokens);
    void setBatch(int users);
    void setWeightsPrecision(const QString& format);
    void setMarketingBandwidth(bool marketing);
    void setDevicePricing(const QString& hardwareId, double powerWatts, double pricePerHour);

    SimulationRequest currentRequest() const;
    SharedResult result() const { return result_; }
    // True while a change waits for its debounce pause or a simulation is running.
    bool simulationPending() const;
    SimulationRunner* runner() const { return runner_; }
    QString errorText() const { return error_; }

    ScheduleGanttView* ganttView() const { return gantt_; }
    ResidencyMapView* residencyView() const { return residency_; }
    LayerWaterfallView* waterfallView() const { return waterfall_; }
    LatencyComparisonView* comparisonView() const { return comparison_; }
    SimulationSummaryStrip* summaryStrip() const { return summary_; }
    QTabWidget* tabs() const { return tabs_; }
    QSpinBox* chipsSpinBox() const { return chipsSpin_; }

    bool savePng(const QString& path);

Q_SIGNALS:
    void simulationFinished();
    void simulationFailed(const QString& message);

protected:
    void showEvent(QShowEvent* event) override;

private:
    QWidget* buildControls();
    QWidget* buildGanttTab();
    QWidget* buildPricingBox();
    void scheduleSimulation();
    void onResult(SharedResult result);
    void onFailure(const QString& message);
    void repriceCurrentResult();
    std::map<std::string, sim::DevicePricing> pricing() const;

    SimulationRunner* runner_ = nullptr;
    QTimer* debounce_ = nullptr;
    bool outOfDate_ = true; // a change not yet submitted to the runner
    // What setModelFile() replaced, restored when the file goes away.
    QString presetBeforeFile_;
    int chipsBeforeFile_ = 0; // 0: automatic
    SharedResult result_;
    QString error_;

    QComboBox* modelCombo_ = nullptr;
    QComboBox* hardwareCombo_ = nullptr;
    QCheckBox* autoChips_ = nullptr;
    QSlider* chipsSlider_ = nullptr;
    QSpinBox* chipsSpin_ = nullptr;
    QComboBox* weightsCombo_ = nullptr;
    QComboBox* activationsCombo_ = nullptr;
    QComboBox* kvCombo_ = nullptr;
    QSlider* contextSlider_ = nullptr;
    QSpinBox* contextSpin_ = nullptr;
    QSpinBox* promptSpin_ = nullptr;
    QSlider* batchSlider_ = nullptr;
    QSpinBox* batchSpin_ = nullptr;
    QRadioButton* paperBandwidth_ = nullptr;
    QRadioButton* marketingBandwidth_ = nullptr;
    QDoubleSpinBox* efficiencySpin_ = nullptr;
    struct PriceEditors {
        QDoubleSpinBox* power = nullptr;
        QDoubleSpinBox* price = nullptr;
    };
    std::map<std::string, PriceEditors> priceEditors_;
    QLabel* statusLabel_ = nullptr;

    SimulationSummaryStrip* summary_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    ScheduleGanttView* gantt_ = nullptr;
    ResidencyMapView* residency_ = nullptr;
    LayerWaterfallView* waterfall_ = nullptr;
    LatencyComparisonView* comparison_ = nullptr;
};

} // namespace wb::simviews
