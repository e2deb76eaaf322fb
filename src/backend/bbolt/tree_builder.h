#pragma once
// TreeBuilder: builds one bucket's B+tree bottom-up from keys given in order, writing each page
// as soon as it is full (a bulk load). It holds one pending page per level of the tree: the
// leaves at level 0, above them the branch pages that point at the pages written below.
// A page is closed when the next element would not fit in page_size; an element larger than a
// page goes alone on a page that overflows into the following ones.
//
// When planning (PageOut::planning()), elements keep only their sizes: the same sequence of
// Add calls then yields the same page numbers without the bytes (see writer.h).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace etcdpp::backend::bbolt {

// Where finished pages go (the Writer).
class PageOut {
 public:
  virtual ~PageOut() = default;
  virtual bool planning() const = 0;
  virtual uint32_t page_size() const = 0;
  // Writes a page image of `bytes` bytes (empty image when planning); fills in its header's id
  // and overflow. Returns the id of its first page.
  [[nodiscard]] virtual absl::StatusOr<uint64_t> WritePage(std::string* image, size_t bytes) = 0;
};

class TreeBuilder {
 public:
  explicit TreeBuilder(PageOut* out) : out_(out), levels_(1) {}

  // Adds a leaf element. Keys must be non-empty and strictly increasing.
  [[nodiscard]] absl::Status Add(std::string_view key, std::string_view value, uint32_t flags);
  // Whether the whole bucket fits in its parent's value, by bbolt's rule: one leaf with no
  // sub-buckets and at most page_size/4 bytes. Only before Finish.
  bool Inlineable() const;
  // The inline leaf page image (zeros of the right size when planning). Only if Inlineable().
  std::string InlinePage() const;
  // Writes the pending pages, bottom-up; returns the root page id.
  [[nodiscard]] absl::StatusOr<uint64_t> Finish();

 private:
  struct Element {
    std::string key;    // empty when planning
    std::string value;  // leaf only; empty when planning
    size_t ksize = 0;
    size_t vsize = 0;
    uint32_t flags = 0;  // leaf only
    uint64_t child = 0;  // branch only
  };
  struct Level {
    std::vector<Element> elems;
    size_t bytes = 0;         // the page's size if written now (header included)
    bool wrote_page = false;  // a page of this level was written already
  };

  // Adds `e` to `level`, first writing the level's page if `e` would not fit in it.
  [[nodiscard]] absl::Status Push(size_t level, Element e);
  // Writes the pending page of `level` and empties it; *first gets its first element's key.
  [[nodiscard]] absl::StatusOr<uint64_t> WriteLevel(size_t level, Element* first);
  std::string Image(const Level& l, bool leaf) const;

  PageOut* const out_;  // outlives this
  std::vector<Level> levels_;
  std::string last_key_;
  bool has_buckets_ = false;
};

}  // namespace etcdpp::backend::bbolt
