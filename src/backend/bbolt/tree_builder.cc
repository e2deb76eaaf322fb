#include "backend/bbolt/tree_builder.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "backend/bbolt/format.h"
#include "common/status.h"

namespace etcdpp::backend::bbolt {

absl::Status TreeBuilder::Add(std::string_view key, std::string_view value, uint32_t flags) {
  if (key.empty()) return absl::InvalidArgumentError("bbolt writer: empty key");
  if (!last_key_.empty() && key <= last_key_) {
    return absl::InvalidArgumentError(
        absl::StrCat("bbolt writer: keys out of order: \"",
                     absl::CEscape(absl::string_view(key.data(), key.size())), "\" after \"",
                     absl::CEscape(last_key_), "\""));
  }
  last_key_.assign(key);
  if (flags & kBucketLeafFlag) has_buckets_ = true;
  Element e;
  e.ksize = key.size();
  e.vsize = value.size();
  e.flags = flags;
  if (!out_->planning()) {
    e.key.assign(key);
    e.value.assign(value);
  }
  return Push(0, std::move(e));
}

absl::Status TreeBuilder::Push(size_t level, Element e) {
  const size_t size = kLeafElementSize + e.ksize + e.vsize;  // branch: vsize is 0
  Level* l = &levels_[level];
  if (!l->elems.empty() && l->bytes + size > out_->page_size()) {
    Element first;
    ASSIGN_OR_RETURN(first.child, WriteLevel(level, &first));
    if (levels_.size() == level + 1) levels_.emplace_back();
    RETURN_NOT_OK(Push(level + 1, std::move(first)));
    l = &levels_[level];  // Push may have grown levels_
  }
  if (l->elems.empty()) l->bytes = kPageHeaderSize;
  l->bytes += size;
  l->elems.push_back(std::move(e));
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> TreeBuilder::WriteLevel(size_t level, Element* first) {
  Level& l = levels_[level];
  if (l.elems.empty()) l.bytes = kPageHeaderSize;
  std::string image;
  if (!out_->planning()) image = Image(l, level == 0);
  ASSIGN_OR_RETURN(uint64_t id, out_->WritePage(&image, l.bytes));
  if (!l.elems.empty()) {
    first->ksize = l.elems[0].ksize;
    first->key = std::move(l.elems[0].key);
  }
  l.elems.clear();
  l.bytes = kPageHeaderSize;
  l.wrote_page = true;
  return id;
}

absl::StatusOr<uint64_t> TreeBuilder::Finish() {
  for (size_t i = 0;; ++i) {
    const bool top = i + 1 == levels_.size() && !levels_[i].wrote_page;
    // A lone child at the top is the root itself (no one-element branch above it).
    if (top && i > 0 && levels_[i].elems.size() == 1) return levels_[i].elems[0].child;
    Element first;
    ASSIGN_OR_RETURN(first.child, WriteLevel(i, &first));
    if (top) return first.child;
    if (levels_.size() == i + 1) levels_.emplace_back();
    RETURN_NOT_OK(Push(i + 1, std::move(first)));
  }
}

bool TreeBuilder::Inlineable() const {
  const Level& l = levels_[0];
  const size_t bytes = l.elems.empty() ? kPageHeaderSize : l.bytes;
  return levels_.size() == 1 && !l.wrote_page && !has_buckets_ && bytes <= out_->page_size() / 4;
}

std::string TreeBuilder::InlinePage() const {
  const Level& l = levels_[0];
  if (out_->planning()) return std::string(l.elems.empty() ? kPageHeaderSize : l.bytes, '\0');
  return Image(l, /*leaf=*/true);
}

// The page image: header (id and overflow left 0 for WritePage), elements, then keys and values.
std::string TreeBuilder::Image(const Level& l, bool leaf) const {
  std::string page(l.elems.empty() ? kPageHeaderSize : l.bytes, '\0');
  PutPageHeader(page.data(), 0, leaf ? kLeafPageFlag : kBranchPageFlag,
                static_cast<uint16_t>(l.elems.size()), 0);
  size_t elem = kPageHeaderSize;
  size_t data = kPageHeaderSize + l.elems.size() * kLeafElementSize;
  for (const Element& e : l.elems) {
    char* p = page.data() + elem;
    const uint32_t pos = static_cast<uint32_t>(data - elem);
    if (leaf) {
      PutU32(p, e.flags);
      PutU32(p + 4, pos);
      PutU32(p + 8, static_cast<uint32_t>(e.ksize));
      PutU32(p + 12, static_cast<uint32_t>(e.vsize));
    } else {
      PutU32(p, pos);
      PutU32(p + 4, static_cast<uint32_t>(e.ksize));
      PutU64(p + 8, e.child);
    }
    page.replace(data, e.key.size(), e.key);
    page.replace(data + e.key.size(), e.value.size(), e.value);
    data += e.ksize + e.vsize;
    elem += kLeafElementSize;
  }
  return page;
}

}  // namespace etcdpp::backend::bbolt
