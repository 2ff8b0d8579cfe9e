#include "visualizer/widgets/simulator_panel.h"

#include "visualizer/core/hardware.h"
#include "visualizer/core/model_arch.h"
#include "visualizer/widgets/latency_comparison_view.h"
#include "visualizer/widgets/layer_waterfall_view.h"
#include "visualizer/widgets/residency_map_view.h"
#include "visualizer/widgets/schedule_gantt_view.h"
#include "visualizer/widgets/simulation_summary_strip.h"
#include "visualizer/widgets/view_style.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace wb::simviews {
namespace {

constexpr int kDebounceMs = 30;

// A slider and a spin box that show the same value.
QWidget* linkedSliderSpin(QSlider* slider, QSpinBox* spin) {
    auto* box = new QWidget;
    auto* layout = new QHBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    slider->setOrientation(Qt::Horizontal);
    slider->setRange(spin->minimum(), spin->maximum());
    slider->setValue(spin->value());
    QObject::connect(slider, &QSlider::valueChanged, spin, &QSpinBox::setValue);
    QObject::connect(spin, &QSpinBox::valueChanged, slider, [slider](int v) {
        const QSignalBlocker block(slider);
        slider->setValue(v);
    });
    layout->addWidget(slider, 1);
    layout->addWidget(spin);
    return box;
}

QComboBox* formatCombo(const QStringList& formats, const QString& tooltip) {
    auto* combo = new QComboBox;
    for (const auto& f : formats)
        combo->addItem(f, f);
    combo->setToolTip(tooltip);
    return combo;
}

sim::HardwareDescription describeWithoutProbe(const std::string& id) {
    // Parsing the file alone gives names, prices and power without running the CPU probe.
    return sim::parseHardwareJson(sim::builtinHardwareText(id), "built-in " + id + ".json");
}

} // namespace

SimulatorPanel::SimulatorPanel(QWidget* parent) : QWidget(parent) {
    runner_ = new SimulationRunner(this);
    debounce_ = new QTimer(this);
    debounce_->setSingleShot(true);
    debounce_->setInterval(kDebounceMs);
    connect(debounce_, &QTimer::timeout, this, &SimulatorPanel::simulateNow);
    connect(runner_, &SimulationRunner::finished, this, &SimulatorPanel::onResult);
    connect(runner_, &SimulationRunner::failed, this, &SimulatorPanel::onFailure);
    connect(runner_, &SimulationRunner::started, this,
            [this] { statusLabel_->setText(tr("simulating\u2026")); });

    // Everything sits in a scroll area: the panel needs about 1200 x 430 pixels, and as a tab of the main
    // window it must not raise the window's minimum size; a smaller window scrolls instead.
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea;
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    auto* content = new QWidget;
    auto* layout = new QHBoxLayout(content);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* splitter = new QSplitter(Qt::Horizontal);
    auto* controlsScroll = new QScrollArea;
    controlsScroll->setWidgetResizable(true);
    QWidget* controls = buildControls();
    controlsScroll->setWidget(controls);
    controlsScroll->setMinimumWidth(controls->sizeHint().width() +
                                    controlsScroll->verticalScrollBar()->sizeHint().width() + 4);
    controlsScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    splitter->addWidget(controlsScroll);

    auto* right = new QWidget;
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(4, 0, 0, 0);
    summary_ = new SimulationSummaryStrip;
    rightLayout->addWidget(summary_);
    tabs_ = new QTabWidget;
    gantt_ = new ScheduleGanttView;
    residency_ = new ResidencyMapView;
    waterfall_ = new LayerWaterfallView;
    comparison_ = new LatencyComparisonView;
    tabs_->addTab(buildGanttTab(), tr("Schedule (Gantt)"));
    tabs_->addTab(residency_, tr("SRAM residency"));
    tabs_->addTab(waterfall_, tr("Per-layer bounds"));
    tabs_->addTab(comparison_, tr("LPU vs GPU vs CPU"));
    tabs_->setTabToolTip(
        0, tr("Every op of one decode step on every functional unit of every chip, in cycles."));
    tabs_->setTabToolTip(1, explainSramResidency());
    tabs_->setTabToolTip(2, tr("Where each layer's time goes: which unit the critical path waited for."));
    tabs_->setTabToolTip(
        3, tr("The same model and settings on a GPU and this CPU (roofline), with energy and cost."));
    rightLayout->addWidget(tabs_, 1);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({controlsScroll->minimumWidth(), 1200});
    layout->addWidget(splitter);
    scroll->setWidget(content);
    outer->addWidget(scroll);
    scheduleSimulation();
}

