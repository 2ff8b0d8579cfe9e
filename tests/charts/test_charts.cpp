// The live charts on reports of REAL stories260K generations (the session's onPass/onMemory callbacks,
// and RealPassSource for a run whose passes ran on two threads): what each chart draws equals what the
// engine's RunAggregator computed, interactions work, the refresh rate stays bounded under a flood of
// reports, and the exports are valid files.
#include "engine/session/generation_session.h"
#include "engine/telemetry/run_aggregator.h"
#include "tests/support/test_models.h"
#include "tests/telemetry/real_pass_source.h"
#include "ui/charts/chart_style.h"
#include "ui/charts/layer_op_table.h"
#include "ui/charts/layer_timing_chart.h"
#include "ui/charts/memory_chart.h"
#include "ui/charts/performance_panel.h"
#include "ui/charts/timeline_view.h"
#include "ui/charts/token_latency_chart.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTabWidget>
#include <QTableView>
#include <QThread>
#include <QWheelEvent>

#include <set>
#include <thread>

using namespace wb::telemetry;
using namespace wb::ui::charts;

namespace {

constexpr int kGenerated = 24;

struct SessionRun {
    std::vector<PassReport> passes;
    std::vector<MemoryReport> memory;
    std::shared_ptr<const TraceData> trace;
    int generated = 0;
};

SessionRun runSession(const QString& modelPath, int tokens) {
    auto session = wb::GenerationSession::open(modelPath.toStdString(), {.contextLength = 256, .threads = 2});
    SessionRun run;
    wb::GenerationOptions options;
    options.maxTokens = tokens;
    options.sampling.temperature = 0;
    options.telemetry.enabled = true;
    options.telemetry.memoryIntervalMs = 0; // a memory sample after every pass
    options.telemetry.onPass = [&](const PassReport& pass) { run.passes.push_back(pass); };
    options.telemetry.onMemory = [&](const MemoryReport& memory) { run.memory.push_back(memory); };
    auto result = session->generate("Once upon a time", options);
    run.generated = static_cast<int>(result.ids.size());
    run.trace = std::make_shared<const TraceData>(std::move(result.telemetry.trace));
    return run;
}

// The QCustomPlot inside a chart, without including qcustomplot.h here.
QWidget* plotOf(QWidget* chart) {
    for (QWidget* child : chart->findChildren<QWidget*>())
        if (QByteArray(child->metaObject()->className()) == "QCustomPlot") return child;
    return nullptr;
}

void feed(PerformancePanel& panel, const SessionRun& run) {
    std::size_t memoryIndex = 0;
    for (const PassReport& pass : run.passes) {
        panel.onPassReported(pass);
        if (memoryIndex < run.memory.size()) panel.onMemoryReported(run.memory[memoryIndex++]);
    }
    while (memoryIndex < run.memory.size())
        panel.onMemoryReported(run.memory[memoryIndex++]);
}

// Waits for the coalescing timer, then lets queued replots run.
void settle(PerformancePanel& panel) {
    QTRY_VERIFY_WITH_TIMEOUT(!panel.refreshPending(), 2000);
    QCoreApplication::processEvents();
    QCoreApplication::processEvents();
}

bool hasNonWhitePixels(const QImage& image) {
    for (int y = 0; y < image.height(); y += 3)
        for (int x = 0; x < image.width(); x += 3)
            if (image.pixelColor(x, y).lightness() < 200) return true;
    return false;
}

} // namespace

// Stands in for the generation controller: emits the reports from a worker thread.
class ReportEmitter : public QObject {
    Q_OBJECT
Q_SIGNALS:
    void passReported(wb::telemetry::PassReport pass);
    void memoryReported(wb::telemetry::MemoryReport memory);
};

