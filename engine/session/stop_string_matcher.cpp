#include "engine/session/stop_string_matcher.h"

#include <algorithm>

namespace wb {

StopStringMatcher::StopStringMatcher(std::vector<std::string> stopStrings) {
    for (auto& stop : stopStrings)
        if (!stop.empty())
            stopStrings_.push_back(std::move(stop)); // an empty stop string would match at once
}

StopStringMatcher::Step StopStringMatcher::push(std::string_view text) {
    Step step;
    if (stopped_) return step;
    pending_ += text;

    // The earliest occurrence of any stop string wins. Everything released earlier is known not to
    // start one (see below), so a match can only begin inside pending_.
    std::size_t earliest = std::string::npos;
    for (const auto& stop : stopStrings_) {
        const std::size_t at = pending_.find(stop);
        if (at < earliest) {
            earliest = at;
            step.matched = stop;
        }
    }
    if (earliest != std::string::npos) {
        step.released = pending_.substr(0, earliest);
        step.stopped = stopped_ = true;
        pending_.clear();
        return step;
    }

    // Hold back the longest tail of pending_ that is a proper prefix of some stop string. The tail starts
    // with a stop string's first byte, so the cut never splits a UTF-8 character.
    std::size_t hold = 0;
    for (const auto& stop : stopStrings_) {
        const std::size_t longest = std::min(stop.size() - 1, pending_.size());
        for (std::size_t length = longest; length > hold; --length) {
            if (std::string_view(pending_).substr(pending_.size() - length) ==
                std::string_view(stop).substr(0, length)) {
                hold = length;
                break;
            }
        }
    }
    step.released = pending_.substr(0, pending_.size() - hold);
    pending_.erase(0, pending_.size() - hold);
    return step;
}

std::string StopStringMatcher::flush() {
    std::string rest;
    if (!stopped_) rest.swap(pending_);
    pending_.clear();
    return rest;
}

} // namespace wb
