#pragma once
// The auth store's errors: etcd's codes, and its messages without the "etcdserver: " prefix
// that the server's error table adds at the edge (server/errors.h), as in etcd's rpctypes.

#include "absl/status/status.h"

namespace etcdpp::auth {

[[nodiscard]] absl::Status ErrRootUserNotExist();      // FailedPrecondition
[[nodiscard]] absl::Status ErrRootRoleNotExist();      // FailedPrecondition
[[nodiscard]] absl::Status ErrUserAlreadyExist();      // FailedPrecondition
[[nodiscard]] absl::Status ErrUserEmpty();             // InvalidArgument
[[nodiscard]] absl::Status ErrUserNotFound();          // FailedPrecondition
[[nodiscard]] absl::Status ErrRoleAlreadyExist();      // FailedPrecondition
[[nodiscard]] absl::Status ErrRoleNotFound();          // FailedPrecondition
[[nodiscard]] absl::Status ErrRoleEmpty();             // InvalidArgument
[[nodiscard]] absl::Status ErrAuthFailed();            // InvalidArgument
[[nodiscard]] absl::Status ErrPermissionDenied();      // PermissionDenied
[[nodiscard]] absl::Status ErrRoleNotGranted();        // FailedPrecondition
[[nodiscard]] absl::Status ErrPermissionNotGranted();  // FailedPrecondition
[[nodiscard]] absl::Status ErrAuthNotEnabled();        // FailedPrecondition
[[nodiscard]] absl::Status ErrInvalidAuthToken();      // Unauthenticated
[[nodiscard]] absl::Status ErrInvalidAuthMgmt();       // InvalidArgument
[[nodiscard]] absl::Status ErrAuthOldRevision();       // InvalidArgument

bool IsAuthOldRevision(const absl::Status& s);
bool IsAuthNotEnabled(const absl::Status& s);

}  // namespace etcdpp::auth
