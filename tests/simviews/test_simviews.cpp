// The simulator views: the panel runs the real simulator core (Llama-2-70B on 576 Groq chips) offscreen
// and its views must show exactly the core's numbers; controls re-simulate; the Gantt culls and names
// ops under the mouse; the residency map equals the core's map; the waterfall has one bar per layer;
// export writes PNGs; a setting changed during a long simulation cancels it and only the newest result
// is shown; a hidden panel does not simulate; destroying the panel mid-run does not wait for the run.
// Set WB_SIMVIEWS_SCREENSHOT_DIR to keep the screenshots.
#include "tests/support/test_models.h"
#include "visualizer/core/hardware.h"
#include "visualizer/core/lpu_compiler.h"
#include "visualizer/core/model_arch.h"
#include "visualizer/core/simulation.h"
#include "visualizer/core/view_queries.h"
#include "visualizer/widgets/latency_comparison_view.h"
#include "visualizer/widgets/layer_waterfall_view.h"
#include "visualizer/widgets/residency_map_view.h"
#include "visualizer/widgets/schedule_gantt_view.h"
#include "visualizer/widgets/simulation_runner.h"
#include "visualizer/widgets/simulation_summary_strip.h"
#include "visualizer/widgets/simulator_panel.h"
#include "visualizer/widgets/view_style.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QToolTip>
#include <QWheelEvent>
#include <QtTest>
#include <atomic>
#include <memory>

using namespace wb::sim;
using namespace wb::simviews;

namespace {

// The deployment Groq published: Llama-2-70B, 8-bit weights, 576 chips, 4k context, one user.
SimulationResult coreResult70b(int chips) {
    DeploymentOptions options;
    options.precision.weights = NumberFormat::Int8;
    options.context = 4096;
    options.promptTokens = 512;
    options.batch = 1;
    options.chips = chips;
    SimulationSettings settings;
    settings.compareWith = builtinHardwareIds();
    return simulate(modelPreset("llama-2-70b"), builtinHardware("groq-tsp-v1"), options, settings);
}

// A long LPU simulation (about half a second unloaded): Llama-3.1-405B on the planner's chips, 32k
// context, 8 users.
void makeLong(SimulatorPanel& panel) {
    panel.setHardware("groq-tsp-v1");
    panel.setModelPreset("llama-3.1-405b");
    panel.setChips(0);
    panel.setContext(32768);
    panel.setBatch(8);
}

QString outputDir() {
    const QString keep = qEnvironmentVariable("WB_SIMVIEWS_SCREENSHOT_DIR");
    if (!keep.isEmpty()) {
        QDir().mkpath(keep);
        return keep;
    }
    return wb::test::scratchDir();
}

void sendWheel(QWidget* widget, QPoint position, int notches,
               Qt::KeyboardModifiers modifiers = Qt::NoModifier) {
    QWheelEvent wheel(QPointF(position), QPointF(widget->mapToGlobal(position)), QPoint(),
                      QPoint(0, 120 * notches), Qt::NoButton, modifiers, Qt::NoScrollPhase, false);
    QApplication::sendEvent(widget, &wheel);
}

} // namespace

class TestSimViews : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void summaryMatchesCore();
    void comparisonMatchesCore();
    void ganttZoomReducesVisibleOps();
    void ganttHoverNamesOp();
    void ganttOneRowPerChip();
    void residencyCellsMatchCore();
    void residencyTokenSliderGrowsKv();
    void waterfallHasOneBarPerLayer();
    void exportWritesPng();
    void screenshots();
    void priceEditReprices();
    void chipsControlResimulates();
    void impossibleChipCountReportsError();
    void currentModelFileEntry();
    void gpuHardwareShowsRoofline();
    void residencyAtContextCoreFunction();
    void applyDevicePricingCoreFunction();
    void runHonoursCancelFlag();
    void runnerDropsOverriddenRequest();
    void settingChangeCancelsStaleRun();
    void hiddenPanelWaitsUntilShown();
    void destroyingPanelMidRunDoesNotWait();

