#include "server/etcdfmt/etcd_import.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "backend/backend.h"
#include "backend/bbolt/reader.h"
#include "common/status.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "internalpb/internal.pb.h"
#include "internalpb/peer.pb.h"
#include "server/etcdfmt/etcd_wal.h"
#include "server/membership/cluster_store.h"
#include "server/snap/snap_files.h"
#include "spdlog/spdlog.h"
#include "wal/wal.h"

namespace etcdpp::server::etcdfmt {
namespace {

using backend::Bucket;
namespace bbolt = backend::bbolt;

constexpr size_t kOpsPerCommit = 10000;

std::string BigEndian64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint64_t FromBigEndian64(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

// The bbolt buckets etcd 3.4 writes, and what the import does with each.
enum class Plan { kCopy, kMeta, kMembers, kSkip };
struct KnownBucket {
  std::string_view name;
  Plan plan;
  Bucket target;
};
constexpr KnownBucket kKnownBuckets[] = {
    {"alarm", Plan::kCopy, Bucket::kAlarm},
    {"auth", Plan::kCopy, Bucket::kAuth},
    {"authRoles", Plan::kCopy, Bucket::kAuthRoles},
    {"authUsers", Plan::kCopy, Bucket::kAuthUsers},
    {"cluster", Plan::kCopy, Bucket::kCluster},
    {"key", Plan::kCopy, Bucket::kKey},
    {"lease", Plan::kCopy, Bucket::kLease},
    {"members", Plan::kMembers, Bucket::kMembers},
    {"members_removed", Plan::kMembers, Bucket::kMembersRemoved},
    {"meta", Plan::kMeta, Bucket::kMeta},
};

// Meta keys of etcd 3.5/3.6 that the raft state given to the import replaces.
bool IsReplacedMetaKey(std::string_view k) {
  return k == "term" || k == "confState" || k == "storageVersion";
}

// Writes the backend through one BatchTx at a time, committing every kOpsPerCommit puts so
// that the staged batch stays small whatever the size of the file.
class Loader {
 public:
  explicit Loader(backend::Backend* be) : be_(be) {}
  absl::Status Put(Bucket b, std::string_view k, std::string_view v) {
    {
      backend::BatchTx tx(be_);
      tx.Put(b, k, std::string(v));
      tx.End();
    }
    if (++staged_ >= kOpsPerCommit) return Flush();
    return absl::OkStatus();
  }
  absl::Status Flush() {
    staged_ = 0;
    return be_->ForceCommit();
  }

 private:
  backend::Backend* const be_;
  size_t staged_ = 0;
};

absl::Status CopyBuckets(Env* env, const ImportSpec& spec, backend::Backend* be,
                         ImportStats* stats) {
  ASSIGN_OR_RETURN(std::unique_ptr<bbolt::Reader> rd, bbolt::Reader::Open(spec.bbolt_path, env));
  Loader load(be);
  absl::Status err;
  std::vector<std::pair<std::string, bbolt::BucketRef>> buckets;
  RETURN_NOT_OK(
      rd->ForEach(rd->root(), [&](std::string_view k, std::string_view v, bool is_bucket) {
        if (!is_bucket) {
          err = absl::InvalidArgumentError(
              absl::StrCat(spec.bbolt_path, ": a plain key \"", std::string(k),
                           "\" at the top level, where etcd keeps only buckets"));
          return false;
        }
        absl::StatusOr<bbolt::BucketRef> ref = rd->ParseBucketValue(v, 0);
        if (!ref.ok()) {
          err = ref.status();
          return false;
        }
        buckets.emplace_back(std::string(k), *std::move(ref));
        return true;
      }));
  RETURN_NOT_OK(err);
  for (const auto& bucket : buckets) {
    const std::string& name = bucket.first;  // (clang 14 cannot capture structured bindings)
    const bbolt::BucketRef& ref = bucket.second;
    const KnownBucket* known = nullptr;
    for (const KnownBucket& kb : kKnownBuckets) {
      if (kb.name == name) known = &kb;
    }
    if (known == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          spec.bbolt_path, ": bucket \"", name,
          "\" is not one of etcd 3.4's (a newer etcd's schema?); etcdpp cannot import it"));
    }
    if (known->plan == Plan::kMembers) continue;  // replaced by the spec's member list
    RETURN_NOT_OK(rd->ForEach(ref, [&](std::string_view k, std::string_view v, bool is_bucket) {
      if (is_bucket) {
        err = absl::InvalidArgumentError(absl::StrCat(spec.bbolt_path, ": bucket \"", name,
                                                      "\" holds a nested bucket \"", std::string(k),
                                                      "\", which etcd never writes"));
        return false;
      }
      if (known->plan == Plan::kMeta) {
        if (k == backend::kConsistentIndexKey) {
          stats->etcd_consistent_index = FromBigEndian64(v);
          return true;  // written below from spec.index
        }
        if (IsReplacedMetaKey(k)) {
          SPDLOG_INFO("import: leaving out etcd's meta key \"{}\" (raft state is kept apart)",
                       std::string(k));
          return true;
        }
        if (k != backend::kFinishedCompactKey && k != backend::kScheduledCompactKey) {
          err = absl::InvalidArgumentError(absl::StrCat(
              spec.bbolt_path, ": meta key \"", std::string(k),
              "\" is not one etcd 3.4 writes (a newer etcd's schema?); etcdpp cannot import it"));
          return false;
        }
      }
      if (known->target == Bucket::kKey) ++stats->keys;
      if (known->target == Bucket::kLease) ++stats->leases;
      if (known->target == Bucket::kAuthUsers) ++stats->users;
      if (known->target == Bucket::kAuthRoles) ++stats->roles;
      err = load.Put(known->target, k, v);
      return err.ok();
    }));
    RETURN_NOT_OK(err);
  }
  {
    backend::BatchTx tx(be);
    tx.Put(Bucket::kMeta, backend::kConsistentIndexKey, BigEndian64(spec.index));
    for (const Member& m : spec.members)
      tx.Put(Bucket::kMembers, MemberIdHex(m.id), EncodeMember(m));
    for (uint64_t id : spec.removed_ids)
      tx.Put(Bucket::kMembersRemoved, MemberIdHex(id), "removed");
    tx.End();
  }
  return load.Flush();
}

absl::Status BuildMemberDir(Env* env, const ImportSpec& spec, const std::string& dir,
                            ImportStats* stats) {
  const std::string snap_dir = JoinPath(dir, "snap");
  RETURN_NOT_OK(env->CreateDirs(snap_dir));
  {
    backend::Options o;
    o.dir = snap_dir;
    o.env = env;
    o.background_commits = false;
    ASSIGN_OR_RETURN(std::unique_ptr<backend::Backend> be, backend::Backend::Open(o));
    RETURN_NOT_OK(CopyBuckets(env, spec, be.get(), stats));
  }
  raft::Snapshot snap;
  snap.metadata.index = spec.index;
  snap.metadata.term = spec.term;
  internalpb::MembersResponse members;
  members.set_cluster_id(spec.cluster_id);
  for (const Member& m : spec.members) {
    (m.is_learner ? snap.metadata.conf_state.learners : snap.metadata.conf_state.voters)
        .push_back(m.id);
    *members.add_members() = ToRecord(m);
  }
  snap.data = members.SerializeAsString();
  RETURN_NOT_OK(SnapFiles(env, snap_dir).Save(snap));
  internalpb::WalMetadata md;
  md.set_node_id(spec.member_id);
  md.set_cluster_id(spec.cluster_id);
  ASSIGN_OR_RETURN(std::unique_ptr<wal::Wal> w,
                   wal::Wal::Create(env, JoinPath(dir, "wal"), md.SerializeAsString()));
  RETURN_NOT_OK(w->SaveSnapshot(wal::WalSnapshot{spec.index, spec.term}));
  raft::HardState st = spec.state;
  st.term = std::max(st.term, spec.term);
  st.commit = std::max(st.commit, spec.index);
  RETURN_NOT_OK(w->Save(st, {}));
  RETURN_NOT_OK(w->Close());
  RETURN_NOT_OK(env->SyncDir(snap_dir));
  return env->SyncDir(dir);
}

// ---- Adoption: the member list as etcd 3.4 keeps it (its v2 store, then the WAL).

using Json = google::protobuf::Value;

std::optional<Json> ParseJson(std::string_view text) {
  google::protobuf::Struct wrapper;
  const std::string doc = absl::StrCat("{\"v\":", std::string(text), "}");
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(doc, &wrapper, opts).ok()) return std::nullopt;
  auto it = wrapper.fields().find("v");
  if (it == wrapper.fields().end()) return std::nullopt;
  return it->second;
}

