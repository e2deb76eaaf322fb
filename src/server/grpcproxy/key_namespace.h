#pragma once
// KeyNamespace: --namespace, as etcd's clientv3/namespace wraps the proxy's client. Every key a
// request names gets the prefix; every key an answer carries loses it. Range ends follow
// prefixInterval: "\0" (from the key on) becomes the end of the prefix's key space, any other
// non-empty end gets the prefix. Pure functions on the v3 messages; the services call them.

#include <string>

#include "etcdserverpb/rpc.pb.h"

namespace etcdpp::server::grpcproxy {

class KeyNamespace {
 public:
  explicit KeyNamespace(std::string prefix) : prefix_(std::move(prefix)) {}
  const std::string& prefix() const { return prefix_; }

  // key and range_end of one interval, in place (prefixInterval).
  void PrefixInterval(std::string* key, std::string* range_end) const;
  // The key without the prefix (a key outside the namespace is returned as it is).
  std::string Strip(const std::string& key) const;

  void Prefix(etcdserverpb::RangeRequest* r) const;
  void Prefix(etcdserverpb::PutRequest* r) const;
  void Prefix(etcdserverpb::DeleteRangeRequest* r) const;
  void Prefix(etcdserverpb::TxnRequest* r) const;
  void Prefix(etcdserverpb::WatchCreateRequest* r) const;

  void Strip(etcdserverpb::RangeResponse* r) const;
  void Strip(etcdserverpb::PutResponse* r) const;
  void Strip(etcdserverpb::DeleteRangeResponse* r) const;
  void Strip(etcdserverpb::TxnResponse* r) const;
  void Strip(etcdserverpb::WatchResponse* r) const;
  // Keys outside the namespace are left out.
  void Strip(etcdserverpb::LeaseTimeToLiveResponse* r) const;

 private:
  void Strip(mvccpb::KeyValue* kv) const;
  void Prefix(etcdserverpb::RequestOp* op) const;

  const std::string prefix_;
};

}  // namespace etcdpp::server::grpcproxy