private:
    bool waitForSimulation();
    std::unique_ptr<SimulatorPanel> panel_;
    std::unique_ptr<SimulationResult> expected_;
};

bool TestSimViews::waitForSimulation() {
    QTest::qWait(1); // let a debounce timer that was just started be seen as pending
    for (int waited = 0; waited < 30000 && panel_->simulationPending(); waited += 10)
        QTest::qWait(10);
    return !panel_->simulationPending() && panel_->result() != nullptr;
}

void TestSimViews::initTestCase() {
    panel_ = std::make_unique<SimulatorPanel>();
    panel_->resize(1600, 1000);
    panel_->show();
    QVERIFY(QTest::qWaitForWindowExposed(panel_.get()));
    // Defaults are the published deployment; set them explicitly so the test says what it checks.
    panel_->setModelPreset("llama-2-70b");
    panel_->setHardware("groq-tsp-v1");
    panel_->setChips(576);
    panel_->setWeightsPrecision("int8");
    panel_->setContext(4096);
    panel_->setBatch(1);
    QVERIFY(waitForSimulation());
    QVERIFY2(panel_->errorText().isEmpty(), qPrintable(panel_->errorText()));
    expected_ = std::make_unique<SimulationResult>(coreResult70b(576));
}

void TestSimViews::cleanupTestCase() {
    panel_.reset();
}

void TestSimViews::summaryMatchesCore() {
    const auto& shown = *panel_->result();
    const auto& core = expected_->summary;
    QCOMPARE(shown.summary.chips, 576);
    QCOMPARE(shown.summary.tokenLatencyMs, core.tokenLatencyMs); // deterministic schedule: exactly equal
    auto* strip = panel_->summaryStrip();
    QCOMPARE(strip->valueText("chips"), QString("576"));
    QCOMPARE(strip->valueText("tokens_per_s"), formatRate(core.tokensPerSecPerUser));
    QCOMPARE(strip->valueText("token_latency"), formatMilliseconds(core.tokenLatencyMs));
    QCOMPARE(strip->valueText("ttft"), formatMilliseconds(core.ttftMs));
    QCOMPARE(strip->valueText("throughput"), formatRate(core.throughputTokensPerSec));
    QCOMPARE(strip->valueText("bound"), QString::fromStdString(core.bound));
    QCOMPARE(strip->valueText("energy"), formatJoules(core.economics.energyPerTokenJoules));
    QCOMPARE(strip->valueText("cost"), formatDollars(core.economics.costPerMillionTokens));
    QCOMPARE(strip->valueText("bandwidth"), QString("paper"));
    QVERIFY(strip->detailText("chips").contains(QString::fromStdString(expected_->lpu->plan.decidedBy)));
    // Calibration sanity: Groq reports about 300 tokens/s per user for this deployment.
    QVERIFY2(core.tokensPerSecPerUser > 200 && core.tokensPerSecPerUser < 500,
             qPrintable(QString::number(core.tokensPerSecPerUser)));
}

void TestSimViews::comparisonMatchesCore() {
    auto* view = panel_->comparisonView();
    QCOMPARE(view->deviceCount(), 1 + static_cast<int>(expected_->comparison.size()));
    QCOMPARE(view->deviceId(0), QString("groq-tsp-v1"));
    QCOMPARE(view->plottedLatencyMs(0), expected_->summary.tokenLatencyMs);
    bool sawH100 = false;
    for (int i = 1; i < view->deviceCount(); ++i) {
        const auto& c = expected_->comparison[std::size_t(i - 1)];
        QCOMPARE(view->deviceId(i), QString::fromStdString(c.hardwareId));
        if (c.hardwareId == "cpu-local") continue; // measured at run time: differs between processes
        QCOMPARE(view->plottedLatencyMs(i), c.tokenLatencyMs);
        QCOMPARE(view->plottedTokensPerSecond(i), c.tokensPerSecPerUser);
        QCOMPARE(view->table()->item(i, 11)->text(), formatDollars(c.economics.costPerMillionTokens));
        if (c.hardwareId == "h100-sxm") {
            sawH100 = true;
            // At batch 1 the GPU reads every weight per token: the LPU must be faster.
            QVERIFY(c.tokenLatencyMs > expected_->summary.tokenLatencyMs);
        }
    }
    QVERIFY(sawH100);
}

