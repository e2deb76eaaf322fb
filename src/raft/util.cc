#include "raft/util.h"

#include <cstdlib>
#include <iostream>

namespace etcdpp::raft {

void Fatal(std::string_view msg) {
  std::cerr << "raft: " << msg << std::endl;
  std::abort();
}

const char* MessageTypeName(MessageType t) {
  static constexpr const char* kNames[] = {
      "MsgHup",           "MsgBeat",           "MsgProp",        "MsgApp",
      "MsgAppResp",       "MsgVote",           "MsgVoteResp",    "MsgSnap",
      "MsgHeartbeat",     "MsgHeartbeatResp",  "MsgUnreachable", "MsgSnapStatus",
      "MsgCheckQuorum",   "MsgTransferLeader", "MsgTimeoutNow",  "MsgReadIndex",
      "MsgReadIndexResp", "MsgPreVote",        "MsgPreVoteResp"};
  size_t i = static_cast<size_t>(t);
  return i < std::size(kNames) ? kNames[i] : "MsgUnknown";
}

const char* StateTypeName(StateType t) {
  switch (t) {
    case StateType::kFollower:
      return "StateFollower";
    case StateType::kCandidate:
      return "StateCandidate";
    case StateType::kLeader:
      return "StateLeader";
    case StateType::kPreCandidate:
      return "StatePreCandidate";
  }
  return "StateUnknown";
}

}  // namespace etcdpp::raft
