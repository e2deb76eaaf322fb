// etcdpp-seq-bench: sequential requests from one client, for the spine's first comparison with
// the reference etcd (the full etcd-style load generator comes with the bench issue).
//
//   etcdpp-seq-bench --endpoint 127.0.0.1:2379 --op put|get --total 10000 [--val-size 256]
//
// Prints one line: op, total, seconds, requests/s, p50/p99 latency in microseconds.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace {

struct Args {
  std::string endpoint = "127.0.0.1:2379";
  std::string op = "put";
  int total = 10000;
  int val_size = 256;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string f = argv[i], v = argv[i + 1];
    if (f == "--endpoint")
      a.endpoint = v;
    else if (f == "--op")
      a.op = v;
    else if (f == "--total")
      a.total = std::atoi(v.c_str());
    else if (f == "--val-size")
      a.val_size = std::atoi(v.c_str());
  }
  return a;
}

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "k%07d", i % 1000);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = Parse(argc, argv);
  auto channel = grpc::CreateChannel(a.endpoint, grpc::InsecureChannelCredentials());
  auto kv = etcdserverpb::KV::NewStub(channel);
  std::string value(a.val_size, 'v');
  if (a.op == "get") {  // make sure the keys exist
    for (int i = 0; i < 1000; ++i) {
      grpc::ClientContext ctx;
      etcdserverpb::PutRequest req;
      etcdserverpb::PutResponse resp;
      req.set_key(Key(i));
      req.set_value(value);
      if (!kv->Put(&ctx, req, &resp).ok()) return 1;
    }
  }
  std::vector<double> lat;
  lat.reserve(a.total);
  int errors = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < a.total; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    grpc::ClientContext ctx;
    grpc::Status st;
    if (a.op == "put") {
      etcdserverpb::PutRequest req;
      etcdserverpb::PutResponse resp;
      req.set_key(Key(i));
      req.set_value(value);
      st = kv->Put(&ctx, req, &resp);
    } else {
      etcdserverpb::RangeRequest req;
      etcdserverpb::RangeResponse resp;
      req.set_key(Key(i));
      req.set_serializable(true);
      st = kv->Range(&ctx, req, &resp);
    }
    if (!st.ok()) ++errors;
    lat.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(lat.begin(), lat.end());
  std::printf("%s total=%d errors=%d seconds=%.3f rps=%.0f p50_us=%.0f p99_us=%.0f\n", a.op.c_str(),
              a.total, errors, secs, a.total / secs, lat[lat.size() / 2],
              lat[lat.size() * 99 / 100]);
  return errors == 0 ? 0 : 1;
}
