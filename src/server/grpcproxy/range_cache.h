#pragma once
// RangeCache: the grpc-proxy's cache of Range answers (etcd's proxy/grpcproxy/cache): an LRU of
// at most kMaxEntries answers keyed by the caller's scope (the metadata it sends up, so that an
// answer read under one auth token is never served under another) and the serialized request.
// A serializable Range is answered from it; every Range answer the member gives goes into it.
// The proxy's own writes invalidate the answers of current reads (revision 0) whose range they
// touch; answers at a fixed revision never change. A compaction through the proxy makes reads of
// older revisions fail as the member would ("required revision has been compacted"). As etcd's,
// it is not told of writes that bypass the proxy: a serializable read may be answered stale
// until the proxy writes the range or the entry leaves the LRU. Thread-safe.

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"
#include "etcdserverpb/rpc.pb.h"

namespace etcdpp::server::grpcproxy {

class RangeCache {
 public:
  static constexpr size_t kMaxEntries = 2048;  // etcd's DefaultMaxEntries

  enum class Lookup { kHit, kMiss, kCompacted };

  explicit RangeCache(size_t max_entries = kMaxEntries) : max_entries_(max_entries) {}

  // A cached answer for `req` (its serializable flag ignored) in `scope` into *out.
  Lookup Get(const std::string& scope, const etcdserverpb::RangeRequest& req,
             etcdserverpb::RangeResponse* out);
  void Add(const std::string& scope, const etcdserverpb::RangeRequest& req,
           const etcdserverpb::RangeResponse& resp);
  // A write of [key, end) (end "": the key alone; "\0": every key from key on) in any scope.
  void Invalidate(const std::string& key, const std::string& end);
  // Every key a Put, DeleteRange or Txn (compares and nested operations included) names.
  void Invalidate(const etcdserverpb::TxnRequest& txn);
  void Compact(int64_t revision);
  size_t size();

 private:
  struct Entry {
    std::string key;  // the map's key
    std::string range_key;
    std::string range_end;
    bool current = false;  // a read at revision 0: a write can change it
    etcdserverpb::RangeResponse resp;
  };
  using Lru = std::list<Entry>;  // most recently used first

  void Remove(Lru::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void InvalidateOp(const etcdserverpb::RequestOp& op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void InvalidateLocked(const std::string& key, const std::string& end)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_entries_;
  Mutex mu_;
  Lru lru_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Lru::iterator> index_ ABSL_GUARDED_BY(mu_);
  int64_t compacted_ ABSL_GUARDED_BY(mu_) = -1;
};

// Whether the key ranges [a_key, a_end) and [b_key, b_end) share a key (an end "" is the key
// alone, "\0" every key from the key on).
bool RangesOverlap(const std::string& a_key, const std::string& a_end, const std::string& b_key,
                   const std::string& b_end);

}  // namespace etcdpp::server::grpcproxy
