#include "command.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/go_text.h"
#include "tabwriter.h"

namespace etcdpp::etcdctl {
namespace {

// The command's parse set: its own flags, then every ancestor's (persistent) flags.
FlagSet MergedFlags(Command& cmd) {
  FlagSet set;
  for (Command* c = &cmd; c != nullptr; c = c->parent) set.Merge(c->flags);
  return set;
}

// cobra's stripFlags: the non-flag words of args, skipping the values of flags that take one.
std::vector<std::string> StripFlags(const std::vector<std::string>& args, const FlagSet& flags) {
  std::vector<std::string> words;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s == "--") break;
    bool has_eq = s.find('=') != std::string::npos;
    bool takes_value = false;
    if (absl::StartsWith(s, "--") && !has_eq) {
      const Flag* f = flags.Lookup(s.substr(2));
      takes_value = f == nullptr || !f->IsBool();
    } else if (absl::StartsWith(s, "-") && !has_eq && s.size() == 2) {
      const Flag* f = flags.LookupShort(s[1]);
      takes_value = f == nullptr || !f->IsBool();
    }
    if (takes_value) {
      if (i + 1 >= args.size()) break;
      ++i;
      continue;
    }
    if (!s.empty() && s[0] != '-') words.push_back(s);
  }
  return words;
}

Command* FindNext(Command& c, absl::string_view next) {
  std::vector<Command*> matches;
  for (auto& child : c.children) {
    if (child->Name() == next) return child.get();
    if (absl::StartsWith(child->Name(), next)) matches.push_back(child.get());
  }
  return matches.size() == 1 ? matches[0] : nullptr;
}