class ChartsTest : public QObject {
    Q_OBJECT
    QString modelPath_;
    SessionRun run_;
    std::unique_ptr<PerformancePanel> panel_;

private slots:
    void initTestCase() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        modelPath_ = path;
        run_ = runSession(path, kGenerated);
        QCOMPARE(run_.generated, kGenerated);
        QVERIFY(run_.memory.size() > 2);
        panel_ = std::make_unique<PerformancePanel>();
        panel_->resize(1500, 1000);
        panel_->show();
        feed(*panel_, run_);
        settle(*panel_);
    }

    void latencyChartHasOnePointPerTokenAndTtft() {
        TokenLatencyChart* chart = panel_->latencyChart();
        QCOMPARE(chart->pointCount(), kGenerated);
        QVERIFY(chart->hasTtftMarker());
        const RunSummary s = panel_->aggregator().summary();
        QVERIFY(s.ttftMs.has_value());
        QCOMPARE(chart->ttftText(), QStringLiteral("TTFT %1").arg(formatMs(*s.ttftMs)));
        QVERIFY(chart->summaryText().contains(formatRate(s.tokensPerSecond)));
    }

    void layerChartStacksEqualTheAggregator() {
        LayerTimingChart* chart = panel_->layerChart();
        const RunAggregator& aggregator = panel_->aggregator();
        QCOMPARE(chart->barCount(), 5);
        const auto check = [&](const std::vector<LayerStack>& expected) {
            for (int layer = 0; layer < 5; ++layer) {
                double stacked = 0;
                for (int op = 0; op < kOpKindCount; ++op) {
                    if (!isLayerOp(OpKind(op))) continue;
                    QCOMPARE(chart->stackedValue(layer, OpKind(op)), expected[layer].opMs[op]);
                    stacked += chart->stackedValue(layer, OpKind(op));
                }
                QVERIFY(std::abs(stacked - expected[layer].totalMs) < 1e-9);
                QVERIFY(stacked > 0);
            }
        };
        QCOMPARE(chart->mode(), LayerTimingChart::Mode::LastToken);
        check(aggregator.lastPassLayers());
        chart->setMode(LayerTimingChart::Mode::RunAverage);
        settle(*panel_);
        check(aggregator.averageLayers());
        chart->setMode(LayerTimingChart::Mode::LastToken);
        settle(*panel_);
        check(aggregator.lastPassLayers());
    }

    void clickingALayerFillsTheOpTable() {
        LayerTimingChart* chart = panel_->layerChart();
        QWidget* plot = plotOf(chart);
        QVERIFY(plot != nullptr);
        QCOMPARE(panel_->opTable()->hasLayer(), false);
        QTest::mouseClick(plot, Qt::LeftButton, {}, chart->barCenter(3));
        QCOMPARE(chart->selectedLayer(), 3);
        LayerOpTable* table = panel_->opTable();
        QVERIFY(table->hasLayer());
        QCOMPARE(table->layer(), 3);
        QVERIFY(table->titleText().contains("3"));
        const auto expected = panel_->aggregator().layerOpTable(3);
        QCOMPARE(table->model()->rowCount(), 12);
        QCOMPARE(table->view()->model()->rowCount(), 12);
        for (int row = 0; row < 12; ++row) {
            QCOMPARE(table->model()->rows()[row].op, expected[row].op);
            QCOMPARE(table->model()->rows()[row].lastMs, expected[row].lastMs);
            QCOMPARE(table->model()
                         ->data(table->model()->index(row, LayerOpTableModel::Op), Qt::DisplayRole)
                         .toString(),
                     opDisplayName(expected[row].op));
        }
        QTest::mouseClick(plot, Qt::LeftButton, {}, chart->barCenter(0));
        QCOMPARE(table->layer(), 0);
    }

    void residencyStripHasOneCellPerLayer() {
        MemoryChart* chart = panel_->memoryChart();
        QCOMPARE(chart->residencyCellCount(), 5);
        const auto fractions = panel_->aggregator().layerResidentFraction();
        for (int layer = 0; layer < 5; ++layer) {
            QCOMPARE(chart->residencyCell(layer), fractions[layer]);
            QVERIFY(fractions[layer] > 0.99); // the forward pass just read every layer
        }
        QCOMPARE(chart->seriesPointCount(), static_cast<int>(run_.memory.size()));
        QVERIFY(chart->summaryText().contains("RSS"));
    }

    void ganttHasLanesPerThreadAndZooms() {
        // Passes on two threads (the prompt here, the tokens on a worker), from real forward passes.
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        wb::test::RealPassSource source(path.toStdString());
        PerformancePanel panel;
        panel.resize(1400, 900);
        panel.show();
        panel.onPassReported(source.evaluatePrompt({1, 403, 407, 261}));
        panel.onPassReported(source.generateToken());
        std::thread worker([&] {
            for (int k = 0; k < 4; ++k) {
                const PassReport pass = source.generateToken();
                QMetaObject::invokeMethod(
                    &panel, [&panel, pass] { panel.onPassReported(pass); }, Qt::QueuedConnection);
            }
        });
        worker.join();
        QTRY_COMPARE(panel.aggregator().passCount(), std::uint64_t{6});
        settle(panel);

        TimelineView* view = panel.timelineView();
        const Timeline& timeline = view->timeline();
        std::set<std::uint16_t> threads;
        int spans = 0;
        for (const auto& pass : timeline.lanes)
            for (const auto& span : pass.spans) {
                threads.insert(pass.thread);
                (void)span;
                ++spans;
            }
        QCOMPARE(view->laneCount(), 2);
        QCOMPARE(static_cast<int>(threads.size()), 2);
        QVERIFY(view->following());
        QCOMPARE(view->visibleSpanCount(), spans);
        view->grab();
        // Sub-pixel spans share a pixel column, so a full view paints fewer rectangles than spans.
        QVERIFY(view->lastPaintedSpanCount() > 0 && view->lastPaintedSpanCount() <= spans);

        const double width = view->visibleEndNs() - view->visibleStartNs();
        const double middle = view->xForNs((view->visibleStartNs() + view->visibleEndNs()) / 2);
        QWheelEvent wheel(QPointF(middle, view->laneCenterY(0)), view->mapToGlobal(QPointF(middle, 10)), {},
                          QPoint(0, 120 * 4), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(view, &wheel);
        const double zoomed = view->visibleEndNs() - view->visibleStartNs();
        QVERIFY2(std::abs(zoomed - width / std::pow(1.25, 4)) < width * 1e-6,
                 qPrintable(QString::number(zoomed)));
        QVERIFY(!view->following());
        QVERIFY(view->visibleSpanCount() < spans);
        view->grab();
        QVERIFY(view->lastPaintedSpanCount() <= view->visibleSpanCount()); // culled to the window

        // Drag pans by the dragged share of the window.
        const double before = view->visibleStartNs();
        const int y = view->laneCenterY(0);
        QTest::mousePress(view, Qt::LeftButton, {}, QPoint(600, y));
        QTest::mouseMove(view, QPoint(400, y));
        QTest::mouseRelease(view, Qt::LeftButton, {}, QPoint(400, y));
        QVERIFY(view->visibleStartNs() > before);
        QVERIFY(std::abs((view->visibleEndNs() - view->visibleStartNs()) - zoomed) < zoomed * 1e-6);

        // Hover text of the span under a point names its op.
        const auto& lane = timeline.lanes[1];
        const auto& target = lane.spans[lane.spans.size() / 2];
        view->setVisibleRange(double(target.startNs) - 1000, double(target.endNs()) + 1000);
        const QPoint at(
            static_cast<int>(view->xForNs(double(target.startNs) + double(target.durationNs) / 2)),
            view->laneCenterY(1));
        const auto [hitLane, hitIndex] = view->spanAt(at);
        QCOMPARE(hitLane, 1);
        QVERIFY(view->describeSpan(hitLane, hitIndex).contains(opDisplayName(target.op)));

        QTest::mouseDClick(view, Qt::LeftButton, {}, at);
        QVERIFY(view->following());
        QCOMPARE(view->visibleSpanCount(), spans);
    }

    void refreshRateStaysBoundedUnderAFlood() {
        PerformancePanel panel;
        panel.resize(1400, 900);
        panel.show();
        std::map<QWidget*, int> replots;
        for (QWidget* chart :
             {static_cast<QWidget*>(panel.latencyChart()), static_cast<QWidget*>(panel.layerChart()),
              static_cast<QWidget*>(panel.memoryChart())}) {
            QWidget* plot = plotOf(chart);
            QVERIFY(plot != nullptr);
            connect(plot, SIGNAL(afterReplot()), this, SLOT(countReplot()));
            replots[plot] = 0;
        }
        replotCounts_.clear();
        // 1,000 real passes replayed with fresh indexes, as fast as the event loop takes them.
        std::vector<PassReport> generated;
        for (const PassReport& pass : run_.passes)
            if (!pass.isPrompt && pass.ops.size() > 1) generated.push_back(pass);
        QVERIFY(!generated.empty());
        const int refreshesBefore = panel.refreshCount();
        QElapsedTimer clock;
        clock.start();
        panel.onPassReported(run_.passes.front());
        for (int k = 0; k < 1000; ++k) {
            PassReport pass = generated[k % generated.size()];
            pass.passIndex = k + 1;
            pass.generatedIndex = k;
            panel.onPassReported(pass);
            if (k % 10 == 0) panel.onMemoryReported(run_.memory[k % run_.memory.size()]);
            QCoreApplication::processEvents();
            QThread::usleep(1000);
        }
        settle(panel);
        const double seconds = clock.elapsed() / 1000.0;
        const int refreshes = panel.refreshCount() - refreshesBefore;
        qInfo("1000 passes in %.2f s: %d panel refreshes (%.1f Hz); replots per plot: %d, %d, %d", seconds,
              refreshes, refreshes / seconds, replotCounts_.value(plotOf(panel.latencyChart())),
              replotCounts_.value(plotOf(panel.layerChart())),
              replotCounts_.value(plotOf(panel.memoryChart())));
        QVERIFY(refreshes >= 2);
        QVERIFY2(refreshes / seconds <= 30.0, qPrintable(QString::number(refreshes / seconds)));
        for (const auto& [plot, unused] : replots) {
            (void)unused;
            const int count = replotCounts_.value(plot);
            QVERIFY(count >= 1);
            QVERIFY2(count / seconds <= 30.0 + 1.0 / seconds, qPrintable(QString::number(count)));
        }
        QCOMPARE(panel.latencyChart()->pointCount(), 1000);
        QCOMPARE(panel.aggregator().summary().generatedTokens, 1000);
    }

    void exportsAreValidFiles() {
        const QString dir = wb::test::scratchDir() + "/charts-export";
        const QStringList pngs = panel_->exportPng(dir);
        QCOMPARE(pngs.size(), 5);
        for (const QString& file : pngs) {
            QFile f(file);
            QVERIFY(f.open(QIODevice::ReadOnly));
            QCOMPARE(f.read(8), QByteArray("\x89PNG\r\n\x1a\n", 8));
            const QImage image(file);
            QVERIFY2(!image.isNull() && image.width() > 100 && image.height() > 50, qPrintable(file));
            QVERIFY2(hasNonWhitePixels(image), qPrintable(file));
        }
        if (const QString shot = qEnvironmentVariable("WB_CHARTS_SCREENSHOT"); !shot.isEmpty())
            panel_->grab().save(shot);

        const QString pdf = dir + "/performance.pdf";
        QVERIFY2(panel_->exportPdf(pdf), qPrintable(panel_->lastError()));
        QFile pdfFile(pdf);
        QVERIFY(pdfFile.open(QIODevice::ReadOnly));
        const QByteArray bytes = pdfFile.readAll();
        QVERIFY(bytes.startsWith("%PDF-"));
        QVERIFY(bytes.trimmed().endsWith("%%EOF"));
        QVERIFY(bytes.contains("/Count 4")); // one page per chart
        QVERIFY(bytes.size() > 10000);

        // The session's full trace when given...
        panel_->setTraceData(run_.trace);
        const QString json = dir + "/trace.json";
        QVERIFY2(panel_->exportChromeTrace(json), qPrintable(panel_->lastError()));
        QFile jsonFile(json);
        QVERIFY(jsonFile.open(QIODevice::ReadOnly));
        QJsonParseError error{};
        const auto document = QJsonDocument::fromJson(jsonFile.readAll(), &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        std::size_t ops = 0;
        for (const auto& event : run_.trace->events)
            ops += event.kind == SpanKind::Op;
        int exportedOps = 0;
        for (const auto& value : document.object().value("traceEvents").toArray())
            exportedOps += value.toObject().value("ph") == "X" &&
                           value.toObject().value("cat").toString().contains("op");
        QCOMPARE(static_cast<std::size_t>(exportedOps), ops);
        const QString csv = dir + "/ops.csv";
        QVERIFY(panel_->exportCsv(csv));
        QFile csvFile(csv);
        QVERIFY(csvFile.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csvFile.readAll().trimmed().split('\n');
        QCOMPARE(lines.front(), QByteArray("token,layer,op,thread,start_us,dur_us,bytes,flops"));
        QCOMPARE(static_cast<std::size_t>(lines.size() - 1), ops);

        // ... else the passes the panel retained; an unwritable path is an error naming it.
        panel_->setTraceData(nullptr);
        QVERIFY(panel_->exportCsv(csv));
        QVERIFY(!panel_->exportCsv("/nonexistent-folder/ops.csv"));
        QVERIFY(panel_->lastError().contains("/nonexistent-folder/ops.csv"));
        QVERIFY(!panel_->exportPdf("/nonexistent-folder/x.pdf"));
    }

    void queuedSignalsFromAWorkerReachThePanel() {
        PerformancePanel panel;
        panel.show();
        ReportEmitter emitter;
        connect(&emitter, &ReportEmitter::passReported, &panel, &PerformancePanel::onPassReported,
                Qt::QueuedConnection);
        connect(&emitter, &ReportEmitter::memoryReported, &panel, &PerformancePanel::onMemoryReported,
                Qt::QueuedConnection);
        std::thread worker([&] {
            for (const PassReport& pass : run_.passes)
                Q_EMIT emitter.passReported(pass);
            Q_EMIT emitter.memoryReported(run_.memory.back());
        });
        worker.join();
        QTRY_COMPARE(panel.aggregator().passCount(), static_cast<std::uint64_t>(run_.passes.size()));
        settle(panel);
        QCOMPARE(panel.latencyChart()->pointCount(), kGenerated);
        QCOMPARE(panel.memoryChart()->residencyCellCount(), 5);
        panel.reset();
        QCOMPARE(panel.latencyChart()->pointCount(), 0);
        QCOMPARE(panel.layerChart()->barCount(), 0);
        QCOMPARE(panel.timelineView()->laneCount(), 0);
    }

    void mainWindowHasThePerformanceWorkspace() {
        wb::ui::MainWindow window;
        window.setPersistWindowState(false);
        PerformancePanel* panel = window.performancePanel();
        QVERIFY(panel != nullptr);
        const int index = window.workspaces()->indexOf(panel);
        QVERIFY(index > 0);
        QCOMPARE(window.workspaces()->tabText(index), QStringLiteral("Performance"));
    }

public slots: // not a test function
    void countReplot() { ++replotCounts_[qobject_cast<QWidget*>(sender())]; }

private:
    QHash<QWidget*, int> replotCounts_;
};

QTEST_MAIN(ChartsTest)
#include "test_charts.moc"
