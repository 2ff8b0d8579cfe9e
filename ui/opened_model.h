#pragma once
// A model file the app has opened: the parsed GGUF (memory-mapped, shared) and its description.
// Immutable once built, so it can be handed from a loader thread to the GUI thread by shared pointer.
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/model_info.h"

#include <QMetaType>

#include <memory>

namespace wb::ui {

struct OpenedModel {
    gguf::GgufFile file;
    ModelInfo info;
};

using OpenedModelPtr = std::shared_ptr<const OpenedModel>;

} // namespace wb::ui

Q_DECLARE_METATYPE(wb::ui::OpenedModelPtr)
