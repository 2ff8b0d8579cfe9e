#pragma once
// Where the desktop app keeps its settings. WB_SETTINGS_DIR (used by tests and scripts) puts them in an
// INI file inside that folder so a run never touches the user's real settings.
#include <QString>

#include <memory>

class QSettings;

namespace wb::ui {

namespace settings_keys {
inline constexpr char kWindowGeometry[] = "window/geometry";
inline constexpr char kWindowState[] = "window/state";
inline constexpr char kRecentModels[] = "models/recent";
inline constexpr char kLastOpenFolder[] = "models/lastFolder";
} // namespace settings_keys

// A settings object for the app: $WB_SETTINGS_DIR/inference-workbench.ini when that variable is set,
// otherwise the platform's usual place for the application's organisation and name.
std::unique_ptr<QSettings> openAppSettings();

// The file or registry path openAppSettings() uses, for messages and tests.
QString appSettingsLocation();

} // namespace wb::ui
