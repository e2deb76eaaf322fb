#include "v2/cli.h"

#include <iostream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace etcdpp::etcdctl::v2 {
namespace {

const FlagSpec kHelpFlag{"help, h", FlagKind::kBool, "", "show help"};
const FlagSpec kVersionFlag{"version, v", FlagKind::kBool, "", "print the version"};

std::vector<std::string> Names(const std::string& names) {
  std::vector<std::string> out;
  for (absl::string_view n : absl::StrSplit(names, ',')) {
    out.emplace_back(absl::StripAsciiWhitespace(n));
  }
  return out;
}

// urfave's unquoteUsage: the first `quoted` word is the placeholder.
std::pair<std::string, std::string> UnquoteUsage(const std::string& usage) {
  size_t i = usage.find('`');
  if (i == std::string::npos) return {"", usage};
  size_t j = usage.find('`', i + 1);
  if (j == std::string::npos) return {"", usage};
  std::string name = usage.substr(i + 1, j - i - 1);
  return {name, usage.substr(0, i) + name + usage.substr(j + 1)};
}

// Go's text/tabwriter(minwidth 1, tabwidth 8, padding 2, ' ') over "left\tright" lines: the
// left cells padded to the widest plus two.
std::string Align(const std::vector<std::pair<std::string, std::string>>& rows,
                  const std::string& indent) {
  size_t width = 0;
  for (const auto& [l, r] : rows) width = std::max(width, l.size());
  std::string out;
  for (const auto& [l, r] : rows) {
    absl::StrAppend(&out, indent, l, std::string(width + 2 - l.size(), ' '), r, "\n");
  }
  return out;
}

std::pair<std::string, std::string> FlagRow(const FlagSpec& f) {
  std::string s = FlagHelp(f);
  size_t tab = s.find('\t');
  return {s.substr(0, tab), s.substr(tab + 1)};
}

FlagType TypeOf(FlagKind k) {
  switch (k) {
    case FlagKind::kBool:
      return FlagType::kBool;
    case FlagKind::kString:
      return FlagType::kString;
    case FlagKind::kInt:
      return FlagType::kInt;
    case FlagKind::kDuration:
      return FlagType::kDuration;
    case FlagKind::kStringSlice:
      return FlagType::kStringSlice;
  }
  return FlagType::kString;
}

void Register(const std::vector<FlagSpec>& specs, FlagSet* fs) {
  for (const FlagSpec& s : specs) {
    for (const std::string& n : Names(s.names)) {
      if (s.kind == FlagKind::kStringSlice) {
        fs->AddStringSlice(n, {}, s.usage);
      } else {
        fs->Add(n, "", TypeOf(s.kind), s.kind == FlagKind::kBool ? "false" : s.def, s.usage);
      }
    }
  }
}

// The value of the flag whose first name is `name`: the form given last on the command line
// wins over defaults (urfave copies a set alias to the other names).
std::string Value(const std::vector<FlagSpec>* specs, FlagSet* fs, const std::string& name) {
  if (specs == nullptr || fs == nullptr) return "";
  for (const FlagSpec& s : *specs) {
    std::vector<std::string> names = Names(s.names);
    if (names[0] != name) continue;
    for (const std::string& n : names) {
      if (fs->Changed(n)) return fs->GetString(n);
    }
    return fs->GetString(names[0]);
  }
  return "";
}

const CliCommand* Find(const std::vector<CliCommand>& cmds, const std::string& name) {
  for (const CliCommand& c : cmds) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

int NoHelpTopic(const std::string& name) {
  std::cerr << "No help topic for '" << name << "'\n";
  return 3;
}

int RunCommand(const CliApp& app, FlagSet* global, const std::string& help_name,
               const CliCommand& c, const std::vector<std::string>& tail);

// Where urfave parses flags: the app, a group's sub-app, a command. They differ in what a usage
// error prints.
enum class Level { kApp, kGroup, kCommand };

// urfave's normalizeFlags: two names of one flag given on one command line.
std::optional<std::string> TwoForms(const std::vector<FlagSpec>& specs, const FlagSet& fs) {
  for (const FlagSpec& s : specs) {
    std::string first;
    for (const std::string& n : Names(s.names)) {
      if (!fs.Changed(n)) continue;
      if (!first.empty())
        return absl::StrCat("Cannot use two forms of the same flag: ", n, " ", first);
      first = n;
    }
  }
  return std::nullopt;
}

// Parses flags (specs, registered in fs) the urfave way: a usage error prints "Incorrect Usage"
// and the error, a blank line and the help on stdout and the error on stderr (exit 1);
// --help/-h prints the help (exit 0). Returns the exit code when the command line ends here,
// else nullopt and the arguments in *rest.
std::optional<int> ParseOrHelp(Level level, const std::vector<FlagSpec>& specs, FlagSet* fs,
                               const std::vector<std::string>& args, const std::string& help,
                               std::vector<std::string>* rest) {
  absl::StatusOr<std::vector<std::string>> parsed = fs->Parse(args);
  std::optional<std::string> two_forms = TwoForms(specs, *fs);
  std::string error;
  if (level == Level::kCommand) {
    // Command.parseFlags: the parse error first, then the flag forms; both as usage errors.
    if (!parsed.ok() || two_forms) {
      error = parsed.ok() ? *two_forms : std::string(parsed.status().message());
      std::cout << "Incorrect Usage: " << error << "\n\n" << help;
    }
  } else if (two_forms) {
    // App.Run / RunAsSubcommand: the flag forms first, printed bare (a sub-app adds a blank line).
    error = *two_forms;
    std::cout << error << (level == Level::kGroup ? "\n\n" : "\n") << help;
  } else if (!parsed.ok()) {
    error = std::string(parsed.status().message());
    std::cout << "Incorrect Usage. " << error << "\n\n" << help;
  }
  if (!error.empty()) {
    std::cerr << error << "\n";
    return 1;
  }
  if (fs->GetBool("help") || fs->GetBool("h")) {
    std::cout << help;
    return 0;
  }
  *rest = *std::move(parsed);
  return std::nullopt;
}

// The `help [command]` command of an app (or of a group): the app's help, or the command's.
int HelpCommand(const std::vector<CliCommand>& cmds, const std::string& prefix,
                const std::vector<std::string>& args, const std::string& app_help) {
  if (args.size() < 2) {
    std::cout << app_help;
    return 0;
  }
  const CliCommand* c = Find(cmds, args[1]);
  if (c == nullptr) return NoHelpTopic(args[1]);
  std::cout << CommandHelp(absl::StrCat(prefix, " ", c->name), *c);
  return 0;
}

// A command with subcommands runs as an app of its own (urfave's startApp).
int RunGroup(const CliApp& app, FlagSet* global, const std::string& help_name,
             const CliCommand& group, const std::vector<std::string>& args) {
  FlagSet fs(FlagSyntax::kGoFlag);
  Register(group.flags, &fs);
  Register({kHelpFlag}, &fs);
  const std::string help = SubcommandHelp(help_name, group);
  std::vector<std::string> rest;
  std::vector<FlagSpec> specs = group.flags;
  specs.push_back(kHelpFlag);
  if (std::optional<int> code = ParseOrHelp(Level::kGroup, specs, &fs, args, help, &rest)) {
    return *code;
  }
  if (rest.empty()) {
    std::cout << help;
    return 0;
  }
  if (rest[0] == "help" || rest[0] == "h") {
    return HelpCommand(group.subcommands, help_name, rest, help);
  }
  const CliCommand* sub = Find(group.subcommands, rest[0]);
  if (sub == nullptr) return NoHelpTopic(rest[0]);
  return RunCommand(app, global, absl::StrCat(help_name, " ", sub->name), *sub,
                    {rest.begin() + 1, rest.end()});
}

int RunCommand(const CliApp& app, FlagSet* global, const std::string& help_name,
               const CliCommand& c, const std::vector<std::string>& tail) {
  if (!c.subcommands.empty()) return RunGroup(app, global, help_name, c, tail);
  FlagSet fs(FlagSyntax::kGoFlag);
  Register(c.flags, &fs);
  Register({kHelpFlag}, &fs);
  std::vector<std::string> rest;
  std::vector<FlagSpec> specs = c.flags;
  specs.push_back(kHelpFlag);
  if (std::optional<int> code = ParseOrHelp(Level::kCommand, specs, &fs, ReorderArgs(c.flags, tail),
                                            CommandHelp(help_name, c), &rest)) {
    return *code;
  }
  Context ctx(&app.flags, global, &c.flags, &fs, std::move(rest));
  return c.action(ctx);
}

}  // namespace

std::string Context::GlobalString(const std::string& name) const {
  return Value(global_specs_, global_, name);
}
bool Context::GlobalBool(const std::string& name) const { return GlobalString(name) == "true"; }
std::string Context::String(const std::string& name) const { return Value(specs_, local_, name); }
bool Context::Bool(const std::string& name) const { return String(name) == "true"; }
int64_t Context::Int(const std::string& name) const {
  int64_t v = 0;
  std::string s = String(name);
  if (!absl::SimpleAtoi(s, &v)) {
    // Go's strconv.ParseInt(s, 0, 64) took it (0x.., 0o..): ask the flag set's own parser.
    for (const FlagSpec& f : *specs_) {
      if (Names(f.names)[0] == name) {
        for (const std::string& n : Names(f.names)) {
          if (local_->Changed(n)) return local_->GetInt64(n);
        }
        return local_->GetInt64(name);
      }
    }
  }
  return v;
}

std::vector<std::string> Context::StringSlice(const std::string& name) const {
  return local_->GetStringSlice(name);
}

std::string FlagHelp(const FlagSpec& f) {
  if (f.kind == FlagKind::kBool) {
    std::vector<std::string> parts;
    for (const std::string& n : Names(f.names)) {
      parts.push_back(absl::StrCat(n.size() == 1 ? "-" : "--", n));
    }
    return absl::StrCat(absl::StrJoin(parts, ", "), "\t", f.usage);
  }
  auto [placeholder, usage] = UnquoteUsage(f.usage);
  if (placeholder.empty()) placeholder = "value";
  std::vector<std::string> parts;
  for (const std::string& n : Names(f.names)) {
    parts.push_back(absl::StrCat(n.size() == 1 ? "-" : "--", n, " ", placeholder));
  }
  std::string def;
  if (f.kind == FlagKind::kStringSlice) {
    // (an empty slice shows no default)
  } else if (f.kind == FlagKind::kString) {
    if (!f.def.empty()) def = absl::StrCat(" (default: \"", f.def, "\")");
  } else {
    def = absl::StrCat(" (default: ", f.def, ")");
  }
  return absl::StrCat(absl::StrJoin(parts, ", "), "\t", usage, def);
}

std::string AppHelp(const CliApp& app) {
  std::string out =
      absl::StrCat("NAME:\n   ", app.name, " - ", app.usage, "\n\nUSAGE:\n   ", app.name,
                   " [global options] command [command options] [arguments...]\n\n"
                   "VERSION:\n   ",
                   app.version, "\n\nCOMMANDS:\n");
  std::vector<std::pair<std::string, std::string>> rows;
  for (const CliCommand& c : app.commands) rows.emplace_back(c.name, c.usage);
  rows.emplace_back("help, h", "Shows a list of commands or help for one command");
  out += Align(rows, "   ");
  out += "\nGLOBAL OPTIONS:\n";
  rows.clear();
  for (const FlagSpec& f : app.flags) rows.push_back(FlagRow(f));
  rows.push_back(FlagRow(kHelpFlag));
  rows.push_back(FlagRow(kVersionFlag));
  out += Align(rows, "   ");
  return out;
}

std::string CommandHelp(const std::string& help_name, const CliCommand& c) {
  std::string out = absl::StrCat("NAME:\n   ", help_name, " - ", c.usage, "\n\nUSAGE:\n   ",
                                 help_name, c.flags.empty() ? "" : " [command options]", " ",
                                 c.args_usage.empty() ? "[arguments...]" : c.args_usage, "\n");
  if (!c.description.empty()) absl::StrAppend(&out, "\nDESCRIPTION:\n   ", c.description, "\n");
  if (!c.flags.empty()) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const FlagSpec& f : c.flags) rows.push_back(FlagRow(f));
    absl::StrAppend(&out, "\nOPTIONS:\n", Align(rows, "   "), "   \n");
  }
  return out;
}

