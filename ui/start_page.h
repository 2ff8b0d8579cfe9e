#pragma once
// What a new user sees before any model is open: what the app does, how to open a model (button, drag
// and drop, command line), where GGUF files come from, and the recently opened models.
#include <QWidget>

class QLabel;
class QListWidget;

namespace wb::ui {

class StartPage : public QWidget {
    Q_OBJECT
public:
    explicit StartPage(QWidget* parent = nullptr);

    void setRecentFiles(const QStringList& paths);
    QString guidanceText() const; // everything the page says, as plain text (tests, accessibility)

Q_SIGNALS:
    void openRequested();
    void recentFileRequested(const QString& path);

private:
    QLabel* intro_ = nullptr;
    QLabel* howTo_ = nullptr;
    QLabel* recentTitle_ = nullptr;
    QListWidget* recentList_ = nullptr;
};

} // namespace wb::ui
