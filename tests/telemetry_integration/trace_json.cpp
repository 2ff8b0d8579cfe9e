#include "trace_json.h"

#include "engine/telemetry/op_kind.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QSet>
#include <cmath>

namespace wb::test {

namespace {
std::uint64_t nanos(double micros) {
    return static_cast<std::uint64_t>(std::llround(micros * 1000.0));
}
} // namespace

ParsedTrace parseChromeTrace(const QByteArray& json) {
    ParsedTrace parsed;
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError) {
        parsed.problems << "not JSON: " + error.errorString() + " at offset " + QString::number(error.offset);
        return parsed;
    }
    const QJsonValue traceEvents = document.object().value("traceEvents");
    if (!traceEvents.isArray()) {
        parsed.problems << "no traceEvents array";
        return parsed;
    }
    QSet<int> spanThreads, namedThreads;
    for (const QJsonValue& value : traceEvents.toArray()) {
        const QJsonObject e = value.toObject();
        const QString ph = e.value("ph").toString();
        const QJsonObject args = e.value("args").toObject();
        if (ph == "M") {
            if (e.value("name").toString() == "thread_name") {
                namedThreads.insert(e.value("tid").toInt());
                parsed.threadNames << args.value("name").toString();
            }
            continue;
        }
        if (ph == "C") {
            ++parsed.counterEvents;
            if (!parsed.counterNames.contains(e.value("name").toString()))
                parsed.counterNames << e.value("name").toString();
            if (!e.value("ts").isDouble()) parsed.problems << "counter without ts";
            for (const QJsonValue& v : args)
                if (!v.isDouble())
                    parsed.problems << "counter " + e.value("name").toString() + " not numeric";
            continue;
        }
        if (ph != "X") {
            parsed.problems << "unexpected phase " + ph;
            continue;
        }
        if (!e.value("ts").isDouble() || !e.value("dur").isDouble() || e.value("dur").toDouble() < 0 ||
            !e.value("pid").isDouble() || !e.value("tid").isDouble() || e.value("name").toString().isEmpty())
            parsed.problems << "X event without ts/dur/pid/tid/name: " +
                                   QString::fromUtf8(QJsonDocument(e).toJson(QJsonDocument::Compact));
        telemetry::Event event;
        event.startNs = nanos(e.value("ts").toDouble());
        event.endNs = event.startNs + nanos(e.value("dur").toDouble());
        event.thread = static_cast<std::uint16_t>(e.value("tid").toInt());
        event.token = args.value("token").toInt();
        spanThreads.insert(event.thread);
        const QString cat = e.value("cat").toString();
        if (cat == "token") {
            event.kind = telemetry::SpanKind::Token;
            event.tokenCount = args.value("token_count").toInt();
            ++parsed.tokenSpans;
        } else if (cat == "layer") {
            event.kind = telemetry::SpanKind::Layer;
            event.layer = static_cast<std::int16_t>(args.value("layer").toInt(-2));
            ++parsed.layerSpans;
        } else if (cat == "op") {
            event.kind = telemetry::SpanKind::Op;
            for (const char* key : {"token", "layer", "op", "bytes", "flops"})
                if (!args.contains(key)) parsed.problems << QString("op event without args.") + key;
            const auto op = telemetry::opKindFromName(args.value("op").toString().toStdString());
            if (!op) parsed.problems << "unknown op " + args.value("op").toString();
            event.op = op.value_or(telemetry::OpKind::Other);
            event.layer = static_cast<std::int16_t>(args.value("layer").toInt(-2));
            event.bytes = static_cast<std::uint64_t>(args.value("bytes").toDouble());
            event.flops = static_cast<std::uint64_t>(args.value("flops").toDouble());
            ++parsed.opSpans;
        } else {
            parsed.problems << "X event with category " + cat;
        }
        parsed.events.push_back(event);
    }
    for (int thread : spanThreads)
        if (!namedThreads.contains(thread))
            parsed.problems << "thread " + QString::number(thread) + " unnamed";
    return parsed;
}

} // namespace wb::test
