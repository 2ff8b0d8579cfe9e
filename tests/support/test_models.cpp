#include "tests/support/test_models.h"


#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>

namespace wb::test {

QString modelsDir() {
    const QString dir = qEnvironmentVariable("WB_MODELS_DIR");
    if (dir.isEmpty() || !QFileInfo(dir).isDir()) return {};
    return QDir(dir).absolutePath();
}

QString referenceDir() {
    const QString models = modelsDir();
    if (models.isEmpty()) return {};
    const QString ref = QDir(models).absoluteFilePath(QStringLiteral("../reference"));
    return QFileInfo(ref).isDir() ? QDir(ref).absolutePath() : QString();
}

QString modelPath(const QString& relative) {
    const QString models = modelsDir();
    return models.isEmpty() ? QString() : QDir(models).absoluteFilePath(relative);
}

QString iwbPath() {
    const QString fromEnv = qEnvironmentVariable("WB_IWB");
    if (!fromEnv.isEmpty()) return fromEnv;
    return QStringLiteral(WB_BINARY_DIR "/app/iwb");
}

IwbRun runIwb(const QStringList& args, int timeoutMs) {
    QProcess process;
    process.start(iwbPath(), args);
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        qWarning("iwb %s timed out", qPrintable(args.value(0)));
    }
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            process.readAllStandardOutput(), process.readAllStandardError()};
}

QString scratchDir() {
    static QTemporaryDir dir;
    return dir.path();
}

} // namespace wb::test
