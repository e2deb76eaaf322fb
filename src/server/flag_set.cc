#include "server/flag_set.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/go_text.h"

namespace etcdpp::server {

std::optional<bool> ParseGoBool(std::string_view text) {
  absl::StatusOr<bool> b = GoParseBool(absl::string_view(text.data(), text.size()));
  return b.ok() ? std::optional<bool>(*b) : std::nullopt;
}

FlagSet::FlagSet(std::set<std::string> value_flags, std::set<std::string> bool_flags) {
  for (const std::string& name : value_flags) flags_.AddString(name, "", "");
  for (const std::string& name : bool_flags) flags_.AddBool(name, false, "");
}

bool FlagSet::Known(const std::string& name) const { return flags_.Lookup(name) != nullptr; }

bool FlagSet::IsBool(const std::string& name) const {
  const Flag* f = flags_.Lookup(name);
  return f != nullptr && f->IsBool();
}

// etcd: after its flag set, any argument left over is "not a valid flag".
absl::Status FlagSet::Parse(const std::vector<std::string>& args) {
  absl::StatusOr<std::vector<std::string>> rest = flags_.Parse(args);
  if (!rest.ok()) return rest.status();
  if (!rest->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("'", rest->front(), "' is not a valid flag"));
  }
  for (const Flag* f : flags_.Sorted()) {
    if (f->changed) values_[f->name] = f->value;
  }
  return absl::OkStatus();
}

absl::Status FlagSet::ApplyEnvironment(const std::vector<std::string>& environ,
                                       std::vector<std::string>* unknown) {
  for (const std::string& kv : environ) {
    if (!absl::StartsWith(kv, "ETCD_")) continue;
    size_t eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string name = absl::AsciiStrToLower(kv.substr(5, eq - 5));
    std::replace(name.begin(), name.end(), '_', '-');
    std::string value = kv.substr(eq + 1);
    if (!Known(name)) {
      if (unknown != nullptr) unknown->push_back(kv);
      continue;
    }
    if (value.empty()) continue;  // as etcd: an empty variable counts as unset
    if (Has(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "conflicting environment variable \"", kv.substr(0, eq),
          "\" is shadowed by corresponding command-line flag (either unset environment variable "
          "or disable flag)"));
    }
    if (IsBool(name)) {
      std::optional<bool> b = ParseGoBool(value);
      if (!b.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid value \"", value, "\" for ", kv.substr(0, eq), ": parse error"));
      }
      value = *b ? "true" : "false";
    }
    values_[name] = std::move(value);
  }
  return absl::OkStatus();
}

absl::Status FlagSet::Set(const std::string& name, const std::string& value,
                          const std::string& where) {
  if (!Known(name)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": unknown key \"", name, "\""));
  }
  if (IsBool(name)) {
    std::optional<bool> b = ParseGoBool(value);
    if (!b.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": invalid boolean value \"", value, "\" for \"", name, "\""));
    }
    values_[name] = *b ? "true" : "false";
    return absl::OkStatus();
  }
  values_[name] = value;
  return absl::OkStatus();
}

}  // namespace etcdpp::server
