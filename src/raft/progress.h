#pragma once
// Progress: the leader's view of one follower's log (etcd-io/raft tracker/progress.go), and
// Inflights, the sliding window of MsgApp not yet acknowledged (tracker/inflights.go).
//
// A follower's Progress is in one of three states:
//  - kProbe: the leader does not know the follower's last index; it sends one MsgApp per
//    heartbeat interval and waits for the answer (`probe_sent` pauses it).
//  - kReplicate: the leader streams MsgApp optimistically, advancing `next` on send, limited by
//    the inflights window.
//  - kSnapshot: the follower needs a snapshot; nothing is sent until it reports back.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace etcdpp::raft {

class Inflights {
 public:
  explicit Inflights(size_t size) : size_(size) {}

  // Records a MsgApp whose last entry is `index`. Must not be called when Full().
  void Add(uint64_t index);
  // Frees all inflights up to and including `to`.
  void FreeLE(uint64_t to);
  void FreeFirstOne();
  bool Full() const { return buffer_.size() >= size_; }
  size_t Count() const { return buffer_.size(); }
  void Reset() { buffer_.clear(); }

 private:
  size_t size_;
  std::vector<uint64_t> buffer_;  // ascending last indexes of in-flight MsgApps
};

enum class ProgressState { kProbe, kReplicate, kSnapshot };
const char* ProgressStateName(ProgressState s);

struct Progress {
  Progress(uint64_t next, size_t max_inflight, bool learner)
      : next(next), inflights(max_inflight), is_learner(learner) {}

  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(uint64_t snapshot_index);
  // The follower acknowledged entries up to n; returns false if that is old news.
  bool MaybeUpdate(uint64_t n);
  void OptimisticUpdate(uint64_t n) { next = n + 1; }
  // A MsgApp for `rejected` was rejected with `match_hint` as the follower's best guess; moves
  // `next` back. Returns false if the rejection is stale.
  bool MaybeDecrTo(uint64_t rejected, uint64_t match_hint);
  // True when the leader should not send more MsgApp to this follower now.
  bool IsPaused() const;
  std::string DebugString() const;

  // Invariant: match < next.
  uint64_t match = 0;
  uint64_t next = 0;
  ProgressState state = ProgressState::kProbe;
  uint64_t pending_snapshot = 0;  // index of the snapshot in flight, in kSnapshot
  bool recent_active = false;     // heard from since the last check-quorum
  bool probe_sent = false;        // in kProbe: a MsgApp is out, wait for a reply or heartbeat
  Inflights inflights;
  bool is_learner = false;
};

}  // namespace etcdpp::raft
