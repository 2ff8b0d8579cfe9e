#include "ui/generation_worker.h"

#include "engine/chat/chat_format.h"
#include "engine/model/kv_memory.h"
#include "engine/model/model.h"
#include "engine/session/chat_prompt.h"
#include "engine/session/generation_session.h"
#include "engine/synth/synth_model.h"
#include "engine/tensor/matmul.h"
#include "ui/demo_model.h"

#include <QFile>
#include <QFileInfo>

#include <chrono>
#include <exception>
#include <random>

namespace wb::ui {
namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

ContextOptions contextOptionsFor(const GenerationSettings& settings) {
    ContextOptions options;
    options.contextLength = settings.contextLength;
    options.threads = settings.threads;
    options.kvCacheType = settings.kvCacheType;
    return options;
}

QString describeFailure(const std::exception& error) {
    return QString::fromStdString(error.what());
}

} // namespace

GenerationWorker::GenerationWorker() {
    // Quantized weights are multiplied the way llama.cpp's CPU backend (and `iwb bench`) does it:
    // activations quantized per block, integer dot products. The float path dequantizes every weight row
    // and is several times slower on Q4/Q8 models.
    setKernelPath(KernelPath::QuantizedActivations);
}
GenerationWorker::~GenerationWorker() = default;

void GenerationWorker::requestStop(quint64 requestId) {
    quint64 previous = stopUpTo_.load();
    while (previous < requestId && !stopUpTo_.compare_exchange_weak(previous, requestId)) {
    }
    // Cancels a prompt in progress too; the token callback covers the rest.
    std::lock_guard lock(sessionMutex_);
    if (session_ && running_.load() != 0 && running_.load() <= requestId) session_->cancel();
}

void GenerationWorker::replaceSession(std::unique_ptr<GenerationSession> session) {
    std::unique_ptr<GenerationSession> old;
    {
        std::lock_guard lock(sessionMutex_);
        old = std::move(session_);
        session_ = std::move(session);
    }
    // `old` (its KV cache) is freed here, outside the lock.
}

void GenerationWorker::requestLoadCancel(quint64 loadId) {
    quint64 previous = cancelLoadUpTo_.load();
    while (previous < loadId && !cancelLoadUpTo_.compare_exchange_weak(previous, loadId)) {
    }
    // Either the load has not published its id yet (it then sees cancelLoadUpTo_ itself), or it has and
    // the flag is raised here; the worker lowers the flag only before that check.
    const quint64 current = currentLoad_.load();
    if (current != 0 && current <= loadId) cancelLoad_.store(true);
}

void GenerationWorker::loadModel(const QString& path, const GenerationSettings& settings, quint64 loadId) {
    const auto start = Clock::now();
    // The current model stays mapped (its pages are file-backed and reclaimable) until the new one is in,
    // so a cancelled load can go back to it; its KV cache is freed now.
    std::shared_ptr<const Model> previous = std::move(model_);
    const QString previousPath = modelPath_;
    const GenerationSettings previousSettings = contextSettings_;
    const double previousLoadMs = loadMs_;
    replaceSession(nullptr);
    model_.reset();
    modelPath_.clear();
    currentLoad_.store(loadId);
    cancelLoad_.store(false);
    if (loadId != 0 && cancelLoadUpTo_.load() >= loadId) cancelLoad_.store(true);
    try {
        Q_EMIT loadProgress(0.0);
        LoadOptions options;
        options.readIntoMemory = true;
        options.placement = FilePlacement::Automatic; // as iwb: repacked, or in 2 MiB pages when that fits
        options.repack = true;
        options.cancel = &cancelLoad_;
        options.progress = [this](double fraction) {
            Q_EMIT loadProgress(0.95 * fraction);
            if (loadProgressHook_) loadProgressHook_(fraction);
        };
        auto model = Model::load(QFile::encodeName(path).toStdString(), options);
        auto session = std::make_unique<GenerationSession>(model, contextOptionsFor(settings), 0.0);
        if (cancelLoad_.load()) throw LoadCancelledError("cancelled");
        currentLoad_.store(0);
        previous.reset();
        loadMs_ = msSince(start);
        model_ = std::move(model);
        modelPath_ = path;
        contextSettings_ = settings;
        replaceSession(std::move(session));
        Q_EMIT loadProgress(1.0);
        Q_EMIT modelLoaded(describeLoaded());
    } catch (const LoadCancelledError&) {
        currentLoad_.store(0);
        bool restored = false;
        if (previous) {
            try {
                replaceSession(std::make_unique<GenerationSession>(
                    previous, contextOptionsFor(previousSettings), previousLoadMs));
                model_ = std::move(previous);
                modelPath_ = previousPath;
                contextSettings_ = previousSettings;
                loadMs_ = previousLoadMs;
                restored = true;
                Q_EMIT modelLoaded(describeLoaded());
            } catch (const std::exception&) {
                replaceSession(
                    nullptr); // e.g. no memory for the KV cache again: no model, as after a failure
                model_.reset();
                modelPath_.clear();
            }
        }
        Q_EMIT loadCancelled(path, restored);
    } catch (const std::exception& error) {
        currentLoad_.store(0);
        replaceSession(nullptr);
        model_.reset();
        modelPath_.clear();
        Q_EMIT loadFailed(path, describeFailure(error));
    }
}

