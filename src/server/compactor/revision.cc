#include "server/compactor/revision.h"

#include "absl/strings/str_cat.h"

namespace etcdpp::server::compactor {

std::optional<int64_t> RevisionSchedule::Due(absl::Time /*now*/, int64_t rev) {
  const int64_t target = rev - retention_;
  if (target <= 0 || target == prev_) return std::nullopt;
  return target;
}

std::string RevisionSchedule::RetentionText() const {
  return absl::StrCat(retention_, " revisions");
}

}  // namespace etcdpp::server::compactor
