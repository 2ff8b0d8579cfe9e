#pragma once
// The "what is this model" summary (what `iwb inspect` prints above its tensor list), as labelled rows
// grouped in sections. Only formatting: every number comes from wb::ModelInfo or the GGUF file.
#include "ui/opened_model.h"

#include <QString>

#include <vector>

namespace wb::ui {

struct OverviewRow {
    QString label;
    QString value;
};

struct OverviewSection {
    QString title;
    std::vector<OverviewRow> rows;
};

std::vector<OverviewSection> overviewSections(const OpenedModel& model);

// One line for headers and the status bar: architecture, general.name when it says more, parameter
// count, file size, tensor count, file type: "llama · 292,800 parameters · 1.13 MiB · 48 tensors".
QString oneLineSummary(const OpenedModel& model);

// What to call the model in titles: its file name (general.name is often just the architecture).
QString displayName(const OpenedModel& model);

} // namespace wb::ui
