#include "ui/app_settings.h"

#include <QDir>
#include <QSettings>

namespace wb::ui {
namespace {

QString overrideDirectory() {
    return qEnvironmentVariable("WB_SETTINGS_DIR");
}

} // namespace

std::unique_ptr<QSettings> openAppSettings() {
    const QString directory = overrideDirectory();
    if (!directory.isEmpty()) {
        QDir().mkpath(directory);
        return std::make_unique<QSettings>(
            QDir(directory).filePath(QStringLiteral("inference-workbench.ini")), QSettings::IniFormat);
    }
    return std::make_unique<QSettings>(QSettings::NativeFormat, QSettings::UserScope,
                                       QStringLiteral("InferenceWorkbench"),
                                       QStringLiteral("inference-workbench"));
}

QString appSettingsLocation() {
    return openAppSettings()->fileName();
}

} // namespace wb::ui
