#!/usr/bin/env bash
# watch_compat.sh <etcdpp-binary> [reference-binary]
#
# Runs one fixed script of stock `etcdctl watch` commands (every form the etcd docs show: key,
# --prefix, range, --rev, --prev-kv, -i interactive, --hex, -w json; plus a compacted start
# revision and an empty range) next to the puts and deletes they observe, against a fresh single-member
# server of each binary, records stdout, stderr and the exit code of every command, normalizes
# only what legitimately differs between two servers (ids, raft term/index, versions, db sizes,
# durations, timestamps, ports, client uuids) and diffs the two transcripts.
#
# Exit 0 only if the transcripts are identical after normalization; otherwise the unified diff
# is printed and the exit code is 1 (2 for a setup failure, e.g. a server that does not start).
#
# Revisions, values, counts, orderings and error messages are compared exactly.
#
# Environment:
#   ETCDCTL             the client (default /usr/bin/etcdctl)
#   WATCH_COMPAT_KEEP=1    keep the temp dir (transcripts, server logs) for inspection
#   WATCH_COMPAT_VERBOSE=1 print the normalized transcript of the first side
set -u -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

compat_init watch_compat "$@"

# q ARGS... : etcdctl ARGS, output discarded (the writes a watcher observes).
q() {
  "$ETCDCTL" --endpoints="$EP" --dial-timeout=3s --command-timeout=5s "$@" </dev/null >/dev/null 2>&1
}

# The marker as each output format shows a value: raw, --hex (\xNN per byte), json (base64).
marker_for() {
  local format=$1 v=$2
  case $format in
    hex) printf '%s' "$v" | od -An -tx1 | tr -d ' \n' | sed 's/../\\x&/g' ;;
    json) printf '%s' "$v" | base64 ;;
    *) printf '%s' "$v" ;;
  esac
}

# wcase FORMAT MARKER SETTLE ACTION -- WATCH-ARGS... : starts `etcdctl watch WATCH-ARGS` (with
# SETTLE=1 it first waits 1.5 s so that a watch without --rev exists before the writes), runs
# the shell function ACTION, then waits (<= WAIT_LIMIT s) until the output shows MARKER (a value in the
# given FORMAT) or etcdctl exits by itself, stops etcdctl and records its output.
wcase() {
  local format=$1 marker=$2 settle=$3 action=$4
  shift 5
  N=$((N + 1))
  printf '### %03d etcdctl watch%s\n' "$N" "$(printf ' %q' "$@")"
  "$ETCDCTL" --endpoints="$EP" --dial-timeout=3s watch "$@" </dev/null \
    >"$CTL_OUT.out" 2>"$CTL_OUT.err" &
  local pid=$! i m
  STARTED_PIDS+=("$pid")
  [[ $settle == 1 ]] && sleep 1.5
  $action
  m=$(marker_for "$format" "$marker")
  local deadline=$((SECONDS + WAIT_LIMIT))
  while ((SECONDS < deadline)); do
    grep -qF -- "$m" "$CTL_OUT.out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  local exited=running
  kill -0 "$pid" 2>/dev/null || exited=exited
  stop_pid "$pid"
  print_ctl "$exited"
}

# wait_for MARKER PID: until the output shows MARKER or PID exits (<= WAIT_LIMIT s).
wait_for() {
  local deadline=$((SECONDS + WAIT_LIMIT))
  while ((SECONDS < deadline)); do
    grep -qF -- "$1" "$CTL_OUT.out" && return 0
    kill -0 "$2" 2>/dev/null || return 0
    sleep 0.1
  done
}

# icase FIRST ACTION LAST LINES... : `etcdctl watch -i` fed the command LINES; waits for the
# marker FIRST (history a watch replays), runs ACTION, waits for LAST. Several watches share a
# session, so each revision must match one watch only: etcd orders the answers of different
# watchers to the same revision (or the same catch-up round) at random.
icase() {
  local first=$1 action=$2 last=$3
  shift 3
  N=$((N + 1))
  printf '### %03d etcdctl watch -i <<< %s\n' "$N" "$(printf '%q;' "$@")"
  # One file per case: the next case must not remove it before this feeder has seen it (a
  # feeder that misses it loops forever and the script never ends).
  local done_file="$CTL_OUT.done.$N"
  (printf '%s\n' "$@"; while [[ ! -e $done_file ]]; do sleep 0.1; done) |
    "$ETCDCTL" --endpoints="$EP" --dial-timeout=3s watch -i >"$CTL_OUT.out" 2>"$CTL_OUT.err" &
  local pid=$!
  STARTED_PIDS+=("$pid")
  wait_for "$first" "$pid"
  $action
  wait_for "$last" "$pid"
  # etcdctl first: if stdin reached EOF before the signal, it would print "Error reading watch
  # request line: EOF" on one side and not the other. Then end the feeding subshell.
  kill -TERM "$pid" 2>/dev/null
  touch "$done_file"
  stop_pid "$pid"
  echo "--- stdout"
  cat "$CTL_OUT.out"
  echo "--- stderr"
  cat "$CTL_OUT.err"
}