void GenerationWorker::unloadModel() {
    replaceSession(nullptr);
    model_.reset();
    modelPath_.clear();
    Q_EMIT modelUnloaded();
}

void GenerationWorker::prepareDemoModel(const QString& path) {
    try {
        if (!QFileInfo(path).isFile()) {
            synth::SynthOptions options = demoModelOptions();
            options.progress = [this](std::uint64_t done, std::uint64_t total) {
                if (total > 0) Q_EMIT loadProgress(double(done) / double(total));
            };
            synth::writeSyntheticModel(options, QFile::encodeName(path).toStdString());
        }
        Q_EMIT demoReady(path);
    } catch (const std::exception& error) {
        Q_EMIT loadFailed(path, describeFailure(error));
    }
}

LoadedModelInfo GenerationWorker::describeLoaded() const {
    LoadedModelInfo loaded;
    loaded.path = modelPath_;
    loaded.config = model_->config();
    loaded.info = describeModel(model_->file());
    loaded.weightBytes = model_->weightBytes();
    const ChatFormatDetection detection = ChatFormat::detect(loaded.info.chatTemplate);
    loaded.chatFormat = QString::fromUtf8(ChatFormat(detection.kind).name().data(),
                                          qsizetype(ChatFormat(detection.kind).name().size()));
    loaded.chatFormatRecognised = detection.recognised;
    loaded.chatFormatWarning = QString::fromStdString(detection.warning);
    const auto description = model_->file().getString("general.description");
    loaded.randomWeights = description && *description == synth::kRandomWeightsDescription;
    loaded.loadMs = loadMs_;
    if (session_) {
        loaded.contextLength = session_->contextLength();
        loaded.threads = session_->threadCount();
    }
    loaded.kvCacheType = contextSettings_.kvCacheType;
    loaded.kvCacheBytes = kvCacheBytesFor(loaded.config, loaded.contextLength, loaded.kvCacheType);
    return loaded;
}

void GenerationWorker::ensureContext(const GenerationSettings& settings) {
    if (session_ && settings.contextLength == contextSettings_.contextLength &&
        settings.threads == contextSettings_.threads && settings.kvCacheType == contextSettings_.kvCacheType)
        return;
    replaceSession(nullptr); // free the old KV cache before allocating the new one
    replaceSession(std::make_unique<GenerationSession>(model_, contextOptionsFor(settings), loadMs_));
    contextSettings_ = settings;
    Q_EMIT modelLoaded(describeLoaded()); // the card shows the new context and KV size
}

