#include "auth/errors.h"

#include "common/error_id.h"

namespace etcdpp::auth {
namespace {
constexpr char kOldRevisionId[] = "auth:old-revision";
constexpr char kNotEnabledId[] = "auth:not-enabled";
}  // namespace

absl::Status ErrRootUserNotExist() {
  return absl::FailedPreconditionError("root user does not exist");
}
absl::Status ErrRootRoleNotExist() {
  return absl::FailedPreconditionError("root user does not have root role");
}
absl::Status ErrUserAlreadyExist() {
  return absl::FailedPreconditionError("user name already exists");
}
absl::Status ErrUserEmpty() { return absl::InvalidArgumentError("user name is empty"); }
absl::Status ErrUserNotFound() { return absl::FailedPreconditionError("user name not found"); }
absl::Status ErrRoleAlreadyExist() {
  return absl::FailedPreconditionError("role name already exists");
}
absl::Status ErrRoleNotFound() { return absl::FailedPreconditionError("role name not found"); }
absl::Status ErrRoleEmpty() { return absl::InvalidArgumentError("role name is empty"); }
absl::Status ErrAuthFailed() {
  return absl::InvalidArgumentError("authentication failed, invalid user ID or password");
}
absl::Status ErrPermissionDenied() { return absl::PermissionDeniedError("permission denied"); }
absl::Status ErrRoleNotGranted() {
  return absl::FailedPreconditionError("role is not granted to the user");
}
absl::Status ErrPermissionNotGranted() {
  return absl::FailedPreconditionError("permission is not granted to the role");
}
absl::Status ErrAuthNotEnabled() {
  return WithErrorId(absl::FailedPreconditionError("authentication is not enabled"), kNotEnabledId);
}
absl::Status ErrInvalidAuthToken() { return absl::UnauthenticatedError("invalid auth token"); }
absl::Status ErrInvalidAuthMgmt() { return absl::InvalidArgumentError("invalid auth management"); }
absl::Status ErrAuthOldRevision() {
  return WithErrorId(absl::InvalidArgumentError("revision of auth store is old"), kOldRevisionId);
}

bool IsAuthOldRevision(const absl::Status& s) { return HasErrorId(s, kOldRevisionId); }
bool IsAuthNotEnabled(const absl::Status& s) { return HasErrorId(s, kNotEnabledId); }

}  // namespace etcdpp::auth
