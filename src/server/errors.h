#pragma once
// etcd's error table at the edge (etcd's api/v3rpc/rpctypes/error.go): every error a client
// can see, with etcd's gRPC code and exact message. Modules below return absl::Status values
// carrying the message without the "etcdserver: " prefix (mvcc: "mvcc: required revision has
// been compacted"); ToGrpcStatus adds it, as etcd's togRPCError does.

#include <optional>
#include "absl/status/status.h"

#include "grpcpp/support/status.h"

namespace etcdpp::server {

// Request validation (v3rpc key.go).
[[nodiscard]] absl::Status ErrEmptyKey();
[[nodiscard]] absl::Status ErrValueProvided();
[[nodiscard]] absl::Status ErrLeaseProvided();
[[nodiscard]] absl::Status ErrKeyNotFound();
[[nodiscard]] absl::Status ErrTooManyOps();
[[nodiscard]] absl::Status ErrDuplicateKey();
[[nodiscard]] absl::Status ErrInvalidSortOption();
[[nodiscard]] absl::Status ErrRequestTooLarge();
[[nodiscard]] absl::Status
ErrTooManyRequests();  // ResourceExhausted "etcdserver: too many requests"
// Alarms: writes refused while NOSPACE is raised (ResourceExhausted "etcdserver: mvcc:
// database space exceeded"), everything but reads while CORRUPT is (DataLoss "etcdserver:
// corrupt cluster").
[[nodiscard]] absl::Status ErrNoSpace();
[[nodiscard]] absl::Status ErrCorrupt();
// Leases (until the lessor exists every lease id is unknown).
[[nodiscard]] absl::Status ErrLeaseNotFound();
// Server state.
inline constexpr char kNoLeaderId[] = "server:no-leader";
[[nodiscard]] absl::Status ErrNoLeader();  // Unavailable "etcdserver: no leader", id kNoLeaderId
[[nodiscard]] absl::Status ErrStopped();
// A client-api-version metadata value that is not UTF-8 (InvalidArgument, etcd 3.5+).
[[nodiscard]] absl::Status ErrInvalidClientAPIVersion();
[[nodiscard]] absl::Status ErrTimeout();
[[nodiscard]] absl::Status ErrTimeoutDueToLeaderFail();
[[nodiscard]] absl::Status ErrTimeoutDueToConnectionLost();
// raft refused a proposal while a leader was known (a leader transfer in progress): etcd
// passes raft's own error through, as codes.Unknown.
[[nodiscard]] absl::Status ErrProposalDropped();
// A proposal that waited the whole request timeout for a leader and never reached raft: etcd's
// raft node never took it, and the context's error surfaces as codes.Unknown.
[[nodiscard]] absl::Status ErrContextDeadlineExceeded();
[[nodiscard]] absl::Status ErrLeaderChanged();
[[nodiscard]] absl::Status ErrNotLeader();
[[nodiscard]] absl::Status ErrUnhealthy();
// Membership and leadership (etcd's rpctypes; v3rpc util.go maps membership errors to these).
[[nodiscard]] absl::Status ErrMemberExist();
[[nodiscard]] absl::Status ErrPeerUrlExist();
[[nodiscard]] absl::Status ErrMemberNotEnoughStarted();
[[nodiscard]] absl::Status ErrMemberBadUrls();
[[nodiscard]] absl::Status ErrMemberNotFound();
[[nodiscard]] absl::Status ErrMemberNotLearner();
[[nodiscard]] absl::Status ErrLearnerNotReady();
[[nodiscard]] absl::Status ErrTooManyLearners();
[[nodiscard]] absl::Status ErrBadLeaderTransferee();
[[nodiscard]] absl::Status ErrTimeoutLeaderTransfer();

// gRPC's own refusal of an oversized message, with grpc-go's text (the C++ core words it
// differently), for requests between etcd's limit and the transport's hard cap.
[[nodiscard]] absl::Status ErrReceivedTooLarge(size_t size, size_t limit);

// How a member refuses the raft stream of a member that was removed (etcd's rafthttp answers
// http.StatusGone); the removed member then shuts itself down.
inline constexpr char kMemberRemovedId[] = "server:member-removed";
[[nodiscard]] absl::Status ErrMemberRemoved();  // FailedPrecondition, id kMemberRemovedId

// Maps a status to the gRPC status clients see: same code (absl and gRPC share the numbering)
// and the message with etcd's "etcdserver: " prefix unless it is one of the server's own errors
// (which carry etcd's whole text, "grpc: " ones included) or a proposal raft dropped. Decided by
// the error's id (common/error_id.h), never its text.
grpc::Status ToGrpcStatus(const absl::Status& st);
// An error another etcd or etcdpp member answered over its client port: its message is etcd's
// text already (ToGrpcStatus passes it on as it is).
[[nodiscard]] absl::Status FromEtcdGrpcStatus(const grpc::Status& st);

// Between etcdpp members (the peer port's own services): the status goes with its message and
// its id, so the other member gets back the same error (same code, message and id).
grpc::Status ToPeerGrpcStatus(const absl::Status& st);
// The error a member's peer handler answered; nullopt when `st` did not come from one (the
// connection failed or the call timed out: gRPC's own status).
std::optional<absl::Status> FromPeerGrpcStatus(const grpc::Status& st);

}  // namespace etcdpp::server
