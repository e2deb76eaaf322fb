#pragma once
// etcd's error table at the edge (etcd's api/v3rpc/rpctypes/error.go): every error a client
// can see, with etcd's gRPC code and exact message. Modules below return absl::Status values
// carrying the message without the "etcdserver: " prefix (mvcc: "mvcc: required revision has
// been compacted"); ToGrpcStatus adds it, as etcd's togRPCError does.

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace etcdpp::server {

// Request validation (v3rpc key.go).
absl::Status ErrEmptyKey();
absl::Status ErrValueProvided();
absl::Status ErrLeaseProvided();
absl::Status ErrKeyNotFound();
absl::Status ErrTooManyOps();
absl::Status ErrDuplicateKey();
absl::Status ErrInvalidSortOption();
absl::Status ErrRequestTooLarge();
absl::Status ErrTooManyRequests();  // ResourceExhausted "etcdserver: too many requests"
// Leases (until the lessor exists every lease id is unknown).
absl::Status ErrLeaseNotFound();
// Server state.
absl::Status ErrNoLeader();
absl::Status ErrStopped();
absl::Status ErrTimeout();
absl::Status ErrTimeoutDueToLeaderFail();
absl::Status ErrTimeoutDueToConnectionLost();
// raft refused a proposal while a leader was known (a leader transfer in progress): etcd
// passes raft's own error through, as codes.Unknown.
absl::Status ErrProposalDropped();
// A proposal that waited the whole request timeout for a leader and never reached raft: etcd's
// raft node never took it, and the context's error surfaces as codes.Unknown.
absl::Status ErrContextDeadlineExceeded();
absl::Status ErrLeaderChanged();
absl::Status ErrNotLeader();
absl::Status ErrUnhealthy();
// Membership and leadership (etcd's rpctypes; v3rpc util.go maps membership errors to these).
absl::Status ErrMemberExist();
absl::Status ErrPeerUrlExist();
absl::Status ErrMemberNotEnoughStarted();
absl::Status ErrMemberBadUrls();
absl::Status ErrMemberNotFound();
absl::Status ErrMemberNotLearner();
absl::Status ErrLearnerNotReady();
absl::Status ErrTooManyLearners();
absl::Status ErrBadLeaderTransferee();
absl::Status ErrTimeoutLeaderTransfer();

// gRPC's own refusal of an oversized message, with grpc-go's text (the C++ core words it
// differently), for requests between etcd's limit and the transport's hard cap.
absl::Status ErrReceivedTooLarge(size_t size, size_t limit);

// Maps a status to the gRPC status clients see: same code (absl and gRPC share the numbering)
// and the message with etcd's "etcdserver: " prefix when the module did not add it (transport
// errors keep grpc-go's "grpc: " words).
grpc::Status ToGrpcStatus(const absl::Status& st);

}  // namespace etcdpp::server
