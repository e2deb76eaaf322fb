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
    echo "watch_compat: not an executable: $b" >&2
    exit 2
  fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/watch_compat.XXXXXX") || exit 2
STARTED_PIDS=()

cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    stop_pid "$pid"
  done
  if [[ ${WATCH_COMPAT_KEEP:-0} == 1 ]]; then
    echo "watch_compat: kept $WORK" >&2
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
  CLIENT_PORT=$(free_port) && PEER_PORT=$(free_port) || { echo "watch_compat: no free port" >&2; return 1; }
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
      echo "watch_compat: $bin exited during startup; log tail:" >&2
      tail -n 30 "$dir/server.log" >&2
      return 1
    fi
    if grep -q "ready to serve client requests" "$dir/server.log" &&
      (exec 3<>"/dev/tcp/127.0.0.1/$CLIENT_PORT") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "watch_compat: $bin not ready after 10 s; log tail:" >&2
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
  N=$((N + 1))
  local shown
  shown=$(printf ' %q' "$@")
  printf '### %03d etcdctl%s\n' "$N" "$shown"
  "$ETCDCTL" --endpoints="$EP" --dial-timeout=3s --command-timeout=5s "$@" \
    </dev/null >"$CTL_OUT.out" 2>"$CTL_OUT.err"
  local rc=$?
  echo "--- stdout"
  cat "$CTL_OUT.out"
  echo "--- stderr"
  cat "$CTL_OUT.err"
  echo "--- exit $rc"
}

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
# the shell function ACTION, then waits (<= 10 s) until the output shows MARKER (a value in the
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
  for ((i = 0; i < 100; i++)); do
    grep -qF -- "$m" "$CTL_OUT.out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  local exited=running
  kill -0 "$pid" 2>/dev/null || exited=exited
  stop_pid "$pid"
  echo "--- stdout"
  cat "$CTL_OUT.out"
  echo "--- stderr"
  cat "$CTL_OUT.err"
  echo "--- $exited"
}

# wait_for MARKER PID: until the output shows MARKER or PID exits (<= 10 s).
wait_for() {
  local i
  for ((i = 0; i < 100; i++)); do
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
  local done_file="$CTL_OUT.done"
  rm -f "$done_file"
  (printf '%s\n' "$@"; while [[ ! -e $done_file ]]; do sleep 0.1; done) |
    "$ETCDCTL" --endpoints="$EP" --dial-timeout=3s watch -i >"$CTL_OUT.out" 2>"$CTL_OUT.err" &
  local pid=$!
  STARTED_PIDS+=("$pid")
  wait_for "$first" "$pid"
  $action
  wait_for "$last" "$pid"
  touch "$done_file"  # ends the feeding subshell (waiting for the pipeline waits for it too)
  stop_pid "$pid"
  echo "--- stdout"
  cat "$CTL_OUT.out"
  echo "--- stderr"
  cat "$CTL_OUT.err"
}

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
  wcase raw 3 0 none -- a c --rev 1
  wcase raw 3 0 none -- b --rev 4
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

# run_side NAME BIN : start, record the transcript, stop, normalize.
run_side() {
  local name=$1 bin=$2 dir="$WORK/$1"
  mkdir -p "$dir"
  start_server "$bin" "$dir" || return 1
  EP="127.0.0.1:$CLIENT_PORT"
  CTL_OUT="$dir/ctl"
  N=0
  run_script >"$dir/raw.txt" 2>&1
  # Ids, read once, to replace exact values rather than whole fields.
  local status member cluster member_hex
  status=$("$ETCDCTL" --endpoints="$EP" endpoint status -w json 2>/dev/null)
  # (Not jq: it parses numbers as doubles and would round 64-bit ids.)
  member=$(sed -nE 's/.*"member_id":([0-9]+).*/\1/p' <<<"$status")
  cluster=$(sed -nE 's/.*"cluster_id":([0-9]+).*/\1/p' <<<"$status")
  # The hex form as etcdctl prints it (simple/table status), from etcdctl itself.
  member_hex=$("$ETCDCTL" --endpoints="$EP" endpoint status 2>/dev/null | awk -F', ' '{print $2}')
  stop_pid "$SERVER_PID"
  if [[ ! $member =~ ^[0-9]+$ || ! $cluster =~ ^[0-9]+$ || ! $member_hex =~ ^[0-9a-f]+$ ]]; then
    echo "watch_compat: $name: cannot read member/cluster id from endpoint status: $status" >&2
    return 1
  fi
  normalize "$member" "$member_hex" "$cluster" "$CLIENT_PORT" "$PEER_PORT" \
    <"$dir/raw.txt" >"$dir/normalized.txt"
  echo "$N" >"$dir/count"
}

