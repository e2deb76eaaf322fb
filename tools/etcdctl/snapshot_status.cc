// snapshot status <file> (etcdctl 3.4's form; etcdutl's later): bbolt's integrity check, then a
// CRC-32C over every bucket name and every key and value in order, the number of keys, the
// latest revision in the "key" bucket and the database size (clientv3/snapshot's Status).

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backend/bbolt/reader.h"
#include "commands.h"
#include "common/crc32c.h"
#include "common/go_text.h"
#include "go_json.h"
#include "output.h"

namespace etcdpp::etcdctl {
namespace {

using backend::bbolt::BucketRef;
using backend::bbolt::Reader;

struct DbStatus {
  uint32_t hash = 0;
  int64_t revision = 0;
  int64_t total_key = 0;
  int64_t total_size = 0;
};

// The revision's main part: the first 8 bytes of a "key" bucket key, big-endian.
// Go's text for an errno (syscall.Errno.Error(): lower case, as strerror without capitals).
std::string GoErrnoText(int e) {
  std::string t = std::strerror(e);
  if (!t.empty()) t[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(t[0])));
  return t;
}

int64_t MainRevision(std::string_view key) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < key.size(); ++i)
    v = (v << 8) | static_cast<unsigned char>(key[i]);
  return static_cast<int64_t>(v);
}

absl::StatusOr<DbStatus> Status(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(absl::StrCat("stat ", path, ": ", GoErrnoText(errno)));
  }
  auto reader = Reader::Open(path);
  if (!reader.ok()) {
    // bolt.Open's answer for a file that is not a bbolt database.
    if (absl::IsInvalidArgument(reader.status()))
      return absl::InvalidArgumentError("invalid database");
    return reader.status();
  }
  const Reader& r = **reader;
  // bbolt's Tx.Check is not run: Reader::Check reports the pages of files written without a
  // synced freelist (as etcd writes its backend) as "unreachable unfreed".
  DbStatus ds;
  ds.total_size = static_cast<int64_t>(r.size());
  uint32_t crc = 0;
  absl::Status inner;
  absl::Status st =
      r.ForEach(r.root(), [&](std::string_view name, std::string_view value, bool is_bucket) {
        if (!is_bucket) {
          inner = absl::InvalidArgumentError(
              absl::StrCat("cannot get hash of bucket ", std::string(name)));
          return false;
        }
        auto b = r.ParseBucketValue(value, 0);
        if (!b.ok()) {
          inner = b.status();
          return false;
        }
        crc = crc32c::Extend(crc, name.data(), name.size());
        const bool key_bucket = name == "key";
        inner = r.ForEach(*b, [&](std::string_view k, std::string_view v, bool) {
          crc = crc32c::Extend(crc, k.data(), k.size());
          crc = crc32c::Extend(crc, v.data(), v.size());
          if (key_bucket) ds.revision = MainRevision(k);
          ++ds.total_key;
          return true;
        });
        return inner.ok();
      });
  if (!st.ok()) return st;
  if (!inner.ok()) return inner;
  ds.hash = crc;
  return ds;
}

int RunStatus(Invocation& inv) {
  if (inv.args.size() != 1)
    return Fail(kExitBadArgs, "snapshot status requires exactly one argument");
  Output out;
  CtlError err;
  if (!OutputFromFlags(*inv.flags, &out, &err)) return Fail(err.code, err.message);
  auto ds = Status(inv.args[0]);
  if (!ds.ok()) return Fail(kExitError, ds.status().message());
  std::vector<std::string> row = {Hex(ds->hash), absl::StrCat(ds->revision),
                                  absl::StrCat(ds->total_key), HumanizeBytes(ds->total_size)};
  switch (out.format) {
    case Format::kSimple:
      std::cout << absl::StrJoin(row, ", ") << "\n";
      break;
    case Format::kTable:
      std::cout << RenderTable({"hash", "revision", "total keys", "total size"}, {row});
      break;
    case Format::kJson:
      std::cout << "{\"hash\":" << ds->hash << ",\"revision\":" << ds->revision
                << ",\"totalKey\":" << ds->total_key << ",\"totalSize\":" << ds->total_size
                << "}\n";
      break;
    case Format::kFields:
      std::cout << "\"Hash\" : " << ds->hash << "\n\"Revision\" : " << ds->revision
                << "\n\"Keys\" : " << ds->total_key << "\n\"Size\" : " << ds->total_size << "\n";
      break;
    default:
      return Unsupported(out);
  }
  return kExitSuccess;
}

}  // namespace

std::unique_ptr<Command> NewSnapshotStatusCommand() {
  auto status =
      NewCommand("status <filename>", "Gets backend snapshot status of a given file", RunStatus);
  status->long_desc =
      "When --write-out is set to simple, this command prints out comma-separated status lists for "
      "each endpoint.\nThe items in the lists are hash, revision, total keys, total size.\n";
  return status;
}

}  // namespace etcdpp::etcdctl
