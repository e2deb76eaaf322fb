#pragma once
// Error propagation for etcdpp. Project code does not throw: fallible functions return
// absl::Status or absl::StatusOr<T>, and callers propagate with these macros (shaped like
// kudu's RETURN_NOT_OK / RETURN_NOT_OK_PREPEND; Debian's abseil ships none of its own).

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/error_id.h"

// Returns the status from the enclosing function if `expr` is not OK.
#define RETURN_NOT_OK(expr)                  \
  do {                                       \
    ::absl::Status _etcdpp_st = (expr);      \
    if (!_etcdpp_st.ok()) return _etcdpp_st; \
  } while (0)

// As RETURN_NOT_OK, with `msg` and ": " put before the message of the returned status (its code
// and payloads, such as its error id, are kept: common/error_id.h).
#define RETURN_NOT_OK_PREPEND(expr, msg)                                      \
  do {                                                                        \
    ::absl::Status _etcdpp_st = (expr);                                       \
    if (!_etcdpp_st.ok()) return ::etcdpp::PrependMessage(_etcdpp_st, (msg)); \
  } while (0)

#define ETCDPP_CONCAT_INNER(a, b) a##b
#define ETCDPP_CONCAT(a, b) ETCDPP_CONCAT_INNER(a, b)

// `ASSIGN_OR_RETURN(auto x, Foo());` declares/assigns x from a StatusOr, or returns its status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(ETCDPP_CONCAT(_etcdpp_sor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)    \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return std::move(tmp).status(); \
  lhs = std::move(tmp).value()
