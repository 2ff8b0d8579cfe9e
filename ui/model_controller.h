#pragma once
// Opens model files for the window. Results arrive only through signals, so the reading can move to a
// worker thread later (a real loader that builds weights) without changing any caller. Today's work is a
// memory map plus a header parse, which is fast enough to run inline.
#include "ui/opened_model.h"

#include <QObject>
#include <QString>

namespace wb::ui {

class ModelController : public QObject {
    Q_OBJECT
public:
    explicit ModelController(QObject* parent = nullptr);

    // Starts opening `path` (made absolute and clean); emits loadStarted, then exactly one of
    // modelOpened / openFailed.
    void open(const QString& path);
    bool isLoading() const { return loading_; }
    OpenedModelPtr current() const { return current_; }

    // The work itself, callable from any thread: throws GgufError / std::runtime_error on failure.
    static OpenedModelPtr readModel(const QString& path);

Q_SIGNALS:
    void loadStarted(const QString& path);
    void modelOpened(wb::ui::OpenedModelPtr model);
    void openFailed(const QString& path, const QString& message);

private:
    OpenedModelPtr current_;
    bool loading_ = false;
};

} // namespace wb::ui
