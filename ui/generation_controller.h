#pragma once
// The GUI thread's handle on generation. Owns the generation thread and its GenerationWorker (moved to
// that thread); every call here returns at once and results come back through the signals below, all
// delivered on the GUI thread through explicit queued connections. Stop is an atomic flag the worker checks
// after every token (and the session checks between prompt chunks), so it takes effect within one token.
//
// Signals for other workspaces (names are part of the app's internal API):
//   passesReported(PassBatch)                   the forward passes (prompt chunks, generated tokens) of the
//                                               last ~50 ms, in order, while a generation runs with telemetry
//                                               on; feeds "Performance" with one call per batch.
//   passReported(wb::telemetry::PassReport)     the same passes one by one (only emitted when connected).
//   memoryReported(wb::telemetry::MemoryReport) memory samples (weights residency, KV, scratch, RSS) at most
//                                               every 250 ms during a generation, plus first and last.
//   generationStarted(id, promptTokens, contextSize)   a new run begins (reset per-run views here).
//   generationFinished(id, MessageStats, text)         a run ended; the stats say why.
// Both report types are Qt metatypes (ui/telemetry_metatypes.h), registered by the constructor.
#include "ui/generation_types.h"

#include <QObject>
#include <QString>

#include <functional>
#include <optional>

class QThread;

namespace wb::ui {

class GenerationWorker;

class GenerationController : public QObject {
    Q_OBJECT
public:
    explicit GenerationController(QObject* parent = nullptr);
    ~GenerationController() override; // stops a running generation and joins the thread

    // Loads (or switches to) a model; the current one is unloaded first. Settings size the context.
    void loadModel(const QString& path, const GenerationSettings& settings);
    // Cancels the model load in progress (no-op otherwise): the worker stops reading within about 1 MiB and
    // goes back to the model loaded before (modelLoaded(previous), then loadCancelled(path, true)) or to
    // none (loadCancelled(path, false)). The demo model's first write is not cancellable.
    void cancelLoad();
    bool canCancelLoad() const { return loading_ && loadId_ != 0; }
    // Tests: see GenerationWorker::setLoadProgressHook (runs on the generation thread). Set while idle.
    void setLoadProgressHook(std::function<void(double)> hook);
    // Tests: see GenerationWorker::setGenerateHook (runs on the generation thread). Set while idle.
    void setGenerateHook(std::function<void()> hook);
    void unloadModel();
    // Writes the demo model into the cache folder if needed; emits demoReady(path) when it can be opened.
    void prepareDemoModel();
    // Queues a generation; returns its id. Ignored (returns 0) while loading or without a model.
    quint64 generate(GenerationRequest request);
    // Stops the current generation (no-op when idle).
    void stop();
    // Times iwb bench's generation loop on the generation thread (GenerationWorker::benchEngine): the
    // engine's speed in this process, to compare the app's replies with. Ignored (returns false) unless a
    // model is loaded and nothing else runs; the answer is engineBenchFinished or engineBenchFailed.
    bool benchEngine(const GenerationSettings& settings, int depth, int tokens);

    bool isLoading() const { return loading_; }
    bool isGenerating() const { return generatingId_ != 0; }
    bool hasModel() const { return model_.has_value(); }
    const std::optional<LoadedModelInfo>& model() const { return model_; }
    quint64 currentRequestId() const { return generatingId_; }

Q_SIGNALS:
    void loadStarted(const QString& path);
    void loadProgress(double fraction);
    void modelLoaded(const wb::ui::LoadedModelInfo& model);
    void loadFailed(const QString& path, const QString& message);
    void loadCancelled(const QString& path, bool restored);
    void modelUnloaded();
    void demoReady(const QString& path);
    void generationStarted(quint64 requestId, int promptTokens, int contextSize);
    void textAppended(const wb::ui::TextChunk& chunk);
    void generationFinished(quint64 requestId, const wb::ui::MessageStats& stats, const QString& text);
    void generationFailed(quint64 requestId, const QString& message);
    void passesReported(const wb::ui::PassBatch& batch);
    void passReported(const wb::telemetry::PassReport& pass);
    void memoryReported(const wb::telemetry::MemoryReport& memory);
    void busyChanged(); // loading or generating changed
    void engineBenchFinished(double tokensPerSecond);
    void engineBenchFailed(const QString& message);

private:
    QThread* thread_ = nullptr;
    GenerationWorker* worker_ = nullptr;
    std::optional<LoadedModelInfo> model_;
    bool loading_ = false;
    quint64 loadId_ = 0; // the model load in progress (0: none, or the demo model is being written)
    quint64 nextLoadId_ = 1;
    quint64 nextId_ = 1;
    quint64 generatingId_ = 0;
};

} // namespace wb::ui
