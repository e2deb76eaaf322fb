#include "server/etcdfmt/etcd_wal.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crc32c.h"
#include "common/status.h"

namespace etcdpp::server::etcdfmt {
namespace {

// ---- The protobuf wire format, as much as etcd's messages need.

enum WireType { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

struct Field {
  uint32_t number = 0;
  WireType type = kVarint;
  uint64_t num = 0;        // varint and fixed values
  std::string_view bytes;  // length-delimited values
};

bool ReadVarint(std::string_view* in, uint64_t* v) {
  uint64_t out = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in->empty()) return false;
    const uint8_t b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    out |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *v = out;
      return true;
    }
  }
  return false;
}

// Calls fn for each field of the message in `data`; InvalidArgument on a malformed message.
template <typename Fn>
absl::Status ForEachField(std::string_view data, absl::string_view what, Fn fn) {
  while (!data.empty()) {
    uint64_t tag = 0;
    if (!ReadVarint(&data, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
      return absl::InvalidArgumentError(absl::StrCat("malformed ", what, ": bad field tag"));
    }
    Field f;
    f.number = static_cast<uint32_t>(tag >> 3);
    f.type = static_cast<WireType>(tag & 7);
    switch (f.type) {
      case kVarint:
        if (!ReadVarint(&data, &f.num)) {
          return absl::InvalidArgumentError(absl::StrCat("malformed ", what, ": bad varint"));
        }
        break;
      case kFixed64:
      case kFixed32: {
        const size_t n = f.type == kFixed64 ? 8 : 4;
        if (data.size() < n) {
          return absl::InvalidArgumentError(absl::StrCat("malformed ", what, ": truncated"));
        }
        uint64_t v = 0;
        std::memcpy(&v, data.data(), n);  // little-endian
        f.num = v;
        data.remove_prefix(n);
        break;
      }
      case kBytes: {
        uint64_t len = 0;
        if (!ReadVarint(&data, &len) || len > data.size()) {
          return absl::InvalidArgumentError(absl::StrCat("malformed ", what, ": truncated field"));
        }
        f.bytes = data.substr(0, len);
        data.remove_prefix(len);
        break;
      }
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("malformed ", what, ": unsupported wire type ", tag & 7));
    }
    RETURN_NOT_OK(fn(f));
  }
  return absl::OkStatus();
}

absl::Status WrongType(absl::string_view what, const Field& f) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed ", what, ": field ", f.number, " has wire type ", f.type));
}

