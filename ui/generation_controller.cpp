#include "ui/generation_controller.h"

#include "ui/demo_model.h"
#include "ui/generation_worker.h"

#include <QMetaMethod>
#include <QThread>

namespace wb::ui {

GenerationController::GenerationController(QObject* parent) : QObject(parent) {
    registerGenerationMetaTypes();
    thread_ = new QThread(this);
    thread_->setObjectName(QStringLiteral("generation"));
    worker_ = new GenerationWorker; // no parent: it lives on thread_
    worker_->moveToThread(thread_);
    connect(thread_, &QThread::finished, worker_, &QObject::deleteLater);

    constexpr auto queued = Qt::QueuedConnection;
    connect(worker_, &GenerationWorker::loadProgress, this, &GenerationController::loadProgress, queued);
    connect(worker_, &GenerationWorker::engineBenchFinished, this, &GenerationController::engineBenchFinished,
            queued);
    connect(worker_, &GenerationWorker::engineBenchFailed, this, &GenerationController::engineBenchFailed,
            queued);
    connect(
        worker_, &GenerationWorker::modelLoaded, this,
        [this](const LoadedModelInfo& model) {
            const bool wasLoading = loading_;
            loading_ = false;
            loadId_ = 0;
            model_ = model;
            Q_EMIT modelLoaded(model);
            if (wasLoading) Q_EMIT busyChanged();
        },
        queued);
    connect(
        worker_, &GenerationWorker::loadFailed, this,
        [this](const QString& path, const QString& message) {
            loading_ = false;
            loadId_ = 0;
            model_.reset();
            Q_EMIT loadFailed(path, message);
            Q_EMIT busyChanged();
        },
        queued);
    connect(
        worker_, &GenerationWorker::loadCancelled, this,
        [this](const QString& path, bool restored) {
            const bool wasLoading = loading_;
            loading_ = false;
            loadId_ = 0;
            if (!restored) model_.reset();
            Q_EMIT loadCancelled(path, restored);
            if (wasLoading) Q_EMIT busyChanged();
        },
        queued);
    connect(
        worker_, &GenerationWorker::modelUnloaded, this,
        [this] {
            model_.reset();
            Q_EMIT modelUnloaded();
        },
        queued);
    connect(
        worker_, &GenerationWorker::demoReady, this,
        [this](const QString& path) {
            loading_ = false;
            Q_EMIT busyChanged();
            Q_EMIT demoReady(path);
        },
        queued);
    connect(worker_, &GenerationWorker::generationStarted, this, &GenerationController::generationStarted,
            queued);
    connect(worker_, &GenerationWorker::textReady, this, &GenerationController::textAppended, queued);
    connect(
        worker_, &GenerationWorker::generationFinished, this,
        [this](quint64 id, const MessageStats& stats, const QString& text) {
            if (id == generatingId_) generatingId_ = 0;
            Q_EMIT generationFinished(id, stats, text);
            Q_EMIT busyChanged();
        },
        queued);
    connect(
        worker_, &GenerationWorker::generationFailed, this,
        [this](quint64 id, const QString& message) {
            if (id == generatingId_) generatingId_ = 0;
            Q_EMIT generationFailed(id, message);
            Q_EMIT busyChanged();
        },
        queued);
    connect(
        worker_, &GenerationWorker::passesReported, this,
        [this](const PassBatch& batch) {
            if (!batch.passes) return;
            Q_EMIT passesReported(batch);
            if (isSignalConnected(QMetaMethod::fromSignal(&GenerationController::passReported)))
                for (const telemetry::PassReport& pass : *batch.passes)
                    Q_EMIT passReported(pass);
        },
        queued);
    connect(worker_, &GenerationWorker::memoryReported, this, &GenerationController::memoryReported, queued);
    thread_->start();
}

GenerationController::~GenerationController() {
    if (generatingId_ != 0) worker_->requestStop(generatingId_);
    thread_->quit();
    thread_->wait();
}

void GenerationController::loadModel(const QString& path, const GenerationSettings& settings) {
    if (generatingId_ != 0) worker_->requestStop(generatingId_);
    loading_ = true;
    loadId_ = nextLoadId_++;
    model_.reset();
    Q_EMIT loadStarted(path);
    Q_EMIT busyChanged();
    GenerationWorker* worker = worker_;
    const quint64 id = loadId_;
    QMetaObject::invokeMethod(
        worker_, [worker, path, settings, id] { worker->loadModel(path, settings, id); },
        Qt::QueuedConnection);
}

void GenerationController::setLoadProgressHook(std::function<void(double)> hook) {
    worker_->setLoadProgressHook(std::move(hook));
}

void GenerationController::setGenerateHook(std::function<void()> hook) {
    worker_->setGenerateHook(std::move(hook));
}

void GenerationController::cancelLoad() {
    if (canCancelLoad()) worker_->requestLoadCancel(loadId_);
}

void GenerationController::unloadModel() {
    if (generatingId_ != 0) worker_->requestStop(generatingId_);
    GenerationWorker* worker = worker_;
    QMetaObject::invokeMethod(
        worker_, [worker] { worker->unloadModel(); }, Qt::QueuedConnection);
}

void GenerationController::prepareDemoModel() {
    loading_ = true;
    loadId_ = 0;
    const QString path = demoModelPath();
    Q_EMIT loadStarted(path);
    Q_EMIT busyChanged();
    GenerationWorker* worker = worker_;
    QMetaObject::invokeMethod(
        worker_, [worker, path] { worker->prepareDemoModel(path); }, Qt::QueuedConnection);
}

quint64 GenerationController::generate(GenerationRequest request) {
    if (loading_ || !model_ || generatingId_ != 0) return 0;
    request.id = nextId_++;
    generatingId_ = request.id;
    GenerationWorker* worker = worker_;
    QMetaObject::invokeMethod(
        worker_, [worker, request] { worker->generate(request); }, Qt::QueuedConnection);
    Q_EMIT busyChanged();
    return request.id;
}

bool GenerationController::benchEngine(const GenerationSettings& settings, int depth, int tokens) {
    if (loading_ || !model_ || generatingId_ != 0) return false;
    GenerationWorker* worker = worker_;
    QMetaObject::invokeMethod(
        worker_, [worker, settings, depth, tokens] { worker->benchEngine(settings, depth, tokens); },
        Qt::QueuedConnection);
    return true;
}

void GenerationController::stop() {
    if (generatingId_ != 0) worker_->requestStop(generatingId_);
}

} // namespace wb::ui
