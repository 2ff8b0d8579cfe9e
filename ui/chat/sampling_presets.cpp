#include "ui/chat/sampling_presets.h"

#include "ui/app_settings.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSettings>

namespace wb::ui {
namespace {

constexpr char kPresetGroup[] = "samplingPresets";

GenerationSettings builtin(const QString& name) {
    GenerationSettings settings; // "Balanced": llama.cpp's defaults
    if (name == QLatin1String("Precise (greedy)")) {
        settings.sampling.temperature = 0.0f;
        settings.sampling.topK = 1;
    } else if (name == QLatin1String("Creative")) {
        settings.sampling.temperature = 1.1f;
        settings.sampling.topK = 100;
        settings.sampling.topP = 0.98f;
        settings.sampling.minP = 0.02f;
        settings.sampling.repeatPenalty = 1.1f;
    }
    return settings;
}

QJsonObject readObject(const QVariant& value) {
    return QJsonDocument::fromJson(value.toString().toUtf8()).object();
}

} // namespace

QJsonObject settingsToJson(const GenerationSettings& settings) {
    const SamplingParams& s = settings.sampling;
    return QJsonObject{
        {QStringLiteral("temperature"), double(s.temperature)},
        {QStringLiteral("top_k"), s.topK},
        {QStringLiteral("top_p"), double(s.topP)},
        {QStringLiteral("min_p"), double(s.minP)},
        {QStringLiteral("repeat_penalty"), double(s.repeatPenalty)},
        {QStringLiteral("repeat_last_n"), s.repeatLastN},
        {QStringLiteral("seed"), QString::number(s.seed)},
        {QStringLiteral("random_seed"), settings.randomSeed},
        {QStringLiteral("max_tokens"), settings.maxTokens},
        {QStringLiteral("stop"), QJsonArray::fromStringList(settings.stopStrings)},
        {QStringLiteral("threads"), settings.threads},
        {QStringLiteral("context_length"), settings.contextLength},
        {QStringLiteral("kv_cache"), settings.kvCacheType == KvCacheType::F16 ? "f16" : "f32"},
        {QStringLiteral("telemetry"), settings.telemetry},
    };
}

GenerationSettings settingsFromJson(const QJsonObject& json) {
    GenerationSettings settings;
    SamplingParams& s = settings.sampling;
    s.temperature = float(json.value(QStringLiteral("temperature")).toDouble(s.temperature));
    s.topK = json.value(QStringLiteral("top_k")).toInt(s.topK);
    s.topP = float(json.value(QStringLiteral("top_p")).toDouble(s.topP));
    s.minP = float(json.value(QStringLiteral("min_p")).toDouble(s.minP));
    s.repeatPenalty = float(json.value(QStringLiteral("repeat_penalty")).toDouble(s.repeatPenalty));
    s.repeatLastN = json.value(QStringLiteral("repeat_last_n")).toInt(s.repeatLastN);
    bool ok = false;
    const quint64 seed = json.value(QStringLiteral("seed")).toString().toULongLong(&ok);
    if (ok) s.seed = seed;
    settings.randomSeed = json.value(QStringLiteral("random_seed")).toBool(false);
    settings.maxTokens = json.value(QStringLiteral("max_tokens")).toInt(settings.maxTokens);
    for (const QJsonValue& stop : json.value(QStringLiteral("stop")).toArray())
        settings.stopStrings.append(stop.toString());
    settings.threads = json.value(QStringLiteral("threads")).toInt(settings.threads);
    settings.contextLength = json.value(QStringLiteral("context_length")).toInt(settings.contextLength);
    settings.kvCacheType = json.value(QStringLiteral("kv_cache")).toString() == QLatin1String("f32")
                               ? KvCacheType::F32
                               : KvCacheType::F16;
    settings.telemetry = json.value(QStringLiteral("telemetry")).toBool(true);
    return settings;
}

QStringList SamplingPresets::builtinNames() {
    return {QStringLiteral("Balanced"), QStringLiteral("Precise (greedy)"), QStringLiteral("Creative")};
}

bool SamplingPresets::isBuiltin(const QString& name) {
    return builtinNames().contains(name);
}

QStringList SamplingPresets::names() const {
    const auto settings = openAppSettings();
    settings->beginGroup(kPresetGroup);
    QStringList user;
    for (const QString& key : settings->childKeys())
        user.append(readObject(settings->value(key)).value("name").toString());
    settings->endGroup();
    user.removeAll(QString());
    user.sort(Qt::CaseInsensitive);
    return builtinNames() + user;
}

std::optional<GenerationSettings> SamplingPresets::find(const QString& name) const {
    if (isBuiltin(name)) return builtin(name);
    const auto settings = openAppSettings();
    settings->beginGroup(kPresetGroup);
    for (const QString& key : settings->childKeys()) {
        const QJsonObject object = readObject(settings->value(key));
        if (object.value("name").toString() == name)
            return settingsFromJson(object.value("settings").toObject());
    }
    return std::nullopt;
}

bool SamplingPresets::save(const QString& name, const GenerationSettings& generation, QString* error) {
    const QString trimmed = name.trimmed();
    if (trimmed.isEmpty()) {
        if (error) *error = QStringLiteral("a preset needs a name");
        return false;
    }
    if (isBuiltin(trimmed)) {
        if (error) *error = QStringLiteral("'%1' is a built-in preset; choose another name").arg(trimmed);
        return false;
    }
    remove(trimmed);
    const auto settings = openAppSettings();
    // Keys are numbered: preset names may contain characters QSettings treats specially ('/', '\').
    settings->beginGroup(kPresetGroup);
    int index = 0;
    while (settings->contains(QString::number(index)))
        ++index;
    const QJsonObject preset{{"name", trimmed}, {"settings", settingsToJson(generation)}};
    settings->setValue(QString::number(index),
                       QString::fromUtf8(QJsonDocument(preset).toJson(QJsonDocument::Compact)));
    settings->endGroup();
    settings->sync();
    return settings->status() == QSettings::NoError;
}

bool SamplingPresets::remove(const QString& name) {
    if (isBuiltin(name)) return false;
    const auto settings = openAppSettings();
    settings->beginGroup(kPresetGroup);
    bool removed = false;
    for (const QString& key : settings->childKeys()) {
        if (readObject(settings->value(key)).value("name").toString() == name) {
            settings->remove(key);
            removed = true;
        }
    }
    settings->endGroup();
    return removed;
}

} // namespace wb::ui
