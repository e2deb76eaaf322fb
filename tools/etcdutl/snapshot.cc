#include "tools/etcdutl/snapshot.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "backend/bbolt/reader.h"
#include "backend/bbolt/sink.h"
#include "common/crc32c.h"
#include "common/env.h"
#include "common/go_text.h"
#include "common/status.h"
#include "server/etcdfmt/etcd_import.h"
#include "server/membership/cluster_store.h"
#include "server/membership/membership.h"

namespace etcdpp::tools {
namespace {

namespace bbolt = backend::bbolt;
using server::Member;

constexpr size_t kShaSize = 32;

// A JSON string as Go's encoding/json writes the ASCII a path or URL holds.
std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// One log line in zap's production JSON form (level, ts, msg, fields).
std::string LogLine(const std::string& msg,
                    const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out =
      absl::StrCat("{\"level\":\"info\",\"ts\":",
                   absl::StrFormat("%.9f", absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch())),
                   ",\"msg\":", JsonString(msg));
  for (const auto& [k, v] : fields) absl::StrAppend(&out, ",", JsonString(k), ":", v);
  return out + "}\n";
}

// Go's %v of a []byte: "[1 2 3]".
std::string GoBytes(const uint8_t* p, size_t n) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < n; ++i) parts.push_back(absl::StrCat(p[i]));
  return absl::StrCat("[", absl::StrJoin(parts, " "), "]");
}

// Go's %q of a plain string.
std::string GoQuote(const std::string& s) { return JsonString(s); }

// Checks the SHA-256 trailer as etcd's restore does (a database size is a multiple of 512, so
// a trailer makes the file 32 bytes more than one).
absl::Status CheckHash(const std::string& path, bool skip) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat("open ", path, ": ", ec.message()));
  const bool has_hash = size % 512 == kShaSize;
  if (!has_hash && !skip) {
    return absl::InvalidArgumentError("snapshot missing hash but --skip-hash-check=false");
  }
  if (!has_hash || skip) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::unique_ptr<File> f,
                   Env::Default()->OpenFile(path, OpenMode::kOpenExisting));
  bbolt::Sha256 sha;
  std::string buf(1 << 20, '\0');
  uint64_t off = 0;
  const uint64_t body = size - kShaSize;
  while (off < body) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), body - off));
    ASSIGN_OR_RETURN(size_t n, f->ReadAt(off, want, buf.data()));
    if (n == 0) return absl::DataLossError(absl::StrCat(path, ": short read at offset ", off));
    sha.Update(std::string_view(buf.data(), n));
    off += n;
  }
  char trailer[kShaSize];
  ASSIGN_OR_RETURN(size_t n, f->ReadAt(body, kShaSize, trailer));
  if (n != kShaSize) return absl::DataLossError(absl::StrCat(path, ": short read of the hash"));
  const std::array<uint8_t, 32> got = sha.Finish();
  if (std::memcmp(got.data(), trailer, kShaSize) != 0) {
    return absl::DataLossError(absl::StrCat("expected sha256 ",
                                            GoBytes(reinterpret_cast<uint8_t*>(trailer), kShaSize),
                                            ", got ", GoBytes(got.data(), kShaSize)));
  }
  return absl::OkStatus();
}

// tablewriter's centred header cell and right-aligned cells, as etcdctl renders its tables.
std::string Table(const std::vector<std::string>& hdr, const std::vector<std::string>& row) {
  std::vector<size_t> w;
  for (size_t i = 0; i < hdr.size(); ++i) w.push_back(std::max(hdr[i].size(), row[i].size()));
  std::string sep = "+";
  for (size_t x : w) absl::StrAppend(&sep, std::string(x + 2, '-'), "+");
  sep += "\n";
  std::string h = "|";
  std::string r = "|";
  for (size_t i = 0; i < hdr.size(); ++i) {
    const size_t gap = w[i] - hdr[i].size();
    const size_t left = gap / 2;
    absl::StrAppend(&h, " ", std::string(left, ' '), hdr[i], std::string(gap - left, ' '), " |");
    absl::StrAppend(&r, " ", std::string(w[i] - row[i].size(), ' '), row[i], " |");
  }
  return absl::StrCat(sep, h, "\n", sep, r, "\n", sep);
}

}  // namespace

