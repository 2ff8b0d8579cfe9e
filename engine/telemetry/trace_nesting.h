#pragma once
// The nesting rule every trace obeys, as a reusable check for the recorder, the forward pass and the
// session tests: on each thread, a Token span contains Layer spans of the same token, a Layer span
// contains the Op spans of the same token and layer, ops outside the blocks (layer -1) sit directly in
// their Token span, and no two spans overlap partially.
#include "engine/telemetry/event.h"

#include <span>
#include <string>
#include <vector>

namespace wb::telemetry {

// Returns one message per violation (empty = valid), at most `maxProblems` of them.
std::vector<std::string> validateTraceNesting(std::span<const Event> events, std::size_t maxProblems = 20);

// Sorts events into the order the trace exports use: by thread, then start, then outer span first.
void sortForNesting(std::vector<Event>& events);

} // namespace wb::telemetry
