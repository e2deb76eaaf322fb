#include "server/read_index.h"

#include <chrono>
#include <random>

#include "server/applier.h"
#include "server/errors.h"
#include "server/raft_node.h"

namespace etcdpp::server {
namespace {
constexpr auto kRoundTimeout = std::chrono::seconds(5);
}  // namespace

ReadIndexLoop::ReadIndexLoop(RaftNode* node, Applier* applier)
    : node_(node), applier_(applier), salt_((uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}

ReadIndexLoop::~ReadIndexLoop() { Stop(); }

void ReadIndexLoop::Start() { thread_ = std::thread([this] { Loop(); }); }

void ReadIndexLoop::Stop() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
  std::vector<Done> rest;
  {
    MutexLock l(&mu_);
    rest.swap(pending_);
  }
  FailAll(&rest, ErrStopped());
}

void ReadIndexLoop::Read(Done done) {
  {
    MutexLock l(&mu_);
    pending_.push_back(std::move(done));
  }
  cv_.SignalAll();
}

void ReadIndexLoop::OnReadState(const raft::ReadState& rs) {
  {
    MutexLock l(&mu_);
    if (rs.request_ctx != awaited_ctx_) return;  // an answer to an abandoned round
    read_index_ = rs.index;
    answered_ = true;
  }
  cv_.SignalAll();
}

void ReadIndexLoop::FailAll(std::vector<Done>* batch, const absl::Status& st) {
  for (Done& d : *batch) d(st);
  batch->clear();
}

void ReadIndexLoop::Loop() {
  for (;;) {
    {
      MutexLock l(&mu_);
      while (!stopping_ && pending_.empty()) cv_.Wait();
      if (stopping_) return;
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
    MutexLock l(&mu_);
    batch.swap(pending_);
    awaited_ctx_ = ctx;
    answered_ = false;
  }
  if (node_->leader() == 0) {
    FailAll(&batch, ErrNoLeader());
    return ErrNoLeader();
  }
  node_->ReadIndex(ctx);
  uint64_t index = 0;
  {
    MutexLock l(&mu_);
    auto deadline = std::chrono::steady_clock::now() + kRoundTimeout;
    while (!stopping_ && !answered_ && std::chrono::steady_clock::now() < deadline) {
      cv_.WaitFor(deadline - std::chrono::steady_clock::now());
    }
    if (answered_) index = read_index_;
    awaited_ctx_.clear();  // a late answer to this round is ignored
  }
  if (index == 0) {
    FailAll(&batch, ErrTimeout());
    return ErrTimeout();
  }
  if (!applier_->WaitApplied(index)) {
    FailAll(&batch, ErrStopped());
    return ErrStopped();
  }
  for (Done& d : batch) d(absl::OkStatus());
  return absl::OkStatus();
}

}  // namespace etcdpp::server
