#include "server/flag_set.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace etcdpp::server {

std::optional<bool> ParseGoBool(std::string_view text) {
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (text == t) return true;
  }
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (text == f) return false;
  }
  return std::nullopt;
}

FlagSet::FlagSet(std::set<std::string> value_flags, std::set<std::string> bool_flags)
    : value_flags_(std::move(value_flags)), bool_flags_(std::move(bool_flags)) {}

bool FlagSet::Known(const std::string& name) const {
  return value_flags_.count(name) > 0 || bool_flags_.count(name) > 0;
}

absl::Status FlagSet::Parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      return absl::InvalidArgumentError(absl::StrCat("'", arg, "' is not a valid flag"));
    }
    std::string body = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string name = body;
    std::string value;
    bool has_value = false;
    if (size_t eq = body.find('='); eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    if (!Known(name)) {
      return absl::InvalidArgumentError(absl::StrCat("flag provided but not defined: -", name));
    }
    if (bool_flags_.count(name) > 0) {
      std::optional<bool> b = has_value ? ParseGoBool(value) : std::optional<bool>(true);
      if (!b.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid boolean value \"", value, "\" for -", name, ": parse error"));
      }
      values_[name] = *b ? "true" : "false";
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("flag needs an argument: -", name));
      }
      value = args[++i];
    }
    values_[name] = value;
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
    if (bool_flags_.count(name) > 0) {
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
  if (bool_flags_.count(name) > 0) {
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