absl::StatusOr<SnapshotStatus> ComputeSnapshotStatus(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<bbolt::Reader> rd, bbolt::Reader::Open(path));
  RETURN_NOT_OK(rd->Check());
  SnapshotStatus s;
  s.total_size = static_cast<int64_t>(rd->size());
  absl::Status inner;
  RETURN_NOT_OK(rd->ForEach(rd->root(), [&](std::string_view name, std::string_view v, bool) {
    s.hash = crc32c::Extend(s.hash, name);
    absl::StatusOr<bbolt::BucketRef> b = rd->ParseBucketValue(v, 0);
    if (!b.ok()) {
      inner = b.status();
      return false;
    }
    const bool key_bucket = name == "key";
    inner = rd->ForEach(*b, [&](std::string_view k, std::string_view val, bool) {
      s.hash = crc32c::Extend(crc32c::Extend(s.hash, k), val);
      ++s.total_key;
      if (key_bucket && k.size() >= 8) {
        int64_t rev = 0;
        for (size_t i = 0; i < 8; ++i) rev = (rev << 8) | static_cast<uint8_t>(k[i]);
        s.revision = rev;
      }
      return true;
    });
    return inner.ok();
  }));
  RETURN_NOT_OK(inner);
  return s;
}

absl::StatusOr<std::string> FormatSnapshotStatus(const SnapshotStatus& s,
                                                 const std::string& format) {
  const std::vector<std::string> row = {absl::StrFormat("%x", s.hash), absl::StrCat(s.revision),
                                        absl::StrCat(s.total_key),
                                        HumanizeBytes(static_cast<uint64_t>(s.total_size))};
  if (format == "simple") return absl::StrCat(absl::StrJoin(row, ", "), "\n");
  if (format == "json") {
    return absl::StrCat("{\"hash\":", s.hash, ",\"revision\":", s.revision,
                        ",\"totalKey\":", s.total_key, ",\"totalSize\":", s.total_size, "}\n");
  }
  if (format == "fields") {
    return absl::StrCat("\"Hash\" : ", s.hash, "\n\"Revision\" : ", s.revision,
                        "\n\"Keys\" : ", s.total_key, "\n\"Size\" : ", s.total_size, "\n");
  }
  if (format == "table") {
    return Table({"HASH", "REVISION", "TOTAL KEYS", "TOTAL SIZE"}, row);
  }
  if (format == "protobuf") {
    return absl::UnimplementedError("protobuf not supported as output format");
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown output format \"", format, "\""));
}

RestoreOptions RestoreOptionsFromFlags(const FlagSet& fs, const std::string& snapshot_path) {
  RestoreOptions o;
  o.snapshot_path = snapshot_path;
  o.name = fs.GetString("name");
  o.data_dir = fs.GetString("data-dir");
  o.wal_dir = fs.GetString("wal-dir");
  o.initial_cluster = fs.GetString("initial-cluster");
  o.initial_cluster_token = fs.GetString("initial-cluster-token");
  o.initial_advertise_peer_urls = fs.GetString("initial-advertise-peer-urls");
  o.skip_hash_check = fs.GetBool("skip-hash-check");
  return o;
}

