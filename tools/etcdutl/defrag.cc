// etcdutl defrag (see defrag.h).

#include "tools/etcdutl/defrag.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "backend/backend.h"
#include "common/env.h"
#include "common/go_text.h"
#include "common/status.h"
#include "tools/etcdutl/member_dir.h"
#include "wal/segment_name.h"

namespace etcdpp::tools {
namespace {

// Locks every WAL segment of the member, as a running member does; a segment locked already
// means the member runs.
absl::StatusOr<std::vector<std::unique_ptr<FileLock>>> LockWal(Env* env,
                                                               const std::string& data_dir) {
  std::vector<std::unique_ptr<FileLock>> locks;
  const std::string dir = WalDir(data_dir);
  if (!env->FileExists(dir)) return locks;
  ASSIGN_OR_RETURN(std::vector<wal::SegmentName> names, wal::ListSegments(env, dir));
  for (const wal::SegmentName& name : names) {
    const std::string path = JoinPath(dir, name.ToString());
    absl::StatusOr<std::unique_ptr<FileLock>> lock = env->LockFile(path);
    if (absl::IsUnavailable(lock.status())) {
      return InUseError(path, "etcdctl defrag");
    }
    if (!lock.ok()) return lock.status();
    locks.push_back(*std::move(lock));
  }
  return locks;
}

std::string Human(int64_t n) { return HumanizeBytes(static_cast<uint64_t>(n)); }

}  // namespace

absl::Status DefragData(const std::string& data_dir, std::string* log) {
  RETURN_NOT_OK(CheckDbExists(data_dir));
  const std::string db = DbPath(data_dir);
  Env* env = Env::Default();
  ASSIGN_OR_RETURN(std::vector<std::unique_ptr<FileLock>> locks, LockWal(env, data_dir));

  backend::Options o;
  o.dir = SnapDir(data_dir);
  o.env = env;
  o.background_commits = false;
  ASSIGN_OR_RETURN(std::unique_ptr<backend::Backend> be, backend::Backend::Open(o));
  const int64_t size_before = be->Size();
  const int64_t in_use_before = be->SizeInUse();
  absl::StrAppend(
      log, LogLine("backend/backend.go:517", "defragmenting",
                   absl::StrCat("\"path\": \"", db, "\", \"current-db-size-bytes\": ", size_before,
                                ", \"current-db-size\": \"", Human(size_before),
                                "\", \"current-db-size-in-use-bytes\": ", in_use_before,
                                ", \"current-db-size-in-use\": \"", Human(in_use_before), "\"")));
  ASSIGN_OR_RETURN(backend::DefragStats s, be->Defragment());
  const int64_t size = be->Size();
  const int64_t in_use = be->SizeInUse();
  absl::StrAppend(
      log,
      LogLine(
          "backend/backend.go:579", "finished defragmenting directory",
          absl::StrCat(
              "\"path\": \"", db, "\", \"current-db-size-bytes-diff\": ", size - size_before,
              ", \"current-db-size-bytes\": ", size, ", \"current-db-size\": \"", Human(size),
              "\", \"current-db-size-in-use-bytes-diff\": ", in_use - in_use_before,
              ", \"current-db-size-in-use-bytes\": ", in_use, ", \"current-db-size-in-use\": \"",
              Human(in_use), "\", \"took\": \"", absl::FormatDuration(s.duration), "\"")));
  return absl::OkStatus();
}

}  // namespace etcdpp::tools
