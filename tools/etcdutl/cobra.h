#pragma once
// etcdutl's command tree with the behaviour of cobra 1.1.3, which etcd 3.5's etcdutl is built on:
// commands by name or unique prefix (EnablePrefixMatching), flags in pflag's syntax
// (common/go_flags.h) before or after the command words, cobra's default usage template
// (etcdutl's help template is its usage), help on stdout with exit 0, the `help` command. A
// flag error or a missing required flag prints "Error: <err>" and the command's usage on
// stderr, then cobrautl.ExitWithError's "Error: <err>" again, exit 1; an unknown command
// "Error: unknown command ..." with cobra's suggestions.
//
// (tools/etcdctl/command.h is the same idea for etcdctl 3.4's older cobra and its own help
// template; the two could become one tree with a template and an error-flow switch.)

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/go_flags.h"

namespace etcdpp::tools {

// cobrautl's exit codes.
inline constexpr int kExitError = 1;
inline constexpr int kExitBadFeature = 4;
inline constexpr int kExitBadArgs = 128;

// cobrautl.ExitWithError's print: "Error: <msg>" on stderr; returns code.
int Fail(int code, absl::string_view msg);

// A command of the tree (cobra.Command's fields that etcdutl uses).
struct Command {
  using Run = std::function<int(const FlagSet&, const std::vector<std::string>&)>;
  std::string use;  // "restore <filename> ..."; the first word is the name
  std::string short_desc;
  Run run;                            // empty for a group
  std::vector<std::string> required;  // cobra's MarkFlagRequired
  std::string deprecated;             // cobra's Deprecated
  bool hidden = false;
  FlagSet flags;  // its own; the root's are persistent (inherited)
  Command* parent = nullptr;
  std::vector<std::unique_ptr<Command>> children;  // sorted by name

  std::string Name() const { return use.substr(0, use.find(' ')); }
  std::string Path() const {
    return parent == nullptr ? Name() : absl::StrCat(parent->Path(), " ", Name());
  }
  // Adds a child (with its -h/--help flag) and returns it.
  Command* Add(std::unique_ptr<Command> c) {
    c->parent = this;
    c->flags.AddBool("help", false, absl::StrCat("help for ", c->Name()), "h");
    Command* raw = c.get();
    children.push_back(std::move(c));
    std::sort(children.begin(), children.end(),
              [](const auto& a, const auto& b) { return a->Name() < b->Name(); });
    return raw;
  }
  // Own flags plus every ancestor's (the persistent ones).
  FlagSet Merged() const {
    FlagSet all;
    for (const Command* c = this; c != nullptr; c = c->parent) all.Merge(c->flags);
    return all;
  }
};

std::unique_ptr<Command> NewCommand(std::string use, std::string short_desc, Command::Run run);

// cobra's UsageString of c.
std::string Usage(const Command& c);

// Runs the command line (argv without the program name) against the tree; returns the exit
// code.
int Execute(Command& root, std::vector<std::string> args);

}  // namespace etcdpp::tools