SimulatorPanel::~SimulatorPanel() {
    // The runner (a child) waits for its worker when destroyed; cancelled, that is one layer at most.
    runner_->cancel();
}

QWidget* SimulatorPanel::buildControls() {
    auto* box = new QWidget;
    auto* column = new QVBoxLayout(box);

    auto* deployment = new QGroupBox(tr("Deployment"));
    auto* form = new QFormLayout(deployment);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    modelCombo_ = new QComboBox;
    for (const auto& id : sim::modelPresetIds()) {
        const auto model = sim::modelPreset(id);
        modelCombo_->addItem(QString::fromStdString(model.name), QString::fromStdString(id));
    }
    modelCombo_->setCurrentIndex(std::max(0, modelCombo_->findData(QStringLiteral("llama-2-70b"))));
    modelCombo_->setToolTip(
        tr("A model preset (shapes from its config.json), or the model open in the workbench."));
    form->addRow(tr("Model"), modelCombo_);

    hardwareCombo_ = new QComboBox;
    for (const auto& id : sim::builtinHardwareIds())
        hardwareCombo_->addItem(QString::fromStdString(describeWithoutProbe(id).name),
                                QString::fromStdString(id));
    hardwareCombo_->setCurrentIndex(std::max(0, hardwareCombo_->findData(QStringLiteral("groq-tsp-v1"))));
    form->addRow(tr("Hardware"), hardwareCombo_);

    autoChips_ = new QCheckBox(tr("auto: fewest chips that fit"));
    autoChips_->setToolTip(
        tr("Let the capacity planner choose the fewest chips on which everything fits in SRAM."));
    chipsSpin_ = new QSpinBox;
    chipsSpin_->setRange(2, 200000);
    chipsSpin_->setValue(576);
    chipsSpin_->setToolTip(tr("Chips of the deployment. Groq ran Llama-2-70B on 576 chips."));
    chipsSlider_ = new QSlider;
    form->addRow(tr("Chips"), autoChips_);
    form->addRow(QString(), linkedSliderSpin(chipsSlider_, chipsSpin_));
    chipsSlider_->setRange(2, 4096);

    weightsCombo_ =
        formatCombo({"int8", "fp8", "fp16", "bf16"},
                    tr("Weight storage precision. 70B at 8 bits needs about 350 chips, at 16 bits more "
                       "than 700: 576 chips are impossible at FP16."));
    activationsCombo_ =
        formatCombo({"fp16", "bf16", "fp8", "int8"},
                    tr("Activation precision; int8 makes the MXM compute in int8 (W8A8), so 8-bit "
                       "weights need no conversion on the VXM."));
    kvCombo_ = formatCombo({"fp16", "bf16", "fp8", "int8"}, tr("KV cache precision."));
    form->addRow(tr("Weights"), weightsCombo_);
    form->addRow(tr("Activations"), activationsCombo_);
    form->addRow(tr("KV cache"), kvCombo_);

    contextSpin_ = new QSpinBox;
    contextSpin_->setRange(1, 131072);
    contextSpin_->setSingleStep(256);
    contextSpin_->setValue(4096);
    contextSpin_->setToolTip(tr("Tokens of context each user keeps in the KV cache."));
    contextSlider_ = new QSlider;
    form->addRow(tr("Context"), linkedSliderSpin(contextSlider_, contextSpin_));
    contextSlider_->setSingleStep(256);
    contextSlider_->setPageStep(4096);
    promptSpin_ = new QSpinBox;
    promptSpin_->setRange(1, 131072);
    promptSpin_->setValue(512);
    promptSpin_->setToolTip(tr("Prompt length for the time to first token."));
    form->addRow(tr("Prompt tokens"), promptSpin_);
    batchSpin_ = new QSpinBox;
    batchSpin_->setRange(1, 1024);
    batchSpin_->setValue(1);
    batchSpin_->setToolTip(
        tr("Concurrent users decoding together. On the LPU they fill the pipeline stages as "
           "micro-batches: aggregate throughput rises, per-user speed drops."));
    batchSlider_ = new QSlider;
    form->addRow(tr("Batch (users)"), linkedSliderSpin(batchSlider_, batchSpin_));
    column->addWidget(deployment);

    auto* bandwidth = new QGroupBox(tr("LPU SRAM bandwidth figure"));
    bandwidth->setToolTip(
        tr("The ISCA 2020 paper gives about 55 TiB/s; Groq's marketing says 80 TB/s, a figure "
           "not traceable to either paper. The choice in use is shown in the summary."));
    auto* bandwidthLayout = new QVBoxLayout(bandwidth);
    paperBandwidth_ = new QRadioButton(tr("paper: 55 TiB/s (ISCA 2020)"));
    marketingBandwidth_ = new QRadioButton(tr("marketing: 80 TB/s"));
    paperBandwidth_->setChecked(true);
    bandwidthLayout->addWidget(paperBandwidth_);
    bandwidthLayout->addWidget(marketingBandwidth_);
    column->addWidget(bandwidth);

    auto* roofline = new QGroupBox(tr("GPU / CPU roofline"));
    auto* rooflineForm = new QFormLayout(roofline);
    efficiencySpin_ = new QDoubleSpinBox;
    efficiencySpin_->setRange(0.05, 1.0);
    efficiencySpin_->setSingleStep(0.05);
    efficiencySpin_->setValue(0.75);
    efficiencySpin_->setToolTip(tr("Model bandwidth/FLOP utilisation (MBU/MFU) of the GPU and CPU. Real "
                                   "serving stacks reach about 0.6-0.85 of peak memory bandwidth."));
    rooflineForm->addRow(tr("Efficiency"), efficiencySpin_);
    column->addWidget(roofline);

    column->addWidget(buildPricingBox());
    statusLabel_ = new QLabel;
    statusLabel_->setWordWrap(true);
    statusLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    column->addWidget(statusLabel_);
    column->addStretch(1);

    for (auto* combo : {modelCombo_, hardwareCombo_, weightsCombo_, activationsCombo_, kvCombo_})
        connect(combo, &QComboBox::currentIndexChanged, this, &SimulatorPanel::scheduleSimulation);
    for (auto* spin : {chipsSpin_, contextSpin_, promptSpin_, batchSpin_})
        connect(spin, &QSpinBox::valueChanged, this, &SimulatorPanel::scheduleSimulation);
    connect(efficiencySpin_, &QDoubleSpinBox::valueChanged, this, &SimulatorPanel::scheduleSimulation);
    connect(paperBandwidth_, &QRadioButton::toggled, this, &SimulatorPanel::scheduleSimulation);
    connect(autoChips_, &QCheckBox::toggled, this, [this](bool automatic) {
        chipsSpin_->setEnabled(!automatic);
        chipsSlider_->setEnabled(!automatic);
        scheduleSimulation();
    });
    return box;
}

