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

bash_expect "etcdctl le" "lease"
bash_expect "etcdctl m" "make-mirror member migrate move-leader"
bash_expect "etcdctl lease " "grant keep-alive list revoke timetolive"
bash_expect "etcdctl lease gr" "grant"
bash_expect "etcdctl --endpoints=x member l" "list"
bash_expect "etcdctl get --pre" "--prefix"
bash_expect "etcdctl get --print" "--print-value-only"
bash_expect "etcdctl put --wri" "--write-out"
bash_expect "etcdctl lease timetolive --k" "--keepalive-time --keepalive-timeout --key --keys"
bash_expect "etcdctl get --he" "--help --hex"
bash_expect "etcdctl --he" "--help --hex"
bash_expect "etcdctl check " "datascale perf"
bash_expect "etcdctl check perf --auto" "--auto-compact --auto-defrag"

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

fish_expect "etcdctl le" "lease"
fish_expect "etcdctl m" "make-mirror member migrate move-leader"
fish_expect "etcdctl lease " "grant keep-alive list revoke timetolive"
fish_expect "etcdctl lease gr" "grant"
fish_expect "etcdctl --endpoints=x member l" "list"
fish_expect "etcdctl get --pre" "--prefix"
fish_expect "etcdctl put --wri" "--write-out"
fish_expect "etcdctl lease timetolive --k" "--keepalive-time --keepalive-timeout --key --keys"
fish_expect "etcdctl check " "datascale perf"
fish_expect "etcdctl check perf --auto" "--auto-compact --auto-defrag"
fish_expect "etcdctl get --he" "--help --hex"
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

zsh_expect "etcdctl le" "lease"
zsh_expect "etcdctl m" "make-mirror member migrate move-leader"
zsh_expect "etcdctl lease " "grant keep-alive list revoke timetolive"
zsh_expect "etcdctl lease gr" "grant"
zsh_expect "etcdctl --endpoints=x member l" "list"
zsh_expect "etcdctl get --pre" "--prefix"
zsh_expect "etcdctl put --wri" "--write-out"
zsh_expect "etcdctl lease timetolive --k" "--keepalive-time --keepalive-timeout --key --keys"
zsh_expect "etcdctl check " "datascale perf"
zsh_expect "etcdctl check perf --auto" "--auto-compact --auto-defrag"
zsh_expect "etcdctl get --he" "--help --hex"
zsh_expect "etcdctl -" "--cacert --cert --command-timeout --debug --dial-timeout --discovery-srv --discovery-srv-name --endpoints --help --hex --insecure-discovery --insecure-skip-tls-verify --insecure-transport --keepalive-time --keepalive-timeout --key --password --user --write-out -d -h -w"
zsh_expect "etcdctl get some" "<files>"
check zsh "descriptions" "$(zsh_complete "$TMP/etcdctl.zsh" "etcdctl le")" \
  "lease:Lease related commands"
check zsh "flag description" "$(zsh_complete "$TMP/etcdctl.zsh" "etcdctl get --print")" \
  '--print-value-only:Only write values when using the "simple" output format'
check zsh "--no-descriptions" "$(zsh_complete "$TMP/nodesc.zsh" "etcdctl le")" "lease"

[[ $fail == 0 ]] && echo "completion_test: ok"
exit $fail
