#include "backend/read_buffer.h"

#include <mutex>

namespace etcdpp::backend {

void ReadBuffer::Put(Bucket b, std::string_view key, std::string value) {
  std::unique_lock lock(mu_);
  Map& m = pending_[BucketIndex(b)];
  auto it = m.find(key);
  if (it == m.end()) {
    m.emplace(std::string(key), std::move(value));
  } else {
    it->second = std::move(value);
  }
  pending_ops_.fetch_add(1, std::memory_order_relaxed);
}

void ReadBuffer::Delete(Bucket b, std::string_view key) {
  std::unique_lock lock(mu_);
  Map& m = pending_[BucketIndex(b)];
  auto it = m.find(key);
  if (it == m.end()) {
    m.emplace(std::string(key), std::nullopt);
  } else {
    it->second.reset();
  }
  pending_ops_.fetch_add(1, std::memory_order_relaxed);
}

size_t ReadBuffer::PendingOps() const { return pending_ops_.load(std::memory_order_relaxed); }

const ReadBuffer::Maps* ReadBuffer::StartCommit() {
  std::unique_lock lock(mu_);
  if (pending_ops_.load(std::memory_order_relaxed) == 0) return nullptr;
  std::swap(pending_, committing_);  // committing_ was empty
  pending_ops_.store(0, std::memory_order_relaxed);
  return &committing_;
}

void ReadBuffer::FinishCommit() {
  std::unique_lock lock(mu_);
  for (Map& m : committing_) m.clear();
}

ReadBuffer::Lookup ReadBuffer::GetLocked(Bucket b, std::string_view key,
                                         absl::FunctionRef<void(std::string_view)> fn) const {
  for (const Maps* maps : {&pending_, &committing_}) {
    const Map& m = (*maps)[BucketIndex(b)];
    if (m.empty()) continue;
    auto it = m.find(key);
    if (it == m.end()) continue;
    if (!it->second.has_value()) return Lookup::kDeleted;
    fn(*it->second);
    return Lookup::kFound;
  }
  return Lookup::kMissing;
}

ReadBuffer::Lookup ReadBuffer::Get(Bucket b, std::string_view key,
                                   absl::FunctionRef<void(std::string_view)> fn) const {
  std::shared_lock lock(mu_);
  return GetLocked(b, key, fn);
}

void ReadBuffer::GetMany(Bucket b, const std::vector<std::string>& keys,
                         std::vector<Lookup>* result,
                         absl::FunctionRef<void(size_t, std::string_view)> fn) const {
  result->assign(keys.size(), Lookup::kMissing);
  std::shared_lock lock(mu_);
  if (pending_[BucketIndex(b)].empty() && committing_[BucketIndex(b)].empty()) return;
  for (size_t i = 0; i < keys.size(); ++i) {
    (*result)[i] = GetLocked(b, keys[i], [&](std::string_view v) { fn(i, v); });
  }
}

std::vector<std::pair<std::string, std::optional<std::string>>> ReadBuffer::CopyRange(
    Bucket b, std::string_view from, std::string_view to) const {
  Map merged;
  std::shared_lock lock(mu_);
  // Older generation first, so that pending entries overwrite committing ones.
  for (const Maps* maps : {&committing_, &pending_}) {
    const Map& m = (*maps)[BucketIndex(b)];
    for (auto it = m.lower_bound(from); it != m.end(); ++it) {
      if (!to.empty() && it->first >= to) break;
      merged.insert_or_assign(it->first, it->second);
    }
  }
  lock.unlock();
  return {std::make_move_iterator(merged.begin()), std::make_move_iterator(merged.end())};
}

}  // namespace etcdpp::backend
