#include "ui/model_controller.h"

#include <QDir>
#include <QFileInfo>

#include <exception>

namespace wb::ui {

ModelController::ModelController(QObject* parent) : QObject(parent) {
    qRegisterMetaType<OpenedModelPtr>("wb::ui::OpenedModelPtr");
}

OpenedModelPtr ModelController::readModel(const QString& path) {
    auto file = gguf::GgufFile::open(QFile::encodeName(path).toStdString());
    ModelInfo info = describeModel(file);
    return std::make_shared<const OpenedModel>(OpenedModel{std::move(file), std::move(info)});
}

void ModelController::open(const QString& requestedPath) {
    // One spelling per file, so titles and the recent list do not show "dir/../models/x.gguf".
    const QString path = QDir::cleanPath(QFileInfo(requestedPath).absoluteFilePath());
    loading_ = true;
    Q_EMIT loadStarted(path);
    QString failure;
    OpenedModelPtr model;
    if (!QFileInfo(path).isFile()) {
        failure = tr("%1: no such file").arg(path);
    } else {
        try {
            model = readModel(path);
        } catch (const std::exception& error) {
            failure = QString::fromStdString(error.what());
        }
    }
    loading_ = false;
    if (model) {
        current_ = model;
        Q_EMIT modelOpened(model);
    } else {
        Q_EMIT openFailed(path, failure);
    }
}

} // namespace wb::ui
