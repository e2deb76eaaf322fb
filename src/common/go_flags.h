#pragma once
// The one command-line flag parser of etcdpp's programs, in the two syntaxes of Go that the
// programs we mirror use (FlagSyntax):
//   kPflag   spf13/pflag, which cobra (etcdctl, etcdutl) uses: `--name value`, `--name=value`,
//            `-n value`, `-nvalue`, `-n=value`, boolean `--flag` and `--flag=false`, flags and
//            positional arguments in any order, `--` ending the flags. Error texts are pflag's
//            ("unknown flag: --foo", "flag needs an argument: --limit", ...).
//   kGoFlag  Go's flag package, which etcd's server uses: `-name` or `--name`, with `=value` or
//            the next argument as the value, no shorthands, a boolean never takes the next
//            argument (`-f false` leaves "false" over), parsing stops at the first positional
//            argument (or after `--`). Error texts are Go's ("flag provided but not defined:
//            -foo", "flag needs an argument: -name", "invalid boolean value \"x\" for -f: parse
//            error", "bad flag syntax: ---x").
// Scripts and etcd's e2e tests match the error texts.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace etcdpp {

enum class FlagType { kBool, kString, kInt, kInt64, kUint, kUint64, kDuration, kStringSlice };

struct Flag {
  std::string name;
  std::string shorthand;  // "" or one character
  FlagType type = FlagType::kString;
  std::string usage;
  std::string def_value;  // as pflag's DefValue prints it ("5s", "[127.0.0.1:2379]", "false")
  std::string value;      // current value in DefValue's form; slices keep `items`
  std::vector<std::string> items;  // kStringSlice only
  bool changed = false;

  bool IsBool() const { return type == FlagType::kBool; }
  // pflag's Value.Type(): "bool", "string", "int64", "duration", "stringSlice", ...
  absl::string_view TypeName() const;
};

enum class FlagSyntax { kPflag, kGoFlag };

class FlagSet {
 public:
  explicit FlagSet(FlagSyntax syntax = FlagSyntax::kPflag) : syntax_(syntax) {}

  Flag* Add(std::string name, std::string shorthand, FlagType type, std::string def,
            std::string usage);
  Flag* AddBool(std::string name, bool def, std::string usage, std::string shorthand = "");
  Flag* AddString(std::string name, std::string def, std::string usage, std::string shorthand = "");
  Flag* AddStringSlice(std::string name, std::vector<std::string> def, std::string usage);
  // Adds every flag of `other` (not owned; `other` must outlive this set): a command's parse
  // set holds its own flags and the root's persistent ones.
  void Merge(const FlagSet& other);

  Flag* Lookup(absl::string_view name) const;
  Flag* LookupShort(char c) const;
  // Flags sorted by name, as pflag's VisitAll visits them.
  std::vector<const Flag*> Sorted() const;
  bool empty() const { return flags_.empty(); }

  // Sets a flag from text (pflag's Value.Set): checks the text against the type.
  // Error text: `invalid argument "x" for "--limit" flag: strconv.ParseInt: ...`.
  absl::Status Set(Flag* f, absl::string_view text);

  // Parses args and returns the positionals in order. kPflag: flags and positionals may mix.
  // kGoFlag: the positionals are the arguments from the first one that is not a flag.
  absl::StatusOr<std::vector<std::string>> Parse(const std::vector<std::string>& args);

  // cobra's stripFlags: the words of args that are neither flags nor the values of flags this
  // set knows to take one (an unknown `--name` or `-n` is taken to take one), up to `--`. The
  // command words of a command line.
  std::vector<std::string> CommandWords(const std::vector<std::string>& args) const;

  // Typed getters (of a flag that exists; the stored text was checked when set).
  bool GetBool(absl::string_view name) const;
  std::string GetString(absl::string_view name) const;
  int64_t GetInt64(absl::string_view name) const;
  uint64_t GetUint64(absl::string_view name) const;
  absl::Duration GetDuration(absl::string_view name) const;
  std::vector<std::string> GetStringSlice(absl::string_view name) const;
  bool Changed(absl::string_view name) const;

 private:
  absl::Status ParseLong(absl::string_view arg, const std::vector<std::string>& args, size_t* i);
  absl::Status ParseShort(absl::string_view arg, const std::vector<std::string>& args, size_t* i);
  absl::StatusOr<std::vector<std::string>> ParseGo(const std::vector<std::string>& args);
  absl::Status ParseGoFlag(absl::string_view arg, const std::vector<std::string>& args, size_t* i);
  absl::Status SetError(const Flag& f, absl::string_view text, const absl::Status& why) const;

  FlagSyntax syntax_;

  std::vector<std::unique_ptr<Flag>> owned_;
  std::map<std::string, Flag*, std::less<>> flags_;  // by name; owned_ or another set's
};

// pflag's FlagSet.FlagUsages (what cobra's usage template prints under "Flags:"): one line per
// flag, "  -w, --write-out string   usage (default \"simple\")", the usages aligned.
std::string PflagUsages(const std::vector<const Flag*>& flags);

// Go's csv reading of a string slice value ("a,b", "\"a,b\",c").
std::vector<std::string> SplitSliceValue(absl::string_view text);

}  // namespace etcdpp
