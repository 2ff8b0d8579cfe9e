// The stop-string matcher on streamed pieces: nothing of a stop string is ever released, and everything
// else is, exactly once and in order.
#include "engine/session/stop_string_matcher.h"
#include "tests/support/test_models.h"

using namespace wb;

namespace {

struct Outcome {
    std::string text;
    bool stopped = false;
    std::string matched;
    std::vector<std::string> releases;
};

Outcome run(std::vector<std::string> stops, const std::vector<std::string>& pieces) {
    StopStringMatcher matcher(std::move(stops));
    Outcome outcome;
    for (const auto& piece : pieces) {
        auto step = matcher.push(piece);
        outcome.releases.push_back(step.released);
        outcome.text += step.released;
        if (step.stopped) {
            outcome.stopped = true;
            outcome.matched = step.matched;
            break;
        }
    }
    if (!outcome.stopped) outcome.text += matcher.flush();
    return outcome;
}

} // namespace

class TestStopStrings : public QObject {
    Q_OBJECT
private slots:
    void noStopStringsReleasesEverythingAtOnce() {
        const auto outcome = run({}, {"Once", " upon", " a time"});
        QCOMPARE(outcome.text, std::string("Once upon a time"));
        QCOMPARE(outcome.releases, (std::vector<std::string>{"Once", " upon", " a time"}));
    }

    void stopInsideOnePiece() {
        const auto outcome = run({"END"}, {"abc", "dENDxyz", "more"});
        QVERIFY(outcome.stopped);
        QCOMPARE(outcome.text, std::string("abcd"));
        QCOMPARE(outcome.matched, std::string("END"));
    }

    void stopSplitAcrossPiecesIsHeldBack() {
        const auto outcome = run({"<|im_end|>"}, {"Hi", " there<", "|im_", "end|>", "tail"});
        QVERIFY(outcome.stopped);
        QCOMPARE(outcome.text, std::string("Hi there"));
        // "<" and "<|im_" could start the marker: they were never released.
        QCOMPARE(outcome.releases, (std::vector<std::string>{"Hi", " there", "", ""}));
    }

    void falseStartIsReleasedLater() {
        const auto outcome = run({"<|im_end|>"}, {"a <", "|im", " b"});
        QVERIFY(!outcome.stopped);
        QCOMPARE(outcome.text, std::string("a <|im b"));
        QCOMPARE(outcome.releases, (std::vector<std::string>{"a ", "", "<|im b"}));
    }

    void heldTextIsFlushedAtTheEnd() {
        const auto outcome = run({"\n\n"}, {"line", "\n"});
        QVERIFY(!outcome.stopped);
        QCOMPARE(outcome.releases, (std::vector<std::string>{"line", ""}));
        QCOMPARE(outcome.text, std::string("line\n"));
    }

    void earliestOfSeveralWins() {
        const auto outcome = run({"world", "lo w"}, {"hello world"});
        QVERIFY(outcome.stopped);
        QCOMPARE(outcome.matched, std::string("lo w"));
        QCOMPARE(outcome.text, std::string("hel"));
    }

    void overlappingPrefixes() {
        // "aab": after "aa" the tail "aa" could still start it; "aaa" must release exactly one "a".
        const auto outcome = run({"aab"}, {"a", "a", "a", "b"});
        QVERIFY(outcome.stopped);
        QCOMPARE(outcome.text, std::string("a"));
    }

    void multibyteTextIsNotSplit() {
        const auto outcome =
            run({"\xC3\xA9t\xC3\xA9"}, {"caf\xC3\xA9", " \xC3\xA9", "t\xC3\xA9"}); // stop "été"
        QVERIFY(outcome.stopped);
        QCOMPARE(outcome.text, std::string("caf\xC3\xA9 "));
        // The final "é" of "café" could start "été": held back whole, never half a character.
        QCOMPARE(outcome.releases[0], std::string("caf"));
    }

    void emptyStopStringsAreIgnored() {
        const auto outcome = run({""}, {"x"});
        QVERIFY(!outcome.stopped);
        QCOMPARE(outcome.text, std::string("x"));
    }
};

QTEST_GUILESS_MAIN(TestStopStrings)
#include "test_stop_strings.moc"
