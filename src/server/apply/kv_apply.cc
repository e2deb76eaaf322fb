#include "server/apply/kv_apply.h"

#include "server/metrics/metrics.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/status.h"
#include "server/apply/lease_apply.h"
#include "server/errors.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;
namespace {

// What the request ops read through: the store at a fixed revision, or a write txn; each read
// counted in a tally when one is given (etcd's range counter). A value, no allocation per request.
class ReadView {
 public:
  static ReadView Store(const mvcc::KvStore* kv, int64_t rev) { return ReadView(kv, rev, nullptr); }
  static ReadView Txn(mvcc::TxnWrite* txn) { return ReadView(nullptr, 0, txn); }
  // The same view, each read counted in *tally (which must outlive the copy).
  ReadView Counted(MvccTally* tally) const {
    ReadView v = *this;
    v.tally_ = tally;
    return v;
  }

  absl::StatusOr<mvcc::RangeResult> operator()(std::string_view k, std::string_view e,
                                               const mvcc::RangeOptions& o) const {
    if (tally_ != nullptr) ++tally_->ranges;
    if (txn_ != nullptr) return txn_->Range(k, e, o);
    mvcc::RangeOptions ro = o;
    if (ro.rev == 0) ro.rev = rev_;
    return kv_->Range(k, e, ro);
  }

 private:
  ReadView(const mvcc::KvStore* kv, int64_t rev, mvcc::TxnWrite* txn)
      : kv_(kv), rev_(rev), txn_(txn) {}

