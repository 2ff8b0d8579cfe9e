// A full disk, for real: a small tmpfs is mounted (in a private mount namespace of this test process, so
// nothing is left mounted even if the test dies) and filled, then the program writes into it: `iwb synth`
// and `iwb quantize` (GgufWriter: OUT.partial, then rename) and the chat workspace's autosave (QSaveFile).
// Each must fail with a message naming the problem and the file, leave no partial file behind, and keep
// the previous good file byte for byte. Mounting needs root with CAP_SYS_ADMIN: where it is not permitted
// every function is skipped with the reason.
#include "tests/support/test_models.h"

#if WB_HAVE_UI
#include "ui/chat/chat_workspace.h"
#include "ui/chat/conversation.h"

#include <QApplication>
#endif

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QtTest>

#include <cerrno>
#include <cstring>
#include <memory>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace {

// Set by main() before Qt starts any thread: why this process has no mount namespace of its own (empty
// when it has one).
QString gNamespaceProblem;

// A tmpfs of a few pages, unmounted again by the destructor.
class SmallFilesystem {
public:
    // Null with `why` set when mounting is not permitted here.
    static std::unique_ptr<SmallFilesystem> mount(qint64 bytes, QString* why) {
        if (!gNamespaceProblem.isEmpty()) {
            // Mounting in the machine's namespace could outlive a crash of this test: not done.
            *why = QStringLiteral("cannot mount a small tmpfs to fill: no private mount namespace (%1)")
                       .arg(gNamespaceProblem);
            return nullptr;
        }
        const QString dir = QDir(wb::test::scratchDir()).filePath(QStringLiteral("fs-%1").arg(counter_++));
        QDir().mkpath(dir);
        const std::string options = "size=" + std::to_string(bytes) + ",mode=0755";
        if (::mount("wb-full-disk-test", dir.toLocal8Bit().constData(), "tmpfs", MS_NOSUID | MS_NODEV,
                    options.c_str()) != 0) {
            *why = QStringLiteral("cannot mount a small tmpfs to fill (needs root with CAP_SYS_ADMIN): %1")
                       .arg(QString::fromLocal8Bit(std::strerror(errno)));
            return nullptr;
        }
        return std::unique_ptr<SmallFilesystem>(new SmallFilesystem(dir));
    }
    ~SmallFilesystem() {
        if (::umount2(path_.toLocal8Bit().constData(), MNT_DETACH) != 0)
            qWarning("cannot unmount %s: %s", qPrintable(path_), std::strerror(errno));
    }
    SmallFilesystem(const SmallFilesystem&) = delete;
    SmallFilesystem& operator=(const SmallFilesystem&) = delete;

    QString path() const { return path_; }
    QString file(const QString& name) const { return QDir(path_).filePath(name); }

    // Writes a filler file until the filesystem refuses (ENOSPC). True when it is full.
    bool fill() {
        QFile filler(file(QStringLiteral("filler")));
        if (!filler.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered)) return false;
        const QByteArray chunk(4096, 'f');
        while (filler.write(chunk) == chunk.size()) {
        }
        filler.close();
        return freeBytes() < 4096;
    }
    void makeRoom() { QFile::remove(file(QStringLiteral("filler"))); }
    qint64 freeBytes() const {
        struct statvfs info {};
        if (::statvfs(path_.toLocal8Bit().constData(), &info) != 0) return -1;
        return qint64(info.f_bavail) * qint64(info.f_frsize);
    }
    // Every file in the filesystem except the filler, by name.
    QStringList files(const QString& sub = {}) const {
        QStringList names = QDir(sub.isEmpty() ? path_ : file(sub)).entryList(QDir::Files | QDir::Hidden);
        names.removeAll(QStringLiteral("filler"));
        return names;
    }

private:
    explicit SmallFilesystem(QString path) : path_(std::move(path)) {}
    QString path_;
    static inline int counter_ = 0;
};

QByteArray sha256(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    return QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256).toHex();
}

struct Run {
    int exitCode = -1;
    QString err;
};

