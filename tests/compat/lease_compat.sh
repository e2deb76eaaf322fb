#!/usr/bin/env bash
# lease_compat.sh <etcdpp-binary> [reference-binary]
#
# The lease half of the compatibility test (same approach as kv_compat.sh): one fixed script of
# stock `etcdctl` lease commands (grant, revoke, timetolive [--keys], list, keep-alive [--once],
# put --lease, txn puts with a lease, expiry) against a fresh single-member server of each
# binary; stdout, stderr and exit codes are recorded, normalized and diffed.
#
# Normalized: what legitimately differs between two servers (member/cluster ids, raft term,
# client uuids, timestamps, ports), the server-chosen lease IDs (each replaced by <LEASE_n> in
# order of grant, in hex and decimal form) and the seconds a lease has left (timing). Granted
# TTLs, keepalive TTLs, attached keys, revisions and error messages are compared exactly.
#
# Exit 0 only if the transcripts are identical after normalization; 1 with the diff otherwise;
# 2 for a setup failure.
#
# Environment:
#   ETCDCTL                the client (default /usr/bin/etcdctl)
#   LEASE_COMPAT_KEEP=1    keep the temp dir (transcripts, server logs)
#   LEASE_COMPAT_VERBOSE=1 print the normalized transcript of the first side
set -u -o pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 <etcdpp-binary> [reference-binary]" >&2
  exit 2
fi
SIDE_A_BIN=$1
SIDE_B_BIN=${2:-/usr/bin/etcd}
ETCDCTL=${ETCDCTL:-/usr/bin/etcdctl}
export ETCDCTL_API=3

for b in "$SIDE_A_BIN" "$SIDE_B_BIN" "$ETCDCTL"; do
  if [[ ! -x $b ]]; then
    echo "lease_compat: not an executable: $b" >&2
    exit 2
  fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lease_compat.XXXXXX") || exit 2
STARTED_PIDS=()

cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    stop_pid "$pid"
  done
  if [[ ${LEASE_COMPAT_KEEP:-0} == 1 ]]; then
    echo "lease_compat: kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

