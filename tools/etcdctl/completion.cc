// completion bash: a bash completion script made from the command tree (command words at each
// level, then the flags of the command reached and the global ones). zsh, fish and powershell
// are listed as stock etcdctl lists them and not generated yet.

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "commands.h"

namespace etcdpp::etcdctl {
namespace {

// "[path]='word word'" entries of the two tables, depth first; the root's path is "root".
void Tables(const Command& c, const std::string& path, std::string* subs, std::string* flags) {
  std::vector<std::string> names, fl;
  for (const Command* child : c.Sorted()) {
    if (!child->hidden) names.push_back(child->Name());
  }
  for (const Flag* f : c.flags.Sorted()) {
    fl.push_back(absl::StrCat("--", f->name));
    if (!f->shorthand.empty()) fl.push_back(absl::StrCat("-", f->shorthand));
  }
  absl::StrAppend(subs, "  [\"", path, "\"]=\"", absl::StrJoin(names, " "), "\"\n");
  absl::StrAppend(flags, "  [\"", path, "\"]=\"", absl::StrJoin(fl, " "), "\"\n");
  for (const Command* child : c.Sorted()) {
    Tables(*child, path == "root" ? child->Name() : absl::StrCat(path, " ", child->Name()), subs,
           flags);
  }
}

int RunBash(Invocation& inv) {
  std::string subs, flags;
  Tables(*inv.cmd->Root(), "root", &subs, &flags);
  std::cout << "# bash completion for etcdctl                              -*- shell-script -*-\n"
            << "declare -gA __etcdctl_subs=(\n"
            << subs << ")\n"
            << "declare -gA __etcdctl_flags=(\n"
            << flags << ")\n"
            << R"(__etcdctl_complete() {
  local cur=${COMP_WORDS[COMP_CWORD]} path=root w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    [[ $w == -* ]] && continue
    if [[ " ${__etcdctl_subs[$path]} " == *" $w "* ]]; then
      if [[ $path == root ]]; then path=$w; else path="$path $w"; fi
    fi
  done
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "${__etcdctl_flags[$path]} ${__etcdctl_flags[root]}" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "${__etcdctl_subs[$path]}" -- "$cur"))
  fi
}
complete -o default -F __etcdctl_complete etcdctl
)";
  return kExitSuccess;
}

}  // namespace

void AddCompletionCommand(Command& root) {
  auto completion = NewCommand(
      "completion", "Generate the autocompletion script for the specified shell", nullptr);
  for (const char* shell : {"bash", "fish", "powershell", "zsh"}) {
    RunFn run = RunBash;
    if (std::string(shell) != "bash") {
      run = [shell](Invocation&) {
        return Fail(kExitBadFeature, absl::StrCat("completion ", shell, " is not supported yet"));
      };
    }
    auto sub =
        NewCommand(shell, absl::StrCat("Generate the autocompletion script for ", shell), run);
    sub->flags.AddBool("no-descriptions", false, "disable completion descriptions");
    completion->Add(std::move(sub));
  }
  root.Add(std::move(completion));
}

}  // namespace etcdpp::etcdctl
