#pragma once
// Linearizable reads through ReadIndex (etcd's linearizableReadLoop): reads that arrive while
// a round is in flight share the next round. One round asks Raft for a read index, waits for
// the matching ReadState, waits until the applier has applied up to it, then releases every
// read of the batch. No read ever goes through the log.
//
// As etcd 3.4's requestCurrentIndex: a round with no answer asks again every 500 ms (raft
// drops a ReadIndex while there is no leader, or while a new leader has not committed in its
// term), fails with "etcdserver: leader changed" if a new leader is elected meanwhile, and
// with "etcdserver: request timed out" once the request timeout passes.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/loop_thread.h"
#include "common/mutex.h"
#include "raft/types.h"

namespace etcdpp::server {

class Applier;
class RaftNode;

class ReadIndexLoop {
 public:
  using Done = std::function<void(absl::Status)>;

  // Neither pointer is owned; both must outlive the loop. `timeout`: etcd's ReqTimeout.
  ReadIndexLoop(RaftNode* node, Applier* applier,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(7000));
  ~ReadIndexLoop();

  void Start();
  void Stop();  // joins; pending reads fail with "etcdserver: server stopped"

  // Calls `done` (on the loop thread) once a read may be served locally.
  void Read(Done done);
  // From the Raft node thread.
  void OnReadState(const raft::ReadState& rs);

 private:
  void Loop();  // the read-index thread: one round per iteration
  [[nodiscard]] absl::Status Round();
  void FailAll(std::vector<Done>* batch, const absl::Status& st);

  [[nodiscard]] absl::StatusOr<uint64_t> AwaitIndex(const std::string& ctx);

  RaftNode* const node_;
  Applier* const applier_;
  const std::chrono::milliseconds timeout_;

  LoopThread loop_;  // runs Loop(), the read-index thread; its mu() guards what follows
  std::vector<Done> pending_ ABSL_GUARDED_BY(loop_.mu());
  std::string awaited_ctx_ ABSL_GUARDED_BY(loop_.mu());
  uint64_t read_index_ ABSL_GUARDED_BY(loop_.mu()) = 0;
  bool answered_ ABSL_GUARDED_BY(loop_.mu()) = false;
  uint64_t next_ctx_ = 1;  // loop thread only
  const uint64_t salt_;    // random: makes contexts unique across members
};

}  // namespace etcdpp::server