const Json* Field(const Json& obj, const std::string& name) {
  if (obj.kind_case() != Json::kStructValue) return nullptr;
  auto it = obj.struct_value().fields().find(name);
  return it == obj.struct_value().fields().end() ? nullptr : &it->second;
}

std::vector<std::string> Strings(const Json* v) {
  std::vector<std::string> out;
  if (v == nullptr || v->kind_case() != Json::kListValue) return out;
  for (const Json& s : v->list_value().values()) {
    if (s.kind_case() == Json::kStringValue) out.push_back(s.string_value());
  }
  return out;
}

struct Membership {
  std::map<uint64_t, Member> members;
  std::set<uint64_t> removed;

  // raftAttributes JSON: {"peerURLs":[...],"isLearner":true}
  void SetRaftAttributes(uint64_t id, const Json& ra) {
    Member& m = members[id];
    m.id = id;
    m.peer_urls = Strings(Field(ra, "peerURLs"));
    const Json* l = Field(ra, "isLearner");
    m.is_learner = l != nullptr && l->kind_case() == Json::kBoolValue && l->bool_value();
  }
  // attributes JSON: {"name":"...","clientURLs":[...]}
  void SetAttributes(uint64_t id, const Json& a) {
    auto it = members.find(id);
    if (it == members.end()) return;
    const Json* n = Field(a, "name");
    if (n != nullptr && n->kind_case() == Json::kStringValue) it->second.name = n->string_value();
    it->second.client_urls = Strings(Field(a, "clientURLs"));
  }
};

