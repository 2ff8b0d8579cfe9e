#include "ui/demo_model.h"

#include "engine/synth/quant_target.h"

#include <QDir>
#include <QStandardPaths>

namespace wb::ui {

synth::SynthOptions demoModelOptions() {
    synth::SynthOptions options;
    synth::ModelShape& shape = options.shape;
    shape.name = "Demo llama (random weights)";
    shape.arch = synth::Architecture::Llama;
    shape.layers = 6;
    shape.embedding = 384;
    shape.feedForward = 1024;
    shape.heads = 6;
    shape.kvHeads = 6;
    shape.vocab = 512; // the built-in byte vocabulary, padded
    shape.context = 2048;
    options.target = *synth::parseQuantTarget("q8_0");
    options.seed = 42;
    options.description = synth::kRandomWeightsDescription;
    return options;
}

QString demoModelPath() {
    const QString folder = QStandardPaths::writableLocation(QStandardPaths::CacheLocation);
    QDir().mkpath(folder);
    return QDir(folder).filePath(QStringLiteral("demo-llama-11M-q8_0.gguf"));
}

} // namespace wb::ui
