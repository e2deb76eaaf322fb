// put, range, txn-put and txn-mixed: closed-loop unary clients on the KV service.

#include <memory>
#include <random>

#include "bench/tool/unary_client.h"
#include "bench/tool/workload.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace etcdpp::bench {
namespace {

using etcdserverpb::KV;
using etcdserverpb::PutRequest;
using etcdserverpb::PutResponse;
using etcdserverpb::RangeRequest;
using etcdserverpb::RangeResponse;
using etcdserverpb::TxnRequest;
using etcdserverpb::TxnResponse;

std::vector<std::shared_ptr<KV::Stub>> KvStubs(Driver* d) {
  std::vector<std::shared_ptr<KV::Stub>> stubs;
  for (int i = 0; i < d->channels(); ++i) stubs.push_back(KV::NewStub(d->channel(i)));
  return stubs;
}

// Clients are spread round robin over connections and queue threads, as etcd's
// mustCreateClients spreads clients over connections.
template <class MakeCall>
[[nodiscard]] absl::Status RunClients(Driver* d, MakeCall make_call) {
  int n = d->options().clients;
  std::vector<std::unique_ptr<UnaryClient>> clients;
  for (int c = 0; c < n; ++c) {
    clients.push_back(std::make_unique<UnaryClient>(d, c % d->shards(), d->token(c), make_call(c)));
  }
  d->AddLive(n);
  d->Run(
      [&] {
        for (auto& c : clients) c->Kick();
      },
      [] {});
  return absl::OkStatus();
}

// Picks key numbers as etcd's put does: n % space with --sequential-keys, else random.
class KeyPicker {
 public:
  KeyPicker(const Options& o, uint64_t seed) : o_(o), rng_(seed) {}
  std::string Next(int64_t n) {
    int64_t i = o_.sequential_keys ? n % o_.key_space_size
                                   : static_cast<int64_t>(rng_() % o_.key_space_size);
    return WorkloadKey(o_, i);
  }

 private:
  const Options& o_;
  std::mt19937_64 rng_;
};

// The end of the range of keys starting with `prefix` ("\0": every key), as clientv3's
// GetPrefixRangeEnd.
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (prefix.empty()) return std::string(1, '\0');
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

}  // namespace

[[nodiscard]] absl::Status RunPut(Driver* d, Notes*) {
  const Options& o = d->options();
  auto stubs = KvStubs(d);
  std::string value = RandomBytes(o.val_size, 1);
  return RunClients(d, [&](int c) -> std::unique_ptr<UnaryCall> {
    auto stub = stubs[c % stubs.size()];
    auto keys = std::make_shared<KeyPicker>(o, 1000 + c);
    return std::make_unique<TypedCall<PutRequest, PutResponse>>(
        [stub](grpc::ClientContext* ctx, const PutRequest& r, grpc::CompletionQueue* cq) {
          return stub->PrepareAsyncPut(ctx, r, cq);
        },
        [keys, &value](int64_t n, PutRequest* r) {
          r->set_key(keys->Next(n));
          r->set_value(value);
          return 0;
        });
  });
}

[[nodiscard]] absl::Status RunRange(Driver* d, Notes*) {
  const Options& o = d->options();
  if (o.args.empty() || o.args.size() > 2) {
    return absl::InvalidArgumentError("range needs KEY [END]");
  }
  auto stubs = KvStubs(d);
  RangeRequest proto;
  proto.set_key(o.args[0]);
  if (o.args.size() == 2) proto.set_range_end(o.args[1]);
  proto.set_serializable(o.consistency == "s");
  return RunClients(d, [&](int c) -> std::unique_ptr<UnaryCall> {
    auto stub = stubs[c % stubs.size()];
    return std::make_unique<TypedCall<RangeRequest, RangeResponse>>(
        [stub](grpc::ClientContext* ctx, const RangeRequest& r, grpc::CompletionQueue* cq) {
          return stub->PrepareAsyncRange(ctx, r, cq);
        },
        [proto](int64_t, RangeRequest* r) {
          if (r->key().empty()) *r = proto;
          return 0;
        });
  });
}

[[nodiscard]] absl::Status RunTxnPut(Driver* d, Notes*) {
  const Options& o = d->options();
  auto stubs = KvStubs(d);
  std::string value = RandomBytes(o.val_size, 1);
  return RunClients(d, [&](int c) -> std::unique_ptr<UnaryCall> {
    auto stub = stubs[c % stubs.size()];
    return std::make_unique<TypedCall<TxnRequest, TxnResponse>>(
        [stub](grpc::ClientContext* ctx, const TxnRequest& r, grpc::CompletionQueue* cq) {
          return stub->PrepareAsyncTxn(ctx, r, cq);
        },
        [&o, &value](int64_t n, TxnRequest* r) {  // etcd: keys (n*ops+j) % space
          r->Clear();
          for (int64_t j = 0; j < o.txn_ops; ++j) {
            auto* put = r->add_success()->mutable_request_put();
            put->set_key(WorkloadKey(o, (n * o.txn_ops + j) % o.key_space_size));
            put->set_value(value);
          }
          return 0;
        });
  });
}

[[nodiscard]] absl::Status RunTxnMixed(Driver* d, Notes*) {
  const Options& o = d->options();
  auto stubs = KvStubs(d);
  std::string value = RandomBytes(o.val_size, 1);
  const double read_share = o.rw_ratio / (1 + o.rw_ratio);
  return RunClients(d, [&, read_share](int c) -> std::unique_ptr<UnaryCall> {
    auto stub = stubs[c % stubs.size()];
    auto rng = std::make_shared<std::mt19937_64>(2000 + c);
    return std::make_unique<TypedCall<TxnRequest, TxnResponse>>(
        [stub](grpc::ClientContext* ctx, const TxnRequest& r, grpc::CompletionQueue* cq) {
          return stub->PrepareAsyncTxn(ctx, r, cq);
        },
        [&o, &value, rng, read_share](int64_t n, TxnRequest* r) {
          r->Clear();
          if (std::uniform_real_distribution<double>(0, 1)(*rng) < read_share) {
            // etcd: OpGet("", WithRange(end-key), WithPrefix(), WithLimit(limit)); the
            // prefix option wins, so the read covers the whole key space (--key-prefix's).
            auto* get = r->add_success()->mutable_request_range();
            get->set_key(o.key_prefix.empty() ? std::string(1, '\0') : o.key_prefix);
            get->set_range_end(!o.end_key.empty() ? o.end_key : PrefixEnd(o.key_prefix));
            get->set_limit(o.limit);
            get->set_serializable(o.consistency == "s");
            return 0;
          }
          auto* put = r->add_success()->mutable_request_put();
          put->set_key(WorkloadKey(o, n % o.key_space_size));
          put->set_value(value);
          return 1;
        });
  });
}

}  // namespace etcdpp::bench