bool ParseHexId(std::string_view s, uint64_t* id) {
  return !s.empty() && s.size() <= 16 &&
         absl::SimpleHexAtoi(absl::string_view(s.data(), s.size()), id);
}

// etcd's v2 store JSON (v2store's Save): {"Root":{"Children":{"0":{"Children":{"members":
// {"Children":{"<hex id>":{"Children":{"raftAttributes":{"Value":"<json>"},"attributes":...}}}},
// "removed_members":{"Children":{"<hex id>":{...}}}}}}}}.
absl::Status MembersFromV2Store(const std::string& data, const std::string& file, Membership* out) {
  std::optional<Json> store = ParseJson(data);
  if (!store.has_value()) {
    return absl::DataLossError(absl::StrCat(file, ": the snapshot's v2 store is not JSON"));
  }
  auto child = [](const Json* n, const std::string& name) -> const Json* {
    return n == nullptr                       ? nullptr
           : Field(*n, "Children") == nullptr ? nullptr
                                              : Field(*Field(*n, "Children"), name);
  };
  const Json* cluster = child(Field(*store, "Root"), "0");
  auto each = [](const Json* dir, auto fn) {
    const Json* kids = dir == nullptr ? nullptr : Field(*dir, "Children");
    if (kids == nullptr || kids->kind_case() != Json::kStructValue) return;
    for (const auto& [name, node] : kids->struct_value().fields()) fn(name, node);
  };
  each(child(cluster, "members"), [&](const std::string& hex, const Json& node) {
    uint64_t id = 0;
    if (!ParseHexId(hex, &id)) return;
    const Json* ra = child(&node, "raftAttributes");
    const Json* rv = ra == nullptr ? nullptr : Field(*ra, "Value");
    if (rv == nullptr || rv->kind_case() != Json::kStringValue) return;
    if (std::optional<Json> j = ParseJson(rv->string_value())) out->SetRaftAttributes(id, *j);
    const Json* a = child(&node, "attributes");
    const Json* av = a == nullptr ? nullptr : Field(*a, "Value");
    if (av != nullptr && av->kind_case() == Json::kStringValue) {
      if (std::optional<Json> j = ParseJson(av->string_value())) out->SetAttributes(id, *j);
    }
  });
  each(child(cluster, "removed_members"), [&](const std::string& hex, const Json&) {
    uint64_t id = 0;
    if (ParseHexId(hex, &id)) out->removed.insert(id);
  });
  return absl::OkStatus();
}

