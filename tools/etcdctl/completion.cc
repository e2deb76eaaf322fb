// completion bash / zsh / fish: completion scripts made from the command tree. What a user
// gets matches stock etcdctl's (cobra's generators): the command words at each level, then,
// on a word starting with '-', the flags of the command reached and the global ones (long and
// short forms); zsh and fish show each word's description (none with --no-descriptions), and
// a command without subcommands completes file names for its arguments. Stock's scripts ask
// the binary (`etcdctl __complete ...`) at every TAB; ours carry the tables in the script, so
// completing costs no process start. powershell is refused by name.

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "commands.h"

namespace etcdpp::etcdctl {
namespace {

// One command of the tree as the scripts see it.
struct Level {
  std::string path;  // "" for the root, "lease grant"
  std::vector<const Command*> subs;
  std::vector<const Flag*> flags;  // the command's own; the root's are the global ones
};

// Every command, depth first, children sorted by name; hidden commands left out.
void Levels(const Command& c, const std::string& path, std::vector<Level>* out) {
  Level level{path, {}, c.flags.Sorted()};
  for (const Command* child : c.Sorted()) {
    if (!child->hidden) level.subs.push_back(child);
  }
  out->push_back(level);
  for (const Command* child : level.subs) {
    Levels(*child, path.empty() ? child->Name() : absl::StrCat(path, " ", child->Name()), out);
  }
}

// The global flags: the root's, but its own -h/--help.
std::vector<const Flag*> GlobalFlags(const Level& root) {
  std::vector<const Flag*> out;
  for (const Flag* f : root.flags) {
    if (f->name != "help") out.push_back(f);
  }
  return out;
}

// A single-quoted word with \\ and \' escaped: fish's '...', and zsh's $'...' after a '$'.
std::string Quote(absl::string_view s) {
  return absl::StrCat("'", absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"'", "\\'"}}), "'");
}

// "--name -n --other" (bash's word list).
std::string BashFlags(const std::vector<const Flag*>& flags) {
  std::vector<std::string> out;
  for (const Flag* f : flags) {
    out.push_back(absl::StrCat("--", f->name));
    if (!f->shorthand.empty()) out.push_back(absl::StrCat("-", f->shorthand));
  }
  return absl::StrJoin(out, " ");
}

// Each level's command words and own flags in two associative arrays keyed by the path ("root"
// for etcdctl itself), the global flags in a third variable.
int RunBash(const std::vector<Level>& levels) {
  std::string subs, flags;
  for (const Level& l : levels) {
    std::vector<std::string> names;
    for (const Command* c : l.subs) names.push_back(c->Name());
    std::string key = l.path.empty() ? "root" : l.path;
    absl::StrAppend(&subs, "  [\"", key, "\"]=\"", absl::StrJoin(names, " "), "\"\n");
    absl::StrAppend(&flags, "  [\"", key, "\"]=\"", BashFlags(l.flags), "\"\n");
  }
  std::cout << "# bash completion for etcdctl                              -*- shell-script -*-\n"
            << "declare -gA __etcdctl_subs=(\n"
            << subs << ")\n"
            << "declare -gA __etcdctl_flags=(\n"
            << flags << ")\n"
            << "declare -g __etcdctl_global=\"" << BashFlags(GlobalFlags(levels[0])) << "\"\n"
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
    w=${__etcdctl_flags[$path]}
    [[ $path != root ]] && w+=" $__etcdctl_global"
    COMPREPLY=($(compgen -W "$w" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "${__etcdctl_subs[$path]}" -- "$cur"))
  fi
}
complete -o default -F __etcdctl_complete etcdctl
)";
  return kExitSuccess;
}

// "name:description" (a colon in the name escaped), or the bare name without descriptions.
std::string ZshItem(absl::string_view name, absl::string_view desc, bool descriptions) {
  std::string n = absl::StrReplaceAll(name, {{":", "\\:"}});
  return descriptions ? absl::StrCat(n, ":", desc) : n;
}

// A $'...' word of "name:description" lines.
std::string ZshFlags(const std::vector<const Flag*>& flags, bool descriptions) {
  std::vector<std::string> out;
  for (const Flag* f : flags) {
    out.push_back(ZshItem(absl::StrCat("--", f->name), f->usage, descriptions));
    if (!f->shorthand.empty()) {
      out.push_back(ZshItem(absl::StrCat("-", f->shorthand), f->usage, descriptions));
    }
  }
  return absl::StrCat("$", Quote(absl::StrJoin(out, "\n")));
}

