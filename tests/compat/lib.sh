# tests/compat/lib.sh — the harness the compatibility scripts share (sourced, not run).
#
# A compat script runs one fixed transcript against a fresh single-member server of each binary
# (etcdpp and the reference etcd), normalizes what legitimately differs between two servers and
# diffs the two. This file holds what every such script needs:
#
#   compat_init NAME ARGS...   parse "<etcdpp-binary> [reference-binary]" (SIDE_A_BIN, SIDE_B_BIN),
#                              check the executables, make WORK, stop our processes on exit
#                              (NAME_KEEP=1, e.g. KV_COMPAT_KEEP=1, keeps WORK)
#   stop_pid PID               SIGTERM, 5 s grace, SIGKILL (only PIDs the script started)
#   free_port                  a free 127.0.0.1 port, never the same one twice
#   start_server BIN DIR       SERVER_PID, CLIENT_PORT, PEER_PORT, once the server is ready
#   wait_server_ready ...      a started server's milestone line and open client port
#   r / rin / rt               one numbered etcdctl command of the transcript (stdout, stderr, exit)
#   run_side NAME BIN          start, run_script, read ids, stop, normalize (etcdctl transcripts)
#   normalize_etcdctl ...      ids, ports, terms, times, uuids, durations, endpoint status
#   compat_finish              diff side a against side b, print the verdict, exit
#   ctl_pair_init NAME ARGS... the arguments of a script comparing two etcdctls on one server
#
# Environment: ETCDCTL (default /usr/bin/etcdctl), NAME_KEEP=1, NAME_VERBOSE=1 (print the
# normalized transcript of the first side).

ETCDCTL=${ETCDCTL:-/usr/bin/etcdctl}
export ETCDCTL_API=3

