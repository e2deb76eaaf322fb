#pragma once
// Writes a bbolt database file (format.h) front to back into a Sink, never holding the whole
// database: the caller hands over buckets and keys in order and pages leave as they fill.
//
// The meta pages come first in the file but name the root bucket's page and the freelist page,
// which are only known at the end. So WriteDatabase runs the caller's `produce` twice: a
// planning pass in which the Writer keeps only sizes and counts page numbers (nothing reaches
// the sink), then the writing pass, which puts the planned numbers in the meta pages and checks
// at the end that the layout came out as planned. `produce` must describe the same contents
// both times: a read snapshot of a database does.
//
// File layout: page 0 and 1 meta (txid and txid-1, as bbolt's Tx.WriteTo writes a copy), the
// buckets' pages from page 2 in the order they fill (a bucket's pages before the page of its
// parent that points at them), the freelist page (empty) last. Pages are packed full; buckets
// small enough are inlined in their parent as bbolt does.
//
// Memory: for each open bucket (the root bucket and the one being filled), one pending page per
// level of its tree, plus the current element; an element larger than a page is held whole
// while its overflowing page is written.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backend/bbolt/format.h"
#include "backend/bbolt/sink.h"
#include "backend/bbolt/tree_builder.h"

namespace etcdpp::backend::bbolt {

struct WriteOptions {
  uint32_t page_size = kDefaultPageSize;
  uint64_t txid = 2;  // meta 0 gets txid, meta 1 txid-1; at least 1
  // Called after the planning pass, before the first byte is written, with the file's size.
  std::function<void(uint64_t bytes)> on_planned;
};

struct WriteResult {
  uint64_t pages = 0;  // the high-water mark: the file is pages * page_size bytes
  uint64_t bytes = 0;
  uint64_t keys = 0;  // key/value pairs written, bucket entries not counted
};

// Given to `produce`: the database's contents, in order.
class Writer : private PageOut {
 public:
  // Opens a bucket named `name` inside the current one (the root bucket at first). Names and
  // keys within one bucket strictly increase.
  [[nodiscard]] absl::Status BeginBucket(std::string_view name);
  // Adds a key to the current bucket (not the root bucket, which holds only buckets).
  [[nodiscard]] absl::Status Put(std::string_view key, std::string_view value);
  // Closes the current bucket.
  [[nodiscard]] absl::Status EndBucket();

 private:
  friend absl::StatusOr<WriteResult> WriteDatabase(Sink*, absl::FunctionRef<absl::Status(Writer&)>,
                                                   const WriteOptions&);
  struct Layout {
    uint64_t root = 0;
    uint64_t freelist = 0;
    uint64_t pgid = 0;
    bool operator==(const Layout& o) const {
      return root == o.root && freelist == o.freelist && pgid == o.pgid;
    }
  };
  struct OpenBucket {
    std::string name;
    std::unique_ptr<TreeBuilder> tree;
  };

  // plan == nullptr: the planning pass.
  Writer(Sink* sink, const WriteOptions& options, const Layout* plan);
  [[nodiscard]] absl::Status Start();
  [[nodiscard]] absl::StatusOr<Layout> Finish();
  [[nodiscard]] absl::Status WriteBytes(std::string_view data);
  [[nodiscard]] absl::Status Fail(absl::Status st);

  PageOut* page_out() { return this; }
  bool planning() const override { return plan_ == nullptr; }
  uint32_t page_size() const override { return options_.page_size; }
  absl::StatusOr<uint64_t> WritePage(std::string* image, size_t bytes) override;

  // Constant after construction.
  Sink* const sink_;  // not owned; unused when planning
  const WriteOptions options_;
  const Layout* const plan_;

  absl::Status status_;            // the first error; sticky
  std::vector<OpenBucket> stack_;  // [0]: the root bucket
  uint64_t next_pgid_ = 0;
  uint64_t bytes_ = 0;
  uint64_t keys_ = 0;
};

// Writes the database `produce` describes to `sink` (see the top of this file).
[[nodiscard]] absl::StatusOr<WriteResult> WriteDatabase(
    Sink* sink, absl::FunctionRef<absl::Status(Writer&)> produce, const WriteOptions& options = {});

}  // namespace etcdpp::backend::bbolt
