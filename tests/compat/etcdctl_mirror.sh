#!/usr/bin/env bash
# etcdctl_mirror.sh <server-binary> <etcdctl>...
#
# `etcdctl make-mirror` between two single-member servers of the given binary, once per etcdctl
# named (ours, and the stock one to check the test itself): keys already under the prefix are
# copied (renamed to the destination prefix), then puts, deletes and a multi-op txn made while
# it runs arrive; keys outside the prefix do not. A second run with --no-dest-prefix mirrors to
# the root (the prefix dropped from each key). Exit 0 when every etcdctl mirrored as expected, 1 otherwise, 2 on a setup failure.
# MIRROR_KEEP=1 keeps the temp dir.
set -u -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ $# -lt 2 ]]; then
  echo "usage: $0 <server-binary> <etcdctl>..." >&2
  exit 2
fi
SERVER=$1
shift
compat_init mirror "$SERVER" "$SERVER" -- "$@"

start_server "$SERVER" "$WORK/src" || exit 2
SRC="127.0.0.1:$CLIENT_PORT"
start_server "$SERVER" "$WORK/dst" || exit 2
DST="127.0.0.1:$CLIENT_PORT"

# ctl ENDPOINT ARGS... : the stock etcdctl (the test's own reads and writes).
ctl() {
  local ep=$1
  shift
  /usr/bin/etcdctl --endpoints="$ep" --command-timeout=10s "$@"
}

# wait_for ENDPOINT EXPECTED ARGS... : until `get ARGS` at ENDPOINT prints EXPECTED (<= 10 s).
wait_for() {
  local ep=$1 want=$2 got i
  shift 2
  for ((i = 0; i < 100; i++)); do
    got=$(ctl "$ep" get "$@" 2>&1)
    [[ $got == "$want" ]] && return 0
    sleep 0.1
  done
  echo "mirror: at $ep, get $* printed:" >&2
  printf '%s\n' "$got" >&2
  echo "mirror: expected:" >&2
  printf '%s\n' "$want" >&2
  return 1
}

# mirror_run ETCDCTL ROUND FLAGS... : starts make-mirror of ROUND/, checks, stops it. Values
# name the round, so that keys a --no-dest-prefix round leaves at the root tell rounds apart.
mirror_run() {
  local etcdctl=$1 round=$2 pid ok=0 dp="m$2/"
  shift 2
  [[ " $* " == *" --no-dest-prefix "* ]] && dp=""
  ctl "$SRC" put "$round/1" "one-$round" >/dev/null && ctl "$SRC" put "$round/2" "two-$round" \
    >/dev/null && ctl "$SRC" put "x$round/out" no >/dev/null || return 1
  "$etcdctl" --endpoints="$SRC" make-mirror --prefix "$round/" "$@" "$DST" \
    >"$WORK/mirror.$round.out" 2>"$WORK/mirror.$round.err" &
  pid=$!
  STARTED_PIDS+=("$pid")
  wait_for "$DST" "${dp}1"$'\n'"one-$round" "${dp}1" || ok=1
  wait_for "$DST" "${dp}2"$'\n'"two-$round" "${dp}2" || ok=1
  ctl "$SRC" put "$round/3" "three-$round" >/dev/null
  ctl "$SRC" del "$round/1" >/dev/null
  ctl "$SRC" txn <<<$'\nput '"$round/4 four-$round"$'\ndel '"$round"$'/2\n\n' >/dev/null
  wait_for "$DST" "${dp}3"$'\n'"three-$round" "${dp}3" || ok=1
  wait_for "$DST" "${dp}4"$'\n'"four-$round" "${dp}4" || ok=1
  wait_for "$DST" "" "${dp}1" || ok=1
  wait_for "$DST" "" "${dp}2" || ok=1
  wait_for "$DST" "" "x$round/out" || ok=1
  kill -0 "$pid" 2>/dev/null || { echo "mirror: $etcdctl make-mirror exited" >&2; ok=1; }
  stop_pid "$pid"
  if [[ $ok != 0 ]]; then
    echo "mirror: $etcdctl make-mirror $* stderr:" >&2
    cat "$WORK/mirror.$round.err" >&2
  fi
  return $ok
}

failed=0
n=0
for etcdctl in "$@"; do
  n=$((n + 1))
  if mirror_run "$etcdctl" "r$n" --dest-prefix "mr$n/" &&
     mirror_run "$etcdctl" "s$n" --no-dest-prefix; then
    echo "mirror: $etcdctl: prefix and root mirrors complete"
  else
    echo "mirror: $etcdctl: FAILED"
    failed=1
  fi
done
exit $failed
