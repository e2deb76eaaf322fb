#!/usr/bin/env bash
# kv_compat.sh <etcdpp-binary> [reference-binary]
#
# Runs one fixed script of stock `etcdctl` (v3 API) commands against a fresh single-member
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
#   KV_COMPAT_KEEP=1    keep the temp dir (transcripts, server logs) for inspection
#   KV_COMPAT_VERBOSE=1 print the normalized transcript of the first side
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
    echo "kv_compat: not an executable: $b" >&2
    exit 2
  fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kv_compat.XXXXXX") || exit 2
STARTED_PIDS=()

cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    stop_pid "$pid"
  done
  if [[ ${KV_COMPAT_KEEP:-0} == 1 ]]; then
    echo "kv_compat: kept $WORK" >&2
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
  CLIENT_PORT=$(free_port) && PEER_PORT=$(free_port) || { echo "kv_compat: no free port" >&2; return 1; }
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
      echo "kv_compat: $bin exited during startup; log tail:" >&2
      tail -n 30 "$dir/server.log" >&2
      return 1
    fi
    if grep -q "ready to serve client requests" "$dir/server.log" &&
      (exec 3<>"/dev/tcp/127.0.0.1/$CLIENT_PORT") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "kv_compat: $bin not ready after 10 s; log tail:" >&2
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

