#!/usr/bin/env bash
# completion_test.sh <etcdctl> : loads `etcdctl completion bash` into bash and drives the
# completion function as bash's programmable completion would (COMP_WORDS/COMP_CWORD), checking
# command words at each level and flags (the command's own and the global ones).
set -u
CTL=$1
fail=0
# shellcheck disable=SC1090
source <("$CTL" completion bash) || { echo "completion script does not load"; exit 1; }
fn=$(complete -p etcdctl | sed -E 's/.*-F ([^ ]+) etcdctl$/\1/')
[[ -n $fn ]] || { echo "no completion registered for etcdctl"; exit 1; }

# expect "WORDS..." "EXPECTED REPLY (sorted, space separated)"
expect() {
  local -a words
  read -r -a words <<<"$1"
  [[ $1 == *" " ]] && words+=("")
  COMP_WORDS=("${words[@]}")
  COMP_CWORD=$((${#words[@]} - 1))
  COMPREPLY=()
  "$fn"
  local got
  got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | xargs)
  if [[ $got != "$2" ]]; then
    echo "FAIL: '$1' -> '$got', want '$2'"
    fail=1
  fi
}

expect "etcdctl le" "lease"
expect "etcdctl m" "make-mirror member migrate move-leader"
expect "etcdctl lease " "grant keep-alive list revoke timetolive"
expect "etcdctl lease gr" "grant"
expect "etcdctl --endpoints=x member l" "list"
expect "etcdctl get --pre" "--prefix"
expect "etcdctl get --print" "--print-value-only"
expect "etcdctl put --wri" "--write-out"
expect "etcdctl lease timetolive --k" "--keepalive-time --keepalive-timeout --key --keys"
[[ $fail == 0 ]] && echo "completion_test: ok"
exit $fail
