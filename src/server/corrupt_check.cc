#include "server/corrupt_check.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/mutex.h"
#include "mvcc/kvstore.h"
#include "server/go_duration.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

// etcd's fields of the initial check's lines about one peer that answered.
std::string InitialFields(uint64_t self, const KvHash& local, const PeerHash& p) {
  const pb::HashKVResponse& r = *p.answer;
  return absl::StrCat(
      "local-member-id: ", absl::Hex(self), ", local-member-revision: ", local.revision,
      ", local-member-compact-revision: ", local.compact_revision,
      ", local-member-hash: ", local.hash, ", remote-peer-id: ", absl::Hex(r.header().member_id()),
      ", remote-peer-endpoints: [", absl::StrJoin(p.urls, ","),
      "], remote-peer-revision: ", r.header().revision(),
      ", remote-peer-compact-revision: ", r.compact_revision(), ", remote-peer-hash: ", r.hash());
}

// etcd's fields of the initial check's lines about a peer that answered with an error.
std::string SkippedFields(uint64_t self, const KvHash& local, const PeerHash& p) {
  return absl::StrCat("local-member-id: ", absl::Hex(self),
                      ", local-member-revision: ", local.revision,
                      ", local-member-compact-revision: ", local.compact_revision,
                      ", local-member-hash: ", local.hash, ", remote-peer-id: ", absl::Hex(p.id),
                      ", remote-peer-endpoints: [", absl::StrJoin(p.urls, ","),
                      "], error: ", p.answer.status().message());
}

}  // namespace

absl::Status JudgeInitialHashes(uint64_t self, const KvHash& local,
                                const std::vector<PeerHash>& peers) {
  int mismatches = 0;
  for (const PeerHash& p : peers) {
    if (p.answer.ok()) {
      if (p.answer->hash() == local.hash) continue;
      if (p.answer->compact_revision() == local.compact_revision) {
        SPDLOG_WARN("found different hash values from remote peer ({})",
                     InitialFields(self, local, p));
        ++mismatches;
      } else {
        SPDLOG_WARN("found different compact revision values from remote peer ({})",
                     InitialFields(self, local, p));
      }
    } else if (mvcc::IsFutureRev(p.answer.status())) {
      SPDLOG_WARN("cannot fetch hash from slow remote peer ({})", SkippedFields(self, local, p));
    } else if (mvcc::IsCompacted(p.answer.status())) {
      SPDLOG_WARN("cannot fetch hash from remote peer; local member is behind ({})",
                   SkippedFields(self, local, p));
    }
  }
  if (mismatches > 0) {
    return absl::DataLossError(
        absl::StrCat(absl::Hex(self), " found data inconsistency with peers"));
  }
  SPDLOG_INFO("initial corruption checking passed; no corruption (local-member-id: {:x})", self);
  return absl::OkStatus();
}

std::vector<uint64_t> FindCorruptMembers(uint64_t self, const KvHash& before, const KvHash& after,
                                         const std::vector<PeerHash>& peers) {
  std::vector<uint64_t> at_fault;
  if (after.hash != before.hash && after.revision == before.revision &&
      after.compact_revision == before.compact_revision) {
    SPDLOG_WARN(
        "found hash mismatch (revision-1: {}, compact-revision-1: {}, hash-1: {}, revision-2: {}, "
        "compact-revision-2: {}, hash-2: {})",
        before.revision, before.compact_revision, before.hash, after.revision,
        after.compact_revision, after.hash);
    at_fault.push_back(self);
  }
  int checked = 0;
  for (const PeerHash& p : peers) {
    if (!p.answer.ok()) continue;
    ++checked;
    const pb::HashKVResponse& r = *p.answer;
    // A follower cannot be ahead of the leader once the leader's read barrier has passed.
    if (r.header().revision() > after.revision) {
      SPDLOG_WARN(
          "revision from follower must be less than or equal to leader's (leader-revision: {}, "
          "follower-revision: {}, follower-peer-id: {:x})",
          after.revision, r.header().revision(), p.id);
      at_fault.push_back(p.id);
    }
    if (r.compact_revision() > after.compact_revision) {
      SPDLOG_WARN(
          "compact revision from follower must be less than or equal to leader's "
          "(leader-compact-revision: {}, follower-compact-revision: {}, follower-peer-id: {:x})",
          after.compact_revision, r.compact_revision(), p.id);
      at_fault.push_back(p.id);
    }
    // The peer hashed at the leader's first revision: with the leader's compact revision of
    // then, the hashes must match.
    if (r.compact_revision() == before.compact_revision && r.hash() != before.hash) {
      SPDLOG_WARN(
          "same compact revision then hashes must match (leader-compact-revision: {}, "
          "leader-hash: {}, follower-compact-revision: {}, follower-hash: {}, follower-peer-id: "
          "{:x})",
          after.compact_revision, before.hash, r.compact_revision(), r.hash(), p.id);
      at_fault.push_back(p.id);
    }
  }
  SPDLOG_INFO("finished peer corruption check (number-of-peers-checked: {})", checked);
  return at_fault;
}

