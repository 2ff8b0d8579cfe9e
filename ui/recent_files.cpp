#include "ui/recent_files.h"

#include "ui/app_settings.h"

#include <QFileInfo>
#include <QSettings>

namespace wb::ui {
namespace {

QString normalised(const QString& path) {
    return QFileInfo(path).absoluteFilePath();
}

} // namespace

RecentFiles::RecentFiles(QObject* parent) : QObject(parent) {
    const auto settings = openAppSettings();
    for (const QString& path : settings->value(settings_keys::kRecentModels).toStringList()) {
        if (!path.isEmpty() && !paths_.contains(path) && paths_.size() < kMaxEntries) paths_.append(path);
    }
}

void RecentFiles::add(const QString& path) {
    const QString absolute = normalised(path);
    paths_.removeAll(absolute);
    paths_.prepend(absolute);
    while (paths_.size() > kMaxEntries)
        paths_.removeLast();
    save();
}

void RecentFiles::remove(const QString& path) {
    if (paths_.removeAll(normalised(path)) > 0) save();
}

void RecentFiles::clear() {
    paths_.clear();
    save();
}

void RecentFiles::save() {
    const auto settings = openAppSettings();
    settings->setValue(settings_keys::kRecentModels, paths_);
    settings->sync();
    Q_EMIT changed();
}

} // namespace wb::ui
