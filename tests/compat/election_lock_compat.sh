#!/usr/bin/env bash
# election_lock_compat.sh <etcdpp-binary> [reference-binary]
#
# The election and lock services against the reference etcd: one fixed transcript through the
# JSON gateway with curl (campaign, proclaim, leader, observe, resign, lock, unlock: their
# answers, their errors, a second candidate or waiter that gets its turn when the first resigns
# or unlocks, a waiter whose client leaves and whose key is then removed, requests without a
# lease) and through stock etcdctl (`elect`, `elect -l`, `lock`, `lock CMD`), run against a fresh
# single-member server of each binary. HTTP statuses, bodies, etcdctl output and exit codes are
# recorded, normalized (election_lock_normalize.py: ids, terms, server-chosen lease ids) and
# diffed; revisions are compared exactly.
#
# Waits are bounded and on conditions (a line count, a key count), never on a fixed sleep: a
# side that never reaches the condition shows as a difference.
#
# Exit 0 only if the transcripts are identical after normalization; 1 with the diff otherwise;
# 2 for a setup failure.
#
# Environment: ETCDCTL (default /usr/bin/etcdctl); ELECTION_LOCK_COMPAT_KEEP=1 keeps the temp
# dir; ELECTION_LOCK_COMPAT_VERBOSE=1 prints the normalized transcript.
set -u -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

compat_init election_lock_compat "$@" -- "$(command -v curl)" "$ETCDCTL" "$(command -v python3)"
NORMALIZE="$(dirname "${BASH_SOURCE[0]}")/election_lock_normalize.py"

b64() { printf '%s' "$1" | base64 -w0; }

# req PATH BODY: one POST; prints the request, the HTTP status and the body.
req() {
  local path=$1 body=$2
  N=$((N + 1))
  printf '### %03d POST %s %s\n' "$N" "$path" "$body"
  local code
  code=$(curl -s -m 10 -o "$DIR/body" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "$body" "$EP$path")
  echo "status $code"
  cat "$DIR/body"
  echo
}

# bg_req NAME PATH BODY [CURL-ARGS...]: a POST left running (a call that waits); BG_PID.
bg_req() {
  local name=$1 path=$2 body=$3
  shift 3
  N=$((N + 1))
  printf '### %03d POST (background %s) %s %s\n' "$N" "$name" "$path" "$body"
  curl -s "$@" -o "$DIR/$name.out" -H 'Content-Type: application/json' --data-binary "$body" \
    "$EP$path" &
  BG_PID=$!
  STARTED_PIDS+=("$BG_PID")
}

# bg_wait NAME PID: waits for a background request (<= 15 s, then stops it) and prints its body.
bg_wait() {
  local name=$1 pid=$2 i
  N=$((N + 1))
  printf '### %03d wait %s\n' "$N" "$name"
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  stop_pid "$pid"
  cat "$DIR/$name.out"
  echo
}

# until_lines FILE COUNT: waits (<= 15 s) until FILE has COUNT lines.
until_lines() {
  local i
  for ((i = 0; i < 150; i++)); do
    [[ -f $1 && $(wc -l <"$1") -ge $2 ]] && return 0
    sleep 0.1
  done
  return 1
}

# until_keys PREFIX COUNT: waits (<= 15 s) until COUNT keys start with PREFIX.
until_keys() {
  local i end
  end=$(python3 -c 'import sys; p=sys.argv[1].encode(); print(p[:-1].decode()+chr(p[-1]+1))' "$1")
  for ((i = 0; i < 150; i++)); do
    [[ $(curl -s -m 5 -d "{\"key\":\"$(b64 "$1")\",\"range_end\":\"$(b64 "$end")\",\"count_only\":true}" \
      "$EP/v3/kv/range" | sed -nE 's/.*"count":"([0-9]+)".*/\1/p') == "$2" ]] && return 0
    [[ $2 == 0 ]] && [[ $(curl -s -m 5 -d "{\"key\":\"$(b64 "$1")\",\"range_end\":\"$(b64 "$end")\",\"count_only\":true}" \
      "$EP/v3/kv/range") != *'"count"'* ]] && return 0
    sleep 0.1
  done
  return 1
}

# keys PREFIX: the keys (and values) under PREFIX, in create order.
keys() {
  local end
  end=$(python3 -c 'import sys; p=sys.argv[1].encode(); print(p[:-1].decode()+chr(p[-1]+1))' "$1")
  req /v3/kv/range "{\"key\":\"$(b64 "$1")\",\"range_end\":\"$(b64 "$end")\",\"sort_target\":\"CREATE\"}"
}