void TestSimViews::ganttZoomReducesVisibleOps() {
    panel_->tabs()->setCurrentIndex(0);
    auto* gantt = panel_->ganttView();
    gantt->setOneRowPerChip(false);
    gantt->showAll();
    gantt->scrollToChip(0);
    QVERIFY(gantt->rowCount() > 576 * 4 / 2);
    const int before = gantt->visibleOpCount();
    QVERIFY2(before > 20, qPrintable(QString::number(before)));
    const double spanBefore = gantt->windowEnd() - gantt->windowStart();
    // Zoom into the start of the step, where the head chips and the first stage work.
    sendWheel(gantt, QPoint(160, gantt->height() / 2), 6);
    const double spanAfter = gantt->windowEnd() - gantt->windowStart();
    QVERIFY(spanAfter < spanBefore / 3);
    const int after = gantt->visibleOpCount();
    QVERIFY2(after > 0 && after < before, qPrintable(QString("%1 -> %2").arg(before).arg(after)));
    sendWheel(gantt, QPoint(160, gantt->height() / 2), -6);
    QCOMPARE(gantt->visibleOpCount(), before);
}

void TestSimViews::ganttHoverNamesOp() {
    panel_->tabs()->setCurrentIndex(0);
    auto* gantt = panel_->ganttView();
    const auto& schedule = panel_->result()->lpu->decode;
    // The first stage's FFN gate/up matmul on its first chip.
    const int firstStageChip = panel_->result()->lpu->partition.headChips;
    int target = -1;
    for (std::size_t i = 0; i < schedule.ops.size(); ++i) {
        const auto& op = schedule.ops[i];
        if (op.chip == firstStageChip && op.kind == OpKind::MatMul && QString(op.label) == "ffn_gate_up") {
            target = static_cast<int>(i);
            break;
        }
    }
    QVERIFY(target >= 0);
    const auto& op = schedule.ops[std::size_t(target)];
    gantt->scrollToChip(op.chip);
    const double span = double(op.end - op.start);
    gantt->setTimeWindow(double(op.start) - span, double(op.end) + span);
    const QRectF rect = gantt->opRect(target);
    QVERIFY(!rect.isEmpty());
    QCOMPARE(gantt->opAt(rect.center().toPoint()), target);
    QTest::mouseMove(gantt, rect.center().toPoint());
    QTRY_VERIFY(!gantt->hoverText().isEmpty());
    const QString text = gantt->hoverText();
    QVERIFY2(text.contains("ffn_gate_up"), qPrintable(text));
    QVERIFY2(text.contains(QString("chip %1").arg(op.chip)), qPrintable(text));
    QVERIFY2(text.contains("MXM"), qPrintable(text));
    QVERIFY2(text.contains(formatCount(double(op.end - op.start)) + " cycles"), qPrintable(text));
    QVERIFY(QToolTip::text().contains("ffn_gate_up"));
    // Moving to empty space (the label column) clears it.
    QTest::mouseMove(gantt, QPoint(20, gantt->height() - 5));
    QTRY_VERIFY(gantt->hoverText().isEmpty());
    gantt->showAll();
}