// Applies one WAL entry's membership effect, as etcd 3.4's applier does to its v2 store.
absl::Status ApplyEntry(const raft::Entry& e, const std::string& wal_dir, Membership* m) {
  const int type = static_cast<int>(e.type);
  if (type == 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        wal_dir, ": entry ", e.index, " is a ConfChangeV2 (etcd 3.5 raft), not taken over"));
  }
  if (type == 1) {
    absl::StatusOr<EtcdConfChange> cc = DecodeEtcdConfChange(e.data);
    if (!cc.ok()) {
      return absl::DataLossError(
          absl::StrCat(wal_dir, ": entry ", e.index, ": ", cc.status().message()));
    }
    if (cc->type == 1) {  // RemoveNode
      m->members.erase(cc->node_id);
      m->removed.insert(cc->node_id);
      return absl::OkStatus();
    }
    auto it = m->members.find(cc->node_id);
    if (cc->type == 0 && it != m->members.end() && it->second.is_learner) {
      it->second.is_learner = false;  // 3.4's promote: AddNode of a learner
      return absl::OkStatus();
    }
    // Add, add learner, update: the context is the member's JSON, whose peerURLs and
    // isLearner are the raft attributes; name and client URLs come from its publish.
    std::optional<Json> ctx = ParseJson(cc->context);
    if (!ctx.has_value()) {
      return absl::DataLossError(
          absl::StrCat(wal_dir, ": entry ", e.index, ": the conf change's context is not JSON"));
    }
    m->SetRaftAttributes(cc->node_id, *ctx);
    if (cc->type == 3) m->members[cc->node_id].is_learner = true;
    return absl::OkStatus();
  }
  std::optional<EtcdV2Request> req = DecodeEtcdV2Request(e.data);
  if (!req.has_value() || req->method != "PUT") return absl::OkStatus();
  std::vector<std::string> parts = absl::StrSplit(req->path, '/');
  // "/0/members/<hex>/attributes"
  if (parts.size() == 5 && parts[1] == "0" && parts[2] == "members" && parts[4] == "attributes") {
    uint64_t id = 0;
    if (!ParseHexId(parts[3], &id)) return absl::OkStatus();
    if (std::optional<Json> j = ParseJson(req->val)) m->SetAttributes(id, *j);
  }
  return absl::OkStatus();
}

}  // namespace

bool IsBboltFile(Env* env, const std::string& path) {
  absl::StatusOr<std::unique_ptr<File>> f = env->OpenFile(path, OpenMode::kOpenExisting);
  if (!f.ok()) return false;
  char buf[24] = {};
  absl::StatusOr<size_t> n = (*f)->ReadAt(0, sizeof(buf), buf);
  if (!n.ok() || *n < 20) return false;
  uint32_t magic = 0;
  std::memcpy(&magic, buf + 16, 4);
  return magic == bbolt::kMagic;
}

