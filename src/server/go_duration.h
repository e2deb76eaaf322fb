#pragma once
// Go's time.Duration text, as etcd's duration flags take and print it: ParseGoDuration is Go's
// time.ParseDuration ("300ms", "-1.5h", "2h45m"; units ns, us, µs, ms, s, m, h; a bare "0";
// Go's error texts), FormatGoDuration is Duration.String ("1h0m0s", "1m30s", "200ms", "0s").
// etcd prints its flags and log lines with them ("Starting auto-compaction at revision 5
// (retention: 1h0m0s)"), so our lines read the same.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace etcdpp::server {

// Errors carry Go's message: `time: invalid duration "x"`, `time: missing unit in duration "1.5"`,
// `time: unknown unit "d" in duration "1d"`.
[[nodiscard]] absl::StatusOr<absl::Duration> ParseGoDuration(absl::string_view text);

// Go's Duration.String: nanosecond precision, trailing fraction zeros dropped.
std::string FormatGoDuration(absl::Duration d);

}  // namespace etcdpp::server
