#include "backend/backend.h"

#include <lmdb.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backend/lmdb_env.h"
#include "common/failpoint.h"
#include "common/status.h"

namespace etcdpp::backend {
namespace {

MDB_val ToVal(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view FromVal(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

[[nodiscard]] absl::Status LmdbError(int rc, std::string_view what, std::string_view path) {
  return absl::InternalError(
      absl::StrCat("backend: ", std::string(what), " ", std::string(path), ": ", mdb_strerror(rc)));
}

[[nodiscard]] absl::Status CommitError(int rc, std::string_view what, std::string_view path) {
  return absl::InternalError(absl::StrCat("backend: cannot commit batch to ", std::string(path),
                                          " (", std::string(what), "): ", mdb_strerror(rc)));
}

// An LMDB read-only transaction, aborted on destruction; counted in *open while open.
class ReadTxn {
 public:
  explicit ReadTxn(std::atomic<int64_t>* open) : open_(open) {}
  ~ReadTxn() {
    if (txn_ == nullptr) return;
    mdb_txn_abort(txn_);
    open_->fetch_sub(1, std::memory_order_relaxed);
  }
  absl::Status Begin(MDB_env* env, std::string_view path) {
    int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn_);
    if (rc != 0) {
      txn_ = nullptr;
      return LmdbError(rc, "cannot begin read transaction on", path);
    }
    open_->fetch_add(1, std::memory_order_relaxed);
    return absl::OkStatus();
  }
  MDB_txn* get() const { return txn_; }

 private:
  std::atomic<int64_t>* const open_;
  MDB_txn* txn_ = nullptr;
};

}  // namespace

[[nodiscard]] absl::Status OpenLmdbEnv(const Options& options, const std::string& path,
                                       MDB_env** out, std::vector<unsigned>* dbis_out) {
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != 0) return LmdbError(rc, "cannot create environment for", path);
  auto fail = [&](int code, std::string_view what) {
    mdb_env_close(env);
    return LmdbError(code, what, path);
  };
  if ((rc = mdb_env_set_mapsize(env, options.map_size)) != 0) return fail(rc, "set map size");
  if ((rc = mdb_env_set_maxdbs(env, kNumBuckets + 2)) != 0) return fail(rc, "set max dbs");
  if ((rc = mdb_env_set_maxreaders(env, options.max_readers)) != 0) {
    return fail(rc, "set max readers");
  }
  // MDB_NOTLS: read transactions are not tied to threads (gRPC threads come and go).
  unsigned flags = MDB_NOSUBDIR | MDB_NOTLS;
  if (options.no_sync) flags |= MDB_NOSYNC | MDB_NOMETASYNC;
  rc = mdb_env_open(env, path.c_str(), flags, 0600);
  if (rc != 0) return fail(rc, "cannot open");
  int dead = 0;
  mdb_reader_check(env, &dead);