QWidget* SimulatorPanel::buildPricingBox() {
    auto* group = new QGroupBox(tr("Power and price per device"));
    group->setToolTip(tr("Energy per token = power of all devices / tokens per second; cost per million "
                         "tokens = price per hour of all devices / tokens per hour. Prices are assumptions: "
                         "edit them to your own."));
    auto* grid = new QGridLayout(group);
    grid->addWidget(new QLabel(tr("device")), 0, 0);
    grid->addWidget(new QLabel(tr("watts")), 0, 1);
    grid->addWidget(new QLabel(tr("$ / hour")), 0, 2);
    int row = 1;
    for (const auto& id : sim::builtinHardwareIds()) {
        const auto hw = describeWithoutProbe(id);
        auto* label = new QLabel(QString::fromStdString(id));
        label->setToolTip(QString::fromStdString(hw.name));
        PriceEditors editors;
        editors.power = new QDoubleSpinBox;
        editors.power->setRange(0, 100000);
        editors.power->setDecimals(0);
        editors.power->setSingleStep(10);
        editors.power->setValue(hw.powerWatts);
        editors.price = new QDoubleSpinBox;
        editors.price->setRange(0, 10000);
        editors.price->setDecimals(3);
        editors.price->setSingleStep(0.1);
        editors.price->setValue(hw.pricePerHour);
        const auto sourceOf = [&hw](const char* key) {
            const auto found = hw.parameters.find(key);
            return found == hw.parameters.end() ? QString() : QString::fromStdString(found->second.source);
        };
        editors.power->setToolTip(tr("Power per chip/device. Source: %1").arg(sourceOf("power_watts")));
        editors.price->setToolTip(
            tr("Price per chip/device hour. Source: %1").arg(sourceOf("price_per_hour")));
        connect(editors.power, &QDoubleSpinBox::valueChanged, this, &SimulatorPanel::repriceCurrentResult);
        connect(editors.price, &QDoubleSpinBox::valueChanged, this, &SimulatorPanel::repriceCurrentResult);
        grid->addWidget(label, row, 0);
        grid->addWidget(editors.power, row, 1);
        grid->addWidget(editors.price, row, 2);
        priceEditors_[id] = editors;
        ++row;
    }
    return group;
}

