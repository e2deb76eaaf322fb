// Fuzzes the bbolt reader (src/backend/bbolt/reader.h), which reads snapshot files from
// elsewhere (etcdctl snapshot restore, etcd's db): the input is a database file. Before it is
// read, both meta pages get the checksum their bytes call for (where the file holds them), so
// that the fuzzer reaches the pages behind the metas rather than stopping at the checksum. The
// reader then opens the file, runs bbolt's check, lists the free pages and walks every bucket
// (depth-bounded). Every problem must be an error, never a crash or an endless walk.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "backend/bbolt/format.h"
#include "backend/bbolt/reader.h"
#include "common/env.h"

namespace {

namespace bbolt = etcdpp::backend::bbolt;

constexpr int kMaxDepth = 4;
constexpr int kMaxEntries = 10000;

// Writes the checksum of the meta page starting at `at`, if the file holds it.
void FixMetaChecksum(std::string* file, size_t at) {
  const size_t meta = at + bbolt::kPageHeaderSize;
  if (file->size() < meta + bbolt::kMetaSize) return;
  const uint64_t sum = bbolt::MetaChecksum(file->data() + meta);
  bbolt::PutU64(file->data() + meta + bbolt::kMetaChecksumOffset, sum);
}

void Walk(const bbolt::Reader& r, const bbolt::BucketRef& b, int depth, int* entries) {
  if (depth > kMaxDepth) return;
  std::vector<std::string> subs;
  std::vector<std::string> values;
  absl::Status st = r.ForEach(b, [&](std::string_view key, std::string_view value, bool bucket) {
    if (++*entries > kMaxEntries) return false;
    if (bucket) {
      subs.emplace_back(key);
      values.emplace_back(value);
    }
    return true;
  });
  (void)st;
  for (size_t i = 0; i < subs.size(); ++i) {
    absl::StatusOr<bbolt::BucketRef> sub = r.Bucket(b, subs[i]);
    if (sub.ok()) Walk(r, *sub, depth + 1, entries);
    (void)r.ParseBucketValue(values[i], 0);
  }
}

const std::string& ScratchFile() {
  static const std::string path = [] {
    const char* base = std::getenv("TMPDIR");
    return etcdpp::JoinPath(base != nullptr ? base : "/tmp",
                            absl::StrCat("etcdpp_bbolt_reader_fuzzer_", ::getpid(), ".db"));
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string file(reinterpret_cast<const char*>(data), size);
  FixMetaChecksum(&file, 0);
  size_t ps = bbolt::kDefaultPageSize;
  if (file.size() >= bbolt::kPageHeaderSize + bbolt::kMetaSize) {
    ps = bbolt::DecodeMeta(file.data() + bbolt::kPageHeaderSize).page_size;
  }
  if (ps != 0 && ps <= file.size()) FixMetaChecksum(&file, ps);
  if (ps != bbolt::kDefaultPageSize) FixMetaChecksum(&file, bbolt::kDefaultPageSize);

  etcdpp::Env* env = etcdpp::Env::Default();
  const std::string& path = ScratchFile();
  {
    absl::StatusOr<std::unique_ptr<etcdpp::File>> f =
        env->OpenFile(path, etcdpp::OpenMode::kCreateOrTruncate);
    if (!f.ok() || !(*f)->WriteAt(0, file).ok() || !(*f)->Close().ok()) std::abort();
  }
  absl::StatusOr<std::unique_ptr<bbolt::Reader>> r = bbolt::Reader::Open(path, env);
  if (!r.ok()) return 0;
  (void)(*r)->Check();
  (void)(*r)->FreePages();
  int entries = 0;
  Walk(**r, (*r)->root(), 0, &entries);
  return 0;
}