// The outcome of one linearizable read. Shared: the read's callback may run after the checker
// stopped waiting for it (Stop), so both hold it.
struct CorruptChecker::PendingRead {
  Mutex mu;
  CondVar cv;
  std::optional<absl::Status> result ABSL_GUARDED_BY(mu);
  bool cancelled ABSL_GUARDED_BY(mu) = false;

  void Finish(absl::Status st) {
    MutexLock l(&mu);
    if (!result.has_value()) result = std::move(st);
    cv.SignalAll();
  }
  void Cancel() {
    MutexLock l(&mu);
    cancelled = true;
    cv.SignalAll();
  }
  absl::Status Wait() {
    MutexLock l(&mu);
    while (!cancelled && !result.has_value()) cv.Wait(&mu);
    return result.has_value() ? *result : absl::CancelledError("the corruption check stopped");
  }
};

CorruptChecker::~CorruptChecker() { Stop(); }

std::vector<PeerHash> CorruptChecker::PeerHashes(int64_t rev) {
  std::vector<PeerHash> out;
  for (Peer& peer : deps_.peers()) {
    if (peer.id == deps_.member_id || peer.urls.empty()) continue;
    PeerHash p{.id = peer.id, .urls = std::move(peer.urls), .answer = absl::UnknownError("")};
    for (const std::string& url : p.urls) {
      p.answer = deps_.peer_hash(url, rev, deps_.request_timeout);
      if (p.answer.ok()) break;
      SPDLOG_WARN(
          "failed hash kv request (local-member-id: {:x}, requested-revision: {}, "
          "remote-peer-endpoint: {}, error: {})",
          deps_.member_id, rev, url, std::string(p.answer.status().message()));
    }
    out.push_back(std::move(p));
  }
  return out;
}

absl::Status CorruptChecker::InitialCheck() {
  SPDLOG_INFO("starting initial corruption check (local-member-id: {:x}, timeout: {})",
               deps_.member_id, FormatGoDuration(absl::FromChrono(deps_.request_timeout)));
  absl::StatusOr<KvHash> local = deps_.local_hash();
  if (!local.ok()) {
    return absl::Status(local.status().code(),
                        absl::StrCat(absl::Hex(deps_.member_id), " failed to fetch hash (",
                                     local.status().message(), ")"));
  }
  return JudgeInitialHashes(deps_.member_id, *local, PeerHashes(local->revision));
}

absl::Status CorruptChecker::ReadBarrier() {
  auto pending = std::make_shared<PendingRead>();
  {
    MutexLock l(loop_.mu());
    if (loop_.stopping()) return absl::CancelledError("the corruption check stopped");
    pending_ = pending;
  }
  deps_.linearizable_read([pending](absl::Status st) { pending->Finish(std::move(st)); });
  absl::Status st = pending->Wait();
  MutexLock l(loop_.mu());
  pending_ = nullptr;
  return st;
}

absl::Status CorruptChecker::CheckOnce() {
  absl::StatusOr<KvHash> before = deps_.local_hash();
  if (!before.ok()) return before.status();
  std::vector<PeerHash> peers = PeerHashes(before->revision);
  if (absl::Status st = ReadBarrier(); !st.ok()) return st;
  absl::StatusOr<KvHash> after = deps_.local_hash();
  if (!after.ok()) return after.status();
  std::vector<uint64_t> at_fault = FindCorruptMembers(deps_.member_id, *before, *after, peers);
  // etcd raises one alarm per round, for the first member found.
  if (!at_fault.empty()) deps_.raise_corrupt(at_fault.front());
  return absl::OkStatus();
}

void CorruptChecker::Start() {
  if (deps_.interval <= absl::ZeroDuration()) return;
  SPDLOG_INFO("enabled corruption checking (local-member-id: {:x}, interval: {})", deps_.member_id,
               FormatGoDuration(deps_.interval));
  loop_.Start("etcdpp-corrupt", [this] { Loop(); });
}

void CorruptChecker::Stop() {
  {
    MutexLock l(loop_.mu());
    loop_.MarkStopping();
    if (pending_ != nullptr) pending_->Cancel();
  }
  loop_.Stop();
}

void CorruptChecker::Loop() {
  for (;;) {
    {
      MutexLock l(loop_.mu());
      if (!loop_.SleepFor(absl::ToChronoNanoseconds(deps_.interval))) return;
    }
    if (!deps_.is_leader()) continue;
    if (absl::Status st = CheckOnce(); !st.ok()) {
      SPDLOG_WARN("failed to check hash KV (error: {})", std::string(st.message()));
    }
  }
}

}  // namespace etcdpp::server