QWidget* SimulatorPanel::buildGanttTab() {
    auto* tab = new QWidget;
    auto* layout = new QVBoxLayout(tab);
    layout->setContentsMargins(0, 4, 0, 0);
    auto* bar = new QHBoxLayout;
    auto* oneRow = new QCheckBox(tr("one row per chip (wavefront)"));
    oneRow->setToolTip(
        tr("Overlay all units of a chip in one row, to watch a token travel through the pipeline."));
    auto* zoomIn = new QPushButton(tr("Zoom in"));
    auto* zoomOut = new QPushButton(tr("Zoom out"));
    auto* all = new QPushButton(tr("Show all"));
    auto* fit = new QPushButton(tr("Fit rows"));
    fit->setToolTip(tr("Fit the time axis to the ops of the rows on screen."));
    auto* chip = new QSpinBox;
    chip->setRange(0, 200000);
    chip->setPrefix(tr("go to chip "));
    auto* hint =
        new QLabel(tr("wheel: zoom \u00b7 drag: pan \u00b7 Shift+wheel: scroll \u00b7 Ctrl+wheel: row height "
                      "\u00b7 hover: details"));
    hint->setStyleSheet(QStringLiteral("color: palette(placeholder-text);"));
    hint->setWordWrap(true); // under the chart, so the tab fits a 1280-pixel main window
    bar->addWidget(oneRow);
    bar->addWidget(zoomIn);
    bar->addWidget(zoomOut);
    bar->addWidget(all);
    bar->addWidget(fit);
    bar->addWidget(chip);
    bar->addStretch(1);
    layout->addLayout(bar);
    layout->addWidget(gantt_, 1);
    layout->addWidget(hint);
    connect(oneRow, &QCheckBox::toggled, gantt_, &ScheduleGanttView::setOneRowPerChip);
    connect(zoomIn, &QPushButton::clicked, gantt_, [this] { gantt_->zoomTime(2.0, gantt_->width() / 2.0); });
    connect(zoomOut, &QPushButton::clicked, gantt_, [this] { gantt_->zoomTime(0.5, gantt_->width() / 2.0); });
    connect(all, &QPushButton::clicked, gantt_, &ScheduleGanttView::showAll);
    connect(fit, &QPushButton::clicked, gantt_, &ScheduleGanttView::fitVisibleRows);
    connect(chip, &QSpinBox::valueChanged, gantt_, &ScheduleGanttView::scrollToChip);
    return tab;
}

