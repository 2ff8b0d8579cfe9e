#pragma once
// The only object that talks to the engine. It lives on the generation thread (GenerationController moves
// it there) and is driven by queued calls; it answers with queued signals carrying plain structs, never
// formatted text (error messages excepted). GPT4All's ChatLLM is the model for this split.
//
// Streaming text is coalesced here: the token callback appends to a buffer and a TextChunk leaves at most
// every kChunkIntervalMs, so the GUI thread handles ~20 appends per second however fast the model is. Pass
// reports are batched the same way (a memory report first sends the passes before it, keeping the order).
#include "ui/generation_types.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

namespace wb {
class GenerationSession;
class Model;
} // namespace wb

namespace wb::ui {

class GenerationWorker : public QObject {
    Q_OBJECT
public:
    static constexpr int kChunkIntervalMs = 50;

    GenerationWorker();
    ~GenerationWorker() override;

    // Thread-safe (GUI thread): stops request `requestId` (and any earlier one) within one token, also
    // while the prompt is being processed or before the request has started.
    void requestStop(quint64 requestId);
    // Thread-safe (GUI thread): cancels load `loadId` (and any earlier one) within about 1 MiB of reading,
    // also before it has started. The worker then goes back to the model it had before (or none).
    void requestLoadCancel(quint64 loadId);
    // Tests: called on the worker thread after every load progress report, just before the engine checks
    // the cancel flag (so a test can hold the load at a known point). Set it while no load runs.
    void setLoadProgressHook(std::function<void(double)> hook) { loadProgressHook_ = std::move(hook); }
    // Tests: called on the worker thread when a generate request is taken up, before anything else (so a
    // test can stop a request that has certainly not started). Set it while no generation runs.
    void setGenerateHook(std::function<void()> hook) { generateHook_ = std::move(hook); }

    // Slots, run on the worker thread (the controller invokes them queued).
    // loadId: the controller's number for this load (0: cannot be cancelled).
    void loadModel(const QString& path, const wb::ui::GenerationSettings& settings, quint64 loadId = 0);
    void unloadModel();
    // Writes the demo model to `path` unless it is already there, then emits demoReady(path).
    void prepareDemoModel(const QString& path);
    void generate(const wb::ui::GenerationRequest& request);
    // Times iwb bench's generation loop (tokens greedy passes after depth random tokens, telemetry off) on
    // the loaded model's context with `settings`; answers with engineBenchFinished or engineBenchFailed.
    void benchEngine(const wb::ui::GenerationSettings& settings, int depth, int tokens);

Q_SIGNALS:
    void loadProgress(double fraction); // 0..1
    void modelLoaded(const wb::ui::LoadedModelInfo& model);
    void loadFailed(const QString& path, const QString& message);
    // The load of `path` was cancelled. Emitted after modelLoaded(previous model) when one was restored;
    // `restored` says whether a model is loaded now.
    void loadCancelled(const QString& path, bool restored);
    void modelUnloaded();
    void demoReady(const QString& path);
    void generationStarted(quint64 requestId, int promptTokens, int contextSize);
    void textReady(const wb::ui::TextChunk& chunk);
    void generationFinished(quint64 requestId, const wb::ui::MessageStats& stats, const QString& text);
    void generationFailed(quint64 requestId, const QString& message);
    void passesReported(const wb::ui::PassBatch& batch); // at most every kChunkIntervalMs, in order
    void memoryReported(const wb::telemetry::MemoryReport& memory);
    void engineBenchFinished(double tokensPerSecond);
    void engineBenchFailed(const QString& message);

private:
    // Rebuilds the session when the context size, threads or KV type differ from the current ones.
    void ensureContext(const GenerationSettings& settings);
    LoadedModelInfo describeLoaded() const;
    void replaceSession(std::unique_ptr<GenerationSession> session);

    std::shared_ptr<const Model> model_;
    QString modelPath_;
    double loadMs_ = 0;
    std::mutex sessionMutex_; // guards session_ against requestStop() from the GUI thread
    std::unique_ptr<GenerationSession> session_;
    GenerationSettings contextSettings_;
    std::atomic<quint64> stopUpTo_{0};
    std::atomic<quint64> running_{0};
    std::atomic<quint64> cancelLoadUpTo_{0};
    std::atomic<quint64> currentLoad_{0};
    std::atomic<bool> cancelLoad_{false}; // the engine's flag for the load in progress
    std::function<void(double)> loadProgressHook_;
    std::function<void()> generateHook_;
};

} // namespace wb::ui
