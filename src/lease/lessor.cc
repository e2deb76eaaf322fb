#include "lease/lessor.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "common/env.h"
#include "lease/errors.h"
#include "lease/expiry_spread.h"
#include "leasepb/lease.pb.h"

namespace etcdpp::lease {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;

int64_t SecondsToMicros(int64_t s) {
  return s > INT64_MAX / kMicrosPerSecond ? INT64_MAX : s * kMicrosPerSecond;
}

int64_t SaturatingAdd(int64_t a, int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }

}  // namespace

std::string LeaseKey(LeaseId id) {
  std::string k(8, '\0');
  uint64_t v = static_cast<uint64_t>(id);
  for (int i = 7; i >= 0; --i, v >>= 8) k[i] = static_cast<char>(v & 0xff);
  return k;
}

Lessor::Lessor(backend::Backend* be, Options options) : be_(be), options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<Lessor>> Lessor::Open(backend::Backend* be, Options options) {
  std::unique_ptr<Lessor> l(new Lessor(be, std::move(options)));
  absl::Status st = l->Load();
  if (!st.ok()) return st;
  return l;
}

absl::Status Lessor::Reload() {
  {
    MutexLock lock(&mu_);
    leases_.clear();
    key_lease_.clear();
    expiries_.Clear();
    checkpoints_.Clear();
  }
  return Load();
}

absl::Status Lessor::Load() {
  absl::Status bad;
  MutexLock lock(&mu_);
  absl::Status st =
      be_->Range(backend::Bucket::kLease, "", "", [&](std::string_view k, std::string_view v) {
        mu_.AssertHeld();  // runs inside Range, under the lock taken above
        leasepb::Lease rec;
        if (!rec.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
          bad = absl::DataLossError(
              absl::StrFormat("cannot decode the lease record of key %d bytes", k.size()));
          return false;
        }
        Lease& l = leases_[rec.id()];
        l.id = rec.id();
        l.ttl = std::max(rec.ttl(), options_.min_ttl);
        l.remaining_ttl = rec.remainingttl();
        l.expiry_us = kForever;
        return true;
      });
  return st.ok() ? bad : st;
}

int64_t Lessor::Now() const {
  return options_.now_us ? options_.now_us() : static_cast<int64_t>(Env::Default()->NowMicros());
}

void Lessor::Persist(const Lease& l, backend::BatchTx* tx) const {
  leasepb::Lease rec;
  rec.set_id(l.id);
  rec.set_ttl(l.ttl);
  rec.set_remainingttl(l.remaining_ttl);
  tx->Put(backend::Bucket::kLease, LeaseKey(l.id), rec.SerializeAsString());
}

// Sets a primary lease's expiry and queues it.
void Lessor::Refresh(Lease* l, int64_t expiry_us) {
  l->expiry_us = expiry_us;
  l->queued_us = expiry_us;
  expiries_.Push({expiry_us, l->id});
}

void Lessor::ScheduleCheckpoint(const Lease& l) {
  if (options_.checkpoint_interval <= absl::ZeroDuration()) return;
  if (SecondsToMicros(l.RemainingOrFullTtl()) <=
      absl::ToInt64Microseconds(options_.checkpoint_interval)) {
    return;
  }
  checkpoints_.Push({Now() + absl::ToInt64Microseconds(options_.checkpoint_interval), l.id});
}

absl::StatusOr<LeaseInfo> Lessor::Grant(LeaseId id, int64_t ttl, backend::BatchTx* tx) {
  if (id == kNoLease) return LeaseNotFoundError();
  if (ttl > kMaxLeaseTtl) return LeaseTtlTooLargeError();
  MutexLock lock(&mu_);
  if (leases_.contains(id)) return LeaseExistsError();
  Lease& l = leases_[id];
  l.id = id;
  l.ttl = std::max(ttl, options_.min_ttl);
  l.expiry_us = kForever;
  if (primary_) {
    Refresh(&l, SaturatingAdd(Now(), SecondsToMicros(l.ttl)));
    ScheduleCheckpoint(l);
  }
  Persist(l, tx);
  return Info(l, false);
}

