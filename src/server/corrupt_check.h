#pragma once
// The corruption checks of etcd 3.4 (etcdserver/corrupt.go), comparing the member's HashKV with
// its peers' (asked over the peer port, rafthttp/hash_peer.h):
//
//   initial   --experimental-initial-corrupt-check: a restarted member, before it serves
//             clients, hashes its keys at its current revision and asks every peer for the
//             hash at that revision. A peer with the same compact revision and another hash is
//             a mismatch: the member refuses to start ("<id> found data inconsistency with
//             peers"). Peers that are behind, compacted further or unreachable are skipped.
//   periodic  --experimental-corrupt-check-time: every interval the leader hashes, asks its
//             peers, confirms its leadership with a linearizable read and hashes again; it
//             raises CORRUPT for the member at fault (itself when its own hash changed at the
//             same revisions; a peer ahead of it, compacted further, or with another hash at
//             the same compact revision), at most one alarm per round.
//
// The decisions (JudgeInitialHashes, FindCorruptMembers) are pure functions of the hashes;
// CorruptChecker does the asking and runs the periodic round on its own thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/loop_thread.h"
#include "etcdserverpb/rpc.pb.h"

namespace etcdpp::server {

// A member's HashKV: the hash at `revision` (the store's current revision when it was taken)
// with the compact revision then in force.
struct KvHash {
  uint32_t hash = 0;
  int64_t revision = 0;
  int64_t compact_revision = 0;
};

// One peer's answer: its HashKV (header.revision is the peer's current revision), or the error
// of the last of its URLs tried (mvcc's compacted / future-revision errors as the peer answered
// them, or an unreachable peer's).
struct PeerHash {
  uint64_t id = 0;
  std::vector<std::string> urls;
  absl::StatusOr<etcdserverpb::HashKVResponse> answer;
};

// etcd's CheckInitialHashKV decision, with its log lines: OK, or "<id> found data inconsistency
// with peers" when a peer at the same compact revision has another hash.
[[nodiscard]] absl::Status JudgeInitialHashes(uint64_t self, const KvHash& local,
                                              const std::vector<PeerHash>& peers);

// etcd's checkHashKV decision, with its log lines: the members at fault in the order found
// (empty: none). `before` and `after` are the leader's hashes taken before asking the peers and
// after the linearizable read.
std::vector<uint64_t> FindCorruptMembers(uint64_t self, const KvHash& before, const KvHash& after,
                                         const std::vector<PeerHash>& peers);

class CorruptChecker {
 public:
  struct Peer {
    uint64_t id = 0;
    std::vector<std::string> urls;
  };
  struct Deps {
    uint64_t member_id = 0;
    std::chrono::milliseconds request_timeout{0};        // per peer URL and for the read
    absl::Duration interval;                             // the periodic check's; zero: none
    std::function<absl::StatusOr<KvHash>()> local_hash;  // HashKV at the current revision
    std::function<std::vector<Peer>()> peers;            // the other members
    // The peer's HashKV at `rev` (HashPeerClient::HashKV); blocks up to `timeout`.
    std::function<absl::StatusOr<etcdserverpb::HashKVResponse>(const std::string& url, int64_t rev,
                                                               std::chrono::milliseconds timeout)>
        peer_hash;
    std::function<bool()> is_leader;
    // A linearizable read's barrier; `done` runs once (any thread) with its outcome.
    std::function<void(std::function<void(absl::Status)> done)> linearizable_read;
    // Proposes the CORRUPT alarm for `member` (does not wait for it).
    std::function<void(uint64_t member)> raise_corrupt;
  };

  explicit CorruptChecker(Deps deps) : deps_(std::move(deps)) {}
  ~CorruptChecker();  // Stop()

  // etcd's CheckInitialHashKV: blocks while the peers are asked (each URL up to the request
  // timeout; unreachable peers fail fast).
  [[nodiscard]] absl::Status InitialCheck();
  // Starts the periodic check when an interval is set; Stop ends it (it waits for a peer call
  // in flight, at most the request timeout).
  void Start();
  void Stop();

  // One periodic round (etcd's checkHashKV), on the caller's thread.
  [[nodiscard]] absl::Status CheckOnceForTest() { return CheckOnce(); }

 private:
  // A linearizable read in flight, which Stop cancels.
  struct PendingRead;

  std::vector<PeerHash> PeerHashes(int64_t rev);
  [[nodiscard]] absl::Status CheckOnce();
  [[nodiscard]] absl::Status ReadBarrier();
  void Loop();  // the periodic check's thread

  // Constant after construction.
  const Deps deps_;

  LoopThread loop_;  // runs Loop(); mu() guards what follows
  std::shared_ptr<PendingRead> pending_ ABSL_GUARDED_BY(loop_.mu());
};

}  // namespace etcdpp::server
