#pragma once
// urfave/cli (v1) as etcdctl's v2 command set (ctlv2) uses it: an app with global flags, commands
// with their own flags and subcommand groups, Go's flag syntax with urfave's reordering of a
// command's flags before its arguments, and urfave's help templates and usage errors.

#include <functional>
#include <string>
#include <vector>

#include "common/go_flags.h"

namespace etcdpp::etcdctl::v2 {

enum class FlagKind { kBool, kString, kInt, kDuration, kStringSlice };

// One urfave flag: names as urfave writes them ("output, o"), the default as text.
struct FlagSpec {
  std::string names;
  FlagKind kind = FlagKind::kBool;
  std::string def;
  std::string usage;
};

// The parsed flags of the app and of the running command.
class Context {
 public:
  Context(const std::vector<FlagSpec>* global_specs, FlagSet* global,
          const std::vector<FlagSpec>* specs, FlagSet* local, std::vector<std::string> args)
      : global_specs_(global_specs),
        global_(global),
        specs_(specs),
        local_(local),
        args_(std::move(args)) {}
  // A flag by its first name, whichever of its names was given.
  std::string GlobalString(const std::string& name) const;
  bool GlobalBool(const std::string& name) const;
  std::string String(const std::string& name) const;
  bool Bool(const std::string& name) const;
  int64_t Int(const std::string& name) const;
  std::vector<std::string> StringSlice(const std::string& name) const;
  const std::vector<std::string>& Args() const { return args_; }

 private:
  const std::vector<FlagSpec>* global_specs_;
  FlagSet* global_;
  const std::vector<FlagSpec>* specs_;
  FlagSet* local_;
  std::vector<std::string> args_;
};

using Action = std::function<int(Context&)>;

struct CliCommand {
  std::string name;
  std::string usage;
  std::string args_usage;
  std::string description;
  std::vector<FlagSpec> flags;
  Action action;
  std::vector<CliCommand> subcommands;
};

struct CliApp {
  std::string name;
  std::string usage;
  std::string version;
  std::vector<FlagSpec> flags;  // without --help and --version (added as urfave adds them)
  std::vector<CliCommand> commands;
  std::function<void()> print_version;
};

// urfave's stringifyFlag: "--output simple, -o simple\toutput ... (default: \"simple\")".
std::string FlagHelp(const FlagSpec& f);
// The help texts (AppHelpTemplate, CommandHelpTemplate, SubcommandHelpTemplate).
std::string AppHelp(const CliApp& app);
std::string CommandHelp(const std::string& help_name, const CliCommand& c);
std::string SubcommandHelp(const std::string& help_name, const CliCommand& c);
// urfave's reorderArgs: the command's own flags (and their values) first.
std::vector<std::string> ReorderArgs(const std::vector<FlagSpec>& flags,
                                     const std::vector<std::string>& args);

// App.Run: parses args (without the program name), runs the command, returns the exit code.
int RunApp(const CliApp& app, const std::vector<std::string>& args);

}  // namespace etcdpp::etcdctl::v2
