#include "common/error_id.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace etcdpp {
namespace {

constexpr absl::string_view kErrorIdUrl = "type.etcdpp.dev/error-id";

}  // namespace

[[nodiscard]] absl::Status WithErrorId(absl::Status st, absl::string_view id) {
  if (!st.ok()) st.SetPayload(kErrorIdUrl, absl::Cord(id));
  return st;
}

std::optional<std::string> ErrorIdOf(const absl::Status& st) {
  auto id = st.GetPayload(kErrorIdUrl);
  if (!id.has_value()) return std::nullopt;
  return std::string(*id);
}

bool HasErrorId(const absl::Status& st, absl::string_view id) {
  auto got = st.GetPayload(kErrorIdUrl);
  return got.has_value() && *got == id;
}

bool HasErrorIdOf(const absl::Status& st, absl::string_view module) {
  std::optional<std::string> id = ErrorIdOf(st);
  return id.has_value() && id->size() > module.size() && absl::StartsWith(*id, module) &&
         (*id)[module.size()] == ':';
}

[[nodiscard]] absl::Status PrependMessage(const absl::Status& st, absl::string_view prefix) {
  if (st.ok()) return st;
  absl::Status out(st.code(), absl::StrCat(prefix, ": ", st.message()));
  st.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

}  // namespace etcdpp
