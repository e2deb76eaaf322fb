#pragma once
// The data types of the Raft core: log entries, persistent state, messages and the Ready batch
// the caller drains. Plain structs: src/raft depends on nothing but src/common, so the WAL and
// the peer transport encode these themselves.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace etcdpp::raft {

enum class EntryType : uint8_t { kNormal = 0, kConfChange = 1 };

struct Entry {
  uint64_t term = 0;
  uint64_t index = 0;
  EntryType type = EntryType::kNormal;
  std::string data;  // opaque to raft for kNormal; an encoded ConfChange for kConfChange
  friend bool operator==(const Entry&, const Entry&) = default;
};

// The state a member must persist before it sends messages that depend on it.
struct HardState {
  uint64_t term = 0;
  uint64_t vote = 0;
  uint64_t commit = 0;
  bool IsEmpty() const { return term == 0 && vote == 0 && commit == 0; }
  friend bool operator==(const HardState&, const HardState&) = default;
};

struct ConfState {
  std::vector<uint64_t> voters;
  std::vector<uint64_t> learners;
  friend bool operator==(const ConfState&, const ConfState&) = default;
};

struct SnapshotMetadata {
  ConfState conf_state;
  uint64_t index = 0;
  uint64_t term = 0;
  friend bool operator==(const SnapshotMetadata&, const SnapshotMetadata&) = default;
};

struct Snapshot {
  std::string data;
  SnapshotMetadata metadata;
  bool IsEmpty() const { return metadata.index == 0; }
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

enum class ConfChangeType : uint8_t {
  kAddNode = 0,
  kRemoveNode = 1,
  kUpdateNode = 2,
  kAddLearnerNode = 3,
};

struct ConfChange {
  ConfChangeType type = ConfChangeType::kAddNode;
  uint64_t node_id = 0;
  std::string context;  // opaque to raft: the server puts the member's attributes here
  friend bool operator==(const ConfChange&, const ConfChange&) = default;
};

enum class MessageType : uint8_t {
  kHup = 0,
  kBeat = 1,
  kProp = 2,
  kApp = 3,
  kAppResp = 4,
  kVote = 5,
  kVoteResp = 6,
  kSnap = 7,
  kHeartbeat = 8,
  kHeartbeatResp = 9,
  kUnreachable = 10,
  kSnapStatus = 11,
  kCheckQuorum = 12,
  kTransferLeader = 13,
  kTimeoutNow = 14,
  kReadIndex = 15,
  kReadIndexResp = 16,
  kPreVote = 17,
  kPreVoteResp = 18,
};

struct Message {
  MessageType type = MessageType::kHup;
  uint64_t to = 0;
  uint64_t from = 0;
  uint64_t term = 0;
  uint64_t log_term = 0;
  uint64_t index = 0;
  std::vector<Entry> entries;
  uint64_t commit = 0;
  Snapshot snapshot;
  bool reject = false;
  uint64_t reject_hint = 0;
  std::string context;
  friend bool operator==(const Message&, const Message&) = default;
};

enum class StateType : uint8_t { kFollower = 0, kCandidate = 1, kLeader = 2, kPreCandidate = 3 };

// Volatile state; not persisted.
struct SoftState {
  uint64_t lead = 0;  // 0: no known leader
  StateType state = StateType::kFollower;
  friend bool operator==(const SoftState&, const SoftState&) = default;
};

// The answer to a ReadIndex request: reads tagged request_ctx may be served once the local
// applied index reaches `index`.
struct ReadState {
  uint64_t index = 0;
  std::string request_ctx;
};

// Everything the caller must act on, in this order:
//  1. persist hard_state (if not empty), entries and snapshot (if not empty) -- one sync when
//     must_sync is true;
//  2. send messages (a leader may send before persisting; a follower only after);
//  3. apply snapshot, then committed_entries, in order;
//  4. call RawNode::Advance(ready).
struct Ready {
  std::optional<SoftState> soft_state;  // set only when it changed
  HardState hard_state;                 // empty when unchanged
  std::vector<ReadState> read_states;
  std::vector<Entry> entries;            // to append to stable storage
  Snapshot snapshot;                     // to persist and apply, if not empty
  std::vector<Entry> committed_entries;  // to apply to the state machine
  std::vector<Message> messages;         // to send after entries are persisted
  bool must_sync = false;                // hard state or entries changed: fsync before send
};

}  // namespace etcdpp::raft
