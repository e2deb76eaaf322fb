#include "server/grpcproxy/range_cache.h"

#include <utility>

namespace etcdpp::server::grpcproxy {
namespace {

namespace pb = etcdserverpb;

const std::string kFromKey(1, '\0');

// The request as a cache key: serializable or not, the same answer.
std::string RequestKey(const std::string& scope, const pb::RangeRequest& req) {
  pb::RangeRequest r = req;
  r.set_serializable(true);
  std::string key = scope;
  key.push_back('\0');
  r.AppendToString(&key);
  return key;
}

}  // namespace

bool RangesOverlap(const std::string& a_key, const std::string& a_end, const std::string& b_key,
                   const std::string& b_end) {
  // Half-open intervals; a point k is [k, k + "\0"); an empty end bound is +infinity.
  auto end_of = [](const std::string& key, const std::string& end) {
    if (end.empty()) return key + kFromKey;
    if (end == kFromKey) return std::string();
    return end;
  };
  const std::string ae = end_of(a_key, a_end);
  const std::string be = end_of(b_key, b_end);
  const bool a_starts_before_b_ends = be.empty() || a_key < be;
  const bool b_starts_before_a_ends = ae.empty() || b_key < ae;
  return a_starts_before_b_ends && b_starts_before_a_ends;
}

RangeCache::Lookup RangeCache::Get(const std::string& scope, const pb::RangeRequest& req,
                                   pb::RangeResponse* out) {
  const std::string key = RequestKey(scope, req);
  MutexLock l(&mu_);
  auto it = index_.find(key);
  if (req.revision() > 0 && req.revision() < compacted_) {
    if (it != index_.end()) Remove(it->second);
    return Lookup::kCompacted;
  }
  if (it == index_.end()) return Lookup::kMiss;
  lru_.splice(lru_.begin(), lru_, it->second);
  *out = it->second->resp;
  return Lookup::kHit;
}

void RangeCache::Add(const std::string& scope, const pb::RangeRequest& req,
                     const pb::RangeResponse& resp) {
  std::string key = RequestKey(scope, req);
  MutexLock l(&mu_);
  if (req.revision() != 0 && req.revision() <= compacted_) return;
  if (auto it = index_.find(key); it != index_.end()) Remove(it->second);
  lru_.push_front(Entry{key, req.key(), req.range_end(), req.revision() == 0, resp});
  index_[std::move(key)] = lru_.begin();
  while (lru_.size() > max_entries_) Remove(std::prev(lru_.end()));
}

void RangeCache::Invalidate(const std::string& key, const std::string& end) {
  MutexLock l(&mu_);
  InvalidateLocked(key, end);
}

void RangeCache::InvalidateLocked(const std::string& key, const std::string& end) {
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->current && RangesOverlap(it->range_key, it->range_end, key, end)) Remove(it);
    it = next;
  }
}

void RangeCache::Invalidate(const pb::TxnRequest& txn) {
  MutexLock l(&mu_);
  for (const pb::Compare& c : txn.compare()) InvalidateLocked(c.key(), c.range_end());
  for (const pb::RequestOp& op : txn.success()) InvalidateOp(op);
  for (const pb::RequestOp& op : txn.failure()) InvalidateOp(op);
}

void RangeCache::InvalidateOp(const pb::RequestOp& op) {
  switch (op.request_case()) {
    case pb::RequestOp::kRequestPut:
      InvalidateLocked(op.request_put().key(), "");
      break;
    case pb::RequestOp::kRequestDeleteRange:
      InvalidateLocked(op.request_delete_range().key(), op.request_delete_range().range_end());
      break;
    case pb::RequestOp::kRequestTxn:
      for (const pb::Compare& c : op.request_txn().compare()) {
        InvalidateLocked(c.key(), c.range_end());
      }
      for (const pb::RequestOp& o : op.request_txn().success()) InvalidateOp(o);
      for (const pb::RequestOp& o : op.request_txn().failure()) InvalidateOp(o);
      break;
    default:
      break;  // a read changes nothing
  }
}

void RangeCache::Compact(int64_t revision) {
  MutexLock l(&mu_);
  if (revision > compacted_) compacted_ = revision;
}

size_t RangeCache::size() {
  MutexLock l(&mu_);
  return lru_.size();
}

void RangeCache::Remove(Lru::iterator it) {
  index_.erase(it->key);
  lru_.erase(it);
}

}  // namespace etcdpp::server::grpcproxy
