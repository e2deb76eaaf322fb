#pragma once
// WatchStream: one Watch bidi stream driven on a completion queue. It creates its watchers one
// at a time (sends a create request, waits for the "created" response, sends the next), then
// reads events until it is cancelled. Only one operation is ever outstanding, so the stream
// itself is the tag. Hooks run on the stream's queue thread.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/tool/driver.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/async_stream.h"

namespace etcdpp::bench {

class WatchStream : public Tag {
 public:
  struct Hooks {
    // One watcher was created; `latency_start_ns` is when its create request was sent.
    std::function<void(WatchStream*, int64_t create_start_ns, int64_t now_ns)> created;
    // A response carrying events arrived.
    std::function<void(WatchStream*, const etcdserverpb::WatchResponse&, int64_t now_ns)> events;
    // The stream ended on its own (not through Cancel) or failed to create a watcher.
    std::function<void(WatchStream*, const std::string& error)> died;
  };

  // Watches each of `keys` on one stream of `stub`, sending `token` (nullptr: auth off) when
  // the stream opens. A stream that fails is not retried (etcd 3.4 answers a bad token on a
  // watch create as "permission denied"): the died hook reports it.
  WatchStream(Driver* driver, int shard, etcdserverpb::Watch::Stub* stub, ConnToken* token,
              std::vector<std::string> keys, Hooks hooks);

  // Opens the stream; the stream calls driver->Quit() once it has finished.
  void Start();
  // Ends the stream (any thread); pending reads fail and the stream finishes quietly.
  void Cancel();
  int shard() const { return shard_; }
  void Proceed(bool ok) override;

 private:
  enum class State { kStarting, kWriting, kReading, kFinishing };
  void WriteNextCreate();
  void Read();
  void Finish();
  void OnResponse(int64_t now);

  Driver* const driver_;
  const int shard_;
  etcdserverpb::Watch::Stub* const stub_;
  const std::vector<std::string> keys_;
  const Hooks hooks_;
  TokenCopy token_;
  grpc::ClientContext ctx_;
  std::unique_ptr<
      grpc::ClientAsyncReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>
      rw_;
  etcdserverpb::WatchRequest req_;
  etcdserverpb::WatchResponse resp_;
  grpc::Status status_;
  State state_ = State::kStarting;
  size_t next_create_ = 0;
  int64_t create_start_ns_ = 0;
  std::atomic<bool> cancelled_{false};
  std::string failure_;  // why the stream gave up before being cancelled
};

}  // namespace etcdpp::bench