  const mvcc::KvStore* kv_;
  int64_t rev_;
  mvcc::TxnWrite* txn_;
  MvccTally* tally_ = nullptr;
};

// etcd's mkGteRange: a range_end of "\0" means "every key >= key".
std::string_view GteRange(const std::string& end) { return end; }  // mvcc reads "\0" itself

bool NeedsFullFetch(const pb::RangeRequest& r) {
  return r.sort_order() != pb::RangeRequest::NONE || r.min_mod_revision() != 0 ||
         r.max_mod_revision() != 0 || r.min_create_revision() != 0 || r.max_create_revision() != 0;
}

void Prune(std::vector<mvccpb::KeyValue>* kvs,
           const std::function<bool(const mvccpb::KeyValue&)>& drop) {
  kvs->erase(std::remove_if(kvs->begin(), kvs->end(), drop), kvs->end());
}

void FilterByRevisions(const pb::RangeRequest& r, std::vector<mvccpb::KeyValue>* kvs) {
  if (r.max_mod_revision() != 0)
    Prune(kvs, [&](auto& kv) { return kv.mod_revision() > r.max_mod_revision(); });
  if (r.min_mod_revision() != 0)
    Prune(kvs, [&](auto& kv) { return kv.mod_revision() < r.min_mod_revision(); });
  if (r.max_create_revision() != 0)
    Prune(kvs, [&](auto& kv) { return kv.create_revision() > r.max_create_revision(); });
  if (r.min_create_revision() != 0)
    Prune(kvs, [&](auto& kv) { return kv.create_revision() < r.min_create_revision(); });
}

// Strict weak "less" on the sort target. Ties keep key order (the store returns keys sorted),
// as etcd's insertion sort does for the small results clients compare.
std::function<bool(const mvccpb::KeyValue&, const mvccpb::KeyValue&)> LessBy(
    pb::RangeRequest::SortTarget t) {
  switch (t) {
    case pb::RangeRequest::VERSION:
      return [](auto& a, auto& b) { return a.version() < b.version(); };
    case pb::RangeRequest::CREATE:
      return [](auto& a, auto& b) { return a.create_revision() < b.create_revision(); };
    case pb::RangeRequest::MOD:
      return [](auto& a, auto& b) { return a.mod_revision() < b.mod_revision(); };
    case pb::RangeRequest::VALUE:
      return [](auto& a, auto& b) { return a.value() < b.value(); };
    default:
      return [](auto& a, auto& b) { return a.key() < b.key(); };
  }
}

void Sort(const pb::RangeRequest& r, std::vector<mvccpb::KeyValue>* kvs) {
  pb::RangeRequest::SortOrder order = r.sort_order();
  if (r.sort_target() != pb::RangeRequest::KEY && order == pb::RangeRequest::NONE) {
    order = pb::RangeRequest::ASCEND;  // the store's key order is the only implicit order
  }
  if (order == pb::RangeRequest::NONE) return;
  auto less = LessBy(r.sort_target());
  if (order == pb::RangeRequest::ASCEND) {
    std::stable_sort(kvs->begin(), kvs->end(), less);
  } else {
    std::stable_sort(kvs->begin(), kvs->end(), [&](auto& a, auto& b) { return less(b, a); });
  }
}

// etcd's applierV3backend.Range over any view.
[[nodiscard]] absl::Status DoRange(const ReadView& view, const pb::RangeRequest& r,
                                   pb::RangeResponse* resp) {
  int64_t limit = NeedsFullFetch(r) ? 0 : r.limit();
  if (limit > 0) ++limit;  // one extra to learn `more`
  mvcc::RangeOptions ro{.limit = limit, .rev = r.revision(), .count_only = r.count_only()};
  ASSIGN_OR_RETURN(mvcc::RangeResult rr, view(r.key(), GteRange(r.range_end()), ro));
  FilterByRevisions(r, &rr.kvs);
  Sort(r, &rr.kvs);
  if (r.limit() > 0 && static_cast<int64_t>(rr.kvs.size()) > r.limit()) {
    rr.kvs.resize(r.limit());
    resp->set_more(true);
  }
  resp->mutable_header()->set_revision(rr.rev);
  resp->set_count(rr.count);
  for (mvccpb::KeyValue& kv : rr.kvs) {
    if (r.keys_only()) kv.clear_value();
    *resp->add_kvs() = std::move(kv);
  }
  return absl::OkStatus();
}

int CompareInt(int64_t a, int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

bool CompareKv(const pb::Compare& c, const mvccpb::KeyValue& kv) {
  int result = 0;
  switch (c.target()) {
    case pb::Compare::VALUE: {
      int cmp = kv.value().compare(c.value());
      result = cmp < 0 ? -1 : (cmp > 0 ? 1 : 0);
      break;
    }
    case pb::Compare::CREATE:
      result = CompareInt(kv.create_revision(), c.create_revision());
      break;
    case pb::Compare::MOD:
      result = CompareInt(kv.mod_revision(), c.mod_revision());
      break;
    case pb::Compare::VERSION:
      result = CompareInt(kv.version(), c.version());
      break;
    case pb::Compare::LEASE:
      result = CompareInt(kv.lease(), c.lease());
      break;
    default:
      break;
  }
  switch (c.result()) {
    case pb::Compare::EQUAL:
      return result == 0;
    case pb::Compare::NOT_EQUAL:
      return result != 0;
    case pb::Compare::GREATER:
      return result > 0;
    case pb::Compare::LESS:
      return result < 0;
    default:
      return true;
  }
}

bool ApplyCompare(const ReadView& view, const pb::Compare& c) {
  auto rr = view(c.key(), GteRange(c.range_end()), mvcc::RangeOptions{});
  if (!rr.ok()) return false;
  if (rr->kvs.empty()) {
    // A value compare on a missing key always fails: no way to represent a missing value.
    return c.target() != pb::Compare::VALUE && CompareKv(c, mvccpb::KeyValue());
  }
  for (const auto& kv : rr->kvs) {
    if (!CompareKv(c, kv)) return false;
  }
  return true;
}

bool ApplyCompares(const ReadView& view, const pb::TxnRequest& r) {
  for (const pb::Compare& c : r.compare()) {
    if (!ApplyCompare(view, c)) return false;
  }
  return true;
}

// The branch taken by a txn and, recursively, by its nested txns (etcd's compareToPath), so
// that every compare is evaluated once, before any write.
struct TxnPath {
  bool succeeded = false;
  std::vector<TxnPath> nested;  // one per RequestTxn op in the chosen branch, in order
};

TxnPath ComputePath(const ReadView& view, const pb::TxnRequest& r) {
  TxnPath path;
  path.succeeded = ApplyCompares(view, r);
  for (const pb::RequestOp& op : path.succeeded ? r.success() : r.failure()) {
    if (op.has_request_txn()) path.nested.push_back(ComputePath(view, op.request_txn()));
  }
  return path;
}

}  // namespace

// ---- Validation (before Raft) ----

[[nodiscard]] absl::Status CheckRangeRequest(const pb::RangeRequest& r) {
  if (r.key().empty()) return ErrEmptyKey();
  if (!pb::RangeRequest::SortOrder_IsValid(r.sort_order()) ||
      !pb::RangeRequest::SortTarget_IsValid(r.sort_target())) {
    return ErrInvalidSortOption();
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckPutRequest(const pb::PutRequest& r) {
  if (r.key().empty()) return ErrEmptyKey();
  if (r.ignore_value() && !r.value().empty()) return ErrValueProvided();
  if (r.ignore_lease() && r.lease() != 0) return ErrLeaseProvided();
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckDeleteRequest(const pb::DeleteRangeRequest& r) {
  if (r.key().empty()) return ErrEmptyKey();
  return absl::OkStatus();
}

namespace {

[[nodiscard]] absl::Status CheckRequestOp(const pb::RequestOp& op, int64_t max_txn_ops) {
  if (op.has_request_range()) return CheckRangeRequest(op.request_range());
  if (op.has_request_put()) return CheckPutRequest(op.request_put());
  if (op.has_request_delete_range()) return CheckDeleteRequest(op.request_delete_range());
  if (op.has_request_txn()) return CheckTxnRequest(op.request_txn(), max_txn_ops);
  return ErrKeyNotFound();  // an op with no request set: etcd's answer for an empty op
}

// A deleted interval [key, end) ("" end: the single key; "\0" end: every key >= key).
struct Interval {
  std::string key, end;
  bool Contains(const std::string& k) const {
    if (end.empty()) return k == key;
    if (end == std::string(1, '\0')) return k >= key;
    return k >= key && k < end;
  }
};

bool AnyContains(const std::vector<Interval>& dels, const std::string& k) {
  return std::any_of(dels.begin(), dels.end(), [&](const Interval& iv) { return iv.Contains(k); });
}

// etcd's checkIntervals: no key may be put twice, or put and deleted, on one execution path.
[[nodiscard]] absl::Status CheckIntervals(
    const google::protobuf::RepeatedPtrField<pb::RequestOp>& ops, std::set<std::string>* puts,
    std::vector<Interval>* dels) {
  for (const auto& op : ops) {
    if (op.has_request_delete_range()) {
      dels->push_back({op.request_delete_range().key(), op.request_delete_range().range_end()});
    }
  }
  for (const auto& op : ops) {
    if (!op.has_request_txn()) continue;
    std::set<std::string> puts_then, puts_else;
    std::vector<Interval> dels_then, dels_else;
    RETURN_NOT_OK(CheckIntervals(op.request_txn().success(), &puts_then, &dels_then));
    RETURN_NOT_OK(CheckIntervals(op.request_txn().failure(), &puts_else, &dels_else));
    for (const auto& k : puts_then) {
      if (puts->count(k) > 0 || AnyContains(*dels, k)) return ErrDuplicateKey();
      puts->insert(k);
    }
    for (const auto& k : puts_else) {
      // then/else are exclusive: a key put by both branches is fine.
      if (puts->count(k) > 0 && puts_then.count(k) == 0) return ErrDuplicateKey();
      if (AnyContains(*dels, k)) return ErrDuplicateKey();
      puts->insert(k);
    }
    dels->insert(dels->end(), dels_then.begin(), dels_then.end());
    dels->insert(dels->end(), dels_else.begin(), dels_else.end());
  }
  for (const auto& op : ops) {
    if (!op.has_request_put()) continue;
    const std::string& k = op.request_put().key();
    if (puts->count(k) > 0 || AnyContains(*dels, k)) return ErrDuplicateKey();
    puts->insert(k);
  }
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::Status CheckTxnRequest(const pb::TxnRequest& r, int64_t max_txn_ops) {
  int64_t opc = std::max<int64_t>({r.compare_size(), r.success_size(), r.failure_size()});
  if (opc > max_txn_ops) return ErrTooManyOps();
  for (const auto& c : r.compare()) {
    if (c.key().empty()) return ErrEmptyKey();
  }
  for (const auto& op : r.success()) RETURN_NOT_OK(CheckRequestOp(op, max_txn_ops - opc));
  for (const auto& op : r.failure()) RETURN_NOT_OK(CheckRequestOp(op, max_txn_ops - opc));
  std::set<std::string> puts;
  std::vector<Interval> dels;
  RETURN_NOT_OK(CheckIntervals(r.success(), &puts, &dels));
  std::set<std::string> puts_f;
  std::vector<Interval> dels_f;
  return CheckIntervals(r.failure(), &puts_f, &dels_f);
}

bool IsTxnReadOnly(const pb::TxnRequest& r) {
  for (const auto* ops : {&r.success(), &r.failure()}) {
    for (const auto& op : *ops) {
      if (op.has_request_put() || op.has_request_delete_range()) return false;
      if (op.has_request_txn() && !IsTxnReadOnly(op.request_txn())) return false;
    }
  }
  return true;
}

bool IsTxnSerializable(const pb::TxnRequest& r) {
  for (const auto* ops : {&r.success(), &r.failure()}) {
    for (const auto& op : *ops) {
      if (op.has_request_range() && !op.request_range().serializable()) return false;
      if (op.has_request_txn() && !IsTxnSerializable(op.request_txn())) return false;
    }
  }
  return true;
}

// ---- Execution ----

namespace {

// etcd's checkPut and checkRange over the chosen path: errors that must surface before any write.
[[nodiscard]] absl::Status CheckOps(const ReadView& view, int64_t rev, int64_t compact_rev,
                                    const std::function<bool(int64_t)>& lease_exists,
                                    const pb::TxnRequest& r, const TxnPath& path) {
  size_t nested = 0;
  for (const pb::RequestOp& op : path.succeeded ? r.success() : r.failure()) {
    if (op.has_request_put()) {
      const pb::PutRequest& p = op.request_put();
      if (p.ignore_value() || p.ignore_lease()) {
        ASSIGN_OR_RETURN(mvcc::RangeResult rr, view(p.key(), "", mvcc::RangeOptions{}));
        if (rr.kvs.empty()) return ErrKeyNotFound();
      }
      if (p.lease() != 0 && !lease_exists(p.lease())) return ErrLeaseNotFound();
    } else if (op.has_request_range()) {
      int64_t want = op.request_range().revision();
      if (want > rev) return absl::OutOfRangeError("mvcc: required revision is a future revision");
      if (want != 0 && want < compact_rev) {
        return absl::OutOfRangeError("mvcc: required revision has been compacted");
      }
    } else if (op.has_request_txn()) {
      RETURN_NOT_OK(
          CheckOps(view, rev, compact_rev, lease_exists, op.request_txn(), path.nested[nested++]));
    }
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status PutIn(mvcc::TxnWrite* txn, const pb::PutRequest& p,
                                 pb::PutResponse* resp, MvccTally* tally) {
  std::string value = p.value();
  int64_t lease = p.lease();
  if (p.ignore_value() || p.ignore_lease() || p.prev_kv()) {
    ++tally->ranges;
    ASSIGN_OR_RETURN(mvcc::RangeResult rr, txn->Range(p.key(), "", mvcc::RangeOptions{}));
    if ((p.ignore_value() || p.ignore_lease()) && rr.kvs.empty()) return ErrKeyNotFound();
    if (!rr.kvs.empty()) {
      if (p.ignore_value()) value = rr.kvs[0].value();
      if (p.ignore_lease()) lease = rr.kvs[0].lease();
      if (p.prev_kv()) *resp->mutable_prev_kv() = std::move(rr.kvs[0]);
    }
  }
  txn->Put(p.key(), value, lease);
  ++tally->puts;
  tally->put_size += p.key().size() + value.size();
  resp->mutable_header()->set_revision(txn->Rev());
  return absl::OkStatus();
}

[[nodiscard]] absl::Status DeleteIn(mvcc::TxnWrite* txn, const pb::DeleteRangeRequest& d,
                                    pb::DeleteRangeResponse* resp, MvccTally* tally) {
  if (d.prev_kv()) {
    ++tally->ranges;
    ASSIGN_OR_RETURN(mvcc::RangeResult rr,
                     txn->Range(d.key(), d.range_end(), mvcc::RangeOptions{}));
    for (auto& kv : rr.kvs) *resp->add_prev_kvs() = std::move(kv);
  }
  resp->set_deleted(txn->DeleteRange(d.key(), d.range_end()));
  ++tally->deletes;
  resp->mutable_header()->set_revision(txn->Rev());
  return absl::OkStatus();
}

// Runs the ops of the chosen path (etcd's applyTxn). `view` serves the ranges; `txn` is null
// for a read-only txn; puts and deletes are counted in *tally.
[[nodiscard]] absl::Status RunOps(const ReadView& view, mvcc::TxnWrite* txn,
                                  const pb::TxnRequest& r, const TxnPath& path,
                                  pb::TxnResponse* resp, MvccTally* tally) {
  resp->set_succeeded(path.succeeded);
  size_t nested = 0;
  for (const pb::RequestOp& op : path.succeeded ? r.success() : r.failure()) {
    pb::ResponseOp* out = resp->add_responses();
    if (op.has_request_range()) {
      RETURN_NOT_OK(DoRange(view, op.request_range(), out->mutable_response_range()));
    } else if (op.has_request_put()) {
      RETURN_NOT_OK(PutIn(txn, op.request_put(), out->mutable_response_put(), tally));
    } else if (op.has_request_delete_range()) {
      RETURN_NOT_OK(
          DeleteIn(txn, op.request_delete_range(), out->mutable_response_delete_range(), tally));
    } else if (op.has_request_txn()) {
      pb::TxnResponse* sub = out->mutable_response_txn();
      RETURN_NOT_OK(RunOps(view, txn, op.request_txn(), path.nested[nested++], sub, tally));
      sub->mutable_header();  // etcd leaves nested txn headers empty
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status KvApplier::Range(const pb::RangeRequest& r, pb::RangeResponse* resp) const {
  MvccTally tally;
  absl::Status st = DoRange(ReadView::Store(kv_, 0).Counted(&tally), r, resp);
  Metrics::Get().MvccTxnEnd(tally);
  return st;
}

// One read txn for the compares and the ops, as etcd.
absl::Status KvApplier::ReadOnlyTxn(const pb::TxnRequest& r, pb::TxnResponse* resp) const {
  MvccTally tally;
  int64_t rev = kv_->Rev();
  ReadView view = ReadView::Store(kv_, rev).Counted(&tally);
  TxnPath path = ComputePath(view, r);
  absl::Status st = CheckOps(
      view, rev, kv_->CompactRev(), [this](int64_t id) { return LeaseExists(id); }, r, path);
  if (st.ok()) st = RunOps(view, nullptr, r, path, resp, &tally);
  if (st.ok()) resp->mutable_header()->set_revision(rev);
  Metrics::Get().MvccTxnEnd(tally);
  return st;
}

absl::Status KvApplier::Put(const pb::PutRequest& r, uint64_t index, pb::PutResponse* resp) {
  if (r.lease() != 0 && !LeaseExists(r.lease())) return ErrLeaseNotFound();
  MvccTally tally;
  std::unique_ptr<mvcc::TxnWrite> txn = kv_->Write(index);
  absl::Status st = PutIn(txn.get(), r, resp, &tally);
  SyncLeases(*txn);
  txn->End();
  Metrics::Get().MvccTxnEnd(tally);
  return st;
}

absl::Status KvApplier::DeleteRange(const pb::DeleteRangeRequest& r, uint64_t index,
                                    pb::DeleteRangeResponse* resp) {
  MvccTally tally;
  std::unique_ptr<mvcc::TxnWrite> txn = kv_->Write(index);
  absl::Status st = DeleteIn(txn.get(), r, resp, &tally);
  SyncLeases(*txn);
  txn->End();
  Metrics::Get().MvccTxnEnd(tally);
  return st;
}

// Counted as etcd does it: the compares and checks in a read txn, the ops in a write txn.
absl::Status KvApplier::Txn(const pb::TxnRequest& r, uint64_t index, pb::TxnResponse* resp) {
  MvccTally reads, writes;
  std::unique_ptr<mvcc::TxnWrite> txn = kv_->Write(index);
  ReadView view = ReadView::Txn(txn.get());
  ReadView check_view = view.Counted(&reads);
  TxnPath path = ComputePath(check_view, r);
  absl::Status st = CheckOps(
      check_view, txn->Rev(), kv_->CompactRev(), [this](int64_t id) { return LeaseExists(id); }, r,
      path);
  Metrics::Get().MvccTxnEnd(reads);
  if (st.ok()) st = RunOps(view.Counted(&writes), txn.get(), r, path, resp, &writes);
  resp->mutable_header()->set_revision(txn->Rev());
  SyncLeases(*txn);
  txn->End();
  Metrics::Get().MvccTxnEnd(writes);
  return st;
}

void KvApplier::SyncLeases(const mvcc::TxnWrite& txn) const {
  if (lessor_ != nullptr) SyncLeaseAttachments(lessor_, txn.Changes());
}

absl::Status KvApplier::Compact(const pb::CompactionRequest& r, uint64_t index,
                                pb::CompactionResponse* resp,
                                std::function<void()>* wait_physical) {
  ASSIGN_OR_RETURN(*wait_physical, kv_->Compact(r.revision(), index));
  resp->mutable_header()->set_revision(kv_->Rev());
  return absl::OkStatus();
}

}  // namespace etcdpp::server
