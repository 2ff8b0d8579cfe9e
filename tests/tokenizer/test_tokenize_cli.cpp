// iwb tokenize: ids on one line, --bos/--special/--pieces, usage errors exit 2.
#include "tests/support/test_models.h"

#include <QProcess>
#include <QtTest>

namespace {

struct Run {
    int exitCode = -1;
    QString out, err;
};

Run runIwb(const QStringList& args, const QByteArray& input) {
    QProcess process;
    process.start(wb::test::iwbPath(), QStringList{"tokenize"} + args);
    process.write(input);
    process.closeWriteChannel();
    if (!process.waitForFinished(60000)) return {};
    return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
}

} // namespace

class TokenizeCliTest : public QObject {
    Q_OBJECT

private slots:
    void idsOnOneLine() {
        WB_REQUIRE_MODEL(QStringLiteral("stories260K.gguf"), path);
        Run run = runIwb({"-m", path}, "Once upon a time");
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out, QStringLiteral("403 407 261 378\n"));
        run = runIwb({"-m", path, "--bos"}, "Once upon a time");
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out, QStringLiteral("1 403 407 261 378\n"));
    }

    void specialAndPieces() {
        WB_REQUIRE_MODEL(QStringLiteral("llama.cpp-vocab/ggml-vocab-qwen2.gguf"), path);
        Run run = runIwb({"-m", path, "--special"}, "<|im_start|>user");
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.startsWith("151644 "), qPrintable(run.out));
        run = runIwb({"-m", path}, "<|im_start|>");
        QVERIFY(!run.out.contains("151644"));
        run = runIwb({"-m", path, "--pieces", "--special"}, "<|im_start|>hi\n");
        QCOMPARE(run.exitCode, 0);
        const QStringList lines = run.out.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines[0], QStringLiteral("151644\t<|im_start|>"));
        QCOMPARE(lines[2].section('\t', 1), QStringLiteral("\\x0A"));
    }

    void usageErrors() {
        Run run = runIwb({"-m", "/nonexistent/model.gguf"}, "x");
        QCOMPARE(run.exitCode, 2);
        QVERIFY(!run.err.isEmpty());
        run = runIwb({"--frobnicate"}, "x");
        QCOMPARE(run.exitCode, 2);
        run = runIwb({}, "x");
        QCOMPARE(run.exitCode, 2);
    }

    void fileWithoutTokenizerFailsWithExit1() {
        const QString path = wb::test::scratchDir() + "/no-tokenizer.gguf";
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        const char header[] = {'G', 'G', 'U', 'F', 3, 0, 0, 0, 0, 0, 0, 0,
                               0,   0,   0,   0,   0, 0, 0, 0, 0, 0, 0, 0};
        file.write(header, sizeof header);
        file.close();
        const Run run = runIwb({"-m", path}, "x");
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("tokenizer.ggml.model is missing"), qPrintable(run.err));
    }
};

QTEST_GUILESS_MAIN(TokenizeCliTest)
#include "test_tokenize_cli.moc"