void TestSimViews::ganttOneRowPerChip() {
    auto* gantt = panel_->ganttView();
    const int unitRows = gantt->rowCount();
    gantt->setOneRowPerChip(true);
    const auto& partition = panel_->result()->lpu->partition;
    // Every chip that runs ops gets one row; spare chips run nothing.
    QCOMPARE(gantt->rowCount(), partition.chips - partition.spareChips);
    gantt->setOneRowPerChip(false);
    QCOMPARE(gantt->rowCount(), unitRows);
}

void TestSimViews::residencyCellsMatchCore() {
    panel_->tabs()->setCurrentWidget(panel_->residencyView());
    QApplication::processEvents();
    auto* view = panel_->residencyView();
    const auto& core = expected_->lpu->residency;
    QCOMPARE(view->tokens(), 4096);
    QCOMPARE(view->chipCount(), static_cast<int>(core.slices.size()));
    QCOMPARE(view->chipCount(), 576);
    QCOMPARE(view->sliceCount(), 88);
    int weights = 0;
    for (int c = 0; c < view->chipCount(); ++c)
        for (int s = 0; s < view->sliceCount(); ++s) {
            QCOMPARE(view->cellContent(c, s), core.slices[std::size_t(c)][std::size_t(s)]);
            weights += view->cellContent(c, s) == SliceContent::Weights;
        }
    QVERIFY(weights > 576 * 40); // weights dominate SRAM at 8 bits
    // The painted colours are the cells' classes.
    const QImage image = view->grab().toImage();
    int checked = 0;
    for (int c : {0, 3, 10}) {
        for (int s : {0, 20, 50, 87}) {
            const QRect cell = view->cellRect(c, s);
            if (cell.isEmpty()) continue;
            QCOMPARE(QColor(image.pixel(cell.center() * image.devicePixelRatio())),
                     colorFor(view->cellContent(c, s)));
            ++checked;
        }
    }
    QVERIFY(checked >= 8);
    const QString text = view->describeCell(3, 30);
    QVERIFY2(text.contains("chip 3") && text.contains("layer 0"), qPrintable(text));
}

void TestSimViews::residencyTokenSliderGrowsKv() {
    auto* view = panel_->residencyView();
    auto countKv = [view] {
        int kv = 0;
        for (int c = 0; c < view->chipCount(); ++c)
            for (int s = 0; s < view->sliceCount(); ++s)
                kv += view->cellContent(c, s) == SliceContent::KvCache;
        return kv;
    };
    const int atContext = countKv();
    view->setTokens(0);
    QCOMPARE(countKv(), 0);
    view->setTokens(view->tokenSlider()->maximum());
    QVERIFY(countKv() > atContext);
    // Past the core's context limit the view says the cache no longer fits.
    QVERIFY(view->tokens() > expected_->lpu->residency.contextLimitTokens);
    QVERIFY2(view->statusText().contains("Does not fit"), qPrintable(view->statusText()));
    view->setTokens(4096);
    QCOMPARE(countKv(), atContext);
}

void TestSimViews::waterfallHasOneBarPerLayer() {
    auto* view = panel_->waterfallView();
    const auto& layers = expected_->lpu->decode.layers;
    QCOMPARE(view->barCount(), static_cast<int>(layers.size()));
    QCOMPARE(view->barCount(), 80 + 2); // embedding, 80 layers, output head
    QCOMPARE(view->seriesCount(), kBoundKinds);
    for (int s = 0; s < view->seriesCount(); ++s)
        QCOMPARE(view->seriesPoints(s), view->barCount());
    for (int i = 0; i < view->barCount(); ++i) {
        double sum = 0;
        for (double part : layers[std::size_t(i)].breakdownUs)
            sum += part;
        QVERIFY(std::abs(view->stackedValue(i) - sum) < 1e-9);
    }
    QVERIFY(
        view->describeLayer(1).contains(QString::fromStdString(std::string(boundKindName(layers[1].bound)))));
}

