#include "server/grpcproxy/key_namespace.h"

#include "absl/strings/match.h"

namespace etcdpp::server::grpcproxy {

void KeyNamespace::PrefixInterval(std::string* key, std::string* range_end) const {
  *key = prefix_ + *key;
  if (*range_end == std::string(1, '\0')) {
    // The edge of the key space: the end of the prefix's (0xff..ff: the whole key space).
    std::string end = prefix_;
    while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
    if (end.empty()) {
      *range_end = std::string(1, '\0');
    } else {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      *range_end = end;
    }
  } else if (!range_end->empty()) {
    *range_end = prefix_ + *range_end;
  }
}

std::string KeyNamespace::Strip(const std::string& key) const {
  return absl::StartsWith(key, prefix_) ? key.substr(prefix_.size()) : key;
}

void KeyNamespace::Strip(mvccpb::KeyValue* kv) const { kv->set_key(Strip(kv->key())); }

void KeyNamespace::Prefix(etcdserverpb::RangeRequest* r) const {
  PrefixInterval(r->mutable_key(), r->mutable_range_end());
}

void KeyNamespace::Prefix(etcdserverpb::PutRequest* r) const { r->set_key(prefix_ + r->key()); }

void KeyNamespace::Prefix(etcdserverpb::DeleteRangeRequest* r) const {
  PrefixInterval(r->mutable_key(), r->mutable_range_end());
}

void KeyNamespace::Prefix(etcdserverpb::RequestOp* op) const {
  switch (op->request_case()) {
    case etcdserverpb::RequestOp::kRequestRange:
      Prefix(op->mutable_request_range());
      break;
    case etcdserverpb::RequestOp::kRequestPut:
      Prefix(op->mutable_request_put());
      break;
    case etcdserverpb::RequestOp::kRequestDeleteRange:
      Prefix(op->mutable_request_delete_range());
      break;
    case etcdserverpb::RequestOp::kRequestTxn:
      Prefix(op->mutable_request_txn());
      break;
    default:
      break;
  }
}

void KeyNamespace::Prefix(etcdserverpb::TxnRequest* r) const {
  for (etcdserverpb::Compare& c : *r->mutable_compare()) {
    PrefixInterval(c.mutable_key(), c.mutable_range_end());
  }
  for (etcdserverpb::RequestOp& op : *r->mutable_success()) Prefix(&op);
  for (etcdserverpb::RequestOp& op : *r->mutable_failure()) Prefix(&op);
}

void KeyNamespace::Prefix(etcdserverpb::WatchCreateRequest* r) const {
  PrefixInterval(r->mutable_key(), r->mutable_range_end());
}

void KeyNamespace::Strip(etcdserverpb::RangeResponse* r) const {
  for (mvccpb::KeyValue& kv : *r->mutable_kvs()) Strip(&kv);
}

void KeyNamespace::Strip(etcdserverpb::PutResponse* r) const {
  if (r->has_prev_kv()) Strip(r->mutable_prev_kv());
}

void KeyNamespace::Strip(etcdserverpb::DeleteRangeResponse* r) const {
  for (mvccpb::KeyValue& kv : *r->mutable_prev_kvs()) Strip(&kv);
}

void KeyNamespace::Strip(etcdserverpb::TxnResponse* r) const {
  for (etcdserverpb::ResponseOp& op : *r->mutable_responses()) {
    switch (op.response_case()) {
      case etcdserverpb::ResponseOp::kResponseRange:
        Strip(op.mutable_response_range());
        break;
      case etcdserverpb::ResponseOp::kResponsePut:
        Strip(op.mutable_response_put());
        break;
      case etcdserverpb::ResponseOp::kResponseDeleteRange:
        Strip(op.mutable_response_delete_range());
        break;
      case etcdserverpb::ResponseOp::kResponseTxn:
        Strip(op.mutable_response_txn());
        break;
      default:
        break;
    }
  }
}

void KeyNamespace::Strip(etcdserverpb::WatchResponse* r) const {
  for (mvccpb::Event& ev : *r->mutable_events()) {
    Strip(ev.mutable_kv());
    if (ev.has_prev_kv()) Strip(ev.mutable_prev_kv());
  }
}

void KeyNamespace::Strip(etcdserverpb::LeaseTimeToLiveResponse* r) const {
  // Keys outside the namespace are left out, as etcd's namespace.leasePrefix does.
  google::protobuf::RepeatedPtrField<std::string> keys;
  for (const std::string& k : r->keys()) {
    if (absl::StartsWith(k, prefix_)) keys.Add(k.substr(prefix_.size()));
  }
  r->mutable_keys()->Swap(&keys);
}

}  // namespace etcdpp::server::grpcproxy
