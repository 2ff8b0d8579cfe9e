#pragma once
// Named sampling presets: three built in, the user's own saved in the app settings (as JSON, one key each).
#include "ui/generation_types.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace wb::ui {

QJsonObject settingsToJson(const GenerationSettings& settings);
// Missing fields keep their defaults, so presets saved by older versions still load.
GenerationSettings settingsFromJson(const QJsonObject& json);

class SamplingPresets {
public:
    static QStringList builtinNames(); // "Balanced", "Precise (greedy)", "Creative"
    static bool isBuiltin(const QString& name);

    QStringList names() const; // built-in first, then the user's, sorted
    std::optional<GenerationSettings> find(const QString& name) const;
    // Saves (or replaces) a user preset; built-in names cannot be overwritten. False with a reason.
    bool save(const QString& name, const GenerationSettings& settings, QString* error = nullptr);
    bool remove(const QString& name);
};

} // namespace wb::ui