void TestSimViews::exportWritesPng() {
    const QString dir = wb::test::scratchDir();
    struct Case {
        QString name;
        std::function<bool(const QString&)> save;
    };
    const Case cases[] = {
        {"panel", [this](const QString& p) { return panel_->savePng(p); }},
        {"gantt", [this](const QString& p) { return panel_->ganttView()->savePng(p); }},
        {"residency", [this](const QString& p) { return panel_->residencyView()->savePng(p); }},
        {"waterfall", [this](const QString& p) { return panel_->waterfallView()->savePng(p); }},
        {"comparison", [this](const QString& p) { return panel_->comparisonView()->savePng(p); }},
    };
    for (const auto& c : cases) {
        const QString path = dir + "/export_" + c.name + ".png";
        QVERIFY(c.save(path));
        QImage image(path);
        QVERIFY2(!image.isNull(), qPrintable(path));
        QVERIFY(image.width() > 100 && image.height() > 100);
    }
    QVERIFY(!panel_->savePng(QString()));
}

void TestSimViews::screenshots() {
    const QString dir = outputDir();
    const char* names[] = {"gantt", "residency", "waterfall", "comparison"};
    for (int tab = 0; tab < panel_->tabs()->count(); ++tab) {
        panel_->tabs()->setCurrentIndex(tab);
        if (tab == 0) {
            // The view a new result opens with: the first pipeline stage, fitted in time.
            panel_->ganttView()->scrollToChip(panel_->result()->lpu->partition.headChips);
            panel_->ganttView()->fitVisibleRows();
        }
        QApplication::processEvents();
        const QString path = QString("%1/simviews_%2.png").arg(dir, names[tab]);
        QVERIFY(panel_->savePng(path));
        qInfo("screenshot: %s", qPrintable(path));
    }
    panel_->tabs()->setCurrentIndex(0);
    panel_->ganttView()->setOneRowPerChip(true);
    QApplication::processEvents();
    QVERIFY(panel_->savePng(dir + "/simviews_wavefront.png"));
    panel_->ganttView()->setOneRowPerChip(false);
}

void TestSimViews::priceEditReprices() {
    const int runs = panel_->result()->simulateSeconds >= 0 ? 1 : 0;
    Q_UNUSED(runs);
    const auto before = panel_->result();
    const double cost = before->summary.economics.costPerMillionTokens;
    panel_->setDevicePricing("groq-tsp-v1", 300, 2.0); // twice the built-in assumption
    QCOMPARE(panel_->result().get(), before.get());    // repriced in place, not re-simulated
    QVERIFY(std::abs(panel_->result()->summary.economics.costPerMillionTokens - 2 * cost) < 1e-9 * cost);
    QCOMPARE(panel_->summaryStrip()->valueText("cost"), formatDollars(2 * cost));
    panel_->setDevicePricing("groq-tsp-v1", 300, 1.0);
    QCOMPARE(panel_->summaryStrip()->valueText("cost"), formatDollars(cost));
}

void TestSimViews::chipsControlResimulates() {
    const auto before = panel_->result();
    panel_->chipsSpinBox()->setValue(400); // as the user would
    QVERIFY(panel_->simulationPending());
    QVERIFY(waitForSimulation());
    QVERIFY(panel_->result() != before);
    QCOMPARE(panel_->result()->summary.chips, 400);
    QCOMPARE(panel_->summaryStrip()->valueText("chips"), QString("400"));
    const auto core400 = coreResult70b(400);
    QCOMPARE(panel_->summaryStrip()->valueText("tokens_per_s"),
             formatRate(core400.summary.tokensPerSecPerUser));
    QVERIFY(panel_->summaryStrip()->valueText("tokens_per_s") !=
            formatRate(expected_->summary.tokensPerSecPerUser));
    QCOMPARE(panel_->residencyView()->chipCount(), 400);
    // Several quick changes coalesce; the last one wins.
    for (int chips : {420, 440, 460, 576})
        panel_->chipsSpinBox()->setValue(chips);
    QVERIFY(waitForSimulation());
    QCOMPARE(panel_->result()->summary.chips, 576);
    QCOMPARE(panel_->result()->summary.tokenLatencyMs, expected_->summary.tokenLatencyMs);
}

