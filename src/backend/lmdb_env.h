#pragma once
// Internal to the backend: opening the LMDB environment and its named databases (shared by
// Backend::Open and Backend::ReplaceWith).

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "backend/backend.h"

namespace etcdpp::backend {

[[nodiscard]] absl::Status OpenLmdbEnv(const Options& options, const std::string& path,
                                       MDB_env** out, std::vector<unsigned>* dbis_out);

}  // namespace etcdpp::backend