absl::StatusOr<uint64_t> EtcdConsistentIndex(Env* env, const std::string& bbolt_path) {
  ASSIGN_OR_RETURN(std::unique_ptr<bbolt::Reader> rd, bbolt::Reader::Open(bbolt_path, env));
  absl::StatusOr<bbolt::BucketRef> meta = rd->Bucket(rd->root(), "meta");
  if (absl::IsNotFound(meta.status())) return uint64_t{0};
  RETURN_NOT_OK(meta.status());
  uint64_t ci = 0;
  RETURN_NOT_OK(rd->ForEach(*meta, [&](std::string_view k, std::string_view v, bool) {
    if (k == backend::kConsistentIndexKey) ci = FromBigEndian64(v);
    return true;
  }));
  return ci;
}

absl::StatusOr<ImportStats> ImportEtcdMember(Env* env, const ImportSpec& spec) {
  if (env->FileExists(spec.member_dir)) {
    return absl::AlreadyExistsError(absl::StrCat(spec.member_dir, " already exists"));
  }
  const std::string tmp = spec.member_dir + ".importing";
  if (env->FileExists(tmp)) RETURN_NOT_OK(env->RemoveAll(tmp));
  ImportStats stats;
  absl::Status st = BuildMemberDir(env, spec, tmp, &stats);
  if (st.ok()) st = env->RenameFile(tmp, spec.member_dir);
  const std::string parent = spec.member_dir.substr(0, spec.member_dir.rfind('/'));
  if (st.ok()) st = env->SyncDir(parent.empty() ? "." : parent);
  if (!st.ok()) {
    absl::Status rm = env->RemoveAll(tmp);
    if (!rm.ok()) SPDLOG_ERROR("cannot remove {}: {}", tmp, rm.ToString());
    return st;
  }
  return stats;
}