std::string SubcommandHelp(const std::string& help_name, const CliCommand& c) {
  std::string out =
      absl::StrCat("NAME:\n   ", help_name, " - ", c.description.empty() ? c.usage : c.description,
                   "\n\nUSAGE:\n   ", help_name, " command [command options] ",
                   c.args_usage.empty() ? "[arguments...]" : c.args_usage, "\n\nCOMMANDS:\n");
  std::vector<std::pair<std::string, std::string>> rows;
  for (const CliCommand& s : c.subcommands) rows.emplace_back(s.name, s.usage);
  out += Align(rows, "   ");
  rows.clear();
  for (const FlagSpec& f : c.flags) rows.push_back(FlagRow(f));
  rows.push_back(FlagRow(kHelpFlag));
  absl::StrAppend(&out, "\nOPTIONS:\n", Align(rows, "   "), "   \n");
  return out;
}

std::vector<std::string> ReorderArgs(const std::vector<FlagSpec>& flags,
                                     const std::vector<std::string>& args) {
  auto is_flag = [&](const std::string& arg) {
    if (arg == "-" || arg == "--" || !absl::StartsWith(arg, "-")) return false;
    absl::string_view a = arg;
    if (absl::StartsWith(a, "--")) {
      a.remove_prefix(2);
    } else {
      a.remove_prefix(1);
    }
    // (urfave strips the dashes with strings.Replace, which also eats a later one: "--a-b"
    // becomes "ab"; no etcdctl v2 flag name has a dash after the first two characters there.)
    a = a.substr(0, a.find('='));
    for (const FlagSpec& f : flags) {
      for (const std::string& n : Names(f.names)) {
        if (n == a) return true;
      }
    }
    return a == "help" || a == "h";
  };
  std::vector<std::string> reordered, remaining;
  bool next_may_be_value = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (next_may_be_value && !is_flag(arg)) {
      next_may_be_value = false;
      reordered.push_back(arg);
    } else if (arg == "--") {
      remaining.insert(remaining.begin(), "--");
      remaining.insert(remaining.end(), args.begin() + i + 1, args.end());
      break;
    } else if (is_flag(arg)) {
      reordered.push_back(arg);
      next_may_be_value = arg.find('=') == std::string::npos;
    } else {
      remaining.push_back(arg);
    }
  }
  reordered.insert(reordered.end(), remaining.begin(), remaining.end());
  return reordered;
}

int RunApp(const CliApp& app, const std::vector<std::string>& args) {
  FlagSet global(FlagSyntax::kGoFlag);
  Register(app.flags, &global);
  Register({kHelpFlag, kVersionFlag}, &global);
  const std::string help = AppHelp(app);
  std::vector<std::string> rest;
  std::vector<FlagSpec> specs = app.flags;
  specs.push_back(kHelpFlag);
  specs.push_back(kVersionFlag);
  if (std::optional<int> code = ParseOrHelp(Level::kApp, specs, &global, args, help, &rest)) {
    return *code;
  }
  if (global.GetBool("version") || global.GetBool("v")) {
    app.print_version();
    return 0;
  }
  if (rest.empty()) {
    std::cout << help;
    return 0;
  }
  if (rest[0] == "help" || rest[0] == "h") return HelpCommand(app.commands, app.name, rest, help);
  const CliCommand* c = Find(app.commands, rest[0]);
  if (c == nullptr) return NoHelpTopic(rest[0]);
  return RunCommand(app, &global, absl::StrCat(app.name, " ", c->name), *c,
                    {rest.begin() + 1, rest.end()});
}

}  // namespace etcdpp::etcdctl::v2
