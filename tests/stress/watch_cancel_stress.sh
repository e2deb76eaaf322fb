#!/usr/bin/env bash
# watch_cancel_stress.sh <etcdpp-binary> [seconds] [watchers]
#
# Watch streams that end while the member is about to write to them: one member (started with
# ETCDPP_TEST_WATCH_WRITE_DELAY_MS, which widens the window between a stream deciding to write
# and starting the write; a build without test hooks runs it without the delay), a writer
# putting one key in a loop, and WATCHERS stock etcdctl watchers of that key, each SIGKILLed
# after 0.05-0.5 s and started again. A write started on a stream whose call had already ended
# used to abort the member ("pure virtual method called").
#
# Bounded: at most SECONDS (default 60) and 2000 watchers in all. Exit 0 if the member is alive
# at the end, 1 if it died (its log tail is printed), 2 for a setup failure.
set -u -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../compat/lib.sh"

if [[ $# -lt 1 || $# -gt 3 ]]; then
  echo "usage: $0 <etcdpp-binary> [seconds] [watchers]" >&2
  exit 2
fi
SERVER=$1
SECS=${2:-60}
WATCHERS=${3:-6}
COMPAT_NAME=watch_cancel_stress
WORK=$(mktemp -d "${TMPDIR:-/tmp}/$COMPAT_NAME.XXXXXX") || exit 2
STARTED_PIDS=()
cleanup() {
  compat_cleanup
  [[ ${WATCH_CANCEL_STRESS_KEEP:-0} == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT

ETCDPP_TEST_WATCH_WRITE_DELAY_MS=${ETCDPP_TEST_WATCH_WRITE_DELAY_MS:-20} \
  start_server "$SERVER" "$WORK/m" || exit 2
CTL=("$ETCDCTL" --endpoints="127.0.0.1:$CLIENT_PORT" --dial-timeout=2s --command-timeout=2s)
END=$((SECONDS + SECS))

writer() {
  local i=0
  while ((SECONDS < END)) && kill -0 "$SERVER_PID" 2>/dev/null; do
    "${CTL[@]}" put k "v$((i++))" >/dev/null 2>&1
  done
}

# watcher N : watchers of k, each killed after a random 0.05-0.5 s; N watchers at most.
watcher() {
  local n=$1 i
  for ((i = 0; i < n && SECONDS < END; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || return
    # A subshell, so bash's "Killed" report goes to /dev/null too.
    (timeout -s KILL "0.$((RANDOM % 5))$((RANDOM % 9 + 1))" "${CTL[@]}" watch k; true) >/dev/null 2>&1
  done
}

writer &
WRITER=$!
STARTED_PIDS+=("$WRITER")
PIDS=()
for ((w = 0; w < WATCHERS; w++)); do
  watcher $((2000 / WATCHERS)) &
  PIDS+=($!)
done
wait "${PIDS[@]}"
wait "$WRITER"

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "$COMPAT_NAME: FAIL: the member died; log tail:"
  tail -n 5 "$WORK/m/server.log" | cut -c1-300
  exit 1
fi
echo "$COMPAT_NAME: PASS: the member is alive after ${SECS}s of cancelled watches"
exit 0
