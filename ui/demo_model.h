#pragma once
// The built-in demo: when no model is open, the app can make a small llama-shaped model with random
// weights and the byte vocabulary (engine/synth), written once into the app's cache folder. Its timings
// are real; its text is noise, and the app labels it so (synth::kRandomWeightsDescription).
#include "engine/synth/synth_model.h"

#include <QString>

namespace wb::ui {

// ~11M parameters: 6 layers, 384 wide, 1024 feed-forward, 6 heads, 512-token byte vocabulary, Q8_0.
synth::SynthOptions demoModelOptions();

// <cache folder>/demo-llama-11M-q8_0.gguf (QStandardPaths::CacheLocation, e.g. ~/.cache/...).
QString demoModelPath();

} // namespace wb::ui