# How long a watch may take to show its marker (or exit). Only a failing case waits this long:
# every case ends as soon as its marker shows, so a generous limit costs nothing when all is well.
WAIT_LIMIT=30

none() { :; }
act_key() { q put foo v1; q put foo2 other; q del foo; q put foo end1; }
act_prefix() { q put p/a 1; q put q/x no; q put p/b 2; q del p/a; q put p/z end2; }
act_prevkv() { q put foo pk1; q put foo pk2; q del foo; q put foo end3; }
act_future() { q put fut 1; q put fut 2; q put fut end4; }
act_inter() { q put i/x 1; q put j 2; q put k/y 3; q del j; q put i/end end5; }
act_inter2() { q put m1 x; q put m2 y; q put m1 end6; }

run_script() {
  r put foo v0
  r put p/0 seed
  r put a 1
  r put b 2
  r put c 3
  r put "$(printf 'bin\x01\xff')" "$(printf 'hex\x02')"

  # Live watches (no --rev): key, prefix, prev-kv.
  wcase raw end1 1 act_key -- foo
  wcase raw end2 1 act_prefix -- --prefix p/
  wcase raw end3 1 act_prevkv -- foo --prev-kv

  # History: --rev (key, prefix, range, from the first revision), output formats.
  wcase raw end1 0 none -- foo --rev 1
  wcase raw end3 0 none -- foo --rev 2 --prev-kv
  wcase raw end2 0 none -- --prefix p/ --rev 1
  wcase raw 2 0 none -- a c --rev 1  # [a, c): a=1 and b=2, the last event shows 2
  wcase raw 2 0 none -- b --rev 4  # b=2 is the only event
  wcase json end3 0 none -- foo --rev 1 -w json
  wcase json end2 0 none -- --prefix p/ --rev 3 -w json --prev-kv
  wcase hex "$(printf 'hex\x02')" 0 none -- --hex "$(printf 'bin\x01\xff')" --rev 1
  wcase hex end3 0 none -- --hex foo --rev 10 --prev-kv
  wcase raw end3 0 none -- "" --prefix --rev 1

  # A start revision ahead of the store: events from that revision on.
  local rev
  rev=$("$ETCDCTL" --endpoints="$EP" get foo -w json | sed -nE 's/.*"revision":([0-9]+).*/\1/p')
  wcase raw end4 0 act_future -- fut --rev $((rev + 2))

  # Interactive: several watches on one session (one replaying history, the others live from
  # a revision ahead of the store, so that they exist before the writes).
  rev=$("$ETCDCTL" --endpoints="$EP" get foo -w json | sed -nE 's/.*"revision":([0-9]+).*/\1/p')
  icase end3 act_inter end5 "watch foo --rev 1" "watch --prefix i/ --rev $((rev + 1))" \
    "watch j --rev $((rev + 1))" "watch k/ k0 --rev $((rev + 1))"
  rev=$("$ETCDCTL" --endpoints="$EP" get foo -w json | sed -nE 's/.*"revision":([0-9]+).*/\1/p')
  icase end2 act_inter2 end6 "watch --prev-kv p/ p0 --rev 5" "watch --prev-kv m1 --rev $((rev + 1))" \
    "watch m2 --rev $((rev + 1))"

  # Bad input: an empty range (end below key), a compacted start revision.
  wcase raw never 0 none -- c a
  r compaction 5
  wcase raw never 0 none -- foo --rev 2
  wcase raw end3 0 none -- foo --rev 5
  r get foo -w json
}

# normalize MEMBER_ID MEMBER_ID_HEX CLUSTER_ID CLIENT_PORT PEER_PORT  (stdin -> stdout)
normalize() {
  normalize_etcdctl "$@"
}

compat_finish