run_script() {
  # Basic put/get, prev-kv, output formats.
  r put foo bar
  r get foo
  r put foo bar2 --prev-kv
  r put foo bar3 --prev-kv -w json
  r get foo -w json
  r get foo -w fields
  r get foo --print-value-only
  r get missing
  r get missing -w json
  r get ""                                  # empty key: server rejects
  r put emptyval ""                         # empty value is legal
  r get emptyval -w json
  r get emptyval -w fields

  # A small key space: a..e, then overwrite some keys so versions/mod revisions differ.
  r put a va
  r put b vb
  r put c vc
  r put d vd
  r put e ve
  r put a va2
  r put a va3
  r put c vc2
  r get a e                                 # [a, e)
  r get a --from-key
  r get c --from-key --keys-only
  r get a --from-key --limit 2 -w json      # more=true, count = all
  r get "" --prefix --keys-only
  r get "" --from-key --limit 3 -w fields
  r get a --rev 15                          # an older version of a
  r get a --rev 15 -w json
  r get --prefix "" --limit 1 --keys-only -w json

  # Sorting: values and versions are distinct within s/ so ties cannot reorder.
  r put s/1 zz
  r put s/2 yy
  r put s/2 yy2
  r put s/3 aa
  r put s/3 aa2
  r put s/3 aa3
  r put s/1 zz2
  r put s/1 zz3
  r put s/1 zz4
  r put s/4 mm
  r get s/ --prefix --sort-by KEY --order DESCEND
  r get s/ --prefix --sort-by KEY --order ASCEND
  r get s/ --prefix --sort-by CREATE --order DESCEND
  r get s/ --prefix --sort-by CREATE --order ASCEND -w json
  r get s/ --prefix --sort-by MODIFY --order ASCEND
  r get s/ --prefix --sort-by MODIFY --order DESCEND --keys-only
  r get s/ --prefix --sort-by VALUE --order ASCEND
  r get s/ --prefix --sort-by VALUE --order DESCEND --print-value-only
  r get s/ --prefix --sort-by VERSION --order ASCEND -w fields
  r get s/ --prefix --sort-by VERSION --order DESCEND
  r get s/ --prefix --sort-by VALUE --limit 2 -w json   # limit applies after sorting
  r get s/ --prefix --order DESCEND --limit 3           # order without sort-by: by key
  r get s/ --prefix --sort-by MODIFY                    # sort-by without order: ascend

  # Unusual keys and values, shown raw, as --hex and as base64 (json).
  r put "key with spaces" "value with spaces"
  r put "ключ/🔑" "значение ✓"
  r put "$(printf 'bin\x01\x02\x7f\xfe\xff')" "$(printf 'v\x03\xff')"
  r get "key with spaces"
  r get "ключ/🔑" -w json
  r get "$(printf 'bin\x01\x02\x7f\xfe\xff')" --hex
  r get "" --from-key --hex --keys-only
  r get "" --from-key --hex -w fields
  r get "" --from-key -w json

  # Transactions from stdin: compares on value/version/create/mod, success and failure ops.
  rin txn <<'EOF'
value("foo") = "bar3"
version("foo") = "3"
create("foo") = "2"
mod("foo") > "3"

put foo txn-success
get foo
del emptyval

put foo txn-failure

EOF
  rin txn -w json <<'EOF'
value("foo") = "no-such-value"

put foo never

put tx/fail yes
get foo
get s/ --prefix --limit 1
del missing-key

EOF
  rin txn <<'EOF'
version("a") < "2"
mod("missing") = "0"

put never x

get a --rev 15
put a va4 --prev-kv

EOF
  rin txn -w fields <<'EOF'
create("tx/fail") != "0"
value("a") > "va"

del tx/ --prefix --prev-kv
get tx/ --prefix --keys-only


EOF
  rin txn <<'EOF'

put tx/nocmp 1
put tx/nocmp2 2


EOF
  rin txn <<'EOF'
value("a") = "va4"

put dup x
put dup y


EOF
  {
    echo
    for ((i = 0; i < 129; i++)); do echo "put big/$i v"; done
    echo
    echo
  } >"$CTL_OUT.txn"
  rin txn <"$CTL_OUT.txn"                   # 129 ops > default --max-txn-ops 128
  {
    echo
    for ((i = 0; i < 128; i++)); do echo "put big/$i v"; done
    echo
    echo
  } >"$CTL_OUT.txn"
  rin txn -w json <"$CTL_OUT.txn"           # exactly 128 ops: allowed
  r get big/ --prefix --keys-only --limit 1 -w json
  r del big/ --prefix

  # Leases: a lease that does not exist; ignore flags.
  r put leased v --lease=1234abcd
  r put foo --ignore-value
  r put foo v --ignore-value
  r put foo --ignore-lease x

  # Deletes: missing keys, ranges, prefix, from-key, prev-kv.
  r del missing
  r del missing -w json
  r del a --prev-kv
  r del b c                                 # [b, c)
  r get "" --from-key --keys-only
  r del s/ --prefix --prev-kv -w json
  r del s/ --prefix
  r del "key with spaces" --from-key --prev-kv --hex
  r get "" --from-key -w json

  # A request over the default --max-request-bytes (1.5 MiB): value read from stdin.
  head -c $((1536 * 1024 + 100)) /dev/zero | tr '\0' 'x' >"$CTL_OUT.big"
  rin put bigvalue <"$CTL_OUT.big"
  r get bigvalue -w json

  # History and compaction.
  r put h v1
  r put h v2
  r put h v3
  r get h -w json
  r get h --rev 2 -w json
  r compaction 5
  r get foo --rev 4                         # compacted
  r get foo --rev 5 -w json                 # the compaction revision itself is readable
  r compaction 5                            # already compacted
  r compaction 3
  r compaction 100000                       # future
  r get foo --rev 100000                    # future
  r compaction --physical 10
  r get foo --rev 9
  r get h --rev 10 -w json
  rin txn <<<$'\n\n\n'                       # empty txn
  rin txn <<'EOF'

get foo --rev 4


EOF
  r put after-compaction ok -w json
  r get "" --from-key --keys-only -w json

  # Status and health.
  r endpoint status
  r endpoint status -w json
  r endpoint status -w table
  r endpoint health
  r endpoint health -w json
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
    echo "kv_compat: $name: cannot read member/cluster id from endpoint status: $status" >&2
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

if [[ ${KV_COMPAT_VERBOSE:-0} == 1 ]]; then
  cat "$WORK/a/normalized.txt"
fi

count=$(cat "$WORK/a/count")
if diff -u --label "$SIDE_A_BIN" --label "$SIDE_B_BIN" \
  "$WORK/a/normalized.txt" "$WORK/b/normalized.txt" >"$WORK/diff.txt"; then
  echo "kv_compat: $count etcdctl commands, 0 differences ($SIDE_A_BIN vs $SIDE_B_BIN)"
  exit 0
fi
echo "kv_compat: differences ($SIDE_A_BIN vs $SIDE_B_BIN), $count commands:"
cat "$WORK/diff.txt"
exit 1
