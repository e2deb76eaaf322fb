#pragma once
// Error identity. An error that other code must recognise carries an id as a Status payload
// ("lease:not-found", "raft:compacted", "server:no-leader", ...), and is recognised by that id
// only, never by its message: messages are etcd's text for clients and may be reworded or
// prefixed (RETURN_NOT_OK_PREPEND keeps payloads) without changing what the error is.
//
// Ids are module-prefixed constants declared beside the constructors of their errors (for
// example lease/errors.h). They are never shown to clients: the gRPC edge maps a status to
// etcd's code and message (server/errors.h) and sends no payload.

#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace etcdpp {

// `st` with `id` attached (replacing an earlier one). An OK status stays OK.
[[nodiscard]] absl::Status WithErrorId(absl::Status st, absl::string_view id);
// The id attached to `st`, if any.
std::optional<std::string> ErrorIdOf(const absl::Status& st);
bool HasErrorId(const absl::Status& st, absl::string_view id);
// True when `st` carries an id starting with `module` and ':' ("server", "raft", ...).
bool HasErrorIdOf(const absl::Status& st, absl::string_view module);

// `st` with "`prefix`: " put before its message; code and payloads (the id) are kept.
[[nodiscard]] absl::Status PrependMessage(const absl::Status& st, absl::string_view prefix);

}  // namespace etcdpp