  MDB_txn* txn = nullptr;
  if ((rc = mdb_txn_begin(env, nullptr, 0, &txn)) != 0) return fail(rc, "cannot begin txn on");
  std::vector<unsigned> dbis(kNumBuckets);
  for (size_t i = 0; i < kNumBuckets; ++i) {
    MDB_dbi dbi;
    if ((rc = mdb_dbi_open(txn, kBucketNames[i], MDB_CREATE, &dbi)) != 0) {
      mdb_txn_abort(txn);
      return fail(rc, absl::StrCat("cannot open database '", kBucketNames[i], "' in"));
    }
    dbis[i] = dbi;
  }
  if ((rc = mdb_txn_commit(txn)) != 0) return fail(rc, "cannot create databases in");
  *out = env;
  *dbis_out = std::move(dbis);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Backend>> Backend::Open(const Options& given) {
  Options options = given;
  if (options.env == nullptr) options.env = Env::Default();
  Env* fs = options.env;
  RETURN_NOT_OK_PREPEND(fs->CreateDirsSynced(options.dir), "backend: cannot create directory");
  const std::string path = JoinPath(options.dir, "db");
  const bool created = !fs->FileExists(path);
  // A defragmentation interrupted by a crash before its rename: the db file is whole; the
  // partial copy is garbage.
  for (const std::string& stray : {path + ".defrag", path + ".defrag-lock"}) {
    if (!fs->FileExists(stray)) continue;
    std::fprintf(stderr, "backend: removing %s left by an interrupted defragmentation\n",
                 stray.c_str());
    RETURN_NOT_OK_PREPEND(fs->RemoveFile(stray), "backend: cannot remove an interrupted defrag");
  }
  MDB_env* env = nullptr;
  std::vector<unsigned> dbis;
  RETURN_NOT_OK(OpenLmdbEnv(options, path, &env, &dbis));
  // LMDB's first commit (the named databases) fsynced the new file's data; its name in the
  // directory needs a sync of its own.
  if (absl::Status st = created ? fs->SyncDir(options.dir) : absl::OkStatus(); !st.ok()) {
    mdb_env_close(env);
    return st;
  }
  return std::unique_ptr<Backend>(new Backend(options, path, env, std::move(dbis)));
}

Backend::Backend(const Options& options, std::string path, MDB_env* env, std::vector<unsigned> dbis)
    : options_(options), path_(std::move(path)), env_(env), dbis_(std::move(dbis)) {
  if (options_.background_commits) committer_.Start("etcdpp-commit", [this] { CommitLoop(); });
}

Backend::~Backend() {
  committer_.Stop();
  (void)CommitStaged();
  mdb_env_close(env_);
}

// Commits every batch_interval, or at once when kicked (Signal), until stopped.
void Backend::CommitLoop() {
  for (;;) {
    {
      MutexLock l(committer_.mu());
      if (!kick_ && !committer_.stopping()) {
        committer_.WaitFor(absl::ToChronoNanoseconds(options_.batch_interval));
      }
      kick_ = false;
      if (committer_.stopping()) return;
    }
    (void)CommitStaged();
  }
}

void Backend::Signal() {
  MutexLock l(committer_.mu());
  kick_ = true;
  committer_.Signal();
}

absl::Status Backend::ForceCommit() { return CommitStaged(); }

absl::Status Backend::failed() const {
  MutexLock l(&failed_mu_);
  return failed_;
}

absl::Status Backend::CommitStaged() {
  MutexLock commit_lock(&commit_mu_);
  if (absl::Status f = failed(); !f.ok()) return f;
  // Aborts the transaction (LMDB keeps its last commit) and ends committing: the batch stays in
  // the buffer's committing maps, so readers keep seeing it.
  auto fail = [this](int rc, std::string_view what, MDB_txn* txn) {
    if (txn != nullptr) mdb_txn_abort(txn);
    absl::Status st = CommitError(rc, what, path_);
    std::fprintf(stderr, "%s\n", std::string(st.message()).c_str());
    MutexLock l(&failed_mu_);
    failed_ = st;
    return st;
  };
  const ReadBuffer::Maps* maps;
  {
    MutexLock batch_lock(&batch_mu_);  // waits for the open BatchTx, if any
    maps = buffer_.StartCommit();
  }
  if (maps == nullptr) return absl::OkStatus();
  std::shared_lock env_lock(env_mu_);  // ReplaceWith holds commit_mu_: never contended
  MDB_txn* txn = nullptr;
  ETCDPP_FAILPOINT(beforeStartDBTxn);
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  ETCDPP_FAILPOINT(afterStartDBTxn);
  if (rc != 0) return fail(rc, "begin", nullptr);
  for (size_t i = 0; i < kNumBuckets; ++i) {
    for (const auto& [key, value] : (*maps)[i]) {
      MDB_val k = ToVal(key);
      if (value.has_value()) {
        MDB_val v = ToVal(*value);
        rc = mdb_put(txn, dbis_[i], &k, &v, 0);
      } else {
        rc = mdb_del(txn, dbis_[i], &k, nullptr);
        if (rc == MDB_NOTFOUND) rc = 0;
      }
      if (rc != 0) return fail(rc, kBucketNames[i], txn);
    }
  }
  ETCDPP_FAILPOINT(beforeCommit);
  absl::Time start = absl::Now();
  if ((rc = mdb_txn_commit(txn)) != 0) return fail(rc, "commit", nullptr);  // txn freed
  ETCDPP_FAILPOINT(afterCommit);
  if (options_.on_commit) options_.on_commit(absl::Now() - start);
  RecordDelta(*maps);      // before FinishCommit clears it
  buffer_.FinishCommit();  // only now: a reader that misses the buffer finds it in LMDB
  return absl::OkStatus();
}

absl::StatusOr<std::string> Backend::Get(Bucket b, std::string_view key) const {
  std::string out;
  switch (buffer_.Get(b, key, [&](std::string_view v) { out.assign(v); })) {
    case ReadBuffer::Lookup::kFound:
      return out;
    case ReadBuffer::Lookup::kDeleted:
      return absl::NotFoundError("backend: key not found");
    case ReadBuffer::Lookup::kMissing:
      break;
  }
  std::shared_lock env_lock(env_mu_);
  ReadTxn txn(&open_reads_);
  RETURN_NOT_OK(txn.Begin(env_, path_));
  MDB_val k = ToVal(key), v;
  int rc = mdb_get(txn.get(), dbis_[BucketIndex(b)], &k, &v);
  if (rc == MDB_NOTFOUND) return absl::NotFoundError("backend: key not found");
  if (rc != 0) return LmdbError(rc, "read from", path_);
  return std::string(FromVal(v));
}

absl::Status Backend::GetMany(Bucket b, const std::vector<std::string>& keys,
                              absl::FunctionRef<void(size_t, std::string_view)> fn) const {
  std::vector<ReadBuffer::Lookup> found;
  buffer_.GetMany(b, keys, &found, fn);
  std::shared_lock env_lock(env_mu_);
  ReadTxn txn(&open_reads_);  // begun after the buffer lookups (see read_buffer.h)
  for (size_t i = 0; i < keys.size(); ++i) {
    if (found[i] != ReadBuffer::Lookup::kMissing) continue;
    if (txn.get() == nullptr) RETURN_NOT_OK(txn.Begin(env_, path_));
    MDB_val k = ToVal(keys[i]), v;
    int rc = mdb_get(txn.get(), dbis_[BucketIndex(b)], &k, &v);
    if (rc == MDB_NOTFOUND) continue;
    if (rc != 0) return LmdbError(rc, "read from", path_);
    fn(i, FromVal(v));
  }
  return absl::OkStatus();
}

absl::Status Backend::Range(Bucket b, std::string_view from, std::string_view to,
                            absl::FunctionRef<bool(std::string_view, std::string_view)> fn) const {
  const auto buffered = buffer_.CopyRange(b, from, to);
  std::shared_lock env_lock(env_mu_);
  ReadTxn txn(&open_reads_);
  RETURN_NOT_OK(txn.Begin(env_, path_));
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn.get(), dbis_[BucketIndex(b)], &cursor);
  if (rc != 0) return LmdbError(rc, "open cursor on", path_);
  MDB_val k = ToVal(from), v;
  rc = from.empty() ? mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
                    : mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
  size_t i = 0;
  absl::Status status;
  while (true) {
    if (rc != 0 && rc != MDB_NOTFOUND) {
      status = LmdbError(rc, "iterate", path_);
      break;
    }
    const bool has_c = rc == 0 && (to.empty() || FromVal(k) < to);
    const bool has_b = i < buffered.size();
    if (!has_c && !has_b) break;
    if (has_b && (!has_c || std::string_view(buffered[i].first) <= FromVal(k))) {
      if (has_c && buffered[i].first == FromVal(k)) rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
      const auto& [bk, bv] = buffered[i++];
      if (bv.has_value() && !fn(bk, *bv)) break;
    } else {
      if (!fn(FromVal(k), FromVal(v))) break;
      rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
    }
  }
  mdb_cursor_close(cursor);
  return status;
}

int64_t Backend::Size() const {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) return 0;
  return st.st_size;
}

