#include "lease/errors.h"

namespace etcdpp::lease {
namespace {
constexpr char kNotFound[] = "requested lease not found";
constexpr char kNotPrimary[] = "not a primary lessor";
}  // namespace

absl::Status LeaseNotFoundError() { return absl::NotFoundError(kNotFound); }
absl::Status LeaseExistsError() { return absl::FailedPreconditionError("lease already exists"); }
absl::Status LeaseTtlTooLargeError() { return absl::OutOfRangeError("too large lease TTL"); }
absl::Status NotPrimaryError() { return absl::UnavailableError(kNotPrimary); }

bool IsLeaseNotFound(const absl::Status& s) {
  return s.code() == absl::StatusCode::kNotFound && s.message() == kNotFound;
}
bool IsNotPrimary(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable && s.message() == kNotPrimary;
}

}  // namespace etcdpp::lease
