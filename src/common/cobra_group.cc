#include "common/cobra_group.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/go_text.h"

namespace etcdpp {
namespace {

std::string GroupUsage(const StartGroup& g, const FlagSet& fs) {
  return absl::StrCat("Usage:\n  etcd ", g.name,
                      " [command]\n\nAvailable Commands:\n  start       ", g.start_short,
                      "\n\nFlags:\n", PflagUsages(fs.Sorted()), "\nUse \"etcd ", g.name,
                      " [command] --help\" for more information about a command.\n");
}

std::string StartUsage(const StartGroup& g, const FlagSet& fs) {
  return absl::StrCat("Usage:\n  etcd ", g.name, " start [flags]\n\nFlags:\n",
                      PflagUsages(fs.Sorted()));
}

// cobra's error path with etcd's main: "Error: <err>", the usage, then main's own print of err.
int FlagError(absl::string_view err, const std::string& usage) {
  std::cerr << "Error: " << err << "\n" << usage << "\n" << err;
  return 1;
}

}  // namespace

int RunStartGroup(const StartGroup& g, const std::vector<std::string>& args) {
  FlagSet group;
  group.AddBool("help", false, absl::StrCat("help for ", g.name), "h");
  std::vector<std::string> words = group.CommandWords(args);
  if (words.empty() || words.front() != "start") {
    // A group without a Run: cobra prints its help (for any words), unless a flag is wrong.
    absl::StatusOr<std::vector<std::string>> parsed = group.Parse(args);
    if (!parsed.ok()) return FlagError(parsed.status().message(), GroupUsage(g, group));
    std::cout << g.short_help << "\n\n" << GroupUsage(g, group);
    return 0;
  }
  std::vector<std::string> rest = args;
  rest.erase(std::find(rest.begin(), rest.end(), "start"));
  FlagSet start;
  g.add_start_flags(&start);
  start.AddBool("help", false, "help for start", "h");
  absl::StatusOr<std::vector<std::string>> parsed = start.Parse(rest);
  if (!parsed.ok()) return FlagError(parsed.status().message(), StartUsage(g, start));
  if (start.GetBool("help")) {
    std::cout << g.start_short << "\n\n" << StartUsage(g, start);
    return 0;
  }
  if (!parsed->empty()) {  // etcd ignores them; we refuse rather than drop them silently
    std::cerr << "etcdpp " << g.name << " start: unexpected argument " << GoQuote(parsed->front())
              << " (start takes flags only)\n";
    return 1;
  }
  return g.start(start);
}

}  // namespace etcdpp
