#pragma once
// Helpers of the v2 store's tests: times written as etcd prints them, and checks of results.

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/v2store/error.h"
#include "server/v2store/event.h"

namespace etcdpp::server::v2store {

// The time etcd printed as "2026-12-07T04:05:40.79002516Z".
inline absl::Time At(std::string_view rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, std::string(rfc3339), &t, &err)) << err;
  return t;
}

// The JSON of a successful result, or of its error.
inline std::string Json(const Result<Event>& r) {
  return r.ok() ? EventToJson(r.value()) : r.error().ToJson();
}

}  // namespace etcdpp::server::v2store
