#pragma once
// The member's v2 key space (etcd 3.4's v2 store, served with --enable-v2) and the applier of
// its raft entries (etcd's apply_v2.go). docs/design/v2_server.md tells the whole flow.
//
// V2Store: the v2store::Store behind a mutex. Its state lives in the backend: every applied v2
// entry that changed the store stages the store's snapshot (v2store/snapshot_codec.h) under the
// meta key kV2StoreKey in that entry's write txn, with its consistent index. So a restart, a raft
// snapshot (the backend file travels to the follower) and its install carry the v2 keys exactly
// as far as the v3 ones. Reads (GET, watches) take the lock on any thread; writes happen on the
// applier thread only. Watches do not hold a thread: a watch registers a poller that runs under
// the lock after each change of the store and hands the events its watcher queued to the client.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "backend/backend.h"
#include "common/mutex.h"
#include "internalpb/internal.pb.h"
#include "mvcc/kvstore.h"
#include "server/apply/applier_v3.h"
#include "server/v2store/store.h"

namespace etcdpp::server {

// Where /v2/keys lives in the store (etcd's StoreKeysPrefix); "/0" is etcd's cluster namespace.
inline constexpr std::string_view kV2KeysPrefix = "/1";

class V2Store {
 public:
  // A poller: runs under the store's lock; false once it is done (then it is dropped).
  using Poller = std::function<bool(v2store::Store*)>;

  explicit V2Store(backend::Backend* be) : be_(be), store_({"/0", "/1"}) {}

  // (Re)reads the store from the backend (open, raft snapshot install); an empty store when the
  // backend holds none. Registered watchers stay (and see nothing of the swap, as etcd's).
  [[nodiscard]] absl::Status Load();

  // Runs fn(store) under the lock and returns what it returns.
  template <typename Fn>
  auto With(Fn fn) {
    MutexLock l(&mu_);
    return fn(&store_);
  }
  // Runs `poll` now and after each change until it returns false.
  void AddPoller(Poller poll);
  // Runs the pollers now (a watching client went away, a watch timed out).
  void Poll();
  bool HasTtlKeys() const;

  // Applier thread: applies `r` (entry `index`) and stages the new state in `kv`'s write txn for
  // that index when the store changed.
  ApplyResult Apply(const internalpb::V2Request& r, mvcc::KvStore* kv, uint64_t index);

  // etcd 3.4 keeps the member list in its v2 store too (membership/cluster.go), and so moves the
  // store's index with each member change: /0/members/<id hex>/raftAttributes
  // ({"peerURLs":[...]}, "isLearner" for a learner) on an add, update or promotion, the member's
  // directory deleted and /0/removed_members/<id hex> created on a removal, and
  // /0/members/<id hex>/attributes ({"name","clientURLs"}) when a member publishes itself.
  // Applier thread, in log order with the entry at `index`, staged as Apply stages.
  void MirrorMember(uint64_t id, const std::vector<std::string>* peer_urls, bool is_learner,
                    mvcc::KvStore* kv, uint64_t index);
  void MirrorAttributes(uint64_t id, const std::string& name,
                        const std::vector<std::string>& client_urls, mvcc::KvStore* kv,
                        uint64_t index);

 private:
  // Runs fn(&store_) (the caller holds the lock); stages the store with index `index` if it
  // changed.
  template <typename Fn>
  void Mutate(mvcc::KvStore* kv, uint64_t index, Fn fn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunPollers() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  backend::Backend* const be_;  // not owned
  mutable Mutex mu_;
  v2store::Store store_ ABSL_GUARDED_BY(mu_);
  std::vector<Poller> pollers_ ABSL_GUARDED_BY(mu_);
};

// The answer etcd's v2 HTTP layer writes for a store result: the event (201 when it created the
// node) or the
// error, with the key prefix /1 taken off keys and causes (etcd's trimEventPrefix and
// trimErrorPrefix).
internalpb::V2Response RenderV2Result(const v2store::Result<v2store::Event>& r);
// Go's json.Marshal of a []string: "null" for an empty one when `null_when_empty` (a nil
// slice), else "[]" (a made one).
void AppendJsonStrings(const std::vector<std::string>& v, bool null_when_empty, std::string* out);
// The event with the prefix taken off its keys, as JSON.
std::string V2EventJson(v2store::Event e);

}  // namespace etcdpp::server
