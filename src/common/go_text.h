#pragma once
// Go's text conventions that etcdctl's output and error messages are made of: strconv.Quote
// (%q), time.Duration parsing and printing, strconv.ParseBool/ParseInt with their error texts,
// go-humanize's Bytes. Each function says which Go function it reproduces.

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace etcdpp {

// strconv.Quote: a double-quoted Go string literal (valid UTF-8 kept, the rest escaped).
std::string GoQuote(absl::string_view s);

// strconv.Unquote of a double-quoted literal (what fmt.Sscanf("%q") accepts).
absl::StatusOr<std::string> GoUnquote(absl::string_view s);

// time.ParseDuration; errors read as Go's: `time: invalid duration "x"`.
absl::StatusOr<absl::Duration> GoParseDuration(absl::string_view s);

// time.Duration.String(): "2s", "1m30s", "1.5s", "500ms", "0s".
std::string GoDurationString(absl::Duration d);

// strconv.ParseBool; errors `strconv.ParseBool: parsing "x": invalid syntax`.
absl::StatusOr<bool> GoParseBool(absl::string_view s);

// strconv.ParseInt(s, base, 64) (base 0: 0x / 0o / 0b / 0 prefixes); Go's error texts.
absl::StatusOr<int64_t> GoParseInt(absl::string_view s, int base);

// strconv.ParseUint(s, base, 64).
absl::StatusOr<uint64_t> GoParseUint(absl::string_view s, int base);

// humanize.Bytes: SI units with one decimal below 10 ("20 kB", "1.2 MB", "512 B").
std::string HumanizeBytes(uint64_t n);

}  // namespace etcdpp
