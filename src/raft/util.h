#pragma once
// Small helpers of the raft core: the abort path for impossible states (the written policy:
// internal invariants abort with the invariant in the message) and message-type names.

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "raft/types.h"

namespace etcdpp::raft {

// Prints "raft: <msg>" to stderr and aborts. For impossible states only, never external input.
[[noreturn]] void Fatal(std::string_view msg);

const char* MessageTypeName(MessageType t);
const char* StateTypeName(StateType t);

// True for the message types a member answers even from a lower term (none are local).
inline bool IsLocalMessage(MessageType t) {
  return t == MessageType::kHup || t == MessageType::kBeat || t == MessageType::kUnreachable ||
         t == MessageType::kSnapStatus || t == MessageType::kCheckQuorum;
}
inline bool IsResponseMessage(MessageType t) {
  return t == MessageType::kAppResp || t == MessageType::kVoteResp ||
         t == MessageType::kHeartbeatResp || t == MessageType::kUnreachable ||
         t == MessageType::kPreVoteResp;
}
// The response type of a (pre-)vote request.
inline MessageType VoteRespType(MessageType t) {
  return t == MessageType::kVote ? MessageType::kVoteResp : MessageType::kPreVoteResp;
}

}  // namespace etcdpp::raft

// Aborts with the condition text and `msg` when `cond` is false, in all builds.
#define RAFT_CHECK(cond, msg)                                                             \
  do {                                                                                    \
    if (!(cond)) ::etcdpp::raft::Fatal(::absl::StrCat("check failed: " #cond ": ", msg)); \
  } while (0)
