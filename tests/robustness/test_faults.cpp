// Faults from outside the program: the model file truncated or deleted while mapped, a KV cache larger
// than memory, non-finite values in the small weight vectors. Each error path is triggered for real and
// its message checked.
#include "engine/gguf/gguf_file.h"
#include "engine/model/inference_context.h"
#include "engine/model/model.h"
#include "engine/session/generation_session.h"
#include "engine/util/mapped_file.h"
#include "engine/util/mapping_guard.h"
#include "tests/model/tiny_model.h"
#include "tests/support/test_models.h"

#include <QProcess>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace wb;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

std::string copyToScratch(const QString& source, const QString& name) {
    const QString target = wb::test::scratchDir() + "/" + name;
    QFile::remove(target);
    if (!QFile::copy(source, target)) qFatal("cannot copy %s", qPrintable(source));
    QFile(target).setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return target.toStdString();
}

ContextOptions smallContext(std::int32_t threads) {
    ContextOptions options;
    options.contextLength = 64;
    options.threads = threads;
    return options;
}

std::vector<float> evaluateOne(InferenceContext& context, std::int32_t token) {
    const auto logits = context.evaluate(std::span<const std::int32_t>(&token, 1));
    return {logits.begin(), logits.end()};
}

// Writes `value` over element `index` of tensor `name` inside GGUF bytes.
void poke(std::vector<std::uint8_t>& bytes, const std::string& name, std::size_t index, float value) {
    const auto file = gguf::GgufFile::parse(bytes, "poke");
    const auto* info = file.findTensor(name);
    if (info == nullptr) qFatal("no tensor %s", name.c_str());
    std::memcpy(bytes.data() + file.dataOffset() + info->offset + index * sizeof(float), &value, sizeof value);
}

} // namespace

class TestFaults : public QObject {
    Q_OBJECT

private slots:
    void truncatedWhileMappedIsAnErrorNotACrash_data() {
        QTest::addColumn<int>("threads");
        QTest::newRow("one thread") << 1;
        QTest::newRow("two threads") << 2; // the weights are read on TBB worker threads too
    }
    void truncatedWhileMappedIsAnErrorNotACrash() {
        QFETCH(int, threads);
        WB_REQUIRE_MODEL("stories260K.gguf", source);
        const std::string path = copyToScratch(source, QString("truncated-%1.gguf").arg(threads));
        auto model = Model::load(path);
        InferenceContext context(model, smallContext(threads));
        const auto before = evaluateOne(context, 1);
        QCOMPARE(before.size(), std::size_t(model->config().vocabSize));

        // Cut the file to its header: every weight page now lies beyond the end of the file.
        const int fd = ::open(path.c_str(), O_WRONLY);
        QVERIFY(fd >= 0);
        QCOMPARE(::ftruncate(fd, static_cast<off_t>(model->file().dataOffset())), 0);
        ::close(fd);

        const std::string expected = "model file changed on disk (truncated?) while in use: " + path;
        for (int attempt = 0; attempt < 2; ++attempt) { // sticky: the data can no longer be trusted
            const int position = context.position();
            try {
                evaluateOne(context, 2);
                QFAIL("evaluate on a truncated file did not throw");
            } catch (const mapping_guard::FileChangedError& error) {
                QCOMPARE(std::string(error.what()), expected);
            }
            QCOMPARE(context.position(), position); // state unchanged by the failed call
        }
        QVERIFY(mapping_guard::faulted(model->file().bytes().data()));

        // The process is fine: the intact original still loads and gives the same logits as before.
        auto fresh = Model::load(source.toStdString());
        InferenceContext freshContext(fresh, smallContext(threads));
        QCOMPARE(evaluateOne(freshContext, 1), before);
        QVERIFY(!mapping_guard::faulted(fresh->file().bytes().data()));
    }

    void deletedWhileMappedKeepsWorking() {
        WB_REQUIRE_MODEL("stories260K.gguf", source);
        const std::string path = copyToScratch(source, "deleted.gguf");
        auto model = Model::load(path);
        InferenceContext context(model, smallContext(2));
        const auto first = evaluateOne(context, 1);
        QVERIFY(std::filesystem::remove(path)); // the mapping keeps the inode alive
        context.reset();
        QCOMPARE(evaluateOne(context, 1), first);
        QCOMPARE(evaluateOne(context, 5).size(), first.size());
    }