namespace {

// --wal-dir: the WAL the import wrote under member/ moves there (a rename, or a copy when the
// directory is on another file system), as a member started with --wal-dir expects it.
absl::Status MoveWal(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (!ec) return absl::OkStatus();
  if (ec != std::errc::cross_device_link) {
    return absl::InternalError(absl::StrCat("rename ", from, " ", to, ": ", ec.message()));
  }
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive, ec);
  if (!ec) {
    Env* env = Env::Default();
    for (const auto& e : std::filesystem::directory_iterator(to)) {
      ASSIGN_OR_RETURN(std::unique_ptr<File> f,
                       env->OpenFile(e.path().string(), OpenMode::kOpenExisting));
      RETURN_NOT_OK(f->Sync());
    }
    RETURN_NOT_OK(env->SyncDir(to));
    std::filesystem::remove_all(from, ec);
  }
  if (ec) return absl::InternalError(absl::StrCat("copy ", from, " ", to, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace

absl::Status RestoreSnapshot(const RestoreOptions& o, std::string* log) {
  ASSIGN_OR_RETURN(std::vector<Member> members,
                   server::ParseInitialCluster(o.initial_cluster, o.initial_cluster_token));
  const Member* self = nullptr;
  for (const Member& m : members) {
    if (m.name == o.name) self = &m;
  }
  if (self == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("couldn't find local name ", GoQuote(o.name),
                                                   " in the initial cluster configuration"));
  }
  std::vector<std::string> advertised =
      absl::StrSplit(o.initial_advertise_peer_urls, ',', absl::SkipEmpty());
  std::sort(advertised.begin(), advertised.end());
  if (advertised != self->peer_urls) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--initial-cluster has ", o.name, "=", absl::StrJoin(self->peer_urls, ","),
        " but missing from --initial-advertise-peer-urls=", absl::StrJoin(advertised, ",")));
  }
  const std::string data_dir = o.data_dir.empty() ? o.name + ".etcd" : o.data_dir;
  if (std::filesystem::exists(data_dir)) {
    return absl::AlreadyExistsError(absl::StrCat("data-dir ", GoQuote(data_dir), " exists"));
  }
  const std::string member_dir = data_dir + "/member";
  const std::string wal_dir = o.wal_dir.empty() ? member_dir + "/wal" : o.wal_dir;
  if (!o.wal_dir.empty() && std::filesystem::exists(wal_dir)) {
    return absl::AlreadyExistsError(absl::StrCat("wal-dir ", GoQuote(wal_dir), " exists"));
  }
  const std::vector<std::pair<std::string, std::string>> where = {
      {"path", JsonString(o.snapshot_path)},
      {"wal-dir", JsonString(wal_dir)},
      {"data-dir", JsonString(data_dir)},
      {"snap-dir", JsonString(member_dir + "/snap")}};
  *log += LogLine("restoring snapshot", where);
  RETURN_NOT_OK(CheckHash(o.snapshot_path, o.skip_hash_check));

  std::vector<uint64_t> ids;
  for (const Member& m : members) ids.push_back(m.id);
  std::sort(ids.begin(), ids.end());
  server::etcdfmt::ImportSpec spec;
  spec.bbolt_path = o.snapshot_path;
  spec.member_dir = member_dir;
  spec.member_id = self->id;
  spec.cluster_id = server::ComputeClusterId(ids);
  for (Member m : members) {
    m.name.clear();  // as etcd's restore: a member's name arrives when it publishes it
    spec.members.push_back(std::move(m));
  }
  spec.index = members.size();
  spec.term = 1;
  spec.state = raft::HardState{1, ids.front(), members.size()};
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", data_dir, ": ", ec.message()));
  absl::StatusOr<server::etcdfmt::ImportStats> st =
      server::etcdfmt::ImportEtcdMember(Env::Default(), spec);
  absl::Status moved =
      st.ok() && !o.wal_dir.empty() ? MoveWal(member_dir + "/wal", wal_dir) : absl::OkStatus();
  if (!st.ok() || !moved.ok()) {
    std::filesystem::remove_all(data_dir, ec);
    return st.ok() ? moved : st.status();
  }
  for (const Member& m : members) {
    std::vector<std::string> urls;
    for (const std::string& u : m.peer_urls) urls.push_back(JsonString(u));
    *log += LogLine("added member",
                    {{"cluster-id", JsonString(server::MemberIdHex(spec.cluster_id))},
                     {"local-member-id", JsonString("0")},
                     {"added-peer-id", JsonString(server::MemberIdHex(m.id))},
                     {"added-peer-peer-urls", absl::StrCat("[", absl::StrJoin(urls, ","), "]")}});
  }
  *log += LogLine("restored snapshot", where);
  return absl::OkStatus();
}

}  // namespace etcdpp::tools
