#include "backend/bbolt/reader.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status.h"

namespace etcdpp::backend::bbolt {
namespace {

constexpr int kMaxDepth = 64;  // far beyond any real tree; deeper means a loop
constexpr uint64_t kMaxPages = 1ull << 40;

absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

std::string Hex(uint64_t v) { return absl::StrFormat("%#x", v); }

// Checks one meta page; InvalidArgument if it is not bbolt's, DataLoss if damaged.
absl::Status ValidateMeta(const Meta& m, const char* raw, const std::string& path,
                          uint64_t offset) {
  const std::string where = absl::StrCat("bbolt: ", path, ": meta page at offset ", offset, ": ");
  if (m.magic != kMagic) {
    return absl::InvalidArgumentError(absl::StrCat(where, "not a bbolt database (magic ",
                                                   Hex(m.magic), ", want ", Hex(kMagic), ")"));
  }
  if (m.version != kVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "unsupported bbolt version ", m.version, " (want ", kVersion, ")"));
  }
  const uint64_t sum = MetaChecksum(raw);
  if (m.checksum != sum) {
    return absl::DataLossError(absl::StrCat(where, "checksum mismatch (stored ", Hex(m.checksum),
                                            ", computed ", Hex(sum), ")"));
  }
  const uint32_t ps = m.page_size;
  if (ps < 512 || ps > 65536 || (ps & (ps - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, "unsupported page size ", ps));
  }
  return absl::OkStatus();
}

}  // namespace

Reader::Reader(std::string path, std::unique_ptr<File> file, uint64_t file_size, Meta meta)
    : path_(std::move(path)), file_(std::move(file)), file_size_(file_size), meta_(meta) {}

absl::Status Reader::Corrupt(uint64_t offset, const std::string& what) const {
  return absl::DataLossError(absl::StrCat("bbolt: ", path_, ": offset ", offset, ": ", what));
}

absl::StatusOr<std::unique_ptr<Reader>> Reader::Open(const std::string& path, Env* env) {
  if (env == nullptr) env = Env::Default();
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, env->OpenFile(path, OpenMode::kOpenExisting));
  ASSIGN_OR_RETURN(const uint64_t size, file->Size());
  // Reads the meta page whose page starts at `at`, if the file holds it.
  auto read_meta = [&](uint64_t at, Meta* m) -> absl::Status {
    if (size < at + kPageHeaderSize + kMetaSize) {
      return absl::DataLossError(absl::StrCat("bbolt: ", path, ": truncated: ", size,
                                              " bytes, no meta page at offset ", at));
    }
    char raw[kMetaSize];
    ASSIGN_OR_RETURN(size_t n, file->ReadAt(at + kPageHeaderSize, kMetaSize, raw));
    if (n != kMetaSize) {
      return absl::DataLossError(
          absl::StrCat("bbolt: ", path, ": short read of the meta page at offset ", at));
    }
    *m = DecodeMeta(raw);
    return ValidateMeta(*m, raw, path, at);
  };
  if (size < kPageHeaderSize + kMetaSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bbolt: ", path, ": not a bbolt database: ", size, " bytes, too short for a meta page"));
  }
  Meta m0, m1;
  absl::Status s0 = read_meta(0, &m0);
  // bbolt reads the page size from meta 0; when that is unusable it assumes the default.
  const uint64_t ps = s0.ok() ? m0.page_size : kDefaultPageSize;
  absl::Status s1 = read_meta(ps, &m1);
  if (s1.ok() && s0.ok() && m1.page_size != m0.page_size) {
    s1 = absl::DataLossError(absl::StrCat("bbolt: ", path, ": meta page at offset ", ps,
                                          ": page size ", m1.page_size, " differs from meta 0's"));
  }
  if (!s0.ok() && !s1.ok()) {
    const bool not_bbolt = absl::IsInvalidArgument(s0) && !absl::IsDataLoss(s1);
    const std::string msg = absl::StrCat("bbolt: ", path, ": no valid meta page (", s0.message(),
                                         "; ", s1.message(), ")");
    return not_bbolt ? absl::InvalidArgumentError(msg) : absl::DataLossError(msg);
  }
  const bool use1 = s1.ok() && (!s0.ok() || m1.txid > m0.txid);
  const Meta m = use1 ? m1 : m0;
  const uint64_t at = use1 ? ps : 0;
  std::unique_ptr<Reader> r(new Reader(path, std::move(file), size, m));
  if (m.pgid < 2 || m.pgid > kMaxPages) {
    return r->Corrupt(at, absl::StrCat("meta page: high-water mark ", m.pgid, " pages"));
  }
  if (size < m.pgid * m.page_size) {
    return absl::DataLossError(
        absl::StrCat("bbolt: ", path, ": truncated: the meta page at offset ", at, " counts ",
                     m.pgid, " pages (", m.pgid * m.page_size, " bytes) but the file has ", size,
                     " bytes (ends inside page ", size / m.page_size, " at offset ", size, ")"));
  }
  if (m.root < 2 || m.root >= m.pgid) {
    return r->Corrupt(at, absl::StrCat("meta page: root page ", m.root, " out of bounds"));
  }
  if (m.freelist != kNoFreelist && (m.freelist < 2 || m.freelist >= m.pgid)) {
    return r->Corrupt(at, absl::StrCat("meta page: freelist page ", m.freelist, " out of bounds"));
  }
  return r;
}

