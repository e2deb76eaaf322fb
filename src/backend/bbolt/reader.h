#pragma once
// Reads a bbolt database file (format.h): the meta pages, buckets (inline ones too) and their
// keys in order, and bbolt's integrity check (Tx.Check). Pages are read on demand through the
// Env, one at a time, so memory does not grow with the file.
//
// Input is untrusted (a snapshot from elsewhere): every length, offset and page number is checked
// before use, and every problem is an error naming the file and the byte offset: InvalidArgument
// for a file that is not bbolt (no magic, unsupported version or page size), DataLoss for a
// damaged one (checksums, truncation, pages out of bounds, keys out of order, loops).
// A file may carry bytes after its last page (etcd's snapshot has its SHA-256 there).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backend/bbolt/format.h"
#include "common/env.h"

namespace etcdpp::backend::bbolt {

// A bucket: its root page, or (root 0) the inline leaf page held in its parent's value.
struct BucketRef {
  uint64_t root = 0;
  uint64_t sequence = 0;
  std::string inline_page;
  uint64_t offset = 0;  // file offset of the inline page (errors name it)
};

class Reader {
 public:
  // Opens `path` and validates its meta pages. env: null for Env::Default(); not owned.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Reader>> Open(const std::string& path,
                                                                    Env* env = nullptr);

  // The meta page in use (the valid one with the higher txid).
  const Meta& meta() const { return meta_; }
  // Bytes of the database: meta().pgid pages.
  uint64_t size() const { return meta_.pgid * meta_.page_size; }
  uint64_t file_size() const { return file_size_; }

  BucketRef root() const { return BucketRef{meta_.root, meta_.sequence, {}, 0}; }
  // The sub-bucket `name` of `parent`: NotFound if absent, InvalidArgument if a plain key.
  [[nodiscard]] absl::StatusOr<BucketRef> Bucket(const BucketRef& parent,
                                                 std::string_view name) const;
  // Visits the entries of `b` in key order; is_bucket marks a sub-bucket entry (value is then
  // its raw bucket value: ParseBucketValue). fn returns false to stop.
  using Visitor =
      absl::FunctionRef<bool(std::string_view key, std::string_view value, bool is_bucket)>;
  [[nodiscard]] absl::Status ForEach(const BucketRef& b, Visitor fn) const;
  // Decodes a bucket value found at file offset `at`.
  [[nodiscard]] absl::StatusOr<BucketRef> ParseBucketValue(std::string_view value,
                                                           uint64_t at) const;

  // The free page ids of the freelist page.
  [[nodiscard]] absl::StatusOr<std::vector<uint64_t>> FreePages() const;
  // bbolt's Tx.Check: every page below the high-water mark is reachable exactly once (meta,
  // freelist, a bucket's tree) or free, never both, and every tree page is a branch or a leaf.
  [[nodiscard]] absl::Status Check() const;

 private:
  struct Page {
    uint64_t id = 0;
    uint64_t offset = 0;  // in the file; for an inline page, of the value holding it
    std::string bytes;    // header included, 1 + overflow pages
    uint16_t flags = 0;
    uint16_t count = 0;
  };
  Reader(std::string path, std::unique_ptr<File> file, uint64_t file_size, Meta meta);

  [[nodiscard]] absl::StatusOr<Page> ReadPage(uint64_t id) const;
  [[nodiscard]] absl::Status ParseElements(const Page& p) const;
  // Visits the tree of `b` depth first: `on_page` sees each page, `fn` each leaf element in key
  // order with the file offset of its key; fn returns false to stop.
  using ElementVisitor = absl::FunctionRef<bool(std::string_view key, std::string_view value,
                                                uint32_t flags, uint64_t offset)>;
  using PageVisitor = absl::FunctionRef<absl::Status(const Page&)>;
  struct WalkState {
    std::string last_key;
    bool have_last = false;
    bool stop = false;
  };
  [[nodiscard]] absl::Status Walk(const BucketRef& b, ElementVisitor fn, PageVisitor on_page) const;
  [[nodiscard]] absl::Status WalkPage(const Page& p, int depth, WalkState* st, ElementVisitor fn,
                                      PageVisitor on_page) const;
  [[nodiscard]] absl::Status CheckBucket(const BucketRef& b, std::vector<uint8_t>* seen,
                                         int depth) const;
  absl::Status Corrupt(uint64_t offset, const std::string& what) const;

  // Constant after construction.
  const std::string path_;
  const std::unique_ptr<File> file_;
  const uint64_t file_size_;
  const Meta meta_;
};

}  // namespace etcdpp::backend::bbolt
