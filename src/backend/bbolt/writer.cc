#include "backend/bbolt/writer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace etcdpp::backend::bbolt {

Writer::Writer(Sink* sink, const WriteOptions& options, const Layout* plan)
    : sink_(sink), options_(options), plan_(plan) {}

absl::Status Writer::Fail(absl::Status st) {
  if (status_.ok()) status_ = st;
  return st;
}

absl::Status Writer::WriteBytes(std::string_view data) {
  bytes_ += data.size();
  if (planning()) return absl::OkStatus();
  absl::Status st = sink_->Write(data);
  return st.ok() ? st : Fail(st);
}

// Meta pages 0 and 1 (their contents come from the plan; placeholders when planning).
absl::Status Writer::Start() {
  for (uint64_t id = 0; id < 2; ++id) {
    std::string page(options_.page_size, '\0');
    PutPageHeader(page.data(), id, kMetaPageFlag, 0, 0);
    if (!planning()) {
      Meta m;
      m.page_size = options_.page_size;
      m.root = plan_->root;
      m.freelist = plan_->freelist;
      m.pgid = plan_->pgid;
      m.txid = options_.txid - id;
      page.replace(kPageHeaderSize, kMetaSize, EncodeMeta(m));
    }
    RETURN_NOT_OK(WriteBytes(page));
  }
  next_pgid_ = 2;
  stack_.push_back(OpenBucket{"", std::make_unique<TreeBuilder>(page_out())});
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Writer::WritePage(std::string* image, size_t bytes) {
  const uint32_t ps = options_.page_size;
  const uint64_t count = (bytes + ps - 1) / ps;
  if (count == 0 || count - 1 > UINT32_MAX) {
    return Fail(
        absl::InvalidArgumentError(absl::StrCat("bbolt writer: page of ", bytes, " bytes")));
  }
  const uint64_t id = next_pgid_;
  next_pgid_ += count;
  if (planning()) {
    bytes_ += count * ps;
    return id;
  }
  image->resize(count * ps, '\0');
  PutU64(image->data(), id);
  PutU32(image->data() + 12, static_cast<uint32_t>(count - 1));
  RETURN_NOT_OK(WriteBytes(*image));
  return id;
}

absl::Status Writer::BeginBucket(std::string_view name) {
  RETURN_NOT_OK(status_);
  if (name.empty()) return Fail(absl::InvalidArgumentError("bbolt writer: empty bucket name"));
  stack_.push_back(OpenBucket{std::string(name), std::make_unique<TreeBuilder>(page_out())});
  return absl::OkStatus();
}

absl::Status Writer::Put(std::string_view key, std::string_view value) {
  RETURN_NOT_OK(status_);
  if (stack_.size() < 2) {
    return Fail(absl::InvalidArgumentError("bbolt writer: a key outside of any bucket"));
  }
  ++keys_;
  absl::Status st = stack_.back().tree->Add(key, value, 0);
  return st.ok() ? st : Fail(st);
}

absl::Status Writer::EndBucket() {
  RETURN_NOT_OK(status_);
  if (stack_.size() < 2) return Fail(absl::InvalidArgumentError("bbolt writer: no open bucket"));
  OpenBucket b = std::move(stack_.back());
  stack_.pop_back();
  std::string value(kBucketHeaderSize, '\0');  // {root, sequence 0}
  if (b.tree->Inlineable()) {
    value += b.tree->InlinePage();
  } else {
    absl::StatusOr<uint64_t> root = b.tree->Finish();
    if (!root.ok()) return Fail(root.status());
    PutU64(value.data(), *root);
  }
  absl::Status st = stack_.back().tree->Add(b.name, value, kBucketLeafFlag);
  return st.ok() ? st : Fail(st);
}

absl::StatusOr<Writer::Layout> Writer::Finish() {
  RETURN_NOT_OK(status_);
  if (stack_.size() != 1) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("bbolt writer: bucket \"", stack_.back().name, "\" was not ended")));
  }
  Layout layout;
  ASSIGN_OR_RETURN(layout.root, stack_[0].tree->Finish());
  std::string freelist(kPageHeaderSize, '\0');
  PutPageHeader(freelist.data(), 0, kFreelistPageFlag, 0, 0);
  ASSIGN_OR_RETURN(layout.freelist, WritePage(&freelist, freelist.size()));
  layout.pgid = next_pgid_;
  if (!planning() && !(layout == *plan_)) {
    return Fail(absl::InternalError(absl::StrCat(
        "bbolt writer: the contents changed between the planning and the writing pass (planned "
        "root page ",
        plan_->root, ", ", plan_->pgid, " pages; wrote root page ", layout.root, ", ", layout.pgid,
        " pages)")));
  }
  return layout;
}

absl::StatusOr<WriteResult> WriteDatabase(Sink* sink,
                                          absl::FunctionRef<absl::Status(Writer&)> produce,
                                          const WriteOptions& options) {
  const uint32_t ps = options.page_size;
  if (ps < 1024 || ps > 65536 || (ps & (ps - 1)) != 0 || options.txid < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("bbolt writer: bad options (page size ", ps, ", txid ", options.txid, ")"));
  }
  Writer planner(nullptr, options, nullptr);
  RETURN_NOT_OK(planner.Start());
  RETURN_NOT_OK(produce(planner));
  ASSIGN_OR_RETURN(const Writer::Layout plan, planner.Finish());
  if (options.on_planned) options.on_planned(plan.pgid * ps);

  Writer writer(sink, options, &plan);
  RETURN_NOT_OK(writer.Start());
  RETURN_NOT_OK(produce(writer));
  RETURN_NOT_OK(writer.Finish().status());
  return WriteResult{plan.pgid, writer.bytes_, writer.keys_};
}

}  // namespace etcdpp::backend::bbolt
