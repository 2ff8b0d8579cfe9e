#pragma once
// Reads a Chrome trace written by telemetry::writeChromeTrace back with Qt's JSON parser (an independent
// reader), checks the format rules the exports promise and rebuilds the spans for validateTraceNesting.
#include "engine/telemetry/event.h"

#include <QByteArray>
#include <QJsonDocument>
#include <QStringList>

namespace wb::test {

struct ParsedTrace {
    QStringList problems; // format rule violations; empty = valid
    std::vector<telemetry::Event> events;
    int opSpans = 0, layerSpans = 0, tokenSpans = 0;
    int counterEvents = 0;
    QStringList counterNames;
    QStringList threadNames;
};

// Rules: top-level object with a "traceEvents" array; every "X" event has numeric ts, dur >= 0, pid, tid,
// a name and a cat in {token, layer, op}; op events carry args token, layer, op (a known op name), bytes
// and flops; "C" events carry numeric args; "M" thread_name events name every thread with spans.
ParsedTrace parseChromeTrace(const QByteArray& json);

} // namespace wb::test
