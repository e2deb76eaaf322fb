#!/usr/bin/env bash
# completion_test.sh <etcdctl> : loads `etcdctl completion bash|zsh|fish` into each shell and
# checks what completing a command line offers: command words at each level, flags (the
# command's own and the global ones), file names for a command without subcommands, and the
# descriptions zsh and fish show (none with --no-descriptions).
#   bash: drives the completion function as programmable completion would (COMP_WORDS/COMP_CWORD).
#   fish: fish's own `complete -C '<command line>'`, the real completion machinery.
#   zsh:  compinit, then the registered function with words/CURRENT set and _describe/_files
#         replaced by functions printing their candidates (zsh completes only inside its line
#         editor, which a script cannot drive).
# zsh and fish are test dependencies (scripts/install-deps.sh).
set -u
CTL=$1
fail=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/etcdctl-completion.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
touch "$TMP/somefile"

# check SHELL "COMMAND LINE" GOT WANT
check() {
  if [[ $3 != "$4" ]]; then
    echo "FAIL ($1): '$2' -> '$3', want '$4'"
    fail=1
  fi
}

# The cases every shell must complete alike: "COMMAND LINE|EXPECTED WORDS (sorted)".
CASES=(
  "etcdctl le|lease"
  "etcdctl m|make-mirror member migrate move-leader"
  "etcdctl lease |grant keep-alive list revoke timetolive"
  "etcdctl lease gr|grant"
  "etcdctl --endpoints=x member l|list"
  "etcdctl get --pre|--prefix"
  "etcdctl get --print|--print-value-only"
  "etcdctl put --wri|--write-out"
  "etcdctl lease timetolive --k|--keepalive-time --keepalive-timeout --key --keys"
  "etcdctl get --he|--help --hex"
  "etcdctl --he|--help --hex"
  "etcdctl check |datascale perf"
  "etcdctl check perf --auto|--auto-compact --auto-defrag"
)
# each_case FN : FN "COMMAND LINE" "EXPECTED" for every case.
each_case() {
  local c
  for c in "${CASES[@]}"; do "$1" "${c%%|*}" "${c#*|}"; done
}

# --- bash -------------------------------------------------------------------------------------
# shellcheck disable=SC1090
source <("$CTL" completion bash) || { echo "bash completion script does not load"; exit 1; }
fn=$(complete -p etcdctl | sed -E 's/.*-F ([^ ]+) etcdctl$/\1/')
[[ -n $fn ]] || { echo "no bash completion registered for etcdctl"; exit 1; }

# bash_expect "WORDS..." "EXPECTED REPLY (sorted, space separated)"
bash_expect() {
  local -a words
  read -r -a words <<<"$1"
  [[ $1 == *" " ]] && words+=("")
  COMP_WORDS=("${words[@]}")
  COMP_CWORD=$((${#words[@]} - 1))
  COMPREPLY=()
  "$fn"
  check bash "$1" "$(printf '%s\n' "${COMPREPLY[@]}" | sort | xargs)" "$2"
}

each_case bash_expect

# --- fish -------------------------------------------------------------------------------------
"$CTL" completion fish >"$TMP/etcdctl.fish" || { echo "completion fish fails"; exit 1; }
"$CTL" completion fish --no-descriptions >"$TMP/nodesc.fish" || exit 1

# fish_complete SCRIPT "COMMAND LINE" : fish's completions, one "word<TAB>description" a line.
fish_complete() {
  (cd "$TMP" && fish --no-config -c "source $1; complete -C '$2'")
}
# fish_expect "COMMAND LINE" "EXPECTED WORDS (sorted)"
fish_expect() {
  check fish "$1" "$(fish_complete "$TMP/etcdctl.fish" "$1" | cut -f1 | sort | xargs)" "$2"
}

each_case fish_expect
# A command without subcommands completes file names for its arguments.
fish_expect "etcdctl get some" "somefile"
check fish "descriptions" "$(fish_complete "$TMP/etcdctl.fish" "etcdctl le")" \
  "$(printf 'lease\tLease related commands')"
check fish "flag description" "$(fish_complete "$TMP/etcdctl.fish" "etcdctl get --pre")" \
  "$(printf -- '--prefix\tGet keys with matching prefix')"
check fish "--no-descriptions" "$(fish_complete "$TMP/nodesc.fish" "etcdctl le")" "lease"

# --- zsh --------------------------------------------------------------------------------------
"$CTL" completion zsh >"$TMP/etcdctl.zsh" || { echo "completion zsh fails"; exit 1; }
"$CTL" completion zsh --no-descriptions >"$TMP/nodesc.zsh" || exit 1

# zsh_complete SCRIPT "COMMAND LINE" : the candidates, "word:description" a line (or <files>),
# filtered by the word under the cursor as zsh's matcher would.
zsh_complete() {
  (cd "$TMP" && HOME=$TMP zsh -f -c '
    autoload -Uz compinit && compinit -u -D || exit 3
    source "$1" || exit 4
    [[ $_comps[etcdctl] == _etcdctl ]] || { print "etcdctl not registered"; exit 5 }
    _describe() { local x name=$argv[-1]; for x in "${(@P)name}"; do
      [[ ${x%%:*} == ${words[CURRENT]}* ]] && print -r -- $x; done }
    _files() { print -r -- "<files>" }
    words=(${(z)2}); [[ $2 == *" " ]] && words+=("")
    CURRENT=${#words}
    _etcdctl' zsh "$1" "$2")
}
zsh_expect() {
  check zsh "$1" "$(zsh_complete "$TMP/etcdctl.zsh" "$1" | cut -d: -f1 | sort | xargs)" "$2"
}

each_case zsh_expect
zsh_expect "etcdctl -" "--cacert --cert --command-timeout --debug --dial-timeout --discovery-srv --discovery-srv-name --endpoints --help --hex --insecure-discovery --insecure-skip-tls-verify --insecure-transport --keepalive-time --keepalive-timeout --key --password --user --write-out -d -h -w"
zsh_expect "etcdctl get some" "<files>"
check zsh "descriptions" "$(zsh_complete "$TMP/etcdctl.zsh" "etcdctl le")" \
  "lease:Lease related commands"
check zsh "flag description" "$(zsh_complete "$TMP/etcdctl.zsh" "etcdctl get --print")" \
  '--print-value-only:Only write values when using the "simple" output format'
check zsh "--no-descriptions" "$(zsh_complete "$TMP/nodesc.zsh" "etcdctl le")" "lease"

[[ $fail == 0 ]] && echo "completion_test: ok"
exit $fail
