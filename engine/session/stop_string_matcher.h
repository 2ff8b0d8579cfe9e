#pragma once
// Finds stop strings in streamed text without ever releasing any part of one: text that could still be
// the beginning of a stop string is held back until the next piece decides it.
#include <string>
#include <string_view>
#include <vector>

namespace wb {

class StopStringMatcher {
public:
    explicit StopStringMatcher(std::vector<std::string> stopStrings);

    struct Step {
        std::string released; // text now safe to show (complete UTF-8 when the input is)
        bool stopped = false; // a stop string was found; nothing after it is released
        std::string matched;  // which one
    };
    // Adds decoded text. After a stop, further pushes release nothing.
    Step push(std::string_view text);
    // Releases whatever is held back (the stream ended without a match).
    std::string flush();
    bool stopped() const { return stopped_; }

private:
    std::vector<std::string> stopStrings_;
    std::string pending_;
    bool stopped_ = false;
};

} // namespace wb
