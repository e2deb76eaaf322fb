#include "server/apply/v2_apply.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backend/schema.h"
#include "common/json_text.h"
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

// etcd's applierV2store: POST creates an in-order key, PUT sets, updates, creates or
// compares-and-swaps by prevExist / prevIndex / prevValue, DELETE deletes or compares-and-deletes.
v2store::Result<v2store::Event> Execute(v2store::Store* store, const internalpb::V2Request& r,
                                        absl::Time now) {
  const std::string& m = r.method();
  const bool compare = r.prev_index() > 0 || !r.prev_value().empty();
  if (m == "POST") return store->Create(r.path(), r.dir(), r.val(), true, TtlOf(r), now);
  if (m == "PUT") {
    if (r.has_prev_exist() && r.prev_exist() && !compare)
      return store->Update(r.path(), r.val(), TtlOf(r), now);
    if (r.has_prev_exist() && !r.prev_exist())
      return store->Create(r.path(), r.dir(), r.val(), false, TtlOf(r), now);
    if (compare)
      return store->CompareAndSwap(r.path(), r.prev_value(), r.prev_index(), r.val(), TtlOf(r),
                                   now);
    return store->Set(r.path(), r.dir(), r.val(), TtlOf(r), now);
  }
  if (m == "DELETE") {
    if (compare) return store->CompareAndDelete(r.path(), r.prev_value(), r.prev_index(), now);
    return store->Delete(r.path(), r.dir(), r.recursive(), now);
  }
  if (m == "QGET") return store->Get(r.path(), r.recursive(), r.sorted(), now);
  return v2store::Error{v2store::kEcodeRaftInternal, "etcdserver: unknown method", store->index()};
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

template <typename Fn>
void V2Store::Mutate(mvcc::KvStore* kv, uint64_t index, Fn fn) {
  const uint64_t before = store_.index();
  fn(&store_);
  if (store_.index() == before) return;
  std::unique_ptr<mvcc::TxnWrite> txn = kv->Write(index);
  txn->batch()->Put(backend::Bucket::kMeta, backend::kV2StoreKey, store_.Save());
  txn->End();
  RunPollers();
}

ApplyResult V2Store::Apply(const internalpb::V2Request& r, mvcc::KvStore* kv, uint64_t index) {
  auto resp = std::make_unique<internalpb::V2Response>();
  MutexLock l(&mu_);
  Mutate(kv, index, [&](v2store::Store* s) {
    if (r.method() == "SYNC") {
      s->DeleteExpiredKeys(absl::FromUnixNanos(r.time()));
    } else {
      *resp = RenderV2Result(Execute(s, r, absl::Now()));
    }
  });
  return ApplyResult{absl::OkStatus(), std::move(resp), nullptr};
}

void V2Store::MirrorMember(uint64_t id, const std::vector<std::string>* peer_urls, bool is_learner,
                           mvcc::KvStore* kv, uint64_t index) {
  const std::string dir = absl::StrCat("/0/members/", absl::Hex(id));
  const absl::Time now = absl::Now();
  MutexLock l(&mu_);
  Mutate(kv, index, [&](v2store::Store* s) {
    if (peer_urls == nullptr) {
      (void)s->Delete(dir, true, true, now);
      (void)s->Create(absl::StrCat("/0/removed_members/", absl::Hex(id)), false, "", false, {},
                      now);
      return;
    }
    std::string json = "{\"peerURLs\":";
    AppendJsonStrings(*peer_urls, true, &json);
    json += is_learner ? ",\"isLearner\":true}" : "}";
    // etcd's AddMember creates, its UpdateRaftAttributes and PromoteMember update.
    const std::string key = dir + "/raftAttributes";
    if (s->Exists(key)) {
      (void)s->Update(key, json, {}, now);
    } else {
      (void)s->Create(key, false, json, false, {}, now);
    }
  });
}

void V2Store::MirrorAttributes(uint64_t id, const std::string& name,
                               const std::vector<std::string>& client_urls, mvcc::KvStore* kv,
                               uint64_t index) {
  // membership.Attributes: both fields omitempty.
  std::string json = "{";
  if (!name.empty()) {
    json += "\"name\":";
    AppendGoJsonQuote(name, &json);
  }
  if (!client_urls.empty()) {
    json += name.empty() ? "\"clientURLs\":" : ",\"clientURLs\":";
    AppendJsonStrings(client_urls, true, &json);
  }
  json += "}";
  const std::string key = absl::StrCat("/0/members/", absl::Hex(id), "/attributes");
  MutexLock l(&mu_);
  Mutate(kv, index, [&](v2store::Store* s) { (void)s->Set(key, false, json, {}, absl::Now()); });
}

void AppendJsonStrings(const std::vector<std::string>& v, bool null_when_empty, std::string* out) {
  if (v.empty() && null_when_empty) {
    *out += "null";
    return;
  }
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendGoJsonQuote(v[i], out);
  }
  out->push_back(']');
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