absl::StatusOr<Reader::Page> Reader::ReadPage(uint64_t id) const {
  const uint64_t ps = meta_.page_size;
  if (id < 2 || id >= meta_.pgid) {
    return Corrupt(id * ps,
                   absl::StrCat("page ", id, " out of bounds (high-water mark ", meta_.pgid, ")"));
  }
  Page p;
  p.id = id;
  p.offset = id * ps;
  p.bytes.resize(ps);
  ASSIGN_OR_RETURN(size_t n, file_->ReadAt(p.offset, ps, p.bytes.data()));
  if (n != ps) return Corrupt(p.offset, absl::StrCat("truncated page ", id));
  const char* h = p.bytes.data();
  if (GetU64(h) != id) {
    return Corrupt(p.offset, absl::StrCat("page ", id, " has id ", GetU64(h), " in its header"));
  }
  p.flags = GetU16(h + 8);
  p.count = GetU16(h + 10);
  const uint64_t overflow = GetU32(h + 12);
  if (id + overflow >= meta_.pgid) {
    return Corrupt(p.offset, absl::StrCat("page ", id, " overflows by ", overflow,
                                          " pages past the high-water mark ", meta_.pgid));
  }
  if (overflow > 0) {
    p.bytes.resize((overflow + 1) * ps);
    ASSIGN_OR_RETURN(n, file_->ReadAt(p.offset + ps, overflow * ps, p.bytes.data() + ps));
    if (n != overflow * ps) return Corrupt(p.offset + ps, "truncated overflow pages");
  }
  return p;
}

