#pragma once
// The command tree with spf13/cobra's behaviour as stock etcdctl shows it: commands found by
// name or unique prefix (EnablePrefixMatching), suggestions for unknown commands, a `help`
// command and `-h/--help` on every command, groups that print their usage, and the
// error/usage output of flag errors. The usage text is etcdctl's own template (ctlv3/help.go).

#include <functional>
#include <memory>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "common/go_flags.h"

namespace etcdpp::etcdctl {

// etcdctl's exit codes (ctlv3/command/error.go).
inline constexpr int kExitSuccess = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitBadConnection = 2;
inline constexpr int kExitInvalidInput = 3;
inline constexpr int kExitBadFeature = 4;
inline constexpr int kExitInterrupted = 5;
inline constexpr int kExitIO = 6;
inline constexpr int kExitBadArgs = 128;

// The version stock etcdctl 3.4 reports; scripts and `--help` output match on it.
inline constexpr absl::string_view kCtlVersion = "3.4.23";
inline constexpr absl::string_view kApiVersion = "3.4";

// Prints "Error: <msg>" on stderr (etcdctl's ExitWithError) and returns code.
int Fail(int code, absl::string_view msg);

struct Command;

// What a command's run function receives: the command, its parsed flags (its own and the
// root's persistent ones) and the positional arguments.
struct Invocation {
  Command* cmd = nullptr;
  FlagSet* flags = nullptr;
  std::vector<std::string> args;
  std::vector<std::string> raw;  // the whole command line (for watch's `-- command` form)
};

using RunFn = std::function<int(Invocation&)>;

struct Command {
  std::string use;  // "get [options] <key> [range_end]"; the first word is the name
  std::string short_desc;
  std::string long_desc;
  FlagSet flags;  // the command's own flags; the root's are persistent (inherited by all)
  RunFn run;      // empty for groups such as `lease`
  bool hidden = false;
  Command* parent = nullptr;
  std::vector<std::unique_ptr<Command>> children;  // in the order added

  std::string Name() const;
  std::string Path() const;  // "etcdctl lease grant"
  Command* Root();
  Command* Add(std::unique_ptr<Command> child);
  // Children sorted by name (cobra's Commands()).
  std::vector<Command*> Sorted() const;
};

// Makes a command with the given use line, description and run function.
std::unique_ptr<Command> NewCommand(std::string use, std::string short_desc, RunFn run);

// Runs the command line (argv without the program name) against the tree rooted at root and
// returns the process exit code. Adds cobra's `help` command and the help flags first.
int Execute(Command& root, const std::vector<std::string>& args);

// The usage text of cmd (etcdctl's template through the tab writer).
std::string UsageText(Command& cmd);

// cobra's default usage template (what a command without etcdctl's template prints): the use
// line under a nameless root and pflag's FlagUsages of its flags.
std::string CobraDefaultUsage(const Command& cmd);

// cobra's Find: the command named by the leading non-flag words, and the remaining args.
Command* FindCommand(Command& root, const std::vector<std::string>& args,
                     std::vector<std::string>* rest);

}  // namespace etcdpp::etcdctl