absl::Status AdoptEtcdDataDir(Env* env, const std::string& data_dir,
                              const std::string& wal_dir_flag) {
  const std::string member = JoinPath(data_dir, "member");
  const std::string original = JoinPath(data_dir, "member.etcd");
  const std::string converted = JoinPath(data_dir, "member.adopted");
  // A conversion cut short between its two renames: the converted dir is complete.
  if (!env->FileExists(member) && env->FileExists(original) && env->FileExists(converted)) {
    SPDLOG_INFO("finishing the adoption of etcd's data dir {}: {} -> {}", data_dir, converted,
                 member);
    RETURN_NOT_OK(env->RenameFile(converted, member));
    return env->SyncDir(data_dir);
  }
  const std::string db = JoinPath(member, "snap/db");
  if (!env->FileExists(db) || !IsBboltFile(env, db)) return absl::OkStatus();
  if (env->FileExists(original)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot adopt etcd's data dir ", data_dir, ": ", original,
                     " (an earlier adoption's original files) is in the way; move it elsewhere"));
  }
  SPDLOG_INFO(
      "{} holds an etcd member's data (bbolt backend {}): converting it to etcdpp's "
      "formats",
      member, db);
  const std::string snap_dir = JoinPath(member, "snap");
  const std::string wal_dir = JoinPath(member, "wal");
  ASSIGN_OR_RETURN(uint64_t ci, EtcdConsistentIndex(env, db));
  // The newest snap file that loads and whose record the WAL holds (etcd's choice), else the
  // WAL's beginning.
  ASSIGN_OR_RETURN(std::vector<std::string> snaps, ListEtcdSnaps(env, snap_dir));
  raft::Snapshot snap;
  std::optional<EtcdWal> wal;
  std::string snap_file;
  for (const std::string& name : snaps) {
    absl::StatusOr<raft::Snapshot> s = LoadEtcdSnap(env, JoinPath(snap_dir, name));
    if (!s.ok()) {
      SPDLOG_WARN("skipping etcd snapshot file: {}", std::string(s.status().message()));
      continue;
    }
    absl::StatusOr<EtcdWal> w = ReadEtcdWal(env, wal_dir, s->metadata.index, s->metadata.term);
    if (absl::IsNotFound(w.status())) {
      SPDLOG_WARN("skipping etcd snapshot file {}: {}", name, std::string(w.status().message()));
      continue;
    }
    RETURN_NOT_OK(w.status());
    snap = *std::move(s);
    wal = *std::move(w);
    snap_file = JoinPath(snap_dir, name);
    break;
  }
  if (!wal.has_value()) {
    ASSIGN_OR_RETURN(EtcdWal w, ReadEtcdWal(env, wal_dir, 0, 0));
    wal = std::move(w);
  }
  if (!wal->torn_tail.empty()) {
    SPDLOG_WARN("etcd WAL: dropped a torn final record (never acknowledged): {}", wal->torn_tail);
  }
  const uint64_t snap_index = snap.metadata.index;
  const uint64_t last = wal->entries.empty() ? snap_index : wal->entries.back().index;
  if (ci < snap_index) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot adopt etcd's data dir ", data_dir, ": its backend ", db, " is at index ", ci,
        ", behind its snapshot ", snap_file, " at index ", snap_index));
  }
  if (last > ci) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot adopt etcd's data dir ", data_dir, ": its WAL holds entries ", ci + 1, " to ", last,
        " that its backend has not applied (consistent index ", ci,
        "); start this member once more with etcd and stop it cleanly, or move the data with "
        "`etcdctl snapshot save` and `snapshot restore`"));
  }
  if (ci > wal->state.commit && ci > snap_index) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot adopt etcd's data dir ", data_dir, ": its backend is at index ", ci,
                     ", beyond the WAL's commit index ", wal->state.commit));
  }
  Membership ms;
  if (!snap_file.empty()) RETURN_NOT_OK(MembersFromV2Store(snap.data, snap_file, &ms));
  uint64_t term = snap.metadata.term;
  for (const raft::Entry& e : wal->entries) {
    if (e.index > ci) break;
    RETURN_NOT_OK(ApplyEntry(e, wal_dir, &ms));
    term = e.term;
  }
  if (ci > last) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot adopt etcd's data dir ", data_dir, ": its backend is at index ", ci,
                     " but its WAL and snapshot end at index ", last));
  }
  if (ms.members.find(wal->node_id) == ms.members.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot adopt etcd's data dir ", data_dir, ": member ", MemberIdHex(wal->node_id),
        " (the WAL's) is not in the member list its snapshot and WAL give"));
  }
  ImportSpec spec;
  spec.bbolt_path = db;
  spec.member_dir = converted;
  spec.member_id = wal->node_id;
  spec.cluster_id = wal->cluster_id;
  for (auto& [id, m] : ms.members) spec.members.push_back(m);
  spec.removed_ids.assign(ms.removed.begin(), ms.removed.end());
  spec.index = ci;
  spec.term = term;
  spec.state = wal->state;
  if (env->FileExists(converted)) RETURN_NOT_OK(env->RemoveAll(converted));  // cut short before
  ASSIGN_OR_RETURN(ImportStats stats, ImportEtcdMember(env, spec));
  RETURN_NOT_OK(env->RenameFile(member, original));
  RETURN_NOT_OK(env->RenameFile(converted, member));
  RETURN_NOT_OK(env->SyncDir(data_dir));
  SPDLOG_INFO(
      "adopted etcd's data dir {}: member {:x} of cluster {:x}, {} members, index {} term {}, "
      "{} key revisions, {} leases, {} users, {} roles; etcd's files are kept in {} (remove it "
      "once the cluster is healthy)",
      data_dir, spec.member_id, spec.cluster_id, spec.members.size(), spec.index, spec.term,
      stats.keys, stats.leases, stats.users, stats.roles, original);
  return absl::OkStatus();
}

}  // namespace etcdpp::server::etcdfmt
