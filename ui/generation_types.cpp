#include "ui/generation_types.h"

namespace wb::ui {

bool GenerationSettings::operator==(const GenerationSettings& other) const {
    const SamplingParams& a = sampling;
    const SamplingParams& b = other.sampling;
    return a.temperature == b.temperature && a.topK == b.topK && a.topP == b.topP && a.minP == b.minP &&
           a.repeatPenalty == b.repeatPenalty && a.repeatLastN == b.repeatLastN &&
           a.presencePenalty == b.presencePenalty && a.frequencyPenalty == b.frequencyPenalty &&
           a.seed == b.seed && maxTokens == other.maxTokens && stopStrings == other.stopStrings &&
           threads == other.threads && contextLength == other.contextLength &&
           kvCacheType == other.kvCacheType && randomSeed == other.randomSeed && telemetry == other.telemetry;
}

void registerGenerationMetaTypes() {
    qRegisterMetaType<GenerationRequest>("wb::ui::GenerationRequest");
    qRegisterMetaType<MessageStats>("wb::ui::MessageStats");
    qRegisterMetaType<TextChunk>("wb::ui::TextChunk");
    qRegisterMetaType<LoadedModelInfo>("wb::ui::LoadedModelInfo");
    qRegisterMetaType<PassBatch>("wb::ui::PassBatch");
    qRegisterMetaType<telemetry::PassReport>("wb::telemetry::PassReport");
    qRegisterMetaType<telemetry::MemoryReport>("wb::telemetry::MemoryReport");
}

} // namespace wb::ui
