#include "server/apply/v2_apply.h"

#include <utility>

#include "absl/time/clock.h"
#include "backend/schema.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {

namespace {

void TrimKeys(v2store::NodeExtern* n) {
  if (n->key.starts_with(kV2KeysPrefix)) n->key.erase(0, kV2KeysPrefix.size());
  for (v2store::NodeExtern& c : n->nodes) TrimKeys(&c);
}

v2store::TtlOptions TtlOf(const internalpb::V2Request& r) {
  v2store::TtlOptions o;
  o.refresh = r.refresh();
  if (r.expiration() != 0) o.expire_time = absl::FromUnixNanos(r.expiration());
  return o;
}

}  // namespace

absl::Status V2Store::Load() {
  absl::StatusOr<std::string> saved = be_->Get(backend::Bucket::kMeta, backend::kV2StoreKey);
  MutexLock l(&mu_);
  if (absl::IsNotFound(saved.status())) {
    v2store::Store empty({"/0", "/1"});
    return store_.Recover(empty.Save());  // keeps the registered watchers
  }
  if (!saved.ok()) return saved.status();
  return store_.Recover(*saved);
}

void V2Store::AddPoller(Poller poll) {
  MutexLock l(&mu_);
  Poller p = std::move(poll);  // dropped (with the watcher it holds) under the lock
  if (p(&store_)) pollers_.push_back(std::move(p));
}

void V2Store::Poll() {
  MutexLock l(&mu_);
  RunPollers();
}

bool V2Store::HasTtlKeys() const {
  MutexLock l(&mu_);
  return store_.HasTtlKeys();
}

void V2Store::RunPollers() {
  std::vector<Poller> keep;
  for (Poller& p : pollers_) {
    if (p(&store_)) keep.push_back(std::move(p));
  }
  pollers_.swap(keep);
}

// etcd's applierV2store: POST creates an in-order key, PUT sets, updates, creates or
// compares-and-swaps by prevExist / prevIndex / prevValue, DELETE deletes or compares-and-deletes.
v2store::Result<v2store::Event> V2Store::Execute(const internalpb::V2Request& r, absl::Time now) {
  const std::string& m = r.method();
  const bool compare = r.prev_index() > 0 || !r.prev_value().empty();
  if (m == "POST") return store_.Create(r.path(), r.dir(), r.val(), true, TtlOf(r), now);
  if (m == "PUT") {
    if (r.has_prev_exist() && r.prev_exist() && !compare)
      return store_.Update(r.path(), r.val(), TtlOf(r), now);
    if (r.has_prev_exist() && !r.prev_exist())
      return store_.Create(r.path(), r.dir(), r.val(), false, TtlOf(r), now);
    if (compare)
      return store_.CompareAndSwap(r.path(), r.prev_value(), r.prev_index(), r.val(), TtlOf(r),
                                   now);
    return store_.Set(r.path(), r.dir(), r.val(), TtlOf(r), now);
  }
  if (m == "DELETE") {
    if (compare) return store_.CompareAndDelete(r.path(), r.prev_value(), r.prev_index(), now);
    return store_.Delete(r.path(), r.dir(), r.recursive(), now);
  }
  if (m == "QGET") return store_.Get(r.path(), r.recursive(), r.sorted(), now);
  return v2store::Error{v2store::kEcodeRaftInternal, "etcdserver: unknown method", store_.index()};
}

ApplyResult V2Store::Apply(const internalpb::V2Request& r, mvcc::KvStore* kv, uint64_t index) {
  auto resp = std::make_unique<internalpb::V2Response>();
  MutexLock l(&mu_);
  const uint64_t before = store_.index();
  if (r.method() == "SYNC") {
    store_.DeleteExpiredKeys(absl::FromUnixNanos(r.time()));
  } else {
    *resp = RenderV2Result(Execute(r, absl::Now()));
  }
  if (store_.index() != before) {
    std::unique_ptr<mvcc::TxnWrite> txn = kv->Write(index);
    txn->batch()->Put(backend::Bucket::kMeta, backend::kV2StoreKey, store_.Save());
    txn->End();
    RunPollers();
  }
  return ApplyResult{absl::OkStatus(), std::move(resp), nullptr};
}

std::string V2EventJson(v2store::Event e) {
  if (e.node.has_value()) TrimKeys(&*e.node);
  if (e.prev_node.has_value()) TrimKeys(&*e.prev_node);
  return v2store::EventToJson(e);
}

internalpb::V2Response RenderV2Result(const v2store::Result<v2store::Event>& r) {
  internalpb::V2Response out;
  if (!r.ok()) {
    v2store::Error e = r.error();
    if (e.cause.starts_with(kV2KeysPrefix)) e.cause.erase(0, kV2KeysPrefix.size());
    out.set_etcd_index(e.index);
    out.set_json(e.ToJson());
    out.set_http_status(e.HttpStatus());
    return out;
  }
  out.set_etcd_index(r->etcd_index);
  out.set_action(r->action);
  out.set_json(V2EventJson(r.value()));
  // etcd's Event.IsCreated: a create, or a set that replaced nothing.
  const bool created = r->action == v2store::kActionCreate ||
                       (r->action == v2store::kActionSet && !r->prev_node.has_value());
  out.set_http_status(created ? 201 : 200);
  return out;
}

}  // namespace etcdpp::server
