#include "engine/telemetry/trace_nesting.h"

#include <algorithm>
#include <string>

namespace wb::telemetry {

namespace {

bool nestingOrder(const Event& a, const Event& b) {
    if (a.thread != b.thread) return a.thread < b.thread;
    if (a.startNs != b.startNs) return a.startNs < b.startNs;
    if (a.kind != b.kind) return a.kind < b.kind; // Token before Layer before Op
    return a.endNs > b.endNs;
}

std::string describe(const Event& event) {
    std::string text;
    switch (event.kind) {
    case SpanKind::Token:
        text = "token span";
        break;
    case SpanKind::Layer:
        text = "layer " + std::to_string(event.layer) + " span";
        break;
    case SpanKind::Op:
        text = std::string(opKindName(event.op)) + " (layer " + std::to_string(event.layer) + ")";
        break;
    }
    return text + " of token " + std::to_string(event.token) + " on thread " + std::to_string(event.thread) +
           " [" + std::to_string(event.startNs) + ", " + std::to_string(event.endNs) + "] ns";
}

} // namespace

void sortForNesting(std::vector<Event>& events) {
    std::stable_sort(events.begin(), events.end(), nestingOrder);
}

std::vector<std::string> validateTraceNesting(std::span<const Event> events, std::size_t maxProblems) {
    std::vector<std::string> problems;
    const auto report = [&](std::string message) {
        if (problems.size() < maxProblems) problems.push_back(std::move(message));
    };
    std::vector<Event> sorted(events.begin(), events.end());
    sortForNesting(sorted);

    std::vector<const Event*> open; // spans that contain the current position, outermost first
    std::uint16_t thread = sorted.empty() ? 0 : sorted.front().thread;
    for (const Event& event : sorted) {
        if (event.thread != thread) {
            open.clear();
            thread = event.thread;
        }
        if (event.endNs < event.startNs) report(describe(event) + " ends before it starts");
        // A span that ended before this one starts cannot contain it. Touching ends are ambiguous only for
        // zero-length spans; then the span kind decides (a span never contains one of its own level).
        while (!open.empty()) {
            const Event& top = *open.back();
            const bool endedBefore =
                top.endNs < event.startNs ||
                (top.endNs == event.startNs && (event.endNs > event.startNs || top.kind >= event.kind));
            if (!endedBefore) break;
            open.pop_back();
        }
        const Event* parent = open.empty() ? nullptr : open.back();
        if (parent && event.endNs > parent->endNs) {
            report(describe(event) + " overlaps " + describe(*parent) + " without nesting inside it");
            open.push_back(&event);
            continue;
        }
        switch (event.kind) {
        case SpanKind::Token:
            if (parent) report(describe(event) + " lies inside " + describe(*parent));
            break;
        case SpanKind::Layer:
            if (!parent || parent->kind != SpanKind::Token || parent->token != event.token)
                report(describe(event) + " is not inside the span of its token" +
                       (parent ? " but inside " + describe(*parent) : std::string()));
            break;
        case SpanKind::Op:
            if (event.layer >= 0) {
                if (!parent || parent->kind != SpanKind::Layer || parent->token != event.token ||
                    parent->layer != event.layer)
                    report(describe(event) + " is not inside the span of its layer" +
                           (parent ? " but inside " + describe(*parent) : std::string()));
            } else if (!parent || parent->kind != SpanKind::Token || parent->token != event.token) {
                report(describe(event) + " is not directly inside the span of its token" +
                       (parent ? " but inside " + describe(*parent) : std::string()));
            }
            break;
        }
        open.push_back(&event);
    }
    return problems;
}

} // namespace wb::telemetry
