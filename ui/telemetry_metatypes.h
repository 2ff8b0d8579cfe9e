#pragma once
// The engine's live telemetry reports travel in queued signals from the generation worker thread to the
// GUI (GenerationController::passReported / memoryReported). Qt 6 creates their metatypes on first use in
// a signal or slot, so there is deliberately no Q_DECLARE_METATYPE here: other moc'ed headers (ui/charts)
// already instantiate QMetaTypeId for them, and a later declaration would be a redefinition.
// registerGenerationMetaTypes() (ui/generation_types.h) registers them by name for queued connections.
#include "engine/telemetry/pass_report.h"

#include <QMetaType>