void TestSimViews::impossibleChipCountReportsError() {
    panel_->setWeightsPrecision("fp16"); // 70B at FP16 does not fit on 576 chips
    QVERIFY(waitForSimulation());
    QVERIFY2(!panel_->errorText().isEmpty(), "expected a planner error");
    QVERIFY(panel_->result()->summary.chips == 576); // the last good result stays on screen
    panel_->setWeightsPrecision("int8");
    QVERIFY(waitForSimulation());
    QVERIFY(panel_->errorText().isEmpty());
}

void TestSimViews::currentModelFileEntry() {
    WB_REQUIRE_MODEL("llama-2-tiny-random.gguf", path);
    panel_->setChips(0); // a tiny model needs only a few chips
    panel_->setModelFile(path);
    QVERIFY(waitForSimulation());
    QVERIFY2(panel_->errorText().isEmpty(), qPrintable(panel_->errorText()));
    const auto expected = resolveModel(path.toStdString());
    QCOMPARE(panel_->result()->model.layers, expected.layers);
    QCOMPARE(panel_->result()->model.hidden, expected.hidden);
    QCOMPARE(panel_->waterfallView()->barCount(), static_cast<int>(expected.layers) + 2);
    QCOMPARE(panel_->result()->summary.chips, panel_->result()->lpu->plan.minimumChips);
    panel_->setModelFile(QString());
    panel_->setModelPreset("llama-2-70b");
    panel_->setChips(576);
    QVERIFY(waitForSimulation());
}

void TestSimViews::gpuHardwareShowsRoofline() {
    panel_->setHardware("h100-sxm");
    QVERIFY(waitForSimulation());
    QVERIFY2(panel_->errorText().isEmpty(), qPrintable(panel_->errorText()));
    const auto& result = *panel_->result();
    QVERIFY(!result.lpu && result.roofline);
    // Per layer: memory- or compute-bound bars, one per layer, heights from the roofline.
    auto* waterfall = panel_->waterfallView();
    QCOMPARE(waterfall->seriesCount(), 2);
    QCOMPARE(waterfall->barCount(), static_cast<int>(result.summary.perLayerUs.size()));
    for (int i = 0; i < waterfall->barCount(); ++i)
        QCOMPARE(waterfall->stackedValue(i), result.summary.perLayerUs[std::size_t(i)].second);
    QCOMPARE(panel_->summaryStrip()->valueText("bandwidth"), QString("n/a"));
    QCOMPARE(panel_->ganttView()->rowCount(), 0);
    QCOMPARE(panel_->residencyView()->chipCount(), 0);
    QCOMPARE(panel_->comparisonView()->deviceId(0), QString("h100-sxm"));
    // The LPU next to it runs at the panel's chip count, with the same numbers as when it is the main device.
    QCOMPARE(panel_->comparisonView()->deviceId(1), QString("groq-tsp-v1"));
    QCOMPARE(result.comparison.front().chips, 576);
    QCOMPARE(result.comparison.front().tokenLatencyMs, expected_->summary.tokenLatencyMs);
    panel_->setHardware("groq-tsp-v1");
    QVERIFY(waitForSimulation());
    QCOMPARE(panel_->result()->summary.tokenLatencyMs, expected_->summary.tokenLatencyMs);
}

