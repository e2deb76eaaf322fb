#pragma once
// etcd's flags, from the command line (Go's flag package syntax: "-f v", "--f v", "-f=v",
// "--f=v", booleans as "-f" or "-f=<bool>"; parsed by common/go_flags.h in FlagSyntax::kGoFlag),
// ETCD_* variables and config-file keys. Values land in a name -> string map; Config applies
// them. Unknown flags are an error, with Go's message, as etcd's flag package reports them.
//
// Booleans are read as Go's strconv.ParseBool reads them (1 t T TRUE true True, 0 f F FALSE
// false False), on the command line and in ETCD_* variables alike, and stored as "true" or
// "false"; anything else is refused with Go's message naming the flag or the variable
// (`invalid boolean value "yes" for -client-cert-auth: parse error`, `invalid value "yes" for
// ETCD_CLIENT_CERT_AUTH: parse error`). A boolean never takes the next argument as its value:
// "-f false" sets -f and leaves "false" as a stray argument, as in Go.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/go_flags.h"

namespace etcdpp::server {

// Go's strconv.ParseBool: the boolean `text` spells, or nullopt.
std::optional<bool> ParseGoBool(std::string_view text);

class FlagSet {
 public:
  // The names etcd defines; `bool_flags` take no separate value argument.
  FlagSet(std::set<std::string> value_flags, std::set<std::string> bool_flags);

  // Parses the arguments; positional arguments are an error, as etcd's "too many arguments".
  [[nodiscard]] absl::Status Parse(const std::vector<std::string>& args);
  // Fills flags not given on the command line from ETCD_<NAME> (dashes to underscores). A
  // non-empty variable for a flag the command line also gives stops start-up (etcd 3.5's
  // "conflicting environment variable"); a variable that names no flag is added to `unknown`
  // ("ETCD_FOO=bar"), which etcd warns about.
  [[nodiscard]] absl::Status ApplyEnvironment(const std::vector<std::string>& environ,
                                              std::vector<std::string>* unknown = nullptr);
  // Sets `name` as if given on the command line (a config file's key); `where` names the source
  // in errors. Unknown names and bad booleans are refused.
  [[nodiscard]] absl::Status Set(const std::string& name, const std::string& value,
                                 const std::string& where);
  // The flags given, in name order.
  const std::map<std::string, std::string>& values() const { return values_; }

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  const std::string& Get(const std::string& name) const { return values_.at(name); }
  // True when the boolean flag `name` was given as true (on the command line or ETCD_*).
  bool IsTrue(const std::string& name) const { return Has(name) && Get(name) == "true"; }

 private:
  bool Known(const std::string& name) const;
  bool IsBool(const std::string& name) const;

  etcdpp::FlagSet flags_{FlagSyntax::kGoFlag};  // the definitions; Parse sets them
  std::map<std::string, std::string> values_;
};

}  // namespace etcdpp::server
