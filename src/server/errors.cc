#include "server/errors.h"

#include "absl/strings/str_cat.h"
#include "common/error_id.h"
#include "raft/raft.h"

namespace etcdpp::server {

[[nodiscard]] absl::Status ErrEmptyKey() {
  return WithErrorId(absl::InvalidArgumentError("etcdserver: key is not provided"),
                     "server:empty-key");
}
[[nodiscard]] absl::Status ErrValueProvided() {
  return WithErrorId(absl::InvalidArgumentError("etcdserver: value is provided"),
                     "server:value-provided");
}
[[nodiscard]] absl::Status ErrLeaseProvided() {
  return WithErrorId(absl::InvalidArgumentError("etcdserver: lease is provided"),
                     "server:lease-provided");
}
[[nodiscard]] absl::Status ErrKeyNotFound() {
  return WithErrorId(absl::InvalidArgumentError("etcdserver: key not found"),
                     "server:key-not-found");
}
[[nodiscard]] absl::Status ErrTooManyOps() {
  return WithErrorId(absl::InvalidArgumentError("etcdserver: too many operations in txn request"),
                     "server:too-many-ops");
}
[[nodiscard]] absl::Status ErrDuplicateKey() {
  return WithErrorId(absl::InvalidArgumentError("etcdserver: duplicate key given in txn request"),
                     "server:duplicate-key");
}
[[nodiscard]] absl::Status ErrInvalidSortOption() {
  return WithErrorId(absl::InvalidArgumentError("etcdserver: invalid sort option"),
                     "server:invalid-sort-option");
}
[[nodiscard]] absl::Status ErrRequestTooLarge() {
  return WithErrorId(absl::InvalidArgumentError("etcdserver: request is too large"),
                     "server:request-too-large");
}
[[nodiscard]] absl::Status ErrTooManyRequests() {
  return WithErrorId(absl::ResourceExhaustedError("etcdserver: too many requests"),
                     "server:too-many-requests");
}
[[nodiscard]] absl::Status ErrNoSpace() {
  return WithErrorId(absl::ResourceExhaustedError("etcdserver: mvcc: database space exceeded"),
                     "server:no-space");
}
[[nodiscard]] absl::Status ErrCorrupt() {
  return WithErrorId(absl::DataLossError("etcdserver: corrupt cluster"), "server:corrupt");
}
[[nodiscard]] absl::Status ErrLeaseNotFound() {
  return WithErrorId(absl::NotFoundError("etcdserver: requested lease not found"),
                     "server:lease-not-found");
}
[[nodiscard]] absl::Status ErrNoLeader() {
  return WithErrorId(absl::UnavailableError("etcdserver: no leader"), kNoLeaderId);
}
[[nodiscard]] absl::Status ErrInvalidClientAPIVersion() {
  return WithErrorId(absl::InvalidArgumentError("etcdserver: invalid client api version"),
                     "server:invalid-client-api-version");
}
[[nodiscard]] absl::Status ErrStopped() {
  return WithErrorId(absl::UnavailableError("etcdserver: server stopped"), "server:stopped");
}
[[nodiscard]] absl::Status ErrTimeout() {
  return WithErrorId(absl::UnavailableError("etcdserver: request timed out"), "server:timeout");
}
[[nodiscard]] absl::Status ErrTimeoutDueToLeaderFail() {
  return WithErrorId(absl::UnavailableError(
                         "etcdserver: request timed out, possibly due to previous leader failure"),
                     "server:timeout-due-to-leader-fail");
}
[[nodiscard]] absl::Status ErrTimeoutDueToConnectionLost() {
  return WithErrorId(
      absl::UnavailableError("etcdserver: request timed out, possibly due to connection lost"),
      "server:timeout-due-to-connection-lost");
}
[[nodiscard]] absl::Status ErrProposalDropped() {
  return WithErrorId(absl::UnknownError("raft proposal dropped"), "server:proposal-dropped");
}
[[nodiscard]] absl::Status ErrContextDeadlineExceeded() {
  return WithErrorId(absl::UnknownError("context deadline exceeded"),
                     "server:context-deadline-exceeded");
}
[[nodiscard]] absl::Status ErrLeaderChanged() {
  return WithErrorId(absl::UnavailableError("etcdserver: leader changed"), "server:leader-changed");
}
[[nodiscard]] absl::Status ErrNotLeader() {
  return WithErrorId(absl::FailedPreconditionError("etcdserver: not leader"), "server:not-leader");
}
[[nodiscard]] absl::Status ErrUnhealthy() {
  return WithErrorId(absl::UnavailableError("etcdserver: unhealthy cluster"), "server:unhealthy");
}
[[nodiscard]] absl::Status ErrMemberExist() {
  return WithErrorId(absl::FailedPreconditionError("etcdserver: member ID already exist"),
                     "server:member-exist");
}
[[nodiscard]] absl::Status ErrPeerUrlExist() {
  return WithErrorId(absl::FailedPreconditionError("etcdserver: Peer URLs already exists"),
                     "server:peer-url-exist");
}
[[nodiscard]] absl::Status ErrMemberNotEnoughStarted() {
  return WithErrorId(absl::FailedPreconditionError(
                         "etcdserver: re-configuration failed due to not enough started members"),
                     "server:member-not-enough-started");
}
[[nodiscard]] absl::Status ErrMemberBadUrls() {
  return WithErrorId(absl::InvalidArgumentError("etcdserver: given member URLs are invalid"),
                     "server:member-bad-urls");
}
[[nodiscard]] absl::Status ErrMemberNotFound() {
  return WithErrorId(absl::NotFoundError("etcdserver: member not found"),
                     "server:member-not-found");
}
[[nodiscard]] absl::Status ErrMemberNotLearner() {
  return WithErrorId(absl::FailedPreconditionError("etcdserver: can only promote a learner member"),
                     "server:member-not-learner");
}
[[nodiscard]] absl::Status ErrLearnerNotReady() {
  return WithErrorId(
      absl::FailedPreconditionError(
          "etcdserver: can only promote a learner member which is in sync with leader"),
      "server:learner-not-ready");
}
[[nodiscard]] absl::Status ErrTooManyLearners() {
  return WithErrorId(
      absl::FailedPreconditionError("etcdserver: too many learner members in cluster"),
      "server:too-many-learners");
}
[[nodiscard]] absl::Status ErrBadLeaderTransferee() {
  return WithErrorId(absl::FailedPreconditionError("etcdserver: bad leader transferee"),
                     "server:bad-leader-transferee");
}
[[nodiscard]] absl::Status ErrTimeoutLeaderTransfer() {
  return WithErrorId(
      absl::UnavailableError("etcdserver: request timed out, leader transfer took too long"),
      "server:timeout-leader-transfer");
}

[[nodiscard]] absl::Status ErrReceivedTooLarge(size_t size, size_t limit) {
  return WithErrorId(absl::ResourceExhaustedError(absl::StrCat(
                         "grpc: received message larger than max (", size, " vs. ", limit, ")")),
                     "server:received-too-large");
}

[[nodiscard]] absl::Status ErrMemberRemoved() {
  return WithErrorId(
      absl::FailedPreconditionError("the member has been permanently removed from the cluster"),
      kMemberRemovedId);
}

namespace {
// grpc::Status::error_details of a peer handler's answer: this prefix, then the error's id.
constexpr char kPeerErrorDetails[] = "etcdpp-peer-error:";
}  // namespace

grpc::Status ToPeerGrpcStatus(const absl::Status& st) {
  if (st.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(static_cast<int>(st.code())),
                      std::string(st.message()),
                      absl::StrCat(kPeerErrorDetails, ErrorIdOf(st).value_or("")));
}

std::optional<absl::Status> FromPeerGrpcStatus(const grpc::Status& st) {
  if (st.ok()) return absl::OkStatus();
  const std::string& details = st.error_details();
  const size_t prefix = sizeof(kPeerErrorDetails) - 1;
  if (details.compare(0, prefix, kPeerErrorDetails) != 0) return std::nullopt;
  absl::Status out(static_cast<absl::StatusCode>(st.error_code()), st.error_message());
  std::string id = details.substr(prefix);
  return id.empty() ? out : WithErrorId(std::move(out), id);
}

[[nodiscard]] absl::Status FromEtcdGrpcStatus(const grpc::Status& st) {
  if (st.ok()) return absl::OkStatus();
  return WithErrorId(
      absl::Status(static_cast<absl::StatusCode>(st.error_code()), st.error_message()),
      "server:remote");
}

grpc::Status ToGrpcStatus(const absl::Status& st) {
  if (st.ok()) return grpc::Status::OK;
  auto code = static_cast<grpc::StatusCode>(static_cast<int>(st.code()));
  // The server's own errors (and a proposal raft dropped) already carry etcd's text; others
  // (mvcc's, the lessor's, ...) get etcd's "etcdserver: " before theirs.
  if (HasErrorIdOf(st, "server") || raft::IsProposalDropped(st)) {
    return grpc::Status(code, std::string(st.message()));
  }
  return grpc::Status(code, absl::StrCat("etcdserver: ", st.message()));
}

}  // namespace etcdpp::server
