#include "tools/etcdutl/member_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/env.h"

namespace etcdpp::tools {

std::string SnapDir(const std::string& data_dir) { return JoinPath(data_dir, "member/snap"); }
std::string WalDir(const std::string& data_dir) { return JoinPath(data_dir, "member/wal"); }
std::string DbPath(const std::string& data_dir) { return JoinPath(SnapDir(data_dir), "db"); }

absl::Status CheckDbExists(const std::string& data_dir) {
  const std::string db = DbPath(data_dir);
  struct stat st;
  if (::stat(db.c_str(), &st) == 0) return absl::OkStatus();
  std::string text = std::strerror(errno);  // Go's syscall texts are lower case
  if (!text.empty()) text[0] = absl::ascii_tolower(static_cast<unsigned char>(text[0]));
  return absl::NotFoundError(absl::StrCat("stat ", db, ": ", text));
}

absl::Status InUseError(const std::string& path, absl::string_view instead) {
  return absl::FailedPreconditionError(absl::StrCat("etcd holds a lock on \"", path,
                                                    "\": stop the member first. To do this on a "
                                                    "running etcd instance, use ",
                                                    instead));
}

std::string LogLine(absl::string_view caller, absl::string_view msg, absl::string_view fields) {
  return absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()),
                      "\tinfo\t", caller, "\t", msg, fields.empty() ? "" : "\t{", fields,
                      fields.empty() ? "" : "}", "\n");
}

}  // namespace etcdpp::tools
