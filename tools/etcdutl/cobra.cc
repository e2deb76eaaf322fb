// cobra 1.1.3's behaviour for etcdutl's tree (see cobra.h).

#include "tools/etcdutl/cobra.h"

#include <algorithm>
#include <iostream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/go_text.h"

namespace etcdpp::tools {
namespace {

// ---- Usage: cobra 1.1.3's default usage template.

std::string UseLine(const Command& c) {
  std::string line = c.parent == nullptr ? c.use : absl::StrCat(c.parent->Path(), " ", c.use);
  if (!absl::StrContains(line, "[flags]")) line += " [flags]";
  return line;
}

// ---- Finding the command: cobra's Find (stripFlags, then the first word names a child).

// The child named `word`, or the only one whose name starts with it.
Command* FindChild(const Command& c, const std::string& word) {
  Command* prefixed = nullptr;
  int matches = 0;
  for (const auto& child : c.children) {
    if (child->Name() == word) return child.get();
    if (absl::StartsWith(child->Name(), word)) {
      prefixed = child.get();
      ++matches;
    }
  }
  return matches == 1 ? prefixed : nullptr;
}

Command* Find(Command& root, std::vector<std::string>* args) {
  Command* c = &root;
  for (;;) {
    std::vector<std::string> words = c->Merged().CommandWords(*args);
    Command* next = words.empty() ? nullptr : FindChild(*c, words[0]);
    if (next == nullptr) return c;
    args->erase(std::find(args->begin(), args->end(), words[0]));
    c = next;
  }
}

// Go's levenshtein distance, for cobra's "Did you mean this?".
size_t Distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string Suggestions(const Command& root, const std::string& typed) {
  std::string out;
  for (const auto& c : root.children) {
    if (c->hidden || (!c->run && c->children.empty())) continue;  // cobra's IsAvailableCommand
    const std::string lower = absl::AsciiStrToLower(typed);
    if (Distance(lower, c->Name()) <= 2 || absl::StartsWith(c->Name(), lower)) {
      absl::StrAppend(&out, "\t", c->Name(), "\n");
    }
  }
  return out.empty() ? "" : absl::StrCat("\n\nDid you mean this?\n", out);
}

// cobra's ExecuteC error path with etcdutl's main: the error and usage, then the error again.
int FlagError(const Command& c, absl::string_view err) {
  std::cerr << "Error: " << err << "\n" << Usage(c) << "\n";
  return Fail(kExitError, err);
}

std::string MissingRequired(const Command& c, const FlagSet& fs) {
  std::vector<std::string> missing;
  for (const std::string& name : c.required) {
    if (!fs.Changed(name)) missing.push_back(name);
  }
  std::sort(missing.begin(), missing.end());
  if (missing.empty()) return "";
  return absl::StrCat("required flag(s) \"", absl::StrJoin(missing, "\", \""), "\" not set");
}

// cobra's help command: `etcdutl help [command]`.
int Help(Command& root, const std::vector<std::string>& words) {
  Command* c = &root;
  for (const std::string& w : words) {
    c = FindChild(*c, w);
    if (c == nullptr) {
      std::cerr << "Unknown help topic [`" << absl::StrJoin(words, " ") << "`]\n" << Usage(root);
      return 0;
    }
  }
  std::cout << Usage(*c);
  return 0;
}

}  // namespace

int Fail(int code, absl::string_view msg) {
  std::cerr << "Error: " << msg << "\n";
  return code;
}

std::unique_ptr<Command> NewCommand(std::string use, std::string short_desc, Command::Run run) {
  auto c = std::make_unique<Command>();
  c->use = std::move(use);
  c->short_desc = std::move(short_desc);
  c->run = std::move(run);
  return c;
}

std::string Usage(const Command& c) {
  std::string out = "Usage:";
  if (c.run) absl::StrAppend(&out, "\n  ", UseLine(c));
  if (!c.children.empty()) absl::StrAppend(&out, "\n  ", c.Path(), " [command]");
  if (!c.children.empty()) {
    size_t pad = 11;  // cobra's minNamePadding
    for (const auto& child : c.children) pad = std::max(pad, child->Name().size());
    out += "\n\nAvailable Commands:";
    for (const auto& child : c.children) {
      if (child->hidden) continue;
      const std::string name = child->Name();
      absl::StrAppend(&out, "\n  ", name, std::string(pad - name.size(), ' '), " ",
                      child->short_desc);
    }
  }
  absl::StrAppend(&out, "\n\nFlags:\n", PflagUsages(c.flags.Sorted()));
  if (c.parent != nullptr) {
    std::vector<const Flag*> inherited;
    for (const Flag* f : c.parent->Merged().Sorted()) {
      if (f->name != "help") inherited.push_back(f);
    }
    absl::StrAppend(&out, "\nGlobal Flags:\n", PflagUsages(inherited));
  }
  if (!c.children.empty()) {
    absl::StrAppend(&out, "\nUse \"", c.Path(), " [command] --help\" for more information about a ",
                    "command.\n");
  }
  return out;
}

int Execute(Command& root, std::vector<std::string> args) {
  Command* c = Find(root, &args);
  if (c->parent == &root && c->Name() == "help") return Help(root, c->Merged().CommandWords(args));
  if (c == &root) {
    std::vector<std::string> words = root.Merged().CommandWords(args);
    if (!words.empty()) {
      const std::string err = absl::StrCat("unknown command ", GoQuote(words[0]), " for ",
                                           GoQuote(root.Name()), Suggestions(root, words[0]));
      std::cerr << "Error: " << err << "\nRun '" << root.Name() << " --help' for usage.\n";
      return Fail(kExitError, err);
    }
  }
  if (!c->deprecated.empty()) {
    std::cerr << "Command " << GoQuote(c->Name()) << " is deprecated, " << c->deprecated << "\n";
  }
  FlagSet fs = c->Merged();
  absl::StatusOr<std::vector<std::string>> positional = fs.Parse(args);
  if (!positional.ok()) return FlagError(*c, positional.status().message());
  if (fs.GetBool("help") || !c->run) {
    std::cout << Usage(*c);
    return 0;
  }
  if (std::string missing = MissingRequired(*c, fs); !missing.empty()) {
    return FlagError(*c, missing);
  }
  return c->run(fs, *positional);
}

}  // namespace etcdpp::tools
