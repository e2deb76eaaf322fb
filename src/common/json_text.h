#pragma once
// JSON string literals (RFC 8259) from UTF-8 text. Two callers with different needs: the JWT
// encoder must refuse bytes JSON cannot carry (a token is signed over its exact bytes), while a
// log line must always be written, so it carries such bytes as U+FFFD, as zap's JSON encoder
// does.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace etcdpp {

// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 (also for an empty `s`).
size_t Utf8SequenceLength(std::string_view s);

// `utf8` as a JSON string literal, quotes included; nullopt when `utf8` is not valid UTF-8.
std::optional<std::string> JsonQuote(std::string_view utf8);

// `text` as a JSON string literal, quotes included, appended to `out`; each byte that does not
// start a well-formed UTF-8 sequence is written as \ufffd.
void AppendJsonQuoteLossy(std::string_view text, std::string* out);

// `text` as Go's encoding/json writes a string (json.Marshal, HTML-safe as etcd's HTTP answers
// are): the lossy form above, plus <, >, & as \u003c \u003e \u0026 and U+2028, U+2029 as
// \u2028 \u2029 (\b and \f as \u0008 \u000c, as Go before 1.22 writes them).
void AppendGoJsonQuote(std::string_view text, std::string* out);

}  // namespace etcdpp