Run runIwb(const QStringList& args) {
    QProcess process;
    process.start(wb::test::iwbPath(), args);
    Run run;
    if (!process.waitForFinished(300000)) {
        process.kill();
        process.waitForFinished();
        run.err = QStringLiteral("iwb did not finish");
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

QStringList synthArgs(const QString& out, int seed) {
    return {QStringLiteral("synth"),  QStringLiteral("--preset"), QStringLiteral("stories260k-shape"),
            QStringLiteral("--type"), QStringLiteral("f16"),      QStringLiteral("--seed"),
            QString::number(seed),    QStringLiteral("-o"),       out};
}

constexpr qint64 kFilesystemBytes = 4 << 20; // room for one ~0.6 MB model and the filler

} // namespace

#define WB_MOUNT_OR_SKIP(var)                                                                                \
    QString why##var;                                                                                        \
    const auto var = SmallFilesystem::mount(kFilesystemBytes, &why##var);                                    \
    if (!(var)) QSKIP(qPrintable(why##var))

class TestFullDisk : public QObject {
    Q_OBJECT

private slots:
    void fillingReallyFillsTheFilesystem() {
        WB_MOUNT_OR_SKIP(fs);
        QVERIFY(fs->freeBytes() > kFilesystemBytes / 2);
        QVERIFY(fs->fill());
        QFile extra(fs->file(QStringLiteral("extra")));
        QVERIFY(extra.open(QIODevice::WriteOnly | QIODevice::Unbuffered));
        QCOMPARE(extra.write(QByteArray(8192, 'x')), qint64(-1)); // the disk is full for everyone
        extra.close();
        fs->makeRoom();
        QVERIFY(fs->freeBytes() > kFilesystemBytes / 2);
    }

    // iwb synth over a previous good model: exit 1, "No space left on device" and the path, no OUT.partial,
    // the old model unchanged; once there is room again the same command succeeds.
    void synthOnAFullDiskKeepsThePreviousModel() {
        WB_MOUNT_OR_SKIP(fs);
        const QString out = fs->file(QStringLiteral("model.gguf"));
        const Run first = runIwb(synthArgs(out, 1));
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        const QByteArray good = sha256(out);
        QVERIFY(!good.isEmpty());
        QVERIFY(QFileInfo(out).size() > 100000);

        QVERIFY(fs->fill());
        const Run failed = runIwb(synthArgs(out, 2));
        QCOMPARE(failed.exitCode, 1);
        QVERIFY2(failed.err.contains(QStringLiteral("No space left on device")), qPrintable(failed.err));
        QVERIFY2(failed.err.contains(out), qPrintable(failed.err));
        QCOMPARE(fs->files(), QStringList{QStringLiteral("model.gguf")}); // no model.gguf.partial
        QCOMPARE(sha256(out), good);

        fs->makeRoom();
        const Run again = runIwb(synthArgs(out, 2));
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
        QVERIFY(sha256(out) != good); // seed 2 really was written this time
        QCOMPARE(fs->files(), QStringList{QStringLiteral("model.gguf")});
    }

    // No previous file: nothing at all is left at the target.
    void synthOnAFullDiskLeavesNoFile() {
        WB_MOUNT_OR_SKIP(fs);
        QVERIFY(fs->fill());
        const QString out = fs->file(QStringLiteral("new.gguf"));
        const Run failed = runIwb(synthArgs(out, 3));
        QCOMPARE(failed.exitCode, 1);
        QVERIFY2(failed.err.contains(QStringLiteral("No space left on device")), qPrintable(failed.err));
        QVERIFY(fs->files().isEmpty());
    }

    void quantizeOnAFullDiskKeepsThePreviousOutput() {
        WB_MOUNT_OR_SKIP(fs);
        const QString master = QDir(wb::test::scratchDir()).filePath(QStringLiteral("master.gguf"));
        const Run made = runIwb(synthArgs(master, 4));
        QVERIFY2(made.exitCode == 0, qPrintable(made.err));
        const QString out = fs->file(QStringLiteral("model-q8_0.gguf"));
        const QStringList quantize{QStringLiteral("quantize"), master, out, QStringLiteral("q8_0")};
        const Run first = runIwb(quantize);
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        const QByteArray good = sha256(out);

        // Replace it with a different (q4_0) model while the disk is full: refused, q8_0 kept.
        QVERIFY(fs->fill());
        const Run failed = runIwb({QStringLiteral("quantize"), master, out, QStringLiteral("q4_0")});
        QCOMPARE(failed.exitCode, 1);
        QVERIFY2(failed.err.contains(QStringLiteral("No space left on device")), qPrintable(failed.err));
        QVERIFY2(failed.err.contains(out), qPrintable(failed.err));
        QCOMPARE(fs->files(), QStringList{QStringLiteral("model-q8_0.gguf")});
        QCOMPARE(sha256(out), good);
        const Run inspect = runIwb({QStringLiteral("inspect"), out});
        QVERIFY2(inspect.exitCode == 0, qPrintable(inspect.err)); // still a valid GGUF
    }

    // The chat workspace's autosave: the previous conversation survives a full disk, the error names it.
    void autosaveOnAFullDiskKeepsThePreviousConversation() {
#if WB_HAVE_UI
        using namespace wb::ui;
        WB_MOUNT_OR_SKIP(fs);
        qputenv("WB_SETTINGS_DIR", fs->file(QStringLiteral("settings")).toUtf8());
        const QString path = ChatWorkspace::autosavePath();
        QVERIFY(path.startsWith(fs->path()));
        QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
        Conversation saved;
        saved.systemPrompt = QStringLiteral("You are terse.");
        saved.messages.push_back(
            {QStringLiteral("user"), QStringLiteral("first question"), {}, QDateTime::currentDateTime()});
        saved.messages.push_back(
            {QStringLiteral("assistant"), QStringLiteral("first answer"), {}, QDateTime::currentDateTime()});
        QString error;
        QVERIFY2(saveConversation(saved, path, &error), qPrintable(error));
        const QByteArray good = sha256(path);

        {
            ChatWorkspace workspace;
            QCOMPARE(int(workspace.conversation().messages.size()), 2); // restored from the autosave
            QVERIFY(fs->fill());
            workspace.setSystemPrompt(QString(20000, QLatin1Char('s'))); // autosaves at once
            const QString message = workspace.lastAutosaveError();
            QVERIFY2(message.contains(QStringLiteral("No space left on device")), qPrintable(message));
            QVERIFY2(message.contains(path), qPrintable(message));
            QCOMPARE(sha256(path), good);
            QCOMPARE(fs->files(QStringLiteral("settings/conversations")),
                     QStringList{QStringLiteral("current.json")});

            fs->makeRoom();
            QVERIFY(workspace.autosave());
            QVERIFY(workspace.lastAutosaveError().isEmpty());
        }
        const Conversation after = loadConversation(path);
        QCOMPARE(after.systemPrompt, QString(20000, QLatin1Char('s')));
        QCOMPARE(int(after.messages.size()), 2);
        QCOMPARE(after.messages[1].content, QStringLiteral("first answer"));
        qunsetenv("WB_SETTINGS_DIR");
#else
        QSKIP("built without the desktop app (WB_BUILD_GUI=OFF): autosave not tested");
#endif
    }
};

namespace {

// Writes `text` to a /proc/self file (the user namespace's id maps).
bool writeProcFile(const char* path, const std::string& text) {
    QFile file(QString::fromLatin1(path));
    return file.open(QIODevice::WriteOnly) &&
           file.write(text.data(), qint64(text.size())) == qint64(text.size());
}

// A mount namespace of our own, taken while the process has one thread, so the tmpfs mounts are private
// to this process and its children (iwb) and disappear with it. As root that is all; as another user a
// user namespace that maps only our own ids comes with it where the kernel allows that. Mounts are made
// private first so that nothing propagates back to the machine.
QString takePrivateMountNamespace() {
    if (::unshare(CLONE_NEWNS) != 0) {
        const int rootError = errno;
        const uid_t uid = ::geteuid();
        const gid_t gid = ::getegid();
        if (uid == 0 || ::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
            return QStringLiteral("unshare(CLONE_NEWNS): %1").arg(std::strerror(rootError));
        if (!writeProcFile("/proc/self/setgroups", "deny") ||
            !writeProcFile("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1") ||
            !writeProcFile("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1"))
            return QStringLiteral("cannot map ids in a user namespace");
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return QStringLiteral("making mounts private: %1").arg(std::strerror(errno));
    return {};
}

} // namespace

int main(int argc, char** argv) {
    gNamespaceProblem = takePrivateMountNamespace();
#if WB_HAVE_UI
    QApplication app(argc, argv);
#else
    QCoreApplication app(argc, argv);
#endif
    TestFullDisk test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "test_full_disk.moc"
