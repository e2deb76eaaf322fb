#pragma once
// etcd's logs, as zap writes them (etcd 3.5/3.6 with --logger=zap, the only logger there):
//
//   json {"level":"info","ts":"2026-12-07T00:15:39.123456Z","caller":"server/cluster_ops.cc:163",
//             "msg":"ready to serve client requests","local-member-id":"8e9e05c52164694d"}
//   console  2026-12-07T00:15:39.123456Z<TAB>info<TAB>server/cluster_ops.cc:163<TAB>ready to ...
//            <TAB>{"local-member-id": "8e9e05c52164694d"}
//
// Keys in zap's order (level, ts, caller, msg, then the fields); the time as etcd formats it
// (2006-01-02T15:04:05.000000Z0700, local time); the caller as zap's short caller (the last
// directory and the file). Levels are zap's names: spdlog's trace and debug are "debug", its
// critical is "fatal" (etcdpp logs critical only when the member stops).
//
// Call sites log through spdlog's SPDLOG_* macros, which carry the caller. A message with
// fields is one payload built by With():
//
//   SPDLOG_INFO("{}", log::With("published local member to cluster through raft",
//                               log::Fields().Str("local-member-id", id).Str("cluster-id", cid)));
//
// The payload marks where the fields start with a byte the field encoding never writes raw, so a
// message text holding any bytes at all cannot be mistaken for fields. Invalid UTF-8 in a message
// or a value is written as U+FFFD: every line is valid JSON.
//
// Outputs are etcd's --log-outputs: "default" and "stderr", "stdout", "systemd/journal" (the
// journald native protocol; alone only, as etcd requires), and file paths, appended to.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "spdlog/formatter.h"

namespace etcdpp::server::log {

enum class Encoding { kJson, kConsole };

// zap's fields for one message, in the order added.
class Fields {
 public:
  Fields& Str(std::string_view key, std::string_view value);
  Fields& Int(std::string_view key, int64_t value);
  Fields& Bool(std::string_view key, bool value);
  Fields& Strs(std::string_view key, const std::vector<std::string>& values);
  // A member or cluster ID as etcd prints types.ID: lower-case hex, no padding.
  Fields& Id(std::string_view key, uint64_t id);

 private:
  friend std::string With(std::string_view msg, const Fields& fields);
  std::string encoded_;
};

// The payload of a message with fields.
std::string With(std::string_view msg, const Fields& fields);

// The JSON line (or console line) zap writes for one message, newline included.
void FormatZapLine(Encoding encoding, const spdlog::details::log_msg& msg, std::string* out);

// A spdlog formatter that writes FormatZapLine's lines.
std::unique_ptr<spdlog::formatter> NewZapFormatter(Encoding encoding);

struct LogSetup {
  std::vector<std::string> outputs = {"default"};
  std::string level = "info";  // debug, info, warn, error, dpanic, panic, fatal
  Encoding encoding = Encoding::kJson;
  std::string program = "etcdpp";  // SYSLOG_IDENTIFIER in the journal
};

// Installs the default spdlog logger. Errors name the output that cannot be opened.
[[nodiscard]] absl::Status SetUpLogging(const LogSetup& setup);

}  // namespace etcdpp::server::log