void SimulatorPanel::setModelFile(const QString& path) {
    const int existing = modelCombo_->findData(QStringLiteral("file:"), Qt::UserRole + 1);
    if (path.isEmpty()) {
        if (existing < 0) return;
        const bool wasCurrent = modelCombo_->currentIndex() == existing;
        {
            const QSignalBlocker block(modelCombo_);
            modelCombo_->removeItem(existing);
        }
        if (wasCurrent) {
            const int preset = modelCombo_->findData(presetBeforeFile_);
            const int fallback = modelCombo_->findData(QStringLiteral("llama-2-70b"));
            modelCombo_->setCurrentIndex(preset >= 0 ? preset : std::max(0, fallback));
            setChips(chipsBeforeFile_);
            scheduleSimulation();
        }
        return;
    }
    const QString text = tr("current model: %1").arg(QFileInfo(path).fileName());
    if (existing < 0 || modelCombo_->currentIndex() != existing) {
        // Remember the preset and chips the user had, to return to them when the model closes.
        presetBeforeFile_ = modelCombo_->currentData().toString();
        chipsBeforeFile_ = autoChips_->isChecked() ? 0 : chipsSpin_->value();
    }
    if (existing >= 0) {
        modelCombo_->setItemText(existing, text);
        modelCombo_->setItemData(existing, path);
        modelCombo_->setItemData(existing, path, Qt::ToolTipRole);
        modelCombo_->setCurrentIndex(existing);
    } else {
        const QSignalBlocker block(modelCombo_);
        modelCombo_->insertItem(0, text, path);
        modelCombo_->setItemData(0, QStringLiteral("file:"), Qt::UserRole + 1);
        modelCombo_->setItemData(0, path, Qt::ToolTipRole);
        modelCombo_->setCurrentIndex(0);
    }
    setChips(0);          // a fixed chip count chosen for a preset rarely suits another model
    scheduleSimulation(); // also when only the file behind the entry changed
}

QString SimulatorPanel::modelFile() const {
    const int existing = modelCombo_->findData(QStringLiteral("file:"), Qt::UserRole + 1);
    return existing < 0 ? QString() : modelCombo_->itemData(existing).toString();
}

void SimulatorPanel::simulateNow() {
    debounce_->stop();
    if (!isVisible()) return; // stays out of date until shown
    outOfDate_ = false;
    runner_->submit(currentRequest());
}

void SimulatorPanel::cancelSimulation() {
    debounce_->stop();
    if (runner_->busy()) outOfDate_ = true; // what was running is not on screen: redo it on the next change
    runner_->cancel();
}

void SimulatorPanel::setModelPreset(const QString& presetId) {
    const int index = modelCombo_->findData(presetId);
    if (index >= 0) modelCombo_->setCurrentIndex(index);
}

void SimulatorPanel::setHardware(const QString& hardwareId) {
    const int index = hardwareCombo_->findData(hardwareId);
    if (index >= 0) hardwareCombo_->setCurrentIndex(index);
}

void SimulatorPanel::setChips(int chips) {
    autoChips_->setChecked(chips <= 0);
    if (chips > 0) chipsSpin_->setValue(chips);
}

void SimulatorPanel::setContext(int tokens) {
    contextSpin_->setValue(tokens);
}

void SimulatorPanel::setBatch(int users) {
    batchSpin_->setValue(users);
}

void SimulatorPanel::setWeightsPrecision(const QString& format) {
    const int index = weightsCombo_->findData(format);
    if (index >= 0) weightsCombo_->setCurrentIndex(index);
}

void SimulatorPanel::setMarketingBandwidth(bool marketing) {
    (marketing ? marketingBandwidth_ : paperBandwidth_)->setChecked(true);
}