leader_key() {  # leader_key NAME KEY REV LEASE
  printf '{"name":"%s","key":"%s","rev":"%s","lease":"%s"}' "$(b64 "$1")" "$(b64 "$2")" "$3" "$4"
}

gateway_transcript() {
  local L1=4660 L2=4661 L3=4662 E C2 C3 OBS LK W2 W3
  req /v3/lease/grant "{\"TTL\":60,\"ID\":$L1}"
  req /v3/lease/grant "{\"TTL\":60,\"ID\":$L2}"
  req /v3/lease/grant "{\"TTL\":60,\"ID\":$L3}"
  E=$(b64 elec)

  # One candidate: campaign, leader, proclaim (right and wrong revision), errors.
  req /v3/election/campaign "{\"name\":\"$E\",\"value\":\"$(b64 v1)\",\"lease\":$L1}"
  req /v3/election/leader "{\"name\":\"$E\"}"
  bg_req observe /v3/election/observe "{\"name\":\"$E\"}" -N -m 60
  OBS=$BG_PID
  until_lines "$DIR/observe.out" 1
  req /v3/election/proclaim "{\"leader\":$(leader_key elec elec/1234 2 $L1),\"value\":\"$(b64 v2)\"}"
  req /v3/election/leader "{\"name\":\"$E\"}"
  req /v3beta/election/leader "{\"name\":\"$E\"}"
  req /v3/election/proclaim "{\"leader\":$(leader_key elec elec/1234 99 $L1),\"value\":\"$(b64 v9)\"}"
  req /v3/election/proclaim "{\"value\":\"$(b64 v9)\"}"
  req /v3/election/resign '{}'
  req /v3/election/resign "{\"leader\":{\"name\":\"$E\"}}"
  req /v3/election/leader "{\"name\":\"$(b64 nobody)\"}"
  req /v3/election/leader '{}'

  # A second candidate waits; a third gives up (its client leaves) and its key goes.
  bg_req campaign2 /v3/election/campaign "{\"name\":\"$E\",\"value\":\"$(b64 v3)\",\"lease\":$L2}" -m 30
  C2=$BG_PID
  until_keys elec/ 2
  bg_req campaign3 /v3/election/campaign "{\"name\":\"$E\",\"value\":\"$(b64 v4)\",\"lease\":$L3}" -m 30
  C3=$BG_PID
  until_keys elec/ 3
  keys elec/
  stop_pid "$C3"
  until_keys elec/ 2
  keys elec/
  req /v3/election/resign "{\"leader\":$(leader_key elec elec/1234 2 $L1)}"
  bg_wait campaign2 "$C2"
  local rev2
  rev2=$(sed -nE 's/.*"rev":"([0-9]+)".*/\1/p' "$DIR/campaign2.out")
  req /v3/election/leader "{\"name\":\"$E\"}"
  until_lines "$DIR/observe.out" 3
  stop_pid "$OBS"
  N=$((N + 1))
  printf '### %03d observe stream\n' "$N"
  cat "$DIR/observe.out"
  req /v3/election/resign "{\"leader\":$(leader_key elec elec/1235 "$rev2" $L2)}"
  req /v3/election/leader "{\"name\":\"$E\"}"
  # A resign of a key that is not the leader's any more answers OK and deletes nothing.
  req /v3/election/resign "{\"leader\":$(leader_key elec elec/1235 "$rev2" $L2)}"

  # The same lease campaigns again: at once, a new value is proclaimed.
  req /v3/election/campaign "{\"name\":\"$(b64 e2)\",\"value\":\"$(b64 a)\",\"lease\":$L1}"
  req /v3/election/campaign "{\"name\":\"$(b64 e2)\",\"value\":\"$(b64 b)\",\"lease\":$L1}"
  req /v3/election/leader "{\"name\":\"$(b64 e2)\"}"
  # Without a lease the service grants one of 60 s; with an unknown one it fails.
  req /v3/election/campaign "{\"name\":\"$(b64 nolease)\",\"value\":\"$(b64 x)\"}"
  local granted
  granted=$(sed -nE 's/.*"lease":"([0-9]+)".*/\1/p' "$DIR/body")
  req /v3/lease/timetolive "{\"ID\":\"$granted\",\"keys\":true}"
  req /v3/election/campaign "{\"name\":\"$(b64 badlease)\",\"value\":\"$(b64 x)\",\"lease\":99}"
  req /v3/election/campaign '{"name":'

  # Locks: the first holds, a second waits, a third gives up.
  LK=$(b64 lock)
  req /v3/lock/lock "{\"name\":\"$LK\",\"lease\":$L1}"
  req /v3/lock/lock "{\"name\":\"$LK\",\"lease\":$L1}"
  bg_req lock2 /v3/lock/lock "{\"name\":\"$LK\",\"lease\":$L2}" -m 30
  W2=$BG_PID
  until_keys lock/ 2
  bg_req lock3 /v3/lock/lock "{\"name\":\"$LK\",\"lease\":$L3}" -m 30
  W3=$BG_PID
  until_keys lock/ 3
  stop_pid "$W3"
  until_keys lock/ 2
  keys lock/
  req /v3/lock/unlock "{\"key\":\"$(b64 lock/1234)\"}"
  bg_wait lock2 "$W2"
  req /v3/lock/unlock "{\"key\":\"$(b64 lock/1235)\"}"
  req /v3/lock/unlock "{\"key\":\"$(b64 lock/1235)\"}"
  req /v3/lock/unlock '{}'
  req /v3/lock/lock "{\"name\":\"$(b64 locknolease)\"}"
  req /v3/lock/lock "{\"name\":\"$LK\",\"lease\":99}"
  req /v3beta/lock/lock "{\"name\":\"$(b64 beta)\",\"lease\":$L1}"
  req /v3/lock "{\"name\":\"$LK\",\"lease\":$L1}"
}