int64_t Backend::SizeInUse() const {
  std::shared_lock env_lock(env_mu_);
  MDB_envinfo info;
  MDB_stat stat;
  mdb_env_info(env_, &info);
  mdb_env_stat(env_, &stat);
  int64_t pages = static_cast<int64_t>(info.me_last_pgno) + 1;
  // Subtract the free list (database 0): each record is a page-number list led by its length.
  ReadTxn txn(&open_reads_);
  if (txn.Begin(env_, path_).ok()) {
    MDB_cursor* cursor = nullptr;
    if (mdb_cursor_open(txn.get(), 0, &cursor) == 0) {
      MDB_val k, v;
      for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
           rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
        size_t n = 0;
        if (v.mv_size >= sizeof(n)) std::memcpy(&n, v.mv_data, sizeof(n));
        pages -= static_cast<int64_t>(n);
      }
      mdb_cursor_close(cursor);
    }
  }
  return pages * static_cast<int64_t>(stat.ms_psize);
}

BatchTx::BatchTx(Backend* be) : be_(be) { be_->batch_mu_.Lock(); }

BatchTx::~BatchTx() {
  if (!ended_) End();
}

void BatchTx::End() {
  ended_ = true;
  be_->batch_mu_.Unlock();
}

void BatchTx::Put(Bucket b, std::string_view key, std::string value) {
  be_->buffer_.Put(b, key, std::move(value));
  if (be_->buffer_.PendingOps() == be_->options_.batch_limit) be_->Signal();
}

void BatchTx::Delete(Bucket b, std::string_view key) {
  be_->buffer_.Delete(b, key);
  if (be_->buffer_.PendingOps() == be_->options_.batch_limit) be_->Signal();
}

}  // namespace etcdpp::backend
