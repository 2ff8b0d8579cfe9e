// The cost model against hand calculations on the stories260K shapes, the roofline arithmetic, the
// machine probe and the token metrics.
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/telemetry/cost_model.h"
#include "engine/telemetry/machine_probe.h"
#include "engine/telemetry/recorder.h"
#include "engine/telemetry/roofline.h"
#include "engine/telemetry/token_metrics.h"
#include "tests/support/test_models.h"

using namespace wb;
using namespace wb::telemetry;

class CostsTest : public QObject {
    Q_OBJECT
private slots:
    void storedBytesPerType() {
        QCOMPARE(storedBytes(GgmlType::F32, 64 * 64), std::uint64_t{16384});
        QCOMPARE(storedBytes(GgmlType::F16, 64 * 64), std::uint64_t{8192});
        QCOMPARE(storedBytes(GgmlType::Q8_0, 64 * 64), std::uint64_t{4096 / 32 * 34});
        QCOMPARE(storedBytes(GgmlType::Q4_0, 64 * 64), std::uint64_t{4096 / 32 * 18});
        QCOMPARE(storedBytes(GgmlType::Q4_K, 4096 * 4096), std::uint64_t{4096ull * 4096 / 256 * 144});
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, storedBytes(GgmlType::Q4_0, 172));
    }

    void stories260KByHand() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        const auto file = gguf::GgufFile::open(path.toStdString());
        const ModelShapes shapes = ModelShapes::fromGguf(file);
        QCOMPARE(shapes.layers.size(), std::size_t{5});
        QCOMPARE(shapes.embedding, std::uint64_t{64});
        QCOMPARE(shapes.headCount, std::uint64_t{8});
        QCOMPARE(shapes.headCountKv, std::uint64_t{4});
        QCOMPARE(shapes.headDim, std::uint64_t{8});
        QCOMPARE(shapes.vocab, std::uint64_t{512});

        const PassShape one{9, 1, 1, GgmlType::F32}; // one generated token at position 9
        // attn_q: 64x64 F32 = 4096 * 4 bytes; 2 * 64 * 64 FLOPs.
        QCOMPARE(opCost(shapes, OpKind::QProj, 0, one), (OpCost{16384, 8192}));
        // attn_k / attn_v: 64 -> 32 (4 kv heads x 8).
        QCOMPARE(opCost(shapes, OpKind::KProj, 3, one), (OpCost{8192, 4096}));
        QCOMPARE(opCost(shapes, OpKind::VProj, 4, one), (OpCost{8192, 4096}));
        QCOMPARE(opCost(shapes, OpKind::OProj, 0, one), (OpCost{16384, 8192}));
        // ffn: 64 -> 172 and back: 11008 weights = 44032 bytes, 22016 FLOPs each.
        QCOMPARE(opCost(shapes, OpKind::FfnGate, 1, one), (OpCost{44032, 22016}));
        QCOMPARE(opCost(shapes, OpKind::FfnUp, 1, one), (OpCost{44032, 22016}));
        QCOMPARE(opCost(shapes, OpKind::FfnDown, 1, one), (OpCost{44032, 22016}));
        // RMSNorm of 64: 256-byte weight, 4 * 64 FLOPs.
        QCOMPARE(opCost(shapes, OpKind::AttnNorm, 2, one), (OpCost{256, 256}));
        QCOMPARE(opCost(shapes, OpKind::OutputNorm, -1, one), (OpCost{256, 256}));
        // rope: (8 q + 4 k heads) * 4 pairs * 6 FLOPs.
        QCOMPARE(opCost(shapes, OpKind::Rope, 0, one), (OpCost{0, 288}));
        // attention at position 9 attends 10 rows: 8 heads * 10 * (4 * 8 + 5) FLOPs;
        // reads K and V of 10 rows x 32 floats.
        QCOMPARE(opCost(shapes, OpKind::Attention, 0, one), (OpCost{2 * 10 * 32 * 4, 8 * 10 * 37}));
        QCOMPARE(opCost(shapes, OpKind::FfnActivation, 0, one), (OpCost{0, 5 * 172}));
        QCOMPARE(opCost(shapes, OpKind::Embedding, -1, one), (OpCost{256, 0}));
        QCOMPARE(opCost(shapes, OpKind::OutputHead, -1, one), (OpCost{131072, 65536}));
        QCOMPARE(opCost(shapes, OpKind::Sampling, -1, one), (OpCost{0, 512}));

        // A 5-token prompt from position 0: weights are read once, FLOPs scale with tokens, attention
        // attends 1 + 2 + 3 + 4 + 5 = 15 rows in total; the head runs for the last token only.
        const PassShape prompt{0, 5, 1, GgmlType::F32};
        QCOMPARE(opCost(shapes, OpKind::QProj, 0, prompt), (OpCost{16384, 5 * 8192}));
        QCOMPARE(opCost(shapes, OpKind::Attention, 0, prompt), (OpCost{2 * 5 * 32 * 4, 8 * 15 * 37}));
        QCOMPARE(opCost(shapes, OpKind::Embedding, -1, prompt), (OpCost{5 * 256, 0}));
        QCOMPARE(opCost(shapes, OpKind::OutputHead, -1, prompt), (OpCost{131072, 65536}));
        // An F16 KV cache halves the attention bytes.
        QCOMPARE(opCost(shapes, OpKind::Attention, 0, PassShape{9, 1, 1, GgmlType::F16}).bytes,
                 std::uint64_t{2 * 10 * 32 * 2});

        // Cross-check with the file: the weight bytes of one token's ops are every tensor except
        // token_embd, plus one embedding row.
        std::uint64_t opBytes = 0;
        for (int op = 0; op < kOpKindCount; ++op) {
            const auto kind = static_cast<OpKind>(op);
            if (isLayerOp(kind)) {
                for (int layer = 0; layer < 5; ++layer)
                    opBytes += opCost(shapes, kind, layer, PassShape{}).bytes;
            } else if (kind != OpKind::Attention) {
                opBytes += opCost(shapes, kind, -1, PassShape{}).bytes;
            }
        }
        for (int layer = 0; layer < 5; ++layer) // attention reads the cache, not weights
            opBytes -= opCost(shapes, OpKind::Attention, layer, PassShape{}).bytes;
        std::uint64_t fileBytes = 0;
        for (const auto& tensor : file.tensors())
            if (tensor.name != "token_embd.weight") fileBytes += tensor.byteSize;
        QCOMPARE(opBytes, fileBytes + 256);
        QCOMPARE(opBytes, std::uint64_t{1040384});

        QVERIFY_THROWS_EXCEPTION(std::out_of_range, opCost(shapes, OpKind::QProj, 5, one));
    }

    // The forward pass's cost table equals opCost() for every op, layer and pass shape (prompt chunks,
    // single tokens, no logits, both cache types), on every zoo model and the shared models.
    void passCostTableEqualsCostModel() {
        WB_REQUIRE_MODEL("stories260K.gguf", stories);
        QStringList paths{stories, wb::test::modelPath("llama-2-tiny-random.gguf")};
        for (const QFileInfo& info : QDir(wb::test::modelPath("zoo")).entryInfoList({"*.gguf"}, QDir::Files))
            paths << info.absoluteFilePath();
        int checked = 0;
        for (const QString& path : paths) {
            if (!QFileInfo::exists(path)) continue;
            const auto file = gguf::GgufFile::open(path.toStdString());
            ModelShapes shapes;
            try {
                shapes = ModelShapes::fromGguf(file);
            } catch (const std::runtime_error&) {
                continue; // a zoo file the forward pass does not run either
            }
            PassCostTable table(shapes);
            const int layers = static_cast<int>(shapes.layers.size());
            for (const PassShape pass :
                 {PassShape{0, 64, 1, GgmlType::F16}, PassShape{64, 1, 1, GgmlType::F16},
                  PassShape{65, 1, 1, GgmlType::F16}, PassShape{3, 7, 0, GgmlType::F32},
                  PassShape{0, 64, 1, GgmlType::F16}, PassShape{200, 1, 1, GgmlType::F32}}) {
                table.prepare(pass);
                for (int kind = 0; kind < kOpKindCount; ++kind) {
                    const auto op = static_cast<OpKind>(kind);
                    for (int layer = isLayerOp(op) ? 0 : -1; layer < (isLayerOp(op) ? layers : 0); ++layer) {
                        if (!(table.cost(op, layer) == opCost(shapes, op, layer, pass)))
                            QFAIL(qPrintable(QStringLiteral("%1: %2 of layer %3 differs from the cost model")
                                                 .arg(path)
                                                 .arg(QString::fromUtf8(opKindName(op).data()))
                                                 .arg(layer)));
                        ++checked;
                    }
                }
                QCOMPARE(table.cost(OpKind::QProj, -1), OpCost{}); // a block op outside the blocks
            }
        }
        QVERIFY(checked > 0);
        qInfo("%d op costs checked", checked);
    }

    void missingTensorIsNamed() {
        gguf::GgufWriter writer;
        writer.setString("general.architecture", "llama");
        writer.setUInt32("llama.block_count", 1);
        writer.setUInt32("llama.embedding_length", 32);
        writer.setUInt32("llama.feed_forward_length", 64);
        writer.setUInt32("llama.attention.head_count", 4);
        writer.addTensorF32("token_embd.weight", {32, 8}, std::vector<float>(256, 0.f));
        writer.addTensorF32("output_norm.weight", {32}, std::vector<float>(32, 1.f));
        const auto bytes = writer.toBytes();
        const auto file = gguf::GgufFile::parse(bytes, "tiny.gguf");
        try {
            ModelShapes::fromGguf(file);
            QFAIL("accepted a model without blocks' tensors");
        } catch (const std::runtime_error& error) {
            QVERIFY2(QString(error.what()).contains("blk.0.attn_q.weight"), error.what());
            QVERIFY2(QString(error.what()).contains("tiny.gguf"), error.what());
        }
    }

    void rooflineArithmetic() {
        const double bandwidth = 10e9; // 10 GB/s
        const double peak = 100e9;     // 100 GFLOP/s
        QCOMPARE(ridgePoint(bandwidth, peak), 10.0);
        // 1 MB and 1 MFLOP: 100 µs of memory vs 10 µs of compute -> memory bound, 100 µs.
        auto estimate = rooflineEstimate(1'000'000, 1'000'000, bandwidth, peak);
        QCOMPARE(estimate.bound, Bound::Memory);
        QCOMPARE(estimate.expectedNs, 100'000.0);
        // 1 KB and 10 MFLOP: 0.1 µs vs 100 µs -> compute bound.
        estimate = rooflineEstimate(1000, 10'000'000, bandwidth, peak);
        QCOMPARE(estimate.bound, Bound::Compute);
        QCOMPARE(estimate.expectedNs, 100'000.0);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, rooflineEstimate(1, 1, 0, peak));

        const auto op = [](int layer, OpKind kind, std::uint64_t bytes, std::uint64_t flops,
                           std::uint64_t ns) {
            Event event;
            event.kind = SpanKind::Op;
            event.layer = static_cast<std::int16_t>(layer);
            event.op = kind;
            event.bytes = bytes;
            event.flops = flops;
            event.startNs = 1000;
            event.endNs = 1000 + ns;
            return event;
        };
        const std::vector<Event> events = {
            op(0, OpKind::QProj, 1'000'000, 0, 200'000),       // expected 100 µs, measured 200 µs
            op(1, OpKind::QProj, 1'000'000, 0, 100'000),       // expected 100 µs, measured 100 µs
            op(1, OpKind::FfnUp, 1000, 10'000'000, 400'000),   // expected 100 µs (compute), measured 400 µs
            op(-1, OpKind::OutputHead, 2'000'000, 0, 200'000), // expected 200 µs, measured 200 µs
        };
        std::vector<Event> withSpans = events;
        Event layerSpan = op(0, OpKind::Other, 0, 0, 999'999);
        layerSpan.kind = SpanKind::Layer; // not an op: ignored
        withSpans.push_back(layerSpan);
        const RooflineReport report = buildRoofline(withSpans, bandwidth, peak);
        const RooflineRow& q = report.byOp[static_cast<int>(OpKind::QProj)];
        QCOMPARE(q.count, std::uint64_t{2});
        QCOMPARE(q.expectedNs, 200'000.0);
        QCOMPARE(q.measuredNs, 300'000.0);
        QCOMPARE(q.ratio(), 1.5);
        QCOMPARE(report.byOp[static_cast<int>(OpKind::FfnUp)].ratio(), 4.0);
        QCOMPARE(report.byOp[static_cast<int>(OpKind::FfnUp)].memoryBound, std::uint64_t{0});
        QCOMPARE(report.byLayer.size(), std::size_t{2});
        QCOMPARE(report.byLayer[0].ratio(), 2.0);
        QCOMPARE(report.byLayer[1].ratio(), 2.5); // (100 + 400) / (100 + 100)
        QCOMPARE(report.global.ratio(), 1.0);
        QCOMPARE(report.total.count, std::uint64_t{4});
        QCOMPARE(report.total.ratio(), 900'000.0 / 500'000.0);
        QCOMPARE(report.byOp[static_cast<int>(OpKind::Rope)].ratio(), 0.0); // nothing recorded
    }

    void machineProbeMeasuresPlausiblePeaks() {
        const MachinePeaks& peaks = machinePeaks();
        qInfo("machine: read bandwidth %.2f GB/s on %d threads, compute %.1f GFLOP/s on %d threads (%s), "
              "probe took %.0f ms",
              peaks.readBytesPerSecond / 1e9, peaks.bandwidthThreads, peaks.flopsPerSecond / 1e9,
              peaks.computeThreads, peaks.computeKernel.c_str(), peaks.probeMs);
        QVERIFY(peaks.readBytesPerSecond > 0.5e9 && peaks.readBytesPerSecond < 2e12);
        QVERIFY(peaks.flopsPerSecond > 0.5e9 && peaks.flopsPerSecond < 1e14);
        QCOMPARE(&machinePeaks(), &peaks); // cached: measured once per process
        std::string kernel;
        const double baseline = measureComputePeak(1, 2, false, &kernel);
        QCOMPARE(QString::fromStdString(kernel), QStringLiteral("baseline-sse2"));
        QVERIFY(baseline > 0.1e9);
        qInfo("baseline SSE2 kernel, 1 thread: %.1f GFLOP/s", baseline / 1e9);
        if (detail::cpuHasAvx2Fma()) {
            QCOMPARE(QString::fromStdString(peaks.computeKernel), QStringLiteral("avx2-fma"));
            const double avx2 = measureComputePeak(1, 2, true);
            qInfo("AVX2 FMA kernel, 1 thread: %.1f GFLOP/s", avx2 / 1e9);
            QVERIFY2(avx2 > baseline, "the AVX2 FMA loop should beat the SSE2 loop");
        }
        // Both kernels compute the same recurrence, so their results agree.
        double flopsA = 0, flopsB = 0;
        const float a = detail::fmaLoopBaseline(1000, 0.5f, &flopsA);
        QCOMPARE(flopsA, 1000.0 * 32 * 2);
        if (detail::cpuHasAvx2Fma()) {
            const float b = detail::fmaLoopAvx2(1000, 0.5f, &flopsB);
            QVERIFY(std::isfinite(a) && std::isfinite(b) && b > 0);
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, measureReadBandwidth(1024, 1, 1));
    }

    void generationMetricsByHand() {
        GenerationMetrics metrics;
        metrics.promptTokens = 50;
        metrics.promptMs = 250;
        metrics.ttftMs = 260;
        metrics.tokenLatencyMs = {10, 20, 30, 40};
        metrics.contextUsed = 54;
        metrics.contextSize = 216;
        QCOMPARE(metrics.promptTokensPerSecond(), 200.0);
        QCOMPARE(metrics.generationMs(), 100.0);
        QCOMPARE(metrics.generationTokensPerSecond(), 40.0);
        QCOMPARE(metrics.contextFill(), 0.25);
        QCOMPARE(metrics.latencyPercentileMs(50), 20.0);
        QCOMPARE(metrics.latencyPercentileMs(90), 40.0);
        QCOMPARE(metrics.latencyPercentileMs(0), 10.0);

        GenerationTimer timer(128);
        timer.requestStarted();
        timer.promptFinished(7);
        for (int i = 0; i < 3; ++i)
            timer.tokenGenerated();
        const GenerationMetrics& timed = timer.metrics();
        QCOMPARE(timed.promptTokens, 7);
        QCOMPARE(timed.generatedTokens(), 3);
        QCOMPARE(timed.contextUsed, 10);
        QVERIFY(timed.ttftMs >= timed.promptMs);
        QVERIFY(timed.ttftMs <= timed.promptMs + timed.tokenLatencyMs.front() + 1e-6);
    }
};

QTEST_GUILESS_MAIN(CostsTest)
#include "test_costs.moc"
