#pragma once
// What the GUI thread and the generation worker thread send each other. Plain values only: the worker
// reports numbers and raw text, the views do all formatting. Every type that crosses the thread boundary
// in a queued signal is declared as a Qt metatype here and registered by registerGenerationMetaTypes().
#include "engine/gguf/model_info.h"
#include "engine/model/kv_cache.h"
#include "engine/model/model_config.h"
#include "engine/sampling/sampler.h"
#include "ui/telemetry_metatypes.h"

#include <QMetaType>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <vector>

namespace wb::ui {

enum class PromptMode { Chat, Raw };

// Everything the sampling panel controls. contextLength/threads/kvCacheType size the inference context;
// the worker rebuilds the context when they change (the weights stay loaded).
struct GenerationSettings {
    SamplingParams sampling;
    int maxTokens = 256;     // < 0: until the end of generation or a full context
    QStringList stopStrings; // generation stops before any of them
    int threads = 0;         // 0: physical cores
    int contextLength = 0;   // 0: min(trained context, 4096)
    KvCacheType kvCacheType = KvCacheType::F16;
    bool randomSeed = false; // draw a fresh seed for every generation (the used seed is kept in the stats)
    bool telemetry = true;   // per-pass reports for the Performance workspace

    bool operator==(const GenerationSettings& other) const;
};

struct ChatTurn {
    QString role; // "system", "user", "assistant"
    QString content;
};

struct GenerationRequest {
    quint64 id = 0; // assigned by the controller
    PromptMode mode = PromptMode::Chat;
    std::vector<ChatTurn> turns; // chat mode: the conversation so far (system first, then user/assistant)
    QString rawPrompt;           // raw mode: the text to continue
    GenerationSettings settings;
    bool telemetry = true; // per-pass reports for the Performance workspace
};

// Kept with every generated message.
struct MessageStats {
    int promptTokens = 0;
    double promptMs = 0;
    double promptTokensPerSecond = 0;
    int generatedTokens = 0;
    double generationMs = 0; // first to last generated token
    double genTokensPerSecond = 0;
    double ttftMs = 0;
    double totalMs = 0;
    QString stopReason; // stopReasonName(): "end_of_generation", "max_tokens", ...
    int contextUsed = 0;
    int contextSize = 0;
    quint64 seed = 0;
    bool valid = false;
};

// Worker → GUI while tokens stream; coalesced by the worker so that at most one arrives every ~30 ms.
struct TextChunk {
    quint64 requestId = 0;
    QString text;
    int generatedTokens = 0; // so far
    int contextUsed = 0;     // prompt + generated so far
    int contextSize = 0;
    double elapsedMs = 0;
};

// The model the worker has loaded, for the model card.
struct LoadedModelInfo {
    QString path;
    ModelConfig config;
    ModelInfo info; // file description (parameter count, type totals, chat template)
    std::uint64_t weightBytes = 0;
    QString chatFormat; // the recognised chat format's name, "raw" when none
    bool chatFormatRecognised = false;
    QString chatFormatWarning;
    bool randomWeights = false; // a synthetic model (general.description says so)
    double loadMs = 0;
    int contextLength = 0; // of the current inference context
    int threads = 0;
    KvCacheType kvCacheType = KvCacheType::F16;
    std::uint64_t kvCacheBytes = 0; // allocated for the current context
};

// Worker → GUI: the pass reports of the last ~30 ms, in order. One queued signal per batch instead of one
// per token, so a fast model does not wake the GUI thread (and take a core from the forward pass) on every
// token; GenerationController forwards the batch (passesReported) and, when connected, each pass.
// Shared, so the queued signal copies a pointer, not every report.
struct PassBatch {
    std::shared_ptr<const std::vector<telemetry::PassReport>> passes;
};

// Registers the types above and the telemetry reports for queued connections (idempotent).
void registerGenerationMetaTypes();

} // namespace wb::ui

Q_DECLARE_METATYPE(wb::ui::GenerationRequest)
Q_DECLARE_METATYPE(wb::ui::MessageStats)
Q_DECLARE_METATYPE(wb::ui::TextChunk)
Q_DECLARE_METATYPE(wb::ui::LoadedModelInfo)
Q_DECLARE_METATYPE(wb::ui::PassBatch)