// Bounds of every element and its key and value.
absl::Status Reader::ParseElements(const Page& p) const {
  const uint64_t size = p.bytes.size();
  if (kPageHeaderSize + uint64_t{p.count} * kLeafElementSize > size) {
    return Corrupt(p.offset, absl::StrCat("page ", p.id, ": ", p.count, " elements do not fit in ",
                                          size, " bytes"));
  }
  const bool leaf = p.flags & kLeafPageFlag;
  for (uint64_t i = 0; i < p.count; ++i) {
    const uint64_t e = kPageHeaderSize + i * kLeafElementSize;
    const char* q = p.bytes.data() + e;
    const uint64_t pos = leaf ? GetU32(q + 4) : GetU32(q);
    const uint64_t ksize = leaf ? GetU32(q + 8) : GetU32(q + 4);
    const uint64_t vsize = leaf ? GetU32(q + 12) : 0;
    if (ksize == 0 || e + pos + ksize + vsize > size) {
      return Corrupt(p.offset + e,
                     absl::StrCat("page ", p.id, " element ", i, ": key or value out of the page"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<BucketRef> Reader::ParseBucketValue(std::string_view value, uint64_t at) const {
  if (value.size() < kBucketHeaderSize) {
    return Corrupt(at, absl::StrCat("bucket value of ", value.size(), " bytes"));
  }
  BucketRef b;
  b.root = GetU64(value.data());
  b.sequence = GetU64(value.data() + 8);
  if (b.root == 0) {
    if (value.size() < kBucketHeaderSize + kPageHeaderSize) {
      return Corrupt(at, "inline bucket without a page");
    }
    b.inline_page.assign(value.substr(kBucketHeaderSize));
    b.offset = at + kBucketHeaderSize;
  } else if (b.root < 2 || b.root >= meta_.pgid) {
    return Corrupt(at, absl::StrCat("bucket root page ", b.root, " out of bounds"));
  }
  return b;
}

absl::Status Reader::Walk(const BucketRef& b, ElementVisitor fn, PageVisitor on_page) const {
  WalkState st;
  if (b.root != 0) {
    ASSIGN_OR_RETURN(Page p, ReadPage(b.root));
    return WalkPage(p, 0, &st, fn, on_page);
  }
  Page p;
  p.offset = b.offset;
  p.bytes = b.inline_page;
  p.flags = GetU16(p.bytes.data() + 8);
  p.count = GetU16(p.bytes.data() + 10);
  if (!(p.flags & kLeafPageFlag)) return Corrupt(p.offset, "inline bucket page is not a leaf");
  return WalkPage(p, 0, &st, fn, [](const Page&) { return absl::OkStatus(); });
}

// One page of a tree: its leaf elements, or its children in order.
absl::Status Reader::WalkPage(const Page& p, int depth, WalkState* st, ElementVisitor fn,
                              PageVisitor on_page) const {
  if (depth > kMaxDepth) return Corrupt(p.offset, "tree deeper than 64 levels (a loop?)");
  const bool leaf = p.flags & kLeafPageFlag;
  if (!leaf && !(p.flags & kBranchPageFlag)) {
    return Corrupt(p.offset, absl::StrCat("page ", p.id, " has type ", Hex(p.flags),
                                          " where a branch or leaf page belongs"));
  }
  if (depth > 0 && p.count == 0) return Corrupt(p.offset, absl::StrCat("empty page ", p.id));
  RETURN_NOT_OK(on_page(p));
  RETURN_NOT_OK(ParseElements(p));
  for (uint64_t i = 0; i < p.count && !st->stop; ++i) {
    const uint64_t e = kPageHeaderSize + i * kLeafElementSize;
    const char* q = p.bytes.data() + e;
    if (!leaf) {
      const uint64_t child = GetU64(q + 8);
      ASSIGN_OR_RETURN(Page c, ReadPage(child));
      RETURN_NOT_OK(WalkPage(c, depth + 1, st, fn, on_page));
      continue;
    }
    const std::string_view key(q + GetU32(q + 4), GetU32(q + 8));
    const std::string_view value(key.data() + key.size(), GetU32(q + 12));
    if (st->have_last && key <= st->last_key) {
      return Corrupt(p.offset + e, absl::StrCat("page ", p.id, ": key \"", absl::CEscape(Av(key)),
                                                "\" out of order"));
    }
    st->last_key.assign(key);
    st->have_last = true;
    if (!fn(key, value, GetU32(q), p.offset + e + GetU32(q + 4))) st->stop = true;
  }
  return absl::OkStatus();
}

absl::Status Reader::ForEach(const BucketRef& b, Visitor fn) const {
  return Walk(
      b,
      [&](std::string_view k, std::string_view v, uint32_t flags, uint64_t) {
        return fn(k, v, (flags & kBucketLeafFlag) != 0);
      },
      [](const Page&) { return absl::OkStatus(); });
}

absl::StatusOr<BucketRef> Reader::Bucket(const BucketRef& parent, std::string_view name) const {
  absl::StatusOr<BucketRef> found = absl::NotFoundError(
      absl::StrCat("bbolt: ", path_, ": no bucket \"", absl::CEscape(Av(name)), "\""));
  RETURN_NOT_OK(Walk(
      parent,
      [&](std::string_view k, std::string_view v, uint32_t flags, uint64_t offset) {
        if (k != name) return k < name;
        if (!(flags & kBucketLeafFlag)) {
          found = absl::InvalidArgumentError(absl::StrCat(
              "bbolt: ", path_, ": \"", absl::CEscape(Av(name)), "\" is a key, not a bucket"));
        } else {
          found = ParseBucketValue(v, offset + k.size());
        }
        return false;
      },
      [](const Page&) { return absl::OkStatus(); }));
  return found;
}

absl::StatusOr<std::vector<uint64_t>> Reader::FreePages() const {
  std::vector<uint64_t> ids;
  if (meta_.freelist == kNoFreelist) return ids;
  ASSIGN_OR_RETURN(Page p, ReadPage(meta_.freelist));
  if (!(p.flags & kFreelistPageFlag)) {
    return Corrupt(p.offset, absl::StrCat("page ", p.id, " has type ", Hex(p.flags),
                                          " where the freelist belongs"));
  }
  uint64_t idx = 0, count = p.count;
  if (count == 0xFFFF) {
    if (p.bytes.size() < kPageHeaderSize + 8) return Corrupt(p.offset, "freelist count missing");
    idx = 1;
    count = GetU64(p.bytes.data() + kPageHeaderSize);
  }
  if (count > (p.bytes.size() - kPageHeaderSize) / 8 - idx) {
    return Corrupt(p.offset, absl::StrCat("freelist of ", count, " ids overflows its page"));
  }
  ids.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    ids.push_back(GetU64(p.bytes.data() + kPageHeaderSize + (idx + i) * 8));
  }
  return ids;
}

namespace {
constexpr uint8_t kReachable = 1;
constexpr uint8_t kFree = 2;
}  // namespace

absl::Status Reader::CheckBucket(const BucketRef& b, std::vector<uint8_t>* seen, int depth) const {
  if (depth > kMaxDepth) return Corrupt(b.offset, "buckets nested deeper than 64 levels");
  absl::Status sub;
  auto mark = [&](const Page& p) -> absl::Status {
    const uint64_t pages = p.bytes.size() / meta_.page_size;
    for (uint64_t i = 0; i < pages; ++i) {
      uint8_t& s = (*seen)[p.id + i];
      if (s == kFree)
        return Corrupt(p.offset, absl::StrCat("page ", p.id + i, ": reachable freed"));
      if (s == kReachable) {
        return Corrupt(p.offset, absl::StrCat("page ", p.id + i, ": multiple references"));
      }
      s = kReachable;
    }
    return absl::OkStatus();
  };
  RETURN_NOT_OK(Walk(
      b,
      [&](std::string_view k, std::string_view v, uint32_t flags, uint64_t offset) {
        if (!(flags & kBucketLeafFlag)) return true;
        absl::StatusOr<BucketRef> child = ParseBucketValue(v, offset + k.size());
        sub = child.ok() ? CheckBucket(*child, seen, depth + 1) : child.status();
        return sub.ok();
      },
      mark));
  return sub;
}

absl::Status Reader::Check() const {
  std::vector<uint8_t> seen(meta_.pgid, 0);
  seen[0] = seen[1] = kReachable;
  ASSIGN_OR_RETURN(std::vector<uint64_t> free, FreePages());
  if (meta_.freelist != kNoFreelist) {
    ASSIGN_OR_RETURN(Page fl, ReadPage(meta_.freelist));
    for (uint64_t i = 0; i < fl.bytes.size() / meta_.page_size; ++i) seen[fl.id + i] = kReachable;
  }
  const uint64_t fl_offset = meta_.freelist * uint64_t{meta_.page_size};
  for (uint64_t id : free) {
    if (id >= meta_.pgid) {
      return Corrupt(fl_offset, absl::StrCat("free page ", id, " beyond the high-water mark"));
    }
    if (seen[id] != 0) {
      return Corrupt(
          fl_offset,
          absl::StrCat("page ", id, seen[id] == kFree ? ": already freed" : ": reachable freed"));
    }
    seen[id] = kFree;
  }
  RETURN_NOT_OK(CheckBucket(root(), &seen, 0));
  // Without a persisted freelist (etcd opens bbolt with NoFreelistSync), bbolt takes every
  // unreachable page below the high-water mark for free: nothing more to check.
  if (meta_.freelist == kNoFreelist) return absl::OkStatus();
  for (uint64_t i = 0; i < meta_.pgid; ++i) {
    if (seen[i] == 0) {
      return Corrupt(i * meta_.page_size, absl::StrCat("page ", i, ": unreachable unfreed"));
    }
  }
  return absl::OkStatus();
}

}  // namespace etcdpp::backend::bbolt
