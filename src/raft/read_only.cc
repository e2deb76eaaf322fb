#include "raft/read_only.h"

namespace etcdpp::raft {

void ReadOnly::AddRequest(uint64_t index, const Message& m) {
  const std::string& ctx = m.entries[0].data;
  if (pending_.count(ctx) > 0) return;
  pending_[ctx] = ReadIndexStatus{.req = m, .index = index, .acks = {}};
  queue_.push_back(ctx);
}

const absl::flat_hash_map<uint64_t, bool>* ReadOnly::RecvAck(uint64_t id, const std::string& ctx) {
  auto it = pending_.find(ctx);
  if (it == pending_.end()) return nullptr;
  it->second.acks[id] = true;
  return &it->second.acks;
}

std::vector<ReadIndexStatus> ReadOnly::Advance(const std::string& ctx) {
  std::vector<ReadIndexStatus> out;
  size_t n = 0;
  bool found = false;
  for (const std::string& c : queue_) {
    ++n;
    if (c == ctx) {
      found = true;
      break;
    }
  }
  if (!found) return out;
  for (size_t i = 0; i < n; ++i) {
    auto it = pending_.find(queue_.front());
    out.push_back(std::move(it->second));
    pending_.erase(it);
    queue_.pop_front();
  }
  return out;
}

std::string ReadOnly::LastPendingRequestCtx() const {
  return queue_.empty() ? std::string() : queue_.back();
}

}  // namespace etcdpp::raft
