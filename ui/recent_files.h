#pragma once
// The most recently opened model files, newest first, saved in the app settings after every change.
#include <QObject>
#include <QStringList>

namespace wb::ui {

class RecentFiles : public QObject {
    Q_OBJECT
public:
    static constexpr int kMaxEntries = 10;

    explicit RecentFiles(QObject* parent = nullptr); // reads the list from openAppSettings()

    QStringList paths() const { return paths_; }
    // Moves `path` (made absolute) to the front; drops the oldest entry beyond kMaxEntries.
    void add(const QString& path);
    void remove(const QString& path);
    void clear();

Q_SIGNALS:
    void changed();

private:
    void save();

    QStringList paths_;
};

} // namespace wb::ui