# ctl_bg NAME ARGS...: an etcdctl command left running; CTL_PID.
ctl_bg() {
  local name=$1
  shift
  N=$((N + 1))
  printf '### %03d etcdctl (background %s) %s\n' "$N" "$name" "$*"
  "$ETCDCTL" --endpoints="$CTL_EP" "$@" </dev/null >"$DIR/$name.out" 2>"$DIR/$name.err" &
  CTL_PID=$!
  STARTED_PIDS+=("$CTL_PID")
}

# ctl_show NAME: what a background etcdctl printed so far.
ctl_show() {
  N=$((N + 1))
  printf '### %03d output of %s\n' "$N" "$1"
  cat "$DIR/$1.out" "$DIR/$1.err"
}

etcdctl_transcript() {
  local P1 P2 OB L1
  ctl_bg elect1 elect e1 p1
  P1=$CTL_PID
  until_lines "$DIR/elect1.out" 2
  ctl_show elect1
  ctl_bg ctlobserve elect -l e1
  OB=$CTL_PID
  until_lines "$DIR/ctlobserve.out" 2
  ctl_bg elect2 elect e1 p2
  P2=$CTL_PID
  until_keys e1/ 2
  stop_pid "$P1"  # SIGTERM: the leader resigns
  until_lines "$DIR/elect2.out" 2
  until_lines "$DIR/ctlobserve.out" 4
  ctl_show elect2
  stop_pid "$P2"
  until_keys e1/ 0
  stop_pid "$OB"
  ctl_show ctlobserve
  ctl_bg lock1 lock l1
  L1=$CTL_PID
  until_lines "$DIR/lock1.out" 1
  ctl_show lock1
  ctl_bg lock2 lock l1 echo got-the-lock
  until_keys l1/ 2
  stop_pid "$L1"  # SIGTERM: the holder unlocks, the waiter runs its command and unlocks
  until_lines "$DIR/lock2.out" 1
  until_keys l1/ 0
  ctl_show lock2
  keys l1/
}

run_lock_side() {
  local bin=$1
  DIR=$2
  start_server "$bin" "$DIR" || exit 2
  EP="http://127.0.0.1:$CLIENT_PORT"
  CTL_EP="127.0.0.1:$CLIENT_PORT"
  N=0
  { gateway_transcript; etcdctl_transcript; } >"$DIR/raw.txt" 2>&1
  python3 "$NORMALIZE" <"$DIR/raw.txt" >"$DIR/norm.txt"
  stop_pid "$SERVER_PID"
}

run_lock_side "$SIDE_B_BIN" "$WORK/ref"
run_lock_side "$SIDE_A_BIN" "$WORK/pp"
[[ $(compat_env VERBOSE) == 1 ]] && cat "$WORK/pp/norm.txt"
COUNT=$(grep -c '^### ' "$WORK/pp/norm.txt")
if ! diff -u --label "$SIDE_B_BIN" --label "$SIDE_A_BIN" "$WORK/ref/norm.txt" "$WORK/pp/norm.txt"; then
  echo "election_lock_compat: transcripts differ (- reference, + etcdpp), $COUNT steps" >&2
  exit 1
fi
echo "election_lock_compat: $COUNT steps, 0 differences ($SIDE_A_BIN vs $SIDE_B_BIN)"