// Levenshtein distance, case-insensitive (cobra's ld(s, t, true)).
int Distance(std::string s, std::string t) {
  s = absl::AsciiStrToLower(s);
  t = absl::AsciiStrToLower(t);
  std::vector<int> prev(t.size() + 1), cur(t.size() + 1);
  for (size_t j = 0; j <= t.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= s.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= t.size(); ++j) {
      int sub = prev[j - 1] + (s[i - 1] == t[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[t.size()];
}

std::string Suggestions(Command& c, const std::string& typed) {
  std::string out;
  for (auto& child : c.children) {
    if (child->hidden || child->Name() == "help") continue;
    if (Distance(typed, child->Name()) <= 2 ||
        absl::StartsWith(absl::AsciiStrToLower(child->Name()), absl::AsciiStrToLower(typed))) {
      absl::StrAppend(&out, "\t", child->Name(), "\n");
    }
  }
  return out.empty() ? "" : absl::StrCat("\n\nDid you mean this?\n", out);
}

std::string FlagUsages(const std::vector<const Flag*>& flags) {
  std::string out;
  for (const Flag* f : flags) {
    out += f->shorthand.empty() ? absl::StrCat("      --", f->name)
                                : absl::StrCat("  -", f->shorthand, ", --", f->name);
    std::string def = f->type == FlagType::kString ? GoQuote(f->def_value) : f->def_value;
    out += f->IsBool() ? absl::StrCat("[=", def, "]") : absl::StrCat("=", def);
    absl::StrAppend(&out, "\t", f->usage, "\n");
  }
  return out;
}

bool HasRunnable(const Command& c) { return static_cast<bool>(c.run); }

// Every descendant, depth first, children sorted by name (help.go's getSubCommands).
void AllSubCommands(const Command& c, std::vector<const Command*>* out) {
  for (const Command* child : c.Sorted()) {
    out->push_back(child);
    AllSubCommands(*child, out);
  }
}

std::string RelativeName(const Command& c, const Command& start) {
  std::string name = c.Name();
  for (const Command* p = c.parent; p != nullptr && p != &start; p = p->parent) {
    name = absl::StrCat(p->Name(), " ", name);
  }
  return name;
}

std::string UseLine(Command& cmd) {
  std::string line = cmd.parent ? absl::StrCat(cmd.parent->Path(), " ", cmd.use) : cmd.use;
  if (!absl::StrContains(line, "[flags]")) line += " [flags]";
  return line;
}

// Adds `-h, --help` to every command and cobra's `help` command to the root.
void AddHelp(Command& root) {
  std::vector<Command*> stack = {&root};
  while (!stack.empty()) {
    Command* c = stack.back();
    stack.pop_back();
    if (c->flags.Lookup("help") == nullptr) {
      c->flags.AddBool("help", false, absl::StrCat("help for ", c->Name()), "h");
    }
    for (auto& child : c->children) stack.push_back(child.get());
  }
  for (auto& child : root.children) {
    if (child->Name() == "help") return;
  }
  auto help = NewCommand("help [command]", "Help about any command", [&root](Invocation& inv) {
    std::vector<std::string> rest;
    Command* target = FindCommand(root, inv.args, &rest);
    std::cout << UsageText(target == nullptr ? root : *target) << std::flush;
    return kExitSuccess;
  });
  help->long_desc =
      absl::StrCat("Help provides help for any command in the application.\nSimply type ",
                   root.Name(), " help [path to command] for full details.");
  help->flags.AddBool("help", false, "help for help", "h");
  root.Add(std::move(help));
}

}  // namespace

std::string CobraDefaultUsage(const Command& cmd) {
  return absl::StrCat("Usage:\n   ", cmd.use, " [flags]\n\nFlags:\n",
                      PflagUsages(cmd.flags.Sorted()));
}

int Fail(int code, absl::string_view msg) {
  std::cerr << "Error: " << msg << std::endl;
  return code;
}

std::string Command::Name() const { return std::string(use.substr(0, use.find(' '))); }

std::string Command::Path() const {
  return parent == nullptr ? Name() : absl::StrCat(parent->Path(), " ", Name());
}

Command* Command::Root() { return parent == nullptr ? this : parent->Root(); }

Command* Command::Add(std::unique_ptr<Command> child) {
  child->parent = this;
  children.push_back(std::move(child));
  return children.back().get();
}

std::vector<Command*> Command::Sorted() const {
  std::vector<Command*> out;
  for (const auto& c : children) out.push_back(c.get());
  std::sort(out.begin(), out.end(),
            [](const Command* a, const Command* b) { return a->Name() < b->Name(); });
  return out;
}

std::unique_ptr<Command> NewCommand(std::string use, std::string short_desc, RunFn run) {
  auto c = std::make_unique<Command>();
  c->use = std::move(use);
  c->short_desc = std::move(short_desc);
  c->run = std::move(run);
  return c;
}

Command* FindCommand(Command& root, const std::vector<std::string>& args,
                     std::vector<std::string>* rest) {
  Command* c = &root;
  *rest = args;
  while (true) {
    std::vector<std::string> words = StripFlags(*rest, MergedFlags(*c));
    if (words.empty()) return c;
    Command* next = FindNext(*c, words[0]);
    if (next == nullptr) return c;
    rest->erase(std::find(rest->begin(), rest->end(), words[0]));
    c = next;
  }
}

std::string UsageText(Command& cmd) {
  Command* root = cmd.Root();
  std::string t = "NAME:\n";
  absl::StrAppend(&t, "\t", RelativeName(cmd, *root), " - ", cmd.short_desc, "\n");
  absl::StrAppend(&t, "\nUSAGE:\n\t", UseLine(cmd), "\n");
  if (cmd.parent == nullptr) absl::StrAppend(&t, "\nVERSION:\n\t", kCtlVersion, "\n");
  if (!cmd.children.empty()) {
    absl::StrAppend(&t, "\nAPI VERSION:\n\t", kApiVersion, "\n");
    t += "\n\nCOMMANDS:\n";
    std::vector<const Command*> subs;
    AllSubCommands(cmd, &subs);
    for (const Command* s : subs) {
      if (HasRunnable(*s))
        absl::StrAppend(&t, "\t", RelativeName(*s, cmd), "\t", s->short_desc, "\n");
    }
  }
  absl::string_view long_desc = absl::StripAsciiWhitespace(cmd.long_desc);
  if (!long_desc.empty()) {
    t += "\nDESCRIPTION:\n";
    for (absl::string_view line : absl::StrSplit(long_desc, '\n'))
      absl::StrAppend(&t, "\t", line, "\n");
  }
  absl::StrAppend(&t, "\nOPTIONS:\n", FlagUsages(cmd.flags.Sorted()));
  if (cmd.parent != nullptr) {
    FlagSet inherited;
    for (Command* p = cmd.parent; p != nullptr; p = p->parent) inherited.Merge(p->flags);
    std::vector<const Flag*> global;
    for (const Flag* f : inherited.Sorted()) {
      if (f->name != "help") global.push_back(f);
    }
    absl::StrAppend(&t, "\nGLOBAL OPTIONS:\n", FlagUsages(global));
  }
  t += "\n";
  return TabFormat(t);
}

int Execute(Command& root, const std::vector<std::string>& args) {
  AddHelp(root);
  std::vector<std::string> rest;
  Command* cmd = FindCommand(root, args, &rest);
  if (cmd == &root && !root.run) {
    std::vector<std::string> words = StripFlags(rest, MergedFlags(root));
    if (!words.empty()) {
      std::string err = absl::StrCat("unknown command ", GoQuote(words[0]), " for ",
                                     GoQuote(root.Name()), Suggestions(root, words[0]));
      std::cerr << "Error: " << err << "\nRun '" << root.Name() << " --help' for usage.\n";
      return Fail(kExitError, err);
    }
  }
  FlagSet flags = MergedFlags(*cmd);
  auto positional = flags.Parse(rest);
  if (!positional.ok()) {
    std::cout << UsageText(*cmd) << std::flush;
    std::cerr << "Error: " << positional.status().message() << "\n\n";
    return Fail(kExitError, positional.status().message());
  }
  if (flags.GetBool("help") || !cmd->run) {
    std::cout << UsageText(*cmd) << std::flush;
    return kExitSuccess;
  }
  Invocation inv{cmd, &flags, std::move(*positional), args};
  return cmd->run(inv);
}

}  // namespace etcdpp::etcdctl
