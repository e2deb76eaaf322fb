#pragma once
// What etcdutl's offline commands share about a member's data dir (design.md, "Storage layout"):
// where its files are, etcd's checks of it (validateDataDir) and the refusal of a data dir that
// a running member holds. A member holds flock locks on its WAL segments while it runs
// (src/wal/wal.cc): a segment that cannot be locked means the member runs.

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace etcdpp::tools {

std::string SnapDir(const std::string& data_dir);  // <data_dir>/member/snap
std::string WalDir(const std::string& data_dir);   // <data_dir>/member/wal
std::string DbPath(const std::string& data_dir);   // <data_dir>/member/snap/db

// etcd's validateDataDir: OK when the backend file exists, else Go's os.Stat error
// ("stat <path>: no such file or directory").
[[nodiscard]] absl::Status CheckDbExists(const std::string& data_dir);

// The error for a WAL segment (or any file) `path` locked by a running member. `instead` names
// what works on a running member ("etcdctl defrag").
absl::Status InUseError(const std::string& path, absl::string_view instead);

// A zap console line as etcdutl's logger writes it (GetLogger: console encoding, RFC 3339
// time): "<time>\tinfo\t<caller>\t<msg>\t{<fields>}\n"; `fields` is the JSON object's inside.
std::string LogLine(absl::string_view caller, absl::string_view msg, absl::string_view fields = "");

}  // namespace etcdpp::tools