# stop_pid PID: SIGTERM, up to 5 s grace, then SIGKILL. Only ever called with PIDs we started.
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now (kernel-chosen).
USED_PORTS=" "
free_port() {
  local p i
  for ((i = 0; i < 50; i++)); do
    if command -v python3 >/dev/null 2>&1; then
      p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    else
      p=$((20000 + RANDOM % 30000))
      (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    fi
    [[ $USED_PORTS == *" $p "* ]] && continue
    USED_PORTS+="$p "
    echo "$p"
    return 0
  done
  return 1
}

# start_server BIN DIR -> sets SERVER_PID, CLIENT_PORT, PEER_PORT. Waits (<= 10 s) for the log
# line "ready to serve client requests" and for the client port to accept connections.
start_server() {
  local bin=$1 dir=$2 i
  CLIENT_PORT=$(free_port) && PEER_PORT=$(free_port) || { echo "lease_compat: no free port" >&2; return 1; }
  mkdir -p "$dir"
  local curl="http://127.0.0.1:$CLIENT_PORT" purl="http://127.0.0.1:$PEER_PORT"
  "$bin" --name default --data-dir "$dir/data" \
    --listen-client-urls "$curl" --advertise-client-urls "$curl" \
    --listen-peer-urls "$purl" --initial-advertise-peer-urls "$purl" \
    --initial-cluster "default=$purl" >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  for ((i = 0; i < 100; i++)); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "lease_compat: $bin exited during startup; log tail:" >&2
      tail -n 30 "$dir/server.log" >&2
      return 1
    fi
    if grep -q "ready to serve client requests" "$dir/server.log" &&
      (exec 3<>"/dev/tcp/127.0.0.1/$CLIENT_PORT") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "lease_compat: $bin not ready after 10 s; log tail:" >&2
  tail -n 30 "$dir/server.log" >&2
  return 1
}

# ---------------------------------------------------------------------------------------------
# The transcript. Every command is numbered; its stdout, stderr and exit code are recorded.
# ---------------------------------------------------------------------------------------------
N=0
EP=
CTL_OUT=

# r ARGS... : etcdctl ARGS, stdin from /dev/null.
r() {
  rin "$@" </dev/null
}

# rin ARGS... : etcdctl ARGS with the caller's stdin (txn scripts, values from stdin).
rin() {
  N=$((N + 1))
  local shown
  shown=$(printf ' %q' "$@")
  printf '### %03d etcdctl%s\n' "$N" "$shown"
  "$ETCDCTL" --endpoints="$EP" --dial-timeout=3s --command-timeout=5s "$@" \
    >"$CTL_OUT.out" 2>"$CTL_OUT.err"
  local rc=$?
  echo "--- stdout"
  cat "$CTL_OUT.out"
  echo "--- stderr"
  cat "$CTL_OUT.err"
  echo "--- exit $rc"
}

# rt SECS ARGS... : etcdctl ARGS stopped after SECS seconds (commands that stream forever).
rt() {
  local secs=$1
  shift
  N=$((N + 1))
  local shown
  shown=$(printf ' %q' "$@")
  printf '### %03d timeout %s etcdctl%s\n' "$N" "$secs" "$shown"
  timeout "$secs" "$ETCDCTL" --endpoints="$EP" --dial-timeout=3s --command-timeout=5s "$@" \
    </dev/null >"$CTL_OUT.out" 2>"$CTL_OUT.err"
  local rc=$?
  echo "--- stdout"
  cat "$CTL_OUT.out"
  echo "--- stderr"
  cat "$CTL_OUT.err"
  echo "--- exit $rc"
}

# g ARGS... : etcdctl lease grant ARGS; LAST is the granted ID (hex), recorded for normalize.
g() {
  r lease grant "$@"
  LAST=$(sed -nE 's/^lease ([0-9a-f]+) granted.*/\1/p' "$CTL_OUT.out")
  [[ -n $LAST ]] && echo "$LAST" >>"$LEASE_IDS"
}

run_script() {
  # Grants: TTLs under the minimum (2 s with the default 100 ms / 1 s timers), too large.
  g 600
  local l1=$LAST
  g 600
  local l2=$LAST
  g 1
  r lease revoke "$LAST"
  g 0
  r lease revoke "$LAST"
  g 9000000000
  r lease revoke "$LAST"
  g 9000000001
  g abc
  r lease grant

  # Time to live, with and without keys.
  r lease timetolive "$l1"
  r lease timetolive "$l1" --keys
  r lease timetolive "$l1" -w json
  r lease timetolive 1234abcd
  r lease timetolive 1234abcd -w json
  r lease timetolive nothex

  # Puts with a lease; moving keys between leases; ignore-lease.
  r put k1 v1 --lease="$l1"
  r put k2 v2 --lease="$l1"
  r put k3 v3 --lease="$l2"
  r get k1 -w json
  r get k --prefix -w fields
  r lease timetolive "$l1" --keys
  r lease timetolive "$l2" --keys -w json
  r put k3 v3b --lease="$l1"
  r lease timetolive "$l2" --keys
  r lease timetolive "$l1" --keys
  r put k4 v4
  r put k4 v4b --ignore-lease
  r put k1 v1b --ignore-lease
  r get k1 -w json
  r put k1 v1c
  r lease timetolive "$l1" --keys
  r put k1 v1d --ignore-lease
  r get k1 -w json
  r put k5 v --lease=1234abcd
  r put missing x --ignore-lease
  r del k2
  r lease timetolive "$l1" --keys

  # Txn puts with a lease.
  rin txn <<EOF

put t1 x --lease=$l2
put t2 y --lease=$l2


EOF
  rin txn -w json <<EOF
value("t1") = "x"

put t3 z --lease=1234abcd


EOF
  rin txn <<EOF
value("t1") = "nope"

put t4 z --lease=1234abcd

put t4 w --lease=$l2

EOF
  r get t --prefix -w json
  r lease timetolive "$l2" --keys

  # Listing and keepalives.
  r lease list
  r lease list -w json
  r lease keep-alive --once "$l1"
  r lease keep-alive --once "$l1" -w json
  r lease keep-alive --once 1234abcd
  rt 2 lease keep-alive "$l2"
  rt 2 lease keep-alive 1234abcd

  # Revocation: every attached key in one revision.
  r lease revoke "$l2"
  r get t --prefix -w json
  r get "" --from-key --keys-only -w json
  r lease revoke "$l2"
  r lease timetolive "$l2" --keys
  r lease keep-alive --once "$l2"
  r lease revoke 1234abcd -w json
  r lease list

  # Expiry: a lease nobody keeps alive goes, with its keys, in one revision.
  g 2
  local le=$LAST
  r put e1 v --lease="$le"
  r put e2 v --lease="$le"
  r put e3 v --lease="$le"
  sleep 5
  r get e --prefix -w json
  r lease timetolive "$le"
  r lease keep-alive --once "$le"
  r get "" --from-key --keys-only -w json
  r lease list
}

# run_side NAME BIN : start, record the transcript, stop, normalize.
run_side() {
  local name=$1 bin=$2 dir="$WORK/$1"
  mkdir -p "$dir"
  start_server "$bin" "$dir" || return 1
  EP="127.0.0.1:$CLIENT_PORT"
  CTL_OUT="$dir/ctl"
  LEASE_IDS="$dir/leases"
  : >"$LEASE_IDS"
  N=0
  run_script >"$dir/raw.txt" 2>&1
  local status member cluster member_hex
  status=$("$ETCDCTL" --endpoints="$EP" endpoint status -w json 2>/dev/null)
  member=$(sed -nE 's/.*"member_id":([0-9]+).*/\1/p' <<<"$status")
  cluster=$(sed -nE 's/.*"cluster_id":([0-9]+).*/\1/p' <<<"$status")
  member_hex=$("$ETCDCTL" --endpoints="$EP" endpoint status 2>/dev/null | awk -F', ' '{print $2}')
  stop_pid "$SERVER_PID"
  if [[ ! $member =~ ^[0-9]+$ || ! $cluster =~ ^[0-9]+$ || ! $member_hex =~ ^[0-9a-f]+$ ]]; then
    echo "lease_compat: $name: cannot read member/cluster id from endpoint status: $status" >&2
    return 1
  fi
  normalize "$member" "$member_hex" "$cluster" "$CLIENT_PORT" "$LEASE_IDS" \
    <"$dir/raw.txt" >"$dir/normalized.txt"
  echo "$N" >"$dir/count"
}

# lease_seds LEASE_IDS_FILE : sed expressions replacing each granted ID (hex as etcdctl prints
# it, and decimal as JSON shows it) by <LEASE_n>.
lease_seds() {
  local n=0 hex
  while read -r hex; do
    n=$((n + 1))
    printf -- '-e\ns/(^|[^0-9a-f])%s([^0-9a-f]|$)/\\1<LEASE_%d>\\2/g\n' "$hex" "$n"
    printf -- '-e\ns/(^|[^0-9])%s([^0-9]|$)/\\1<LEASE_%d>\\2/g\n' "$((16#$hex))" "$n"
  done <"$1"
}

# normalize MEMBER_ID MEMBER_ID_HEX CLUSTER_ID CLIENT_PORT LEASE_IDS_FILE  (stdin -> stdout)
normalize() {
  local member=$1 member_hex=$2 cluster=$3 cport=$4
  local -a leases
  mapfile -t leases < <(lease_seds "$5")
  LC_ALL=C sed -E "${leases[@]}" \
    -e "s/(^|[^0-9])$member([^0-9]|\$)/\\1<MEMBER_ID>\\2/g" \
    -e "s/(^|[^0-9a-f])$member_hex([^0-9a-f]|\$)/\\1<MEMBER_ID>\\2/g" \
    -e "s/(^|[^0-9])$cluster([^0-9]|\$)/\\1<CLUSTER_ID>\\2/g" \
    -e "s/127\\.0\\.0\\.1:$cport([^0-9]|\$)/127.0.0.1:<CLIENT_PORT>\\1/g" \
    -e 's/"raft_term":[0-9]+/"raft_term":<TERM>/g' \
    -e 's/^"RaftTerm" : [0-9]+$/"RaftTerm" : <TERM>/' \
    -e 's/"ts":"[^"]*"/"ts":"<TS>"/g' \
    -e 's/endpoint:\/\/client-[0-9a-f-]+\//endpoint:\/\/client-<UUID>\//g' \
    -e 's/remaining\([0-9]+s\)/remaining(<R>s)/g' \
    -e '/"granted-ttl"/ s/"ttl":[0-9]+/"ttl":<R>/' |
    awk '
      # etcd lists attached keys in map order: sort them.
      match($0, /attached keys\(\[[^]]*\]\)/) {
        inner = substr($0, RSTART + 15, RLENGTH - 17)
        n = split(inner, ks, " ")
        for (i = 2; i <= n; i++) { v = ks[i]; for (j = i - 1; j >= 1 && ks[j] > v; j--) ks[j + 1] = ks[j]; ks[j + 1] = v }
        s = ""
        for (i = 1; i <= n; i++) s = s (i > 1 ? " " : "") ks[i]
        $0 = substr($0, 1, RSTART - 1) "attached keys([" s "])" substr($0, RSTART + RLENGTH)
      }
      { print }'
}

run_side a "$SIDE_A_BIN" || exit 2
run_side b "$SIDE_B_BIN" || exit 2

if [[ ${LEASE_COMPAT_VERBOSE:-0} == 1 ]]; then
  cat "$WORK/a/normalized.txt"
fi

count=$(cat "$WORK/a/count")
if diff -u --label "$SIDE_A_BIN" --label "$SIDE_B_BIN" \
  "$WORK/a/normalized.txt" "$WORK/b/normalized.txt" >"$WORK/diff.txt"; then
  echo "lease_compat: $count etcdctl commands, 0 differences ($SIDE_A_BIN vs $SIDE_B_BIN)"
  exit 0
fi
echo "lease_compat: differences ($SIDE_A_BIN vs $SIDE_B_BIN), $count commands:"
cat "$WORK/diff.txt"
exit 1
