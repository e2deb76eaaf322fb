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

absl::StatusOr<std::unique_ptr<ReadSnapshot>> Backend::OpenReadSnapshot() const {
  std::shared_lock env_lock(env_mu_);
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("backend: cannot begin read transaction on ", path_, ": ", mdb_strerror(rc)));
  }
  open_reads_.fetch_add(1, std::memory_order_relaxed);
  return std::unique_ptr<ReadSnapshot>(new ReadSnapshot(this, std::move(env_lock), txn));
}

ReadSnapshot::~ReadSnapshot() {
  mdb_txn_abort(txn_);
  be_->open_reads_.fetch_sub(1, std::memory_order_relaxed);
}

absl::Status ReadSnapshot::ForEach(
    Bucket b, absl::FunctionRef<bool(std::string_view, std::string_view)> fn) const {
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn_, be_->dbis_[BucketIndex(b)], &cursor);
  MDB_val k{0, nullptr}, v{0, nullptr};
  if (rc == 0) rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
  while (rc == 0) {
    if (!fn(std::string_view(static_cast<const char*>(k.mv_data), k.mv_size),
            std::string_view(static_cast<const char*>(v.mv_data), v.mv_size))) {
      break;
    }
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  if (cursor != nullptr) mdb_cursor_close(cursor);
  if (rc != 0 && rc != MDB_NOTFOUND) {
    return absl::InternalError(absl::StrCat("backend: cannot read bucket ",
                                            std::string(BucketName(b)), " of ", be_->path_, ": ",
                                            mdb_strerror(rc)));
  }
  return absl::OkStatus();
}

absl::Status Backend::ReplaceWith(const std::string& file) {
  MutexLock commit_lock(&commit_mu_);
  MutexLock batch_lock(&batch_mu_);
  std::unique_lock env_lock(env_mu_);
  ++generation_;  // a defragmentation under way copied the old database
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