    void unrelatedSigbusStillEndsTheProcess() {
        // The guard must not swallow faults outside model mappings: a child reading a truncated mapping
        // that is not registered dies of SIGBUS as before.
        const std::string scratch = wb::test::scratchDir().toStdString();
        std::ofstream(scratch + "/guarded.bin") << "any mapped file installs the handler";
        const MappedFile guarded(scratch + "/guarded.bin");
        const std::string path = scratch + "/unguarded.bin";
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
            if (fd < 0 || ::ftruncate(fd, 8192) != 0) ::_exit(3);
            void* mapped = ::mmap(nullptr, 8192, PROT_READ, MAP_SHARED, fd, 0);
            if (mapped == MAP_FAILED || ::ftruncate(fd, 0) != 0) ::_exit(4);
            const int value = static_cast<volatile std::uint8_t*>(mapped)[4096];
            ::_exit(value == 0 ? 5 : 6); // reached only if the fault was swallowed
        }
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        // The fault reached the handler installed before ours (Qt Test's crash handler, which re-raises it,
        // or the sanitizer's, which exits 1) or the default action. Exit codes 3-6 mean the child could
        // not set up or the fault was swallowed.
        const bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
        const bool reportedBySanitizer = kSanitized && WIFEXITED(status) && WEXITSTATUS(status) == 1;
        QVERIFY2(killed || reportedBySanitizer, qPrintable(QString("child status %1").arg(status)));
    }

    void kvCacheLargerThanMemoryIsRefusedWithAdvice() {
        WB_REQUIRE_MODEL("stories260K.gguf", source);
        auto model = Model::load(source.toStdString());
        ContextOptions options;
        options.contextLength = 1 << 30; // ~5 TiB of F32 cache for stories260K
        options.threads = 1;
        const auto& c = model->config();
        const std::uint64_t mib = 2ull * c.blockCount * (1ull << 30) * c.kvDim() * 4 / (1024 * 1024);
        const std::string expected = "not enough memory for a KV cache of " + std::to_string(mib) +
                                     " MiB at context 1073741824; try a smaller context (-c)";
        try {
            InferenceContext context(model, options);
            QFAIL("a 2^30-token context was accepted");
        } catch (const KvCacheMemoryError& error) {
            QCOMPARE(std::string(error.what()), expected);
        }
        // The same through a session, and then a sensible context works in the same process.
        try {
            GenerationSession::open(source.toStdString(), options);
            QFAIL("a 2^30-token session was accepted");
        } catch (const std::runtime_error& error) {
            QCOMPARE(std::string(error.what()), expected);
        }
        options.contextLength = 256;
        InferenceContext context(model, options);
        QCOMPARE(context.contextLength(), 256);
    }

    void kvCacheErrorReachesTheCli() {
        WB_REQUIRE_MODEL("stories260K.gguf", source);
        if (kSanitized) QSKIP("an address-space limit cannot be combined with the sanitizer's shadow memory");
        // iwb under a 1 GiB address-space limit, asked for a ~10 GiB cache: refused before generating.
        QProcess iwb;
        iwb.start("/bin/sh", {"-c", "ulimit -v 1048576 && exec \"$0\" \"$@\"", wb::test::iwbPath(), "generate",
                              "-m", source, "-c", "16000000", "-n", "4", "-p", "Once"});
        QVERIFY(iwb.waitForFinished(60000));
        const QString error = QString::fromUtf8(iwb.readAllStandardError());
        QCOMPARE(iwb.exitCode(), 1);
        // iwb's default cache is F16: 2 bytes x 2 (K, V) x 5 layers x 32 x 16,000,000 = 9765 MiB.
        QVERIFY2(error.contains("not enough memory for a KV cache of 9765 MiB at context 16000000; try a "
                                "smaller context (-c)"),
                 qPrintable(error));
    }

    void nonFiniteSmallWeightsAreRefusedByName_data() {
        QTest::addColumn<QString>("architecture");
        QTest::addColumn<QString>("tensor");
        QTest::addColumn<float>("value");
        QTest::addColumn<QString>("shown");
        const float nan = std::numeric_limits<float>::quiet_NaN();
        const float inf = std::numeric_limits<float>::infinity();
        QTest::newRow("attn_norm NaN") << "llama" << "blk.0.attn_norm.weight" << nan << "nan";
        QTest::newRow("ffn_norm +inf") << "llama" << "blk.1.ffn_norm.weight" << inf << "inf";
        QTest::newRow("output_norm -inf") << "llama" << "output_norm.weight" << -inf << "-inf";
        QTest::newRow("qwen2 q bias NaN") << "qwen2" << "blk.1.attn_q.bias" << nan << "nan";
        QTest::newRow("qwen2 v bias inf") << "qwen2" << "blk.0.attn_v.bias" << inf << "inf";
    }
    void nonFiniteSmallWeightsAreRefusedByName() {
        QFETCH(QString, architecture);
        QFETCH(QString, tensor);
        QFETCH(float, value);
        QFETCH(QString, shown);
        test::TinyModelOptions options;
        options.architecture = architecture.toStdString();
        auto bytes = test::makeTinyModel(options).toBytes();
        QVERIFY(Model::fromFile(gguf::GgufFile::parse(bytes, "tiny.gguf")) != nullptr); // intact: loads
        poke(bytes, tensor.toStdString(), 3, value);
        try {
            Model::fromFile(gguf::GgufFile::parse(bytes, "tiny.gguf"));
            QFAIL("a non-finite value was accepted");
        } catch (const std::runtime_error& error) {
            QCOMPARE(QString(error.what()), QString("tiny.gguf: tensor '%1' holds %2 at index 3; its values "
                                                    "must be finite")
                                                .arg(tensor, shown));
        }
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "test_faults.moc"
