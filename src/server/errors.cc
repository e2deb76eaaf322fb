#include "server/errors.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace etcdpp::server {

absl::Status ErrEmptyKey() { return absl::InvalidArgumentError("etcdserver: key is not provided"); }
absl::Status ErrValueProvided() {
  return absl::InvalidArgumentError("etcdserver: value is provided");
}
absl::Status ErrLeaseProvided() {
  return absl::InvalidArgumentError("etcdserver: lease is provided");
}
absl::Status ErrKeyNotFound() { return absl::InvalidArgumentError("etcdserver: key not found"); }
absl::Status ErrTooManyOps() {
  return absl::InvalidArgumentError("etcdserver: too many operations in txn request");
}
absl::Status ErrDuplicateKey() {
  return absl::InvalidArgumentError("etcdserver: duplicate key given in txn request");
}
absl::Status ErrInvalidSortOption() {
  return absl::InvalidArgumentError("etcdserver: invalid sort option");
}
absl::Status ErrRequestTooLarge() {
  return absl::InvalidArgumentError("etcdserver: request is too large");
}
absl::Status ErrTooManyRequests() {
  return absl::ResourceExhaustedError("etcdserver: too many requests");
}
absl::Status ErrLeaseNotFound() { return absl::NotFoundError("etcdserver: requested lease not found"); }
absl::Status ErrNoLeader() { return absl::UnavailableError("etcdserver: no leader"); }
absl::Status ErrStopped() { return absl::UnavailableError("etcdserver: server stopped"); }
absl::Status ErrTimeout() { return absl::UnavailableError("etcdserver: request timed out"); }
absl::Status ErrTimeoutDueToLeaderFail() {
  return absl::UnavailableError(
      "etcdserver: request timed out, possibly due to previous leader failure");
}
absl::Status ErrTimeoutDueToConnectionLost() {
  return absl::UnavailableError("etcdserver: request timed out, possibly due to connection lost");
}
absl::Status ErrProposalDropped() { return absl::UnknownError("raft proposal dropped"); }
absl::Status ErrContextDeadlineExceeded() { return absl::UnknownError("context deadline exceeded"); }
absl::Status ErrLeaderChanged() { return absl::UnavailableError("etcdserver: leader changed"); }
absl::Status ErrNotLeader() { return absl::FailedPreconditionError("etcdserver: not leader"); }
absl::Status ErrUnhealthy() { return absl::UnavailableError("etcdserver: unhealthy cluster"); }
absl::Status ErrMemberExist() {
  return absl::FailedPreconditionError("etcdserver: member ID already exist");
}
absl::Status ErrPeerUrlExist() {
  return absl::FailedPreconditionError("etcdserver: Peer URLs already exists");
}
absl::Status ErrMemberNotEnoughStarted() {
  return absl::FailedPreconditionError(
      "etcdserver: re-configuration failed due to not enough started members");
}
absl::Status ErrMemberBadUrls() {
  return absl::InvalidArgumentError("etcdserver: given member URLs are invalid");
}
absl::Status ErrMemberNotFound() { return absl::NotFoundError("etcdserver: member not found"); }
absl::Status ErrMemberNotLearner() {
  return absl::FailedPreconditionError("etcdserver: can only promote a learner member");
}
absl::Status ErrLearnerNotReady() {
  return absl::FailedPreconditionError(
      "etcdserver: can only promote a learner member which is in sync with leader");
}
absl::Status ErrTooManyLearners() {
  return absl::FailedPreconditionError("etcdserver: too many learner members in cluster");
}
absl::Status ErrBadLeaderTransferee() {
  return absl::FailedPreconditionError("etcdserver: bad leader transferee");
}
absl::Status ErrTimeoutLeaderTransfer() {
  return absl::UnavailableError("etcdserver: request timed out, leader transfer took too long");
}

absl::Status ErrReceivedTooLarge(size_t size, size_t limit) {
  return absl::ResourceExhaustedError(
      absl::StrCat("grpc: received message larger than max (", size, " vs. ", limit, ")"));
}

grpc::Status ToGrpcStatus(const absl::Status& st) {
  if (st.ok()) return grpc::Status::OK;
  auto code = static_cast<grpc::StatusCode>(static_cast<int>(st.code()));
  if (absl::StartsWith(st.message(), "etcdserver: ") || absl::StartsWith(st.message(), "grpc: ") ||
      st.message() == "raft proposal dropped" || st.message() == "context deadline exceeded") {
    return grpc::Status(code, std::string(st.message()));
  }
  return grpc::Status(code, absl::StrCat("etcdserver: ", st.message()));
}

}  // namespace etcdpp::server
