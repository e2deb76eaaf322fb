#include "lease/errors.h"

#include "common/error_id.h"

namespace etcdpp::lease {
namespace {
constexpr char kNotFound[] = "requested lease not found";
constexpr char kNotPrimary[] = "not a primary lessor";
}  // namespace

[[nodiscard]] absl::Status LeaseNotFoundError() {
  return WithErrorId(absl::NotFoundError(kNotFound), kNotFoundId);
}
[[nodiscard]] absl::Status LeaseExistsError() {
  return absl::FailedPreconditionError("lease already exists");
}
[[nodiscard]] absl::Status LeaseTtlTooLargeError() {
  return absl::OutOfRangeError("too large lease TTL");
}
[[nodiscard]] absl::Status NotPrimaryError() {
  return WithErrorId(absl::UnavailableError(kNotPrimary), kNotPrimaryId);
}

bool IsLeaseNotFound(const absl::Status& s) { return HasErrorId(s, kNotFoundId); }
bool IsNotPrimary(const absl::Status& s) { return HasErrorId(s, kNotPrimaryId); }

}  // namespace etcdpp::lease
