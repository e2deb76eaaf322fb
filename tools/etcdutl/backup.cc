// etcdutl backup (see backup.h). The steps of etcd's HandleBackup: the desired cluster, the
// source's raft state, the backend, the snapshot file, the WAL.

#include "tools/etcdutl/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "backend/backend.h"
#include "common/env.h"
#include "common/status.h"
#include "internalpb/internal.pb.h"
#include "internalpb/peer.pb.h"
#include "server/membership/cluster_store.h"
#include "server/membership/membership.h"
#include "server/snap/snap_files.h"
#include "tools/etcdutl/member_dir.h"
#include "wal/wal.h"

namespace etcdpp::tools {
namespace {

using server::Member;

// etcd's newDesiredCluster: ids from idutil.NewGenerator(0, now) (the low 40 bits of the unix
// milliseconds above an 8-bit counter; each Next() adds one), one member.
Member NewDesiredMember(uint64_t* cluster_id) {
  const auto ms = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  const uint64_t suffix = (ms & ((uint64_t{1} << 40) - 1)) << 8;
  Member m;
  m.id = suffix + 1;
  *cluster_id = suffix + 2;
  m.name = "etcdctl-v2-backup";
  m.peer_urls = {"http://use-flag--force-new-cluster:2080"};
  return m;
}

// The source's raft state: the newest snapshot file whose marker the WAL holds and whose index
// the WAL's hard state has committed (as the server picks it at restart), and the WAL after it.
// `wal` stays open, holding the segment locks: the member cannot start meanwhile.
struct Source {
  raft::Snapshot snap;
  wal::Wal::Contents contents;
  std::unique_ptr<wal::Wal> wal;
};

absl::StatusOr<Source> ReadSource(Env* env, const std::string& snap_dir,
                                  const std::string& wal_dir) {
  server::SnapFiles files(env, snap_dir);
  ASSIGN_OR_RETURN(std::vector<std::string> names, files.List());
  std::vector<raft::Snapshot> candidates;
  for (const std::string& name : names) {
    absl::StatusOr<raft::Snapshot> s = files.Load(name);
    if (s.ok()) candidates.push_back(*std::move(s));
  }
  candidates.push_back(raft::Snapshot{});  // the start of the WAL
  for (raft::Snapshot& cand : candidates) {
    Source src;
    const wal::WalSnapshot marker{cand.metadata.index, cand.metadata.term};
    absl::StatusOr<std::unique_ptr<wal::Wal>> w = wal::Wal::Open(env, wal_dir, marker);
    if (absl::IsUnavailable(w.status())) return InUseError(wal_dir, "etcdctl snapshot save");
    if (absl::IsNotFound(w.status())) continue;  // purged below this snapshot: an older one
    RETURN_NOT_OK(w.status());
    src.wal = *std::move(w);
    absl::StatusOr<wal::Wal::Contents> got = src.wal->ReadAll();
    if (absl::IsNotFound(got.status())) continue;
    RETURN_NOT_OK(got.status());
    if (cand.metadata.index > got->state.commit) continue;
    src.snap = std::move(cand);
    src.contents = *std::move(got);
    return src;
  }
  return absl::DataLossError(
      absl::StrCat("no snapshot in ", snap_dir, " matches the WAL in ", wal_dir));
}

// The term of the entry at `index` (the snapshot's or one the WAL holds).
absl::StatusOr<uint64_t> TermAt(const Source& src, uint64_t index) {
  if (index == src.snap.metadata.index) return src.snap.metadata.term;
  for (const raft::Entry& e : src.contents.entries) {
    if (e.index == index) return e.term;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "the backend holds the entries up to index ", index, ", which the WAL (from index ",
      src.snap.metadata.index, ", ", src.contents.entries.size(), " entries) does not reach"));
}

uint64_t FromBigEndian(std::string_view v) {
  uint64_t x = 0;
  for (char c : v.substr(0, 8)) x = (x << 8) | static_cast<uint8_t>(c);
  return x;
}

std::string BigEndian(uint64_t x) {
  std::string v(8, '\0');
  for (int i = 7; i >= 0; --i, x >>= 8) v[static_cast<size_t>(i)] = static_cast<char>(x & 0xff);
  return v;
}

absl::StatusOr<std::unique_ptr<backend::Backend>> OpenBackend(Env* env, const std::string& dir) {
  backend::Options o;
  o.dir = dir;
  o.env = env;
  o.background_commits = false;
  return backend::Backend::Open(o);
}

// Copies the committed source backend to `dest_db` (a consistent LMDB copy, fsynced).
absl::Status CopyBackend(const backend::Backend& src, const std::string& dest_db) {
  const int fd = ::open(dest_db.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return absl::InternalError(absl::StrCat("open ", dest_db, ": ", std::strerror(errno)));
  absl::Cleanup close_fd = [fd] { ::close(fd); };
  RETURN_NOT_OK(src.CopyTo(fd));
  if (::fsync(fd) != 0) {
    return absl::InternalError(absl::StrCat("fsync ", dest_db, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// etcd's TrimClusterFromBackend and PushMembershipToStorage: the member buckets hold `m` only.
// `index` (without the v3 data) becomes the consistent index.
absl::Status WriteMembers(Env* env, const std::string& snap_dir, const Member& m,
                          std::optional<uint64_t> index) {
  ASSIGN_OR_RETURN(std::unique_ptr<backend::Backend> be, OpenBackend(env, snap_dir));
  std::vector<std::pair<backend::Bucket, std::string>> stale;
  for (backend::Bucket b : {backend::Bucket::kMembers, backend::Bucket::kMembersRemoved}) {
    RETURN_NOT_OK(be->Range(b, "", "", [&](std::string_view k, std::string_view) {
      stale.emplace_back(b, std::string(k));
      return true;
    }));
  }
  backend::BatchTx tx(be.get());
  for (const auto& [bucket, key] : stale) tx.Delete(bucket, key);
  tx.Put(backend::Bucket::kMembers, server::MemberIdHex(m.id), server::EncodeMember(m));
  if (index.has_value())
    tx.Put(backend::Bucket::kMeta, backend::kConsistentIndexKey, BigEndian(*index));
  tx.End();
  return be->ForceCommit();
}

// The raft snapshot file at (index, term): the new member alone, as a member's own snapshot
// files hold it (conf state and the member list).
absl::Status WriteSnapshot(Env* env, const std::string& snap_dir, const Member& m,
                           uint64_t cluster_id, uint64_t index, uint64_t term) {
  raft::Snapshot snap;
  snap.metadata.index = index;
  snap.metadata.term = term;
  snap.metadata.conf_state.voters = {m.id};
  internalpb::MembersResponse members;
  members.set_cluster_id(cluster_id);
  *members.add_members() = server::ToRecord(m);
  snap.data = members.SerializeAsString();
  return server::SnapFiles(env, snap_dir).Save(snap);
}

// etcd's translateWAL: the entries above `after`, with conf changes, member attribute updates
// and (without the v3 data) requests replaced by empty entries of the same term and index.
std::vector<raft::Entry> TranslateEntries(const std::vector<raft::Entry>& in, uint64_t after,
                                          bool with_v3, std::string* log) {
  std::vector<raft::Entry> out;
  for (const raft::Entry& e : in) {
    if (e.index <= after) continue;
    out.push_back(e);
    raft::Entry& last = out.back();
    const char* why = nullptr;
    internalpb::InternalRequest req;
    if (e.type == raft::EntryType::kConfChange) {
      why = "ignoring EntryConfChange raft entry";
    } else if (e.data.empty()) {
      continue;
    } else if (req.ParseFromString(e.data) &&
               req.request_case() == internalpb::InternalRequest::kMemberAttributes) {
      why = "ignoring member attribute update on";
    } else if (!with_v3) {
      why = "ignoring v3 raft entry";
    }
    if (why == nullptr) continue;
    absl::StrAppend(log, LogLine("etcdutl/backup_command.go", why,
                                 absl::StrCat("\"index\": ", e.index, ", \"term\": ", e.term)));
    last = raft::Entry{e.term, e.index, raft::EntryType::kNormal, ""};
  }
  return out;
}

}  // namespace

absl::Status Backup(const BackupOptions& o, std::string* log) {
  RETURN_NOT_OK(CheckDbExists(o.data_dir));
  Env* env = Env::Default();
  const std::string src_wal = o.wal_dir.empty() ? WalDir(o.data_dir) : o.wal_dir;
  const std::string dest_snap = SnapDir(o.backup_dir);
  const std::string dest_wal = o.backup_wal_dir.empty() ? WalDir(o.backup_dir) : o.backup_wal_dir;
  if (env->FileExists(DbPath(o.backup_dir)) || wal::Wal::Exists(env, dest_wal)) {
    return absl::AlreadyExistsError(
        absl::StrCat("backup-dir ", o.backup_dir, " already holds a member's data"));
  }
  ASSIGN_OR_RETURN(Source src, ReadSource(env, SnapDir(o.data_dir), src_wal));
  uint64_t cluster_id = 0;
  const Member member = NewDesiredMember(&cluster_id);

  // The backup's snapshot index: what its backend holds.
  uint64_t index = src.contents.state.commit;
  std::unique_ptr<backend::Backend> src_be;
  if (o.with_v3) {
    ASSIGN_OR_RETURN(src_be, OpenBackend(env, SnapDir(o.data_dir)));
    absl::StatusOr<std::string> ci =
        src_be->Get(backend::Bucket::kMeta, backend::kConsistentIndexKey);
    if (!ci.ok() && !absl::IsNotFound(ci.status())) return ci.status();
    index = ci.ok() ? FromBigEndian(*ci) : 0;
  }
  if (index == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("nothing to back up: the member in ", o.data_dir, " applied no entry"));
  }
  ASSIGN_OR_RETURN(const uint64_t term, TermAt(src, index));

  RETURN_NOT_OK(env->CreateDirsSynced(dest_snap));
  if (src_be != nullptr) {
    RETURN_NOT_OK(CopyBackend(*src_be, DbPath(o.backup_dir)));
    src_be.reset();
  }
  RETURN_NOT_OK(WriteMembers(env, dest_snap, member,
                             o.with_v3 ? std::nullopt : std::optional<uint64_t>(index)));
  RETURN_NOT_OK(WriteSnapshot(env, dest_snap, member, cluster_id, index, term));

  internalpb::WalMetadata md;
  md.set_node_id(member.id);
  md.set_cluster_id(cluster_id);
  RETURN_NOT_OK(env->CreateDirsSynced(DirName(dest_wal)));
  ASSIGN_OR_RETURN(std::unique_ptr<wal::Wal> w,
                   wal::Wal::Create(env, dest_wal, md.SerializeAsString()));
  RETURN_NOT_OK(w->SaveSnapshot(wal::WalSnapshot{index, term}));
  raft::HardState st = src.contents.state;
  st.term = std::max(st.term, term);
  st.commit = std::max(st.commit, index);
  RETURN_NOT_OK(w->Save(st, TranslateEntries(src.contents.entries, index, o.with_v3, log)));
  RETURN_NOT_OK(w->Close());
  return env->SyncDir(dest_snap);
}

}  // namespace etcdpp::tools
