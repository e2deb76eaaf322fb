// Backend::CopyTo and Backend::ReplaceWith: the two ends of a raft snapshot transfer (the
// leader streams its database; the follower swaps the received file in).

#include <lmdb.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "backend/backend.h"
#include "backend/lmdb_env.h"

namespace etcdpp::backend {

absl::Status Backend::CopyTo(int fd) const {
  std::shared_lock env_lock(env_mu_);
  int rc = mdb_env_copyfd2(env_, fd, 0);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("backend: cannot copy ", path_, ": ", mdb_strerror(rc)));
  }
  return absl::OkStatus();
}

absl::Status Backend::ReplaceWith(const std::string& file) {
  MutexLock commit_lock(&commit_mu_);
  MutexLock batch_lock(&batch_mu_);
  std::unique_lock env_lock(env_mu_);
  // What is staged is older than the incoming database: drop it.
  if (buffer_.StartCommit() != nullptr) buffer_.FinishCommit();
  mdb_env_close(env_);
  env_ = nullptr;
  absl::Status st = options_.env->RenameFile(file, path_);
  if (st.ok()) st = options_.env->SyncDir(DirName(path_));
  if (!st.ok())
    st = absl::InternalError(absl::StrCat("backend: swapping in ", file, ": ", st.message()));
  // Reopen whatever is at path_ now (the new file, or the old one if the rename failed).
  absl::Status open = OpenLmdbEnv(options_, path_, &env_, &dbis_);
  if (!open.ok()) {
    // Readers would use a closed environment: there is no way on (etcd panics here too).
    std::fprintf(stderr, "backend: cannot reopen %s after a snapshot: %s\n", path_.c_str(),
                 open.ToString().c_str());
    std::abort();
  }
  return st;
}

}  // namespace etcdpp::backend