void GenerationWorker::generate(const GenerationRequest& request) {
    if (generateHook_) generateHook_();
    if (!model_) {
        Q_EMIT generationFailed(request.id, tr("No model is loaded."));
        return;
    }
    try {
        ensureContext(request.settings);
        GenerationSession& session = *session_;

        GenerationOptions options;
        options.maxTokens = request.settings.maxTokens;
        options.sampling = request.settings.sampling;
        if (request.settings.randomSeed) options.sampling.seed = std::random_device{}();
        for (const QString& stop : request.settings.stopStrings)
            if (!stop.isEmpty()) options.stopStrings.push_back(stop.toStdString());

        std::string prompt;
        if (request.mode == PromptMode::Chat) {
            std::vector<ChatMessage> messages;
            for (const ChatTurn& turn : request.turns)
                messages.push_back({turn.role.toStdString(), turn.content.toStdString()});
            const ChatPrompt chat = buildChatPrompt(session.model(), session.tokenizer(), messages);
            applyChatPrompt(chat, options);
            prompt = chat.text;
        } else {
            prompt = request.rawPrompt.toStdString();
        }

        options.telemetry.enabled = request.telemetry;
        auto passes = std::make_shared<std::vector<telemetry::PassReport>>();
        auto lastPassFlush = Clock::now();
        auto flushPasses = [&] {
            lastPassFlush = Clock::now();
            if (passes->empty()) return;
            Q_EMIT passesReported(PassBatch{std::move(passes)});
            passes = std::make_shared<std::vector<telemetry::PassReport>>();
        };
        if (request.telemetry) {
            options.telemetry.keepTrace = false; // the Performance workspace keeps what it needs
            options.telemetry.onPass = [&](const telemetry::PassReport& pass) {
                passes->push_back(pass);
                if (Clock::now() - lastPassFlush >= std::chrono::milliseconds(kChunkIntervalMs))
                    flushPasses();
            };
            options.telemetry.onMemory = [&](const telemetry::MemoryReport& memory) {
                flushPasses();
                Q_EMIT memoryReported(memory);
            };
        }

        std::vector<TokenId> promptIds = session.tokenize(prompt, options);
        const int promptTokens = int(promptIds.size());
        const int contextSize = session.contextLength();
        running_.store(request.id);
        Q_EMIT generationStarted(request.id, promptTokens, contextSize);
        if (stopUpTo_.load() >= request.id) session.cancel(); // stopped before it started

        TextChunk pending;
        pending.requestId = request.id;
        pending.contextSize = contextSize;
        auto lastFlush = Clock::now();
        std::string buffered;
        auto flush = [&] {
            pending.text = QString::fromStdString(buffered);
            buffered.clear();
            Q_EMIT textReady(pending);
            lastFlush = Clock::now();
        };
        const auto onToken = [&](const TokenEvent& event) {
            buffered.append(event.text);
            if (event.token != TokenEvent::kNoToken) pending.generatedTokens = event.index + 1;
            pending.contextUsed = promptTokens + pending.generatedTokens;
            pending.elapsedMs = event.elapsedMs;
            if (stopUpTo_.load(std::memory_order_relaxed) >= request.id) session.cancel();
            if (Clock::now() - lastFlush >= std::chrono::milliseconds(kChunkIntervalMs)) flush();
        };
        // Set before generate() clears the flag: checked again in the callback after the first token.
        GenerationResult result = session.generateFromTokens(std::move(promptIds), options, onToken);
        running_.store(0);
        flushPasses();
        if (!buffered.empty() || pending.generatedTokens == 0) flush();

        MessageStats stats;
        stats.valid = true;
        stats.promptTokens = promptTokens;
        stats.promptMs = result.timings.promptMs;
        stats.promptTokensPerSecond = result.timings.promptTokensPerSecond;
        stats.generatedTokens = int(result.ids.size());
        for (std::size_t i = 1; i < result.timings.tokenLatenciesMs.size(); ++i)
            stats.generationMs += result.timings.tokenLatenciesMs[i];
        stats.genTokensPerSecond = result.timings.genTokensPerSecond;
        stats.ttftMs = result.timings.ttftMs;
        stats.totalMs = result.timings.totalMs;
        const std::string_view reason = stopReasonName(result.stopReason);
        stats.stopReason = QString::fromUtf8(reason.data(), qsizetype(reason.size()));
        stats.contextUsed = promptTokens + stats.generatedTokens;
        stats.contextSize = contextSize;
        stats.seed = options.sampling.seed;
        Q_EMIT generationFinished(request.id, stats, QString::fromStdString(result.text));
    } catch (const std::exception& error) {
        running_.store(0);
        Q_EMIT generationFailed(request.id, describeFailure(error));
    }
}

void GenerationWorker::benchEngine(const GenerationSettings& settings, int depth, int tokens) {
    if (!model_) {
        Q_EMIT engineBenchFailed(tr("No model is loaded."));
        return;
    }
    try {
        ensureContext(settings);
        Q_EMIT engineBenchFinished(session_->benchGeneration(depth, tokens));
    } catch (const std::exception& error) {
        Q_EMIT engineBenchFailed(describeFailure(error));
    }
}

} // namespace wb::ui