// A repeated uint64, packed or not.
absl::Status AppendRepeated(absl::string_view what, const Field& f, std::vector<uint64_t>* out) {
  if (f.type == kVarint) {
    out->push_back(f.num);
    return absl::OkStatus();
  }
  if (f.type != kBytes) return WrongType(what, f);
  std::string_view p = f.bytes;
  while (!p.empty()) {
    uint64_t v = 0;
    if (!ReadVarint(&p, &v)) {
      return absl::InvalidArgumentError(absl::StrCat("malformed ", what, ": bad packed varint"));
    }
    out->push_back(v);
  }
  return absl::OkStatus();
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void PutVarintField(std::string* out, uint32_t field, uint64_t v) {
  PutVarint(out, (uint64_t{field} << 3) | kVarint);
  PutVarint(out, v);
}
void PutBytesField(std::string* out, uint32_t field, std::string_view v) {
  PutVarint(out, (uint64_t{field} << 3) | kBytes);
  PutVarint(out, v.size());
  out->append(v);
}

// ---- WAL records.

constexpr int64_t kMetadataType = 1;
constexpr int64_t kEntryType = 2;
constexpr int64_t kStateType = 3;
constexpr int64_t kCrcType = 4;
constexpr int64_t kSnapshotType = 5;
constexpr uint64_t kMaxRecordSize = uint64_t{10} << 20;  // etcd's maxWALEntrySizeLimit

struct Record {
  int64_t type = 0;
  uint32_t crc = 0;
  std::string_view data;
};

absl::StatusOr<Record> DecodeRecord(std::string_view data) {
  Record r;
  RETURN_NOT_OK(ForEachField(data, "walpb.Record", [&](const Field& f) -> absl::Status {
    if (f.number == 1 || f.number == 2) {
      if (f.type != kVarint) return WrongType("walpb.Record", f);
      if (f.number == 1) r.type = static_cast<int64_t>(f.num);
      if (f.number == 2) r.crc = static_cast<uint32_t>(f.num);
    } else if (f.number == 3) {
      if (f.type != kBytes) return WrongType("walpb.Record", f);
      r.data = f.bytes;
    }
    return absl::OkStatus();
  }));
  return r;
}

struct SegmentName {
  uint64_t seq = 0;
  uint64_t index = 0;
  std::string name;
};

bool ParseHexPair(std::string_view name, std::string_view ext, uint64_t* a, uint64_t* b) {
  if (name.size() != 33 + ext.size() || name.substr(33) != ext || name[16] != '-') return false;
  auto hex = [](std::string_view s, uint64_t* v) {
    *v = 0;
    for (char c : s) {
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return false;
      *v = (*v << 4) | static_cast<uint64_t>(d);
    }
    return true;
  };
  return hex(name.substr(0, 16), a) && hex(name.substr(17, 16), b);
}

bool AllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

// Reads the records of one segment file in order, checking the crc chain.
class SegmentReader {
 public:
  SegmentReader(std::string path, std::string bytes, uint32_t* crc, bool last)
      : path_(std::move(path)), bytes_(std::move(bytes)), crc_(crc), last_(last) {}

  // Next record into *r; false at the end of the segment's records. A torn final record of the
  // last segment ends it too (torn() says where).
  absl::StatusOr<bool> Next(Record* r) {
    if (off_ + 8 > bytes_.size()) {
      if (AllZero(std::string_view(bytes_).substr(off_))) return false;
      return Torn("its length field is cut off by the end of the file");
    }
    uint64_t len_field = 0;
    std::memcpy(&len_field, bytes_.data() + off_, 8);
    if (len_field == 0) {
      if (!AllZero(std::string_view(bytes_).substr(off_))) {
        return Bad(off_, "non-zero bytes after the zero length field that ends the records");
      }
      return false;
    }
    const uint64_t n = len_field & ((uint64_t{1} << 56) - 1);
    const uint8_t top = static_cast<uint8_t>(len_field >> 56);
    const uint64_t pad = (top & 0x80) != 0 ? (top & 0x7) : 0;
    if (n == 0 || n > kMaxRecordSize || (top & 0x78) != 0) {
      return TornOr(off_, 8, absl::StrFormat("invalid record length field 0x%016x", len_field));
    }
    if (off_ + 8 + n + pad > bytes_.size()) {
      return Torn(absl::StrCat("its ", n, " bytes run past the end of the file"));
    }
    const std::string_view body(bytes_.data() + off_ + 8, n);
    absl::StatusOr<Record> rec = DecodeRecord(body);
    if (!rec.ok()) return TornOr(off_, 8 + n + pad, rec.status().message());
    if (rec->type == kCrcType) {
      if (*crc_ != 0 && rec->crc != *crc_) {
        return Bad(off_, absl::StrFormat("crc record 0x%08x breaks the chain (expected 0x%08x)",
                                         rec->crc, *crc_));
      }
      *crc_ = rec->crc;
    } else {
      const uint32_t want = crc32c::Extend(*crc_, rec->data);
      if (want != rec->crc) {
        return TornOr(
            off_, 8 + n + pad,
            absl::StrFormat("crc mismatch (record 0x%08x, computed 0x%08x)", rec->crc, want));
      }
      *crc_ = want;
    }
    rec_off_ = off_;
    off_ += 8 + n + pad;
    *r = *rec;
    return true;
  }

  uint64_t record_offset() const { return rec_off_; }
  const std::string& path() const { return path_; }
  const std::string& torn() const { return torn_; }

  absl::Status Bad(uint64_t at, absl::string_view what) const {
    return absl::DataLossError(
        absl::StrCat("etcd WAL file ", path_, " is damaged at offset ", at, ": ", what));
  }

 private:
  // The final record of the last segment, cut short by a crash before its sync: dropped.
  absl::StatusOr<bool> Torn(absl::string_view what) {
    if (!last_) return Bad(off_, absl::StrCat("truncated record: ", what));
    torn_ = absl::StrCat(path_, " at offset ", off_, " (", what, ")");
    return false;
  }
  // A bad record is torn only if it is the last thing in the last segment.
  absl::StatusOr<bool> TornOr(uint64_t at, uint64_t extent, absl::string_view what) {
    const uint64_t end = std::min<uint64_t>(at + extent, bytes_.size());
    if (last_ && AllZero(std::string_view(bytes_).substr(end))) return Torn(what);
    return Bad(at, what);
  }

  const std::string path_;
  const std::string bytes_;
  uint32_t* const crc_;
  const bool last_;
  uint64_t off_ = 0;
  uint64_t rec_off_ = 0;
  std::string torn_;
};

absl::Status DecodeMetadata(std::string_view data, EtcdWal* w) {
  return ForEachField(data, "etcdserverpb.Metadata", [&](const Field& f) -> absl::Status {
    if (f.number != 1 && f.number != 2) return absl::OkStatus();
    if (f.type != kVarint) return WrongType("etcdserverpb.Metadata", f);
    (f.number == 1 ? w->node_id : w->cluster_id) = f.num;
    return absl::OkStatus();
  });
}

absl::Status DecodeWalSnapshot(std::string_view data, uint64_t* index, uint64_t* term) {
  *index = *term = 0;
  return ForEachField(data, "walpb.Snapshot", [&](const Field& f) -> absl::Status {
    if (f.number != 1 && f.number != 2) return absl::OkStatus();
    if (f.type != kVarint) return WrongType("walpb.Snapshot", f);
    (f.number == 1 ? *index : *term) = f.num;
    return absl::OkStatus();
  });
}

absl::Status DecodeConfState(std::string_view data, raft::ConfState* cs) {
  std::vector<uint64_t> outgoing, next;
  RETURN_NOT_OK(ForEachField(data, "raftpb.ConfState", [&](const Field& f) -> absl::Status {
    switch (f.number) {
      case 1:
        return AppendRepeated("raftpb.ConfState", f, &cs->voters);
      case 2:
        return AppendRepeated("raftpb.ConfState", f, &cs->learners);
      case 3:
        return AppendRepeated("raftpb.ConfState", f, &outgoing);
      case 4:
        return AppendRepeated("raftpb.ConfState", f, &next);
      default:
        return absl::OkStatus();
    }
  }));
  if (!outgoing.empty() || !next.empty()) {
    return absl::InvalidArgumentError(
        "the snapshot's ConfState is a joint configuration (etcd 3.5 raft), which etcdpp does "
        "not take over");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<raft::Entry> DecodeEtcdEntry(std::string_view data) {
  raft::Entry e;
  RETURN_NOT_OK(ForEachField(data, "raftpb.Entry", [&](const Field& f) -> absl::Status {
    switch (f.number) {
      case 1:
        if (f.type != kVarint || f.num > 2) return WrongType("raftpb.Entry", f);
        e.type = static_cast<raft::EntryType>(f.num);
        return absl::OkStatus();
      case 2:
      case 3:
        if (f.type != kVarint) return WrongType("raftpb.Entry", f);
        (f.number == 2 ? e.term : e.index) = f.num;
        return absl::OkStatus();
      case 4:
        if (f.type != kBytes) return WrongType("raftpb.Entry", f);
        e.data.assign(f.bytes);
        return absl::OkStatus();
      default:
        return absl::OkStatus();
    }
  }));
  return e;
}

absl::StatusOr<raft::HardState> DecodeEtcdHardState(std::string_view data) {
  raft::HardState s;
  RETURN_NOT_OK(ForEachField(data, "raftpb.HardState", [&](const Field& f) -> absl::Status {
    if (f.number < 1 || f.number > 3) return absl::OkStatus();
    if (f.type != kVarint) return WrongType("raftpb.HardState", f);
    (f.number == 1 ? s.term : f.number == 2 ? s.vote : s.commit) = f.num;
    return absl::OkStatus();
  }));
  return s;
}

absl::StatusOr<EtcdConfChange> DecodeEtcdConfChange(std::string_view data) {
  EtcdConfChange cc;
  RETURN_NOT_OK(ForEachField(data, "raftpb.ConfChange", [&](const Field& f) -> absl::Status {
    switch (f.number) {
      case 1:
      case 2:
      case 3:
        if (f.type != kVarint) return WrongType("raftpb.ConfChange", f);
        if (f.number == 1) cc.id = f.num;
        if (f.number == 2) cc.type = static_cast<int>(f.num);
        if (f.number == 3) cc.node_id = f.num;
        return absl::OkStatus();
      case 4:
        if (f.type != kBytes) return WrongType("raftpb.ConfChange", f);
        cc.context.assign(f.bytes);
        return absl::OkStatus();
      default:
        return absl::OkStatus();
    }
  }));
  if (cc.type < 0 || cc.type > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed raftpb.ConfChange: unknown type ", cc.type));
  }
  return cc;
}

absl::StatusOr<raft::Snapshot> DecodeEtcdRaftSnapshot(std::string_view data) {
  raft::Snapshot s;
  RETURN_NOT_OK(ForEachField(data, "raftpb.Snapshot", [&](const Field& f) -> absl::Status {
    if (f.number == 1) {
      if (f.type != kBytes) return WrongType("raftpb.Snapshot", f);
      s.data.assign(f.bytes);
    } else if (f.number == 2) {
      if (f.type != kBytes) return WrongType("raftpb.Snapshot", f);
      return ForEachField(f.bytes, "raftpb.SnapshotMetadata", [&](const Field& m) -> absl::Status {
        if (m.number == 1) {
          if (m.type != kBytes) return WrongType("raftpb.SnapshotMetadata", m);
          return DecodeConfState(m.bytes, &s.metadata.conf_state);
        }
        if (m.number == 2 || m.number == 3) {
          if (m.type != kVarint) return WrongType("raftpb.SnapshotMetadata", m);
          (m.number == 2 ? s.metadata.index : s.metadata.term) = m.num;
        }
        return absl::OkStatus();
      });
    }
    return absl::OkStatus();
  }));
  return s;
}

std::optional<EtcdV2Request> DecodeEtcdV2Request(std::string_view data) {
  auto decode_request = [](std::string_view req) -> std::optional<EtcdV2Request> {
    EtcdV2Request r;
    absl::Status st = ForEachField(req, "etcdserverpb.Request", [&](const Field& f) {
      if (f.type == kBytes) {
        if (f.number == 2) r.method.assign(f.bytes);
        if (f.number == 3) r.path.assign(f.bytes);
        if (f.number == 4) r.val.assign(f.bytes);
      }
      return absl::OkStatus();
    });
    if (!st.ok() || r.method.empty() || r.path.empty()) return std::nullopt;
    return r;
  };
  // An InternalRaftRequest with its v2 field (2); etcd before 3.0 wrote bare Requests, whose
  // field 2 is the method (a string, never a message of fields 2 and 3): try the wrapper first.
  std::optional<EtcdV2Request> out;
  bool other = false;
  absl::Status st = ForEachField(data, "etcdserverpb.InternalRaftRequest", [&](const Field& f) {
    if (f.number == 2 && f.type == kBytes) {
      out = decode_request(f.bytes);
    } else if (f.number != 1 && f.number != 100) {
      other = true;
    }
    return absl::OkStatus();
  });
  if (st.ok() && out.has_value() && !other) return out;
  std::optional<EtcdV2Request> bare = decode_request(data);
  if (bare.has_value() &&
      (bare->method == "PUT" || bare->method == "DELETE" || bare->method == "POST" ||
       bare->method == "QGET" || bare->method == "SYNC")) {
    return bare;
  }
  return std::nullopt;
}

absl::StatusOr<EtcdWal> ReadEtcdWal(Env* env, const std::string& dir, uint64_t snap_index,
                                    uint64_t snap_term) {
  ASSIGN_OR_RETURN(std::vector<std::string> children, env->GetChildren(dir));
  std::vector<SegmentName> segs;
  for (const std::string& c : children) {
    SegmentName s;
    if (ParseHexPair(c, ".wal", &s.seq, &s.index)) {
      s.name = c;
      segs.push_back(std::move(s));
    }
  }
  std::sort(segs.begin(), segs.end(),
            [](const SegmentName& a, const SegmentName& b) { return a.seq < b.seq; });
  // The last segment whose first index is not above the snapshot (etcd's searchIndex).
  std::optional<size_t> start;
  for (size_t i = 0; i < segs.size(); ++i) {
    if (segs[i].index <= snap_index) start = i;
  }
  if (!start.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("no etcd WAL segment in ", dir, " starts at or below index ", snap_index));
  }
  for (size_t i = *start + 1; i < segs.size(); ++i) {
    if (segs[i].seq != segs[i - 1].seq + 1) {
      return absl::DataLossError(absl::StrCat("etcd WAL segments in ", dir, " are not sequential: ",
                                              segs[i - 1].name, " is followed by ", segs[i].name));
    }
  }
  EtcdWal w;
  uint32_t crc = 0;
  bool matched = snap_index == 0;
  bool have_metadata = false;
  uint64_t last_index = snap_index;
  for (size_t i = *start; i < segs.size(); ++i) {
    const std::string path = JoinPath(dir, segs[i].name);
    ASSIGN_OR_RETURN(std::string bytes, env->ReadFileToString(path));
    SegmentReader rd(path, std::move(bytes), &crc, i + 1 == segs.size());
    Record r;
    for (;;) {
      ASSIGN_OR_RETURN(bool more, rd.Next(&r));
      if (!more) break;
      const uint64_t at = rd.record_offset();
      auto bad = [&](const absl::Status& st) { return rd.Bad(at, st.message()); };
      switch (r.type) {
        case kMetadataType: {
          EtcdWal md;
          if (absl::Status st = DecodeMetadata(r.data, &md); !st.ok()) return bad(st);
          if (have_metadata && (md.node_id != w.node_id || md.cluster_id != w.cluster_id)) {
            return rd.Bad(at, "the metadata record differs from the earlier segments'");
          }
          w.node_id = md.node_id;
          w.cluster_id = md.cluster_id;
          have_metadata = true;
          break;
        }
        case kEntryType: {
          absl::StatusOr<raft::Entry> e = DecodeEtcdEntry(r.data);
          if (!e.ok()) return bad(e.status());
          if (e->index > snap_index) {
            if (e->index > last_index + 1) {
              return rd.Bad(at, absl::StrCat("entry index ", e->index, " follows index ",
                                             last_index, " (a gap)"));
            }
            w.entries.resize(e->index - snap_index - 1);  // a later write replaces the suffix
            w.entries.push_back(*std::move(e));
            last_index = w.entries.back().index;
          }
          break;
        }
        case kStateType: {
          absl::StatusOr<raft::HardState> s = DecodeEtcdHardState(r.data);
          if (!s.ok()) return bad(s.status());
          w.state = *s;
          break;
        }
        case kCrcType:
          break;
        case kSnapshotType: {
          uint64_t index = 0, term = 0;
          if (absl::Status st = DecodeWalSnapshot(r.data, &index, &term); !st.ok()) {
            return bad(st);
          }
          if (index == snap_index) {
            if (term != snap_term) {
              return rd.Bad(at, absl::StrCat("the snapshot record at index ", index, " has term ",
                                             term, ", the snapshot file term ", snap_term));
            }
            matched = true;
          }
          break;
        }
        default:
          return rd.Bad(at, absl::StrCat("unknown record type ", r.type));
      }
    }
    if (!rd.torn().empty()) w.torn_tail = rd.torn();
  }
  if (!have_metadata) {
    return absl::DataLossError(absl::StrCat("the etcd WAL in ", dir, " has no metadata record"));
  }
  if (!matched) {
    return absl::NotFoundError(absl::StrCat("the etcd WAL in ", dir,
                                            " holds no record of the snapshot at index ",
                                            snap_index, " (term ", snap_term, ")"));
  }
  return w;
}

absl::StatusOr<std::vector<std::string>> ListEtcdSnaps(Env* env, const std::string& dir) {
  ASSIGN_OR_RETURN(std::vector<std::string> children, env->GetChildren(dir));
  std::vector<std::pair<std::pair<uint64_t, uint64_t>, std::string>> found;
  for (const std::string& c : children) {
    uint64_t term = 0, index = 0;
    if (ParseHexPair(c, ".snap", &term, &index)) found.push_back({{term, index}, c});
  }
  std::sort(found.rbegin(), found.rend());
  std::vector<std::string> out;
  for (auto& [key, name] : found) out.push_back(std::move(name));
  return out;
}

absl::StatusOr<raft::Snapshot> LoadEtcdSnap(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, env->ReadFileToString(path));
  auto bad = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("etcd snapshot file ", path, " is damaged: ", what));
  };
  if (bytes.empty()) return bad("it is empty");
  uint32_t crc = 0;
  bool have_crc = false;
  std::string_view data;
  absl::Status st = ForEachField(bytes, "snappb.Snapshot", [&](const Field& f) -> absl::Status {
    if (f.number == 1) {
      if (f.type != kVarint) return WrongType("snappb.Snapshot", f);
      crc = static_cast<uint32_t>(f.num);
      have_crc = true;
    } else if (f.number == 2) {
      if (f.type != kBytes) return WrongType("snappb.Snapshot", f);
      data = f.bytes;
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return bad(st.message());
  if (!have_crc || data.empty()) return bad("no crc or no data");
  if (crc32c::Value(data) != crc) {
    return bad(
        absl::StrFormat("crc mismatch (file 0x%08x, computed 0x%08x)", crc, crc32c::Value(data)));
  }
  absl::StatusOr<raft::Snapshot> snap = DecodeEtcdRaftSnapshot(data);
  if (!snap.ok()) return bad(snap.status().message());
  return snap;
}

std::string EncodeEtcdWalRecord(int64_t type, uint32_t crc, std::string_view data) {
  std::string rec;
  PutVarintField(&rec, 1, static_cast<uint64_t>(type));
  PutVarintField(&rec, 2, crc);
  if (!data.empty()) PutBytesField(&rec, 3, data);
  const uint64_t n = rec.size();
  const uint64_t pad = (8 - n % 8) % 8;
  uint64_t len_field = n;
  if (pad != 0) len_field |= (0x80 | pad) << 56;
  std::string out(8, '\0');
  std::memcpy(out.data(), &len_field, 8);
  out += rec;
  out.append(pad, '\0');
  return out;
}

std::string EncodeEtcdEntry(const raft::Entry& e) {
  std::string out;
  PutVarintField(&out, 1, static_cast<uint64_t>(e.type));
  PutVarintField(&out, 2, e.term);
  PutVarintField(&out, 3, e.index);
  if (!e.data.empty()) PutBytesField(&out, 4, e.data);
  return out;
}

std::string EncodeEtcdHardState(const raft::HardState& s) {
  std::string out;
  PutVarintField(&out, 1, s.term);
  PutVarintField(&out, 2, s.vote);
  PutVarintField(&out, 3, s.commit);
  return out;
}

std::string EncodeEtcdWalSnapshot(uint64_t index, uint64_t term) {
  std::string out;
  PutVarintField(&out, 1, index);
  PutVarintField(&out, 2, term);
  return out;
}

std::string EncodeEtcdMetadata(uint64_t node_id, uint64_t cluster_id) {
  std::string out;
  PutVarintField(&out, 1, node_id);
  PutVarintField(&out, 2, cluster_id);
  return out;
}

std::string EncodeEtcdConfChange(const EtcdConfChange& cc) {
  std::string out;
  PutVarintField(&out, 1, cc.id);
  PutVarintField(&out, 2, static_cast<uint64_t>(cc.type));
  PutVarintField(&out, 3, cc.node_id);
  if (!cc.context.empty()) PutBytesField(&out, 4, cc.context);
  return out;
}

std::string EncodeEtcdSnapFile(const raft::Snapshot& snap) {
  std::string cs;
  for (uint64_t v : snap.metadata.conf_state.voters) PutVarintField(&cs, 1, v);
  for (uint64_t v : snap.metadata.conf_state.learners) PutVarintField(&cs, 2, v);
  std::string md;
  PutBytesField(&md, 1, cs);
  PutVarintField(&md, 2, snap.metadata.index);
  PutVarintField(&md, 3, snap.metadata.term);
  std::string rs;
  PutBytesField(&rs, 1, snap.data);
  PutBytesField(&rs, 2, md);
  std::string out;
  PutVarintField(&out, 1, crc32c::Value(rs));
  PutBytesField(&out, 2, rs);
  return out;
}

}  // namespace etcdpp::server::etcdfmt