# ctl_pair_init NAME ARGS... : for the scripts that run the etcdctl under test beside a
# reference one on one server: ARGS are <server-binary> <etcdctl-under-test>
# [reference-etcdctl] (exit 2 with the usage otherwise); sets SERVER, CTL_TESTED and
# CTL_REFERENCE (default /usr/bin/etcdctl), then compat_init NAME.
ctl_pair_init() {
  local name=$1
  shift
  if [[ $# -lt 2 || $# -gt 3 ]]; then
    echo "usage: $0 <server-binary> <etcdctl-under-test> [reference-etcdctl]" >&2
    exit 2
  fi
  SERVER=$1
  CTL_TESTED=$2
  CTL_REFERENCE=${3:-/usr/bin/etcdctl}
  compat_init "$name" "$SERVER" "$SERVER" -- "$CTL_TESTED" "$CTL_REFERENCE"
}

# compat_init NAME ARGS... [-- EXTRA-EXECUTABLES...] : NAME is the script's name (kv_compat).
compat_init() {
  COMPAT_NAME=$1
  shift
  local -a args=() extra=("$ETCDCTL")
  while [[ $# -gt 0 && $1 != -- ]]; do args+=("$1"); shift; done
  if [[ $# -gt 0 ]]; then shift; extra=("$@"); fi
  if [[ ${#args[@]} -lt 1 || ${#args[@]} -gt 2 ]]; then
    echo "usage: $0 <etcdpp-binary> [reference-binary]" >&2
    exit 2
  fi
  SIDE_A_BIN=${args[0]}
  SIDE_B_BIN=${args[1]:-/usr/bin/etcd}
  local b
  for b in "$SIDE_A_BIN" "$SIDE_B_BIN" "${extra[@]}"; do
    if [[ ! -x $b ]]; then
      echo "$COMPAT_NAME: not an executable: $b" >&2
      exit 2
    fi
  done
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/$COMPAT_NAME.XXXXXX") || exit 2
  STARTED_PIDS=()
  trap compat_cleanup EXIT
}

# compat_env SUFFIX : the value of ${NAME^^}_SUFFIX (e.g. KV_COMPAT_KEEP), 0 if unset.
compat_env() {
  local var="${COMPAT_NAME^^}_$1"
  echo "${!var:-0}"
}

compat_cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    stop_pid "$pid"
  done
  if [[ $(compat_env KEEP) == 1 ]]; then
    echo "$COMPAT_NAME: kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}

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

# start_server BIN DIR [EXTRA-FLAGS...] -> sets SERVER_PID, CLIENT_PORT, PEER_PORT. Waits
# (<= 10 s) for the log line "ready to serve client requests" and for the client port to
# accept connections.
start_server() {
  local bin=$1 dir=$2 i
  shift 2
  CLIENT_PORT=$(free_port) && PEER_PORT=$(free_port) || { echo "$COMPAT_NAME: no free port" >&2; return 1; }
  mkdir -p "$dir"
  local curl="http://127.0.0.1:$CLIENT_PORT" purl="http://127.0.0.1:$PEER_PORT"
  "$bin" --name default --data-dir "$dir/data" \
    --listen-client-urls "$curl" --advertise-client-urls "$curl" \
    --listen-peer-urls "$purl" --initial-advertise-peer-urls "$purl" \
    --initial-cluster "default=$purl" "$@" >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  wait_server_ready "$SERVER_PID" "$dir/server.log" "$CLIENT_PORT" 10 "$bin"
}

# wait_server_ready PID LOG PORT SECS WHAT : until LOG says "ready to serve client requests"
# and PORT accepts connections (<= SECS s); fails with the log tail if PID exits or time runs out.
wait_server_ready() {
  local pid=$1 log=$2 port=$3 secs=$4 what=$5 i
  for ((i = 0; i < secs * 10; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$COMPAT_NAME: $what exited during startup; log tail:" >&2
      tail -n 30 "$log" >&2
      return 1
    fi
    if grep -qs "ready to serve client requests" "$log" &&
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "$COMPAT_NAME: $what not ready after $secs s; log tail:" >&2
  tail -n 30 "$log" >&2
  return 1
}

# ---------------------------------------------------------------------------------------------
# etcdctl transcripts. Every command is numbered; its stdout, stderr and exit code are recorded.
# ---------------------------------------------------------------------------------------------
N=0
EP=
CTL_OUT=

# print_ctl LAST : the recorded stdout and stderr of the command, then "--- LAST".
print_ctl() {
  echo "--- stdout"
  cat "$CTL_OUT.out"
  echo "--- stderr"
  cat "$CTL_OUT.err"
  echo "--- $1"
}

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
  print_ctl "exit $?"
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
  print_ctl "exit $?"
}

# run_side NAME BIN : start, record the transcript (the script's run_script; its optional
# before_script hook runs first), read the ids, stop, normalize (the script's normalize, called
# as normalize MEMBER_ID MEMBER_ID_HEX CLUSTER_ID CLIENT_PORT PEER_PORT).
run_side() {
  local name=$1 bin=$2 dir="$WORK/$1"
  mkdir -p "$dir"
  start_server "$bin" "$dir" || return 1
  EP="127.0.0.1:$CLIENT_PORT"
  CTL_OUT="$dir/ctl"
  N=0
  # Ids, read once before the script (a fresh server answers at once), to replace exact values
  # rather than whole fields.
  # (Three tries: on a loaded machine one status call may time out.)
  local status member cluster member_hex try
  for ((try = 0; try < 3; try++)); do
    status=$("$ETCDCTL" --endpoints="$EP" --command-timeout=10s endpoint status -w json 2>/dev/null)
    # (Not jq: it parses numbers as doubles and would round 64-bit ids.)
    member=$(sed -nE 's/.*"member_id":([0-9]+).*/\1/p' <<<"$status")
    cluster=$(sed -nE 's/.*"cluster_id":([0-9]+).*/\1/p' <<<"$status")
    # The hex form as etcdctl prints it (simple/table status), from etcdctl itself.
    member_hex=$("$ETCDCTL" --endpoints="$EP" --command-timeout=10s endpoint status 2>/dev/null | awk -F', ' '{print $2}')
    [[ $member =~ ^[0-9]+$ && $cluster =~ ^[0-9]+$ && $member_hex =~ ^[0-9a-f]+$ ]] && break
  done
  if declare -F before_script >/dev/null; then before_script "$dir"; fi
  run_script >"$dir/raw.txt" 2>&1
  stop_pid "$SERVER_PID"
  if [[ ! $member =~ ^[0-9]+$ || ! $cluster =~ ^[0-9]+$ || ! $member_hex =~ ^[0-9a-f]+$ ]]; then
    echo "$COMPAT_NAME: $name: cannot read member/cluster id from endpoint status: $status" >&2
    return 1
  fi
  normalize "$member" "$member_hex" "$cluster" "$CLIENT_PORT" "$PEER_PORT" \
    <"$dir/raw.txt" >"$dir/normalized.txt"
  echo "$N" >"$dir/count"
}

# normalize_etcdctl MEMBER_ID MEMBER_ID_HEX CLUSTER_ID CLIENT_PORT PEER_PORT  (stdin -> stdout)
normalize_etcdctl() {
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

# compat_finish : runs both sides (side a = SIDE_A_BIN driven by SIDE_A_ETCDCTL, side b =
# SIDE_B_BIN driven by SIDE_B_ETCDCTL; both etcdctls default to ETCDCTL), diffs their
# normalized transcripts and exits 0 (identical), 1 (the diff is printed) or 2 (setup failure).
# SIDE_A_LABEL / SIDE_B_LABEL name the sides in the verdict (default: the server binaries).
compat_finish() {
  local a_label=${SIDE_A_LABEL:-$SIDE_A_BIN} b_label=${SIDE_B_LABEL:-$SIDE_B_BIN} ctl=$ETCDCTL
  ETCDCTL=${SIDE_A_ETCDCTL:-$ctl}
  run_side a "$SIDE_A_BIN" || exit 2
  ETCDCTL=${SIDE_B_ETCDCTL:-$ctl}
  run_side b "$SIDE_B_BIN" || exit 2
  ETCDCTL=$ctl
  if [[ $(compat_env VERBOSE) == 1 ]]; then
    cat "$WORK/a/normalized.txt"
  fi
  local count
  count=$(cat "$WORK/a/count")
  if diff -u --label "$a_label" --label "$b_label" \
    "$WORK/a/normalized.txt" "$WORK/b/normalized.txt" >"$WORK/diff.txt"; then
    echo "$COMPAT_NAME: $count etcdctl commands, 0 differences ($a_label vs $b_label)"
    exit 0
  fi
  echo "$COMPAT_NAME: differences ($a_label vs $b_label), $count commands:"
  cat "$WORK/diff.txt"
  exit 1
}