absl::Status Lessor::Revoke(LeaseId id, backend::BatchTx* tx,
                            absl::FunctionRef<void(const std::vector<std::string>&)> del) {
  std::vector<std::string> keys;
  {
    MutexLock lock(&mu_);
    auto it = leases_.find(id);
    if (it == leases_.end()) return LeaseNotFoundError();
    keys.assign(it->second.keys.begin(), it->second.keys.end());
  }
  del(keys);  // without the lock: the deleter writes mvcc (only the applier mutates leases)
  MutexLock lock(&mu_);
  for (const std::string& k : keys) key_lease_.erase(k);
  leases_.erase(id);
  tx->Delete(backend::Bucket::kLease, LeaseKey(id));
  return absl::OkStatus();
}

void Lessor::Checkpoint(LeaseId id, int64_t remaining_ttl, backend::BatchTx* tx) {
  MutexLock lock(&mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return;
  it->second.remaining_ttl = remaining_ttl;
  Persist(it->second, tx);
  if (primary_) ScheduleCheckpoint(it->second);
}

void Lessor::Attach(LeaseId id, const std::string& key) {
  MutexLock lock(&mu_);
  auto prev = key_lease_.find(key);
  if (prev != key_lease_.end()) {
    if (prev->second == id) return;
    auto pl = leases_.find(prev->second);
    if (pl != leases_.end()) pl->second.keys.erase(key);
    key_lease_.erase(prev);
  }
  auto it = leases_.find(id);
  if (id == kNoLease || it == leases_.end()) return;
  it->second.keys.insert(key);
  key_lease_[key] = id;
}

void Lessor::Detach(const std::string& key) { Attach(kNoLease, key); }

LeaseId Lessor::GetLease(const std::string& key) const {
  MutexLock lock(&mu_);
  auto it = key_lease_.find(key);
  return it == key_lease_.end() ? kNoLease : it->second;
}

bool Lessor::Exists(LeaseId id) const {
  MutexLock lock(&mu_);
  return leases_.contains(id);
}

void Lessor::Promote(absl::Duration extend) {
  MutexLock lock(&mu_);
  primary_ = true;
  expiries_.Clear();
  checkpoints_.Clear();
  const int64_t base = SaturatingAdd(Now(), absl::ToInt64Microseconds(extend));
  for (auto& [id, l] : leases_) {
    Refresh(&l, SaturatingAdd(base, SecondsToMicros(l.RemainingOrFullTtl())));
    ScheduleCheckpoint(l);
  }
  SpreadPiledUpExpiriesLocked();
}

void Lessor::SpreadPiledUpExpiriesLocked() {
  if (static_cast<int64_t>(leases_.size()) < kLeaseRevokeRate) return;
  std::vector<Expiry> order;
  order.reserve(leases_.size());
  for (const auto& [id, l] : leases_) order.push_back(Expiry{id, l.expiry_us});
  std::sort(order.begin(), order.end(), [](const Expiry& a, const Expiry& b) {
    return a.expiry_us != b.expiry_us ? a.expiry_us < b.expiry_us : a.id < b.id;
  });
  for (size_t i : SpreadExpiries(order)) Refresh(&leases_[order[i].id], order[i].expiry_us);
}

void Lessor::Demote() {
  MutexLock lock(&mu_);
  primary_ = false;
  for (auto& [id, l] : leases_) l.expiry_us = kForever;
  expiries_.Clear();
  checkpoints_.Clear();
}

bool Lessor::primary() const {
  MutexLock lock(&mu_);
  return primary_;
}

absl::StatusOr<int64_t> Lessor::Renew(LeaseId id) {
  MutexLock lock(&mu_);
  if (!primary_) return NotPrimaryError();
  auto it = leases_.find(id);
  if (it == leases_.end()) return LeaseNotFoundError();
  Lease& l = it->second;
  const int64_t now = Now();
  if (l.expiry_us <= now) return LeaseNotFoundError();  // expired: its revocation is proposed
  Refresh(&l, SaturatingAdd(now, SecondsToMicros(l.ttl)));
  return l.ttl;
}

bool Lessor::HasCheckpointedRemaining(LeaseId id) const {
  if (options_.checkpoint_interval <= absl::ZeroDuration()) return false;
  MutexLock lock(&mu_);
  auto it = leases_.find(id);
  return it != leases_.end() && it->second.remaining_ttl > 0;
}

LeaseInfo Lessor::Info(const Lease& l, bool with_keys) const {
  LeaseInfo info;
  info.id = l.id;
  info.ttl = l.ttl;
  info.remaining_us = l.expiry_us == kForever ? INT64_MAX : l.expiry_us - Now();
  if (with_keys) info.keys.assign(l.keys.begin(), l.keys.end());
  return info;
}

std::optional<LeaseInfo> Lessor::Lookup(LeaseId id, bool with_keys) const {
  MutexLock lock(&mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return std::nullopt;
  return Info(it->second, with_keys);
}

std::vector<LeaseId> Lessor::Leases() const {
  std::vector<std::pair<int64_t, LeaseId>> by_expiry;
  {
    MutexLock lock(&mu_);
    for (const auto& [id, l] : leases_) by_expiry.emplace_back(l.expiry_us, id);
  }
  std::sort(by_expiry.begin(), by_expiry.end());
  std::vector<LeaseId> ids;
  for (const auto& [expiry, id] : by_expiry) ids.push_back(id);
  return ids;
}

std::vector<LeaseId> Lessor::FindExpired(size_t limit) {
  std::vector<LeaseId> out;
  MutexLock lock(&mu_);
  if (!primary_) return out;
  const int64_t now = Now();
  while (out.size() < limit && !expiries_.empty() && expiries_.Top().time_us <= now) {
    LeaseTime t = expiries_.Top();
    expiries_.Pop();
    auto it = leases_.find(t.id);
    if (it == leases_.end() || it->second.queued_us != t.time_us) continue;  // stale entry
    if (it->second.expiry_us > now) continue;
    out.push_back(t.id);
    // Reported again later if the revocation does not commit (etcd's retry interval).
    it->second.queued_us = now + absl::ToInt64Microseconds(options_.expired_retry_interval);
    expiries_.Push({it->second.queued_us, t.id});
  }
  return out;
}

std::vector<CheckpointItem> Lessor::FindDueCheckpoints(size_t limit) {
  std::vector<CheckpointItem> out;
  MutexLock lock(&mu_);
  if (!primary_) return out;
  const int64_t now = Now();
  while (out.size() < limit && !checkpoints_.empty() && checkpoints_.Top().time_us <= now) {
    LeaseTime t = checkpoints_.Top();
    checkpoints_.Pop();
    auto it = leases_.find(t.id);
    if (it == leases_.end() || it->second.expiry_us <= now) continue;
    int64_t left_us = it->second.expiry_us - now;
    int64_t remaining = (left_us + kMicrosPerSecond - 1) / kMicrosPerSecond;  // ceil, as etcd
    if (remaining >= it->second.ttl) continue;
    out.push_back({t.id, remaining});
  }
  return out;
}

std::optional<int64_t> Lessor::NextDeadlineUs() const {
  MutexLock lock(&mu_);
  if (!primary_) return std::nullopt;
  std::optional<int64_t> next;
  if (!expiries_.empty()) next = expiries_.Top().time_us;
  if (!checkpoints_.empty() && (!next || checkpoints_.Top().time_us < *next)) {
    next = checkpoints_.Top().time_us;
  }
  if (!next) return std::nullopt;
  return std::max<int64_t>(0, *next - Now());
}

}  // namespace etcdpp::lease