void TestSimViews::residencyAtContextCoreFunction() {
    const auto& lpu = *expected_->lpu;
    const auto& hw = expected_->hardware;
    const auto same = residencyAtContext(hw, lpu.residency, expected_->options, expected_->options.context);
    QCOMPARE(same.slices, lpu.residency.slices);
    QCOMPARE(same.contextLimitTokens, lpu.residency.contextLimitTokens);
    const auto empty = residencyAtContext(hw, lpu.residency, expected_->options, 0);
    for (const auto& chip : empty.chips)
        QCOMPARE(chip.bytes.kvCache, 0.0);
    int previous = -1;
    for (double tokens : {0.0, 1024.0, 8192.0, 32768.0, 65536.0}) {
        const auto map = residencyAtContext(hw, lpu.residency, expected_->options, tokens);
        int kv = 0;
        for (const auto& slices : map.slices)
            kv += int(std::count(slices.begin(), slices.end(), SliceContent::KvCache));
        QVERIFY2(kv >= previous, qPrintable(QString("KV slices fell at %1 tokens").arg(tokens)));
        previous = kv;
        const auto& layerChip = map.chips[std::size_t(lpu.partition.headChips)];
        QCOMPARE(layerChip.bytes.kvCache, layerChip.kvBytesPerToken * tokens);
    }
    QVERIFY(previous > 0);
}

void TestSimViews::applyDevicePricingCoreFunction() {
    SimulationResult result = *expected_;
    std::map<std::string, DevicePricing> pricing{{"groq-tsp-v1", {150, 0.5}}, {"h100-sxm", {1400, 5.0}}};
    applyDevicePricing(result, pricing);
    const auto& s = result.summary;
    QVERIFY(std::abs(s.economics.powerWatts - 150.0 * 576) < 1e-6);
    QVERIFY(std::abs(s.economics.energyPerTokenJoules - 150.0 * 576 / s.throughputTokensPerSec) < 1e-9);
    QVERIFY(std::abs(s.economics.costPerMillionTokens - 0.5 * 576 / (s.throughputTokensPerSec * 3600) * 1e6) <
            1e-9);
    for (std::size_t i = 0; i < result.comparison.size(); ++i) {
        const auto& c = result.comparison[i];
        if (c.hardwareId == "h100-sxm") {
            QCOMPARE(c.economics.costPerHour, 5.0 * c.chips);
            QVERIFY(std::abs(c.economics.energyPerTokenJoules -
                             expected_->comparison[i].economics.energyPerTokenJoules * 2) < 1e-9);
        } else if (c.hardwareId != "cpu-local") {
            QCOMPARE(c.economics.costPerHour,
                     expected_->comparison[i].economics.costPerHour); // not listed: unchanged
        }
    }
    applyDevicePricing(result, pricing); // idempotent
    QVERIFY(std::abs(result.summary.economics.powerWatts - 150.0 * 576) < 1e-6);
}

void TestSimViews::runHonoursCancelFlag() {
    SimulationRequest request = panel_->currentRequest();
    std::atomic<bool> cancel{true};
    request.settings.cancel = &cancel;
    QVERIFY_THROWS_EXCEPTION(SimulationCancelled, SimulationRunner::run(request));
    cancel = false;
    const auto result = SimulationRunner::run(request);
    QVERIFY(result != nullptr);
    QCOMPARE(result->summary.tokenLatencyMs, panel_->result()->summary.tokenLatencyMs);
}

void TestSimViews::runnerDropsOverriddenRequest() {
    SimulationRunner runner;
    QSignalSpy finished(&runner, &SimulationRunner::finished);
    QSignalSpy failed(&runner, &SimulationRunner::failed);
    SimulationRequest longRequest = panel_->currentRequest();
    longRequest.modelPresetOrPath = "llama-3.1-405b";
    longRequest.options.chips = 0;
    longRequest.options.context = 32768;
    longRequest.options.batch = 8;
    SimulationRequest newest = panel_->currentRequest();
    newest.options.chips = 400;
    // Back to back, without the event loop in between: the first result can never be reported.
    runner.submit(longRequest);
    runner.submit(newest);
    QVERIFY(runner.busy());
    QTRY_VERIFY_WITH_TIMEOUT(!runner.busy(), 60000);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(finished.count(), 1);
    const auto result = finished.at(0).at(0).value<SharedResult>();
    QCOMPARE(result->summary.chips, 400);
    QCOMPARE(result->model.name, modelPreset("llama-2-70b").name);
    QCOMPARE(runner.completedRuns(), 1);
    QCOMPARE(runner.droppedRuns(), 1);
    // Its flag was raised microseconds after it was queued: it stopped early instead of finishing.
    QCOMPARE(runner.cancelledRuns(), 1);
    QCOMPARE(runner.jobsInFlight(), 0);
}

