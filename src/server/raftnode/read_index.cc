#include "server/raftnode/read_index.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "server/apply/applier.h"
#include "server/errors.h"
#include "server/metrics/metrics.h"
#include "server/raftnode/raft_node.h"

namespace etcdpp::server {
namespace {
constexpr auto kRetryInterval = std::chrono::milliseconds(500);  // etcd's readIndexRetryTime
constexpr auto kCheckInterval = std::chrono::milliseconds(50);   // for a leader change
}  // namespace

ReadIndexLoop::ReadIndexLoop(RaftNode* node, Applier* applier, std::chrono::milliseconds timeout)
    : node_(node),
      applier_(applier),
      timeout_(timeout),
      salt_((uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}

ReadIndexLoop::~ReadIndexLoop() { Stop(); }

void ReadIndexLoop::Start() {
  loop_.Start("etcdpp-readidx", [this] { Loop(); });
}

void ReadIndexLoop::Stop() {
  loop_.Stop();
  std::vector<Done> rest;
  {
    MutexLock l(loop_.mu());
    rest.swap(pending_);
  }
  FailAll(&rest, ErrStopped());
}

void ReadIndexLoop::Read(Done done) {
  {
    MutexLock l(loop_.mu());
    pending_.push_back(std::move(done));
  }
  loop_.SignalAll();
}

void ReadIndexLoop::OnReadState(const raft::ReadState& rs) {
  {
    MutexLock l(loop_.mu());
    if (rs.request_ctx != awaited_ctx_) return;  // an answer to an abandoned round
    read_index_ = rs.index;
    answered_ = true;
  }
  loop_.SignalAll();
}

void ReadIndexLoop::FailAll(std::vector<Done>* batch, const absl::Status& st) {
  for (Done& d : *batch) d(st);
  batch->clear();
}

void ReadIndexLoop::Loop() {
  for (;;) {
    {
      MutexLock l(loop_.mu());
      while (!loop_.stopping() && pending_.empty()) loop_.Wait();
      if (loop_.stopping()) return;
    }
    // A failed round has already failed its own batch; later reads get a fresh round.
    (void)Round();
  }
}

absl::Status ReadIndexLoop::Round() {
  std::vector<Done> batch;
  // Unique across members: the leader tracks pending reads by context, so two followers'
  // forwarded rounds must never carry the same one.
  std::string ctx(16, '\0');
  uint64_t n = next_ctx_++;
  for (int i = 0; i < 8; ++i) ctx[i] = static_cast<char>(n >> (56 - 8 * i));
  for (int i = 0; i < 8; ++i) ctx[8 + i] = static_cast<char>(salt_ >> (56 - 8 * i));
  {
    MutexLock l(loop_.mu());
    batch.swap(pending_);
    awaited_ctx_ = ctx;
    answered_ = false;
  }
  absl::StatusOr<uint64_t> index = AwaitIndex(ctx);
  {
    MutexLock l(loop_.mu());
    awaited_ctx_.clear();  // a late answer to this round is ignored
  }
  if (!index.ok()) {
    Metrics::Get().ReadIndexFailed();
    FailAll(&batch, index.status());
    return index.status();
  }
  if (!applier_->WaitApplied(*index)) {
    FailAll(&batch, ErrStopped());
    return ErrStopped();
  }
  for (Done& d : batch) d(absl::OkStatus());
  return absl::OkStatus();
}

// Asks raft for the read index of `ctx` (again every kRetryInterval) until the answer comes.
absl::StatusOr<uint64_t> ReadIndexLoop::AwaitIndex(const std::string& ctx) {
  using Clock = std::chrono::steady_clock;
  const uint64_t leader_changes = node_->leader_changes();
  const Clock::time_point deadline = Clock::now() + timeout_;
  Clock::time_point retry = Clock::now() + kRetryInterval;
  node_->ReadIndex(ctx);
  for (;;) {
    {
      MutexLock l(loop_.mu());
      Clock::time_point until = std::min({deadline, retry, Clock::now() + kCheckInterval});
      while (!loop_.stopping() && !answered_ && loop_.WaitUntil(until)) {
      }
      if (loop_.stopping()) return ErrStopped();
      if (answered_) return read_index_;
    }
    if (node_->leader_changes() != leader_changes) return ErrLeaderChanged();
    if (Clock::now() >= deadline) return ErrTimeout();
    if (Clock::now() >= retry) {
      Metrics::Get().SlowReadIndex();  // etcd: "waiting for ReadIndex response took too long"
      node_->ReadIndex(ctx);
      retry = Clock::now() + kRetryInterval;
    }
  }
}

}  // namespace etcdpp::server