# normalize MEMBER_ID MEMBER_ID_HEX CLUSTER_ID CLIENT_PORT PEER_PORT  (stdin -> stdout)
normalize() {
  local member=$1 member_hex=$2 cluster=$3 cport=$4 pport=$5
  LC_ALL=C sed -E \
    -e "s/(^|[^0-9])$member([^0-9]|\$)/\\1<MEMBER_ID>\\2/g" \
    -e "s/(^|[^0-9a-f])$member_hex([^0-9a-f]|\$)/\\1<MEMBER_ID>\\2/g" \
    -e "s/(^|[^0-9])$cluster([^0-9]|\$)/\\1<CLUSTER_ID>\\2/g" \
    -e "s/127\\.0\\.0\\.1:$cport([^0-9]|\$)/127.0.0.1:<CLIENT_PORT>\\1/g" \
    -e "s/127\\.0\\.0\\.1:$pport([^0-9]|\$)/127.0.0.1:<PEER_PORT>\\1/g" \
    -e 's/"raft_term":[0-9]+/"raft_term":<TERM>/g' \
    -e 's/^"RaftTerm" : [0-9]+$/"RaftTerm" : <TERM>/' \
    -e 's/"ts":"[^"]*"/"ts":"<TS>"/g' \
    -e 's/endpoint:\/\/client-[0-9a-f-]+\//endpoint:\/\/client-<UUID>\//g' \
    -e 's/(is healthy: successfully committed proposal: took = )[0-9.]+[a-zµ]+/\1<DURATION>/' \
    -e 's/("took":")[0-9.]+[a-zµ]+"/\1<DURATION>"/g' \
    -e '/^\[\{"Endpoint"/ {
          s/"version":"[^"]*"/"version":"<VERSION>"/g
          s/"(dbSize|dbSizeInUse|raftIndex|raftTerm|raftAppliedIndex)":[0-9]+/"\1":<N>/g
        }' |
    awk -F', ' -v OFS=', ' '
      # endpoint status, simple format:
      # endpoint, id, version, db size, leader, learner, term, index, applied index, errors
      /^127\.0\.0\.1:<CLIENT_PORT>, / && NF >= 9 { $3 = "<VERSION>"; $4 = "<DB_SIZE>"; $7 = "<TERM>"; $8 = "<INDEX>"; $9 = "<INDEX>" }
      { print }' |
    awk -F'|' -v OFS='|' '
      # endpoint status, table format: collapse padding (widths follow the contents).
      /^\+[-+]+\+$/ { print "+-+"; next }
      /^\|/ {
        for (i = 2; i < NF; i++) { gsub(/^ +| +$/, "", $i) }
        if ($2 ~ /^127\.0\.0\.1:/ && NF >= 11) { $4 = "<VERSION>"; $5 = "<DB_SIZE>"; $8 = "<TERM>"; $9 = "<INDEX>"; $10 = "<INDEX>" }
        print; next
      }
      { print }'
}

run_side a "$SIDE_A_BIN" || exit 2
run_side b "$SIDE_B_BIN" || exit 2

if [[ ${WATCH_COMPAT_VERBOSE:-0} == 1 ]]; then
  cat "$WORK/a/normalized.txt"
fi

count=$(cat "$WORK/a/count")
if diff -u --label "$SIDE_A_BIN" --label "$SIDE_B_BIN" \
  "$WORK/a/normalized.txt" "$WORK/b/normalized.txt" >"$WORK/diff.txt"; then
  echo "watch_compat: $count etcdctl commands, 0 differences ($SIDE_A_BIN vs $SIDE_B_BIN)"
  exit 0
fi
echo "watch_compat: differences ($SIDE_A_BIN vs $SIDE_B_BIN), $count commands:"
cat "$WORK/diff.txt"
exit 1
