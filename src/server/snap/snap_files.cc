#include "server/snap/snap_files.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/crc32c.h"
#include "common/status.h"
#include "internalpb/snap.pb.h"
#include "server/snap/snap_metrics.h"

namespace etcdpp::server {
namespace {

constexpr char kSuffix[] = ".snap";
constexpr char kTmpSuffix[] = ".snap.tmp";
constexpr char kDbTmpSuffix[] = ".snap.db.tmp";  // SnapshotReceiver's file while it receives

void PutBigEndian32(uint32_t v, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}

uint32_t GetBigEndian32(const std::string& s) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

}  // namespace

std::string EncodeSnapshotFile(const raft::Snapshot& snap) {
  internalpb::SnapshotFile f;
  internalpb::RaftSnapshotMeta* md = f.mutable_metadata();
  for (uint64_t v : snap.metadata.conf_state.voters) md->add_voters(v);
  for (uint64_t l : snap.metadata.conf_state.learners) md->add_learners(l);
  md->set_index(snap.metadata.index);
  md->set_term(snap.metadata.term);
  f.set_data(snap.data);
  std::string payload = f.SerializeAsString();
  std::string out;
  out.reserve(payload.size() + 4);
  PutBigEndian32(crc32c::Value(payload), &out);
  out += payload;
  return out;
}

[[nodiscard]] absl::StatusOr<raft::Snapshot> DecodeSnapshotFile(const std::string& bytes) {
  if (bytes.size() < 4) return absl::DataLossError("snap: file is shorter than its CRC");
  std::string payload = bytes.substr(4);
  if (crc32c::Value(payload) != GetBigEndian32(bytes)) {
    return absl::DataLossError("snap: crc mismatch");
  }
  internalpb::SnapshotFile f;
  if (!f.ParseFromString(payload)) return absl::DataLossError("snap: cannot decode the payload");
  raft::Snapshot s;
  const internalpb::RaftSnapshotMeta& md = f.metadata();
  s.metadata.conf_state.voters.assign(md.voters().begin(), md.voters().end());
  s.metadata.conf_state.learners.assign(md.learners().begin(), md.learners().end());
  s.metadata.index = md.index();
  s.metadata.term = md.term();
  s.data = f.data();
  if (s.IsEmpty()) return absl::DataLossError("snap: empty snapshot");
  return s;
}

std::string SnapFiles::FileName(uint64_t term, uint64_t index) {
  return absl::StrFormat("%016x-%016x%s", term, index, kSuffix);
}

absl::Status SnapFiles::Save(const raft::Snapshot& snap) {
  const std::string name = FileName(snap.metadata.term, snap.metadata.index);
  const std::string tmp = PathOf(name) + ".tmp";
  {
    absl::Time start = absl::Now();
    const std::string encoded = EncodeSnapshotFile(snap);
    snap_metrics::Marshalled(absl::Now() - start);
    ASSIGN_OR_RETURN(std::unique_ptr<File> f, env_->OpenFile(tmp, OpenMode::kCreateOrTruncate));
    start = absl::Now();
    RETURN_NOT_OK(f->WriteAt(0, encoded));
    RETURN_NOT_OK(f->Fsync());
    snap_metrics::FileSynced(absl::Now() - start);  // etcd times its WriteAndSyncFile
    RETURN_NOT_OK(f->Close());
  }
  RETURN_NOT_OK(env_->RenameFile(tmp, PathOf(name)));
  return env_->SyncDir(dir_);
}

absl::StatusOr<std::vector<std::string>> SnapFiles::List() const {
  std::vector<std::string> names;
  if (!env_->IsDirectory(dir_)) return names;
  ASSIGN_OR_RETURN(std::vector<std::string> children, env_->GetChildren(dir_));
  for (std::string& c : children) {
    // <16 hex>-<16 hex>.snap: fixed width, so name order is (term, index) order.
    if (c.size() == 33 + sizeof(kSuffix) - 1 && absl::EndsWith(c, kSuffix) && c[16] == '-') {
      names.push_back(std::move(c));
    }
  }
  std::sort(names.rbegin(), names.rend());
  return names;
}

absl::StatusOr<raft::Snapshot> SnapFiles::Load(const std::string& name) const {
  const std::string path = PathOf(name);
  ASSIGN_OR_RETURN(std::string bytes, env_->ReadFileToString(path));
  absl::StatusOr<raft::Snapshot> s = DecodeSnapshotFile(bytes);
  if (!s.ok()) return absl::DataLossError(absl::StrCat(s.status().message(), " in ", path));
  if (name != FileName(s->metadata.term, s->metadata.index)) {
    return absl::DataLossError(absl::StrCat("snap: ", path, " holds the snapshot at term ",
                                            s->metadata.term, " index ", s->metadata.index));
  }
  return s;
}

absl::Status SnapFiles::RemoveTempFiles() {
  if (!env_->IsDirectory(dir_)) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<std::string> children, env_->GetChildren(dir_));
  bool removed = false;
  for (const std::string& c : children) {
    if (!absl::EndsWith(c, kTmpSuffix) && !absl::EndsWith(c, kDbTmpSuffix)) continue;
    RETURN_NOT_OK(env_->RemoveFile(PathOf(c)));
    removed = true;
  }
  return removed ? env_->SyncDir(dir_) : absl::OkStatus();
}

absl::Status SnapFiles::Purge(size_t max_files) {
  ASSIGN_OR_RETURN(std::vector<std::string> children, env_->GetChildren(dir_));
  for (const std::string& c : children) {
    if (absl::EndsWith(c, kTmpSuffix)) RETURN_NOT_OK(env_->RemoveFile(PathOf(c)));
  }
  if (max_files == 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<std::string> names, List());
  for (size_t i = max_files; i < names.size(); ++i)
    RETURN_NOT_OK(env_->RemoveFile(PathOf(names[i])));
  return absl::OkStatus();
}

std::string SnapDbPath(const std::string& snap_dir, uint64_t index) {
  return JoinPath(snap_dir, absl::StrFormat("%016x.snap.db", index));
}

}  // namespace etcdpp::server
