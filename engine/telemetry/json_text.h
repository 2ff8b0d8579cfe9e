#pragma once
// Small helpers for the hand-written streaming JSON/CSV writers (traces can hold millions of events,
// so they are written straight to the stream without building a document).
#include <cstdint>
#include <ostream>
#include <string_view>

namespace wb::telemetry::text {

// Writes `value` as a JSON string literal (quotes included), escaping per RFC 8259 section 7.
void writeJsonString(std::ostream& out, std::string_view value);
// Shortest round-trip form; non-finite values become null (JSON has no NaN or infinity).
void writeJsonNumber(std::ostream& out, double value);
// A signed nanosecond count as microseconds with exactly three decimals ("-1.250", "1234.567"):
// exact, and what Perfetto's importer reads back to the same nanosecond.
void writeMicros(std::ostream& out, std::int64_t nanoseconds);

} // namespace wb::telemetry::text