// Each level's words, one "name:description" a line, in two associative arrays keyed by the
// path ("" quoted as "root"); the function walks the words before the cursor to the deepest
// command they name and hands its words to _describe.
int RunZsh(const std::vector<Level>& levels, bool descriptions) {
  std::string subs, flags;
  for (const Level& l : levels) {
    std::vector<std::string> s;
    for (const Command* c : l.subs) s.push_back(ZshItem(c->Name(), c->short_desc, descriptions));
    std::string key = absl::StrCat("$", Quote(l.path.empty() ? "root" : l.path));
    absl::StrAppend(&subs, "  ", key, " $", Quote(absl::StrJoin(s, "\n")), "\n");
    absl::StrAppend(&flags, "  ", key, " ", ZshFlags(l.flags, descriptions), "\n");
  }
  std::cout << "#compdef etcdctl\n"
            << "# zsh completion for etcdctl                               -*- shell-script -*-\n"
            << "typeset -gA __etcdctl_subs __etcdctl_flags\n"
            << "__etcdctl_subs=(\n"
            << subs << ")\n"
            << "__etcdctl_flags=(\n"
            << flags << ")\n"
            << "typeset -g __etcdctl_global=" << ZshFlags(GlobalFlags(levels[0]), descriptions)
            << "\n"
            << R"(_etcdctl() {
  local cmdpath=root w i cur=${words[CURRENT]}
  local -a names items
  for ((i = 2; i < CURRENT; i++)); do
    w=${words[i]}
    [[ $w == -* ]] && continue
    names=(${${(f)__etcdctl_subs[$cmdpath]}%%:*})
    if (( ${names[(Ie)$w]} )); then
      if [[ $cmdpath == root ]]; then cmdpath=$w; else cmdpath="$cmdpath $w"; fi
    fi
  done
  if [[ $cur == -* ]]; then
    items=(${(f)__etcdctl_flags[$cmdpath]})
    [[ $cmdpath != root ]] && items+=(${(f)__etcdctl_global})
    _describe -t flags 'etcdctl flag' items
  elif [[ -n ${__etcdctl_subs[$cmdpath]} ]]; then
    items=(${(f)__etcdctl_subs[$cmdpath]})
    _describe -t commands 'etcdctl command' items
  else
    _files
  fi
}
if [[ $funcstack[1] == _etcdctl ]]; then
  _etcdctl "$@"
else
  compdef _etcdctl etcdctl
fi
)";
  return kExitSuccess;
}

// One `complete` line per word: a level's subcommands and own flags apply where the words
// before the cursor name that level (__etcdctl_at), the global flags everywhere. Levels with
// subcommands complete no file names (-f), as cobra's NoFileComp directive.
int RunFish(const std::vector<Level>& levels, bool descriptions) {
  std::vector<std::string> paths;
  for (const Level& l : levels) {
    if (!l.path.empty()) paths.push_back(Quote(l.path));
  }
  std::cout << "# fish completion for etcdctl                              -*- shell-script -*-\n"
            << "set -g __etcdctl_paths " << absl::StrJoin(paths, " ") << "\n"
            << R"(# The command the words before the cursor name ("" for etcdctl itself).
function __etcdctl_path
    set -l path ''
    for w in (commandline -opc)[2..-1]
        string match -q -- '-*' $w; and continue
        set -l next $w
        test -n "$path"; and set next "$path $w"
        contains -- $next $__etcdctl_paths; and set path $next
    end
    echo $path
end
function __etcdctl_at
    set -l path (__etcdctl_path)
    test "$path" = "$argv[1]"
end
complete -c etcdctl -e
)";
  auto desc = [&](absl::string_view d) {
    return descriptions ? absl::StrCat(" -d ", Quote(d)) : std::string();
  };
  auto flag_line = [&](const Flag* f, absl::string_view cond) {
    std::cout << "complete -c etcdctl" << cond << " -l " << f->name
              << (f->shorthand.empty() ? "" : absl::StrCat(" -s ", f->shorthand))
              << (f->IsBool() ? "" : " -r") << desc(f->usage) << "\n";
  };
  for (const Flag* f : GlobalFlags(levels[0])) flag_line(f, "");
  for (const Level& l : levels) {
    std::string cond = absl::StrCat(" -n ", Quote(absl::StrCat("__etcdctl_at ", Quote(l.path))));
    for (const Command* c : l.subs) {
      std::cout << "complete -c etcdctl -f" << cond << " -a " << Quote(c->Name())
                << desc(c->short_desc) << "\n";
    }
    for (const Flag* f : l.flags) {
      if (!l.path.empty() || f->name == "help") flag_line(f, cond);
    }
  }
  return kExitSuccess;
}

int RunCompletion(const std::string& shell, Invocation& inv) {
  std::vector<Level> levels;
  Levels(*inv.cmd->Root(), "", &levels);
  bool descriptions = !inv.flags->GetBool("no-descriptions");
  if (shell == "bash") return RunBash(levels);  // bash shows no descriptions either way
  if (shell == "zsh") return RunZsh(levels, descriptions);
  if (shell == "fish") return RunFish(levels, descriptions);
  return Fail(kExitBadFeature, absl::StrCat("completion ", shell, " is not supported"));
}

}  // namespace

void AddCompletionCommand(Command& root) {
  auto completion = NewCommand(
      "completion", "Generate the autocompletion script for the specified shell", nullptr);
  for (const char* shell : {"bash", "fish", "powershell", "zsh"}) {
    auto sub =
        NewCommand(shell, absl::StrCat("Generate the autocompletion script for ", shell),
                   [s = std::string(shell)](Invocation& inv) { return RunCompletion(s, inv); });
    sub->flags.AddBool("no-descriptions", false, "disable completion descriptions");
    completion->Add(std::move(sub));
  }
  root.Add(std::move(completion));
}

}  // namespace etcdpp::etcdctl