void SimulatorPanel::setDevicePricing(const QString& hardwareId, double powerWatts, double pricePerHour) {
    const auto found = priceEditors_.find(hardwareId.toStdString());
    if (found == priceEditors_.end()) return;
    found->second.power->setValue(powerWatts);
    found->second.price->setValue(pricePerHour);
}

std::map<std::string, sim::DevicePricing> SimulatorPanel::pricing() const {
    std::map<std::string, sim::DevicePricing> prices;
    for (const auto& [id, editors] : priceEditors_)
        prices[id] = {editors.power->value(), editors.price->value()};
    return prices;
}

SimulationRequest SimulatorPanel::currentRequest() const {
    SimulationRequest request;
    request.modelPresetOrPath = modelCombo_->currentData().toString().toStdString();
    request.hardwareId = hardwareCombo_->currentData().toString().toStdString();
    request.marketingBandwidth = marketingBandwidth_->isChecked();
    auto& o = request.options;
    o.precision.weights = sim::parseNumberFormat(weightsCombo_->currentData().toString().toStdString());
    o.precision.activations =
        sim::parseNumberFormat(activationsCombo_->currentData().toString().toStdString());
    o.precision.kvCache = sim::parseNumberFormat(kvCombo_->currentData().toString().toStdString());
    o.context = static_cast<std::uint32_t>(contextSpin_->value());
    o.promptTokens = static_cast<std::uint32_t>(promptSpin_->value());
    o.batch = static_cast<std::uint32_t>(batchSpin_->value());
    o.chips = autoChips_->isChecked() ? 0 : chipsSpin_->value();
    request.settings.efficiency = efficiencySpin_->value();
    request.settings.compareWith = sim::builtinHardwareIds();
    request.pricing = pricing();
    return request;
}

bool SimulatorPanel::simulationPending() const {
    return outOfDate_ || debounce_->isActive() || runner_->busy();
}

void SimulatorPanel::scheduleSimulation() {
    outOfDate_ = true;
    runner_->cancel(); // what runs now is stale: stop it at once, not after the pause
    if (isVisible()) debounce_->start();
}

void SimulatorPanel::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (outOfDate_) debounce_->start();
}

void SimulatorPanel::onResult(SharedResult result) {
    result_ = std::move(result);
    error_.clear();
    if (autoChips_->isChecked()) {
        const QSignalBlocker block(chipsSpin_);
        const QSignalBlocker blockSlider(chipsSlider_);
        chipsSpin_->setValue(result_->summary.chips);
        chipsSlider_->setValue(result_->summary.chips);
    }
    summary_->setResult(result_);
    gantt_->setResult(result_);
    residency_->setResult(result_);
    waterfall_->setResult(result_);
    comparison_->setResult(result_);
    const auto& model = result_->model;
    statusLabel_->setText(tr("%1: %2 layers, %3 B parameters (%4).<br>Simulated in %5 s.")
                              .arg(QString::fromStdString(model.name))
                              .arg(model.layers)
                              .arg(model.totalParams() / 1e9, 0, 'f', 1)
                              .arg(QString::fromStdString(model.source).toHtmlEscaped())
                              .arg(result_->simulateSeconds, 0, 'f', 3));
    Q_EMIT simulationFinished();
}

void SimulatorPanel::onFailure(const QString& message) {
    error_ = message;
    statusLabel_->setText(QStringLiteral("<span style='color:#c0392b'><b>%1</b> %2</span>")
                              .arg(tr("Cannot simulate:"), message.toHtmlEscaped()));
    Q_EMIT simulationFailed(message);
}

void SimulatorPanel::repriceCurrentResult() {
    if (!result_) return;
    sim::applyDevicePricing(*result_, pricing());
    summary_->setResult(result_);
    comparison_->setResult(result_);
}

bool SimulatorPanel::savePng(const QString& path) {
    return saveWidgetPng(this, path);
}

} // namespace wb::simviews
