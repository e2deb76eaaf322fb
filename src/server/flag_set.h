#pragma once
// A Go-style flag parser: "-f v", "--f v", "-f=v", "--f=v", booleans as "-f" or "-f=true".
// Values land in a name -> string map; Config applies them. Unknown flags are an error, with
// Go's message, as etcd's flag package reports them.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace etcdpp::server {

class FlagSet {
 public:
  // The names etcd defines; `bool_flags` take no separate value argument.
  FlagSet(std::set<std::string> value_flags, std::set<std::string> bool_flags);

  // Parses the arguments; positional arguments are an error, as etcd's "too many arguments".
  absl::Status Parse(const std::vector<std::string>& args);
  // Fills flags not given on the command line from ETCD_<NAME> (dashes to underscores).
  absl::Status ApplyEnvironment(const std::vector<std::string>& environ);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  const std::string& Get(const std::string& name) const { return values_.at(name); }

 private:
  bool Known(const std::string& name) const;

  std::set<std::string> value_flags_;
  std::set<std::string> bool_flags_;
  std::map<std::string, std::string> values_;
};

}  // namespace etcdpp::server