void TestSimViews::settingChangeCancelsStaleRun() {
    SimulationRunner* runner = panel_->runner();
    const int dropped = runner->droppedRuns();
    const int cancelled = runner->cancelledRuns();
    QSignalSpy finished(panel_.get(), &SimulatorPanel::simulationFinished);
    makeLong(*panel_);
    panel_->simulateNow(); // the long run starts
    QVERIFY(runner->busy());
    // The user moves two sliders right away.
    panel_->setContext(2048);
    panel_->setBatch(2);
    QVERIFY(panel_->simulationPending());
    QVERIFY(waitForSimulation());
    QVERIFY2(panel_->errorText().isEmpty(), qPrintable(panel_->errorText()));
    QCOMPARE(finished.count(), 1); // the stale result never reached the views
    QCOMPARE(runner->droppedRuns(), dropped + 1);
    QCOMPARE(runner->cancelledRuns(), cancelled + 1);
    const auto& shown = *panel_->result();
    QCOMPARE(shown.options.context, 2048u);
    QCOMPARE(shown.options.batch, 2u);
    QCOMPARE(shown.model.name, modelPreset("llama-3.1-405b").name);
    // Exactly what the newest settings give.
    const auto expected = SimulationRunner::run(panel_->currentRequest());
    QCOMPARE(shown.summary.chips, expected->summary.chips);
    QCOMPARE(shown.summary.tokenLatencyMs, expected->summary.tokenLatencyMs);
    QCOMPARE(panel_->summaryStrip()->valueText("chips"), QString::number(expected->summary.chips));
    QCOMPARE(panel_->residencyView()->chipCount(), expected->summary.chips);

    panel_->setModelPreset("llama-2-70b");
    panel_->setChips(576);
    panel_->setContext(4096);
    panel_->setBatch(1);
    QVERIFY(waitForSimulation());
    QCOMPARE(panel_->result()->summary.tokenLatencyMs, expected_->summary.tokenLatencyMs);
}

void TestSimViews::hiddenPanelWaitsUntilShown() {
    SimulatorPanel hidden; // like a main-window tab that is not the current one
    hidden.setModelPreset("llama-2-7b");
    hidden.setChips(0);
    QTest::qWait(200); // several debounce pauses
    QCOMPARE(hidden.runner()->jobsInFlight() + hidden.runner()->completedRuns(), 0);
    QVERIFY(hidden.result() == nullptr);
    QVERIFY(hidden.simulationPending()); // out of date, waiting to be shown
    hidden.show();
    QTRY_VERIFY_WITH_TIMEOUT(!hidden.simulationPending(), 60000);
    QVERIFY(hidden.result() != nullptr);
    QCOMPARE(hidden.result()->model.name, modelPreset("llama-2-7b").name);
    QCOMPARE(hidden.runner()->completedRuns(), 1);
}

void TestSimViews::destroyingPanelMidRunDoesNotWait() {
    auto panel = std::make_unique<SimulatorPanel>();
    panel->show();
    makeLong(*panel);
    panel->simulateNow();
    QVERIFY(panel->runner()->busy());
    QTest::qWait(100); // let the worker get into the schedule
    QElapsedTimer clock;
    clock.start();
    panel.reset(); // cancels; the worker stops at its next layer (a hang would hit the test timeout)
    qInfo("panel destroyed %lld ms into a long simulation", static_cast<long long>(clock.elapsed()));
}

QTEST_MAIN(TestSimViews)
#include "test_simviews.moc"
