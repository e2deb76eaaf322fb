#!/usr/bin/env bash
# gateway_compat.sh <etcdpp-binary> [reference-binary]
#
# Sends one fixed list of curl requests (the JSON gateway across KV, Maintenance, Lease and
# Cluster, the errors the gateway shapes, /health, /version, paths that do not exist) to a fresh
# single-member server of each binary, records the HTTP status and body of each, normalizes
# what legitimately differs between two servers (cluster/member ids, raft term and index, lease
# ids, db sizes, hashes, versions) and diffs the two transcripts.
#
# A service etcdpp does not serve yet (its paths answer 501 there) is left out on both sides,
# with a note on stderr; at least 30 requests must be compared or the script fails.
# Exit 0 only if the transcripts are identical; otherwise the diff is printed and the exit code
# is 1 (2 for a setup failure).
#
# Environment: GATEWAY_COMPAT_KEEP=1 keeps the temp dir; GATEWAY_COMPAT_VERBOSE=1 prints the
# normalized transcript.
set -u -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

compat_init gateway_compat "$@" -- "$(command -v curl)"
PP_BIN=$SIDE_A_BIN
REF_BIN=$SIDE_B_BIN

# req METHOD PATH [BODY]: prints the request, the HTTP status and the body.
req() {
  local method=$1 path=$2 body=${3-}
  N=$((N + 1))
  printf '### %03d %s %s %s\n' "$N" "$method" "$path" "$body"
  local args=(-s -m 5 -X "$method" -o "$WORK/body" -w '%{http_code}')
  [[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  local code
  code=$(curl "${args[@]}" "$EP$path")
  echo "status $code"
  cat "$WORK/body"
  echo
}

# The requests of one service are sent only if etcdpp serves it (decided once, before).
SERVED=" "
served() { [[ $SERVED == *" $1 "* ]]; }

transcript() {
  req POST /v3/kv/put '{"key":"Zm9v","value":"YmFy"}'
  req POST /v3/kv/put '{"key":"Zm9vMg==","value":"YmF6","prev_kv":true}'
  req POST /v3/kv/put '{"key":"Zm9vMg==","value":"cXV4","prevKv":true}'
  req POST /v3/kv/range '{"key":"Zm9v"}'
  req POST /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w"}'
  req POST /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","limit":1}'
  req POST /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","keys_only":true}'
  req POST /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","count_only":true}'
  req POST /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","sort_order":"DESCEND","sort_target":"KEY"}'
  req POST /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","revision":"2"}'
  req POST /v3/kv/range '{"key":"Zm9v","range_end":"Zm9w","min_mod_revision":3}'
  req POST /v3/kv/range '{"key":"bm9uZQ=="}'
  req POST /v3beta/kv/range '{"key":"Zm9v","serializable":true}'
  req POST /v3/kv/range '{"key":"Zm9v","bogus_field":[1,2]}'
  req POST /v3/kv/txn '{"compare":[{"key":"Zm9v","target":"VALUE","value":"YmFy"}],"success":[{"request_range":{"key":"Zm9v"}},{"request_put":{"key":"dHg=","value":"MQ=="}}],"failure":[{"request_delete_range":{"key":"Zm9v"}}]}'
  req POST /v3/kv/txn '{"compare":[{"key":"Zm9v","target":"VERSION","result":"GREATER","version":5}],"success":[],"failure":[{"request_put":{"key":"dHg=","value":"Mg==","prev_kv":true}}]}'
  req POST /v3/kv/txn '{"success":[{"request_put":{"key":"ZA=="}},{"request_put":{"key":"ZA=="}}]}'
  req POST /v3/kv/deleterange '{"key":"Zm9vMg==","prev_kv":true}'
  req POST /v3/kv/deleterange '{"key":"bm9uZQ=="}'
  req POST /v3/kv/compaction '{"revision":3}'
  req POST /v3/kv/range '{"key":"Zm9v","revision":2}'
  req POST /v3/kv/compaction '{"revision":1000}'
  req POST /v3/kv/compaction '{"revision":2}'
  req POST /v3/kv/put '{"key":"","value":"YmFy"}'
  req POST /v3/kv/put '{"key":"Zm9v","value":"YmFy","ignore_value":true}'
  req POST /v3/kv/range ''
  req POST /v3/kv/range '{"key":"Zm9v"'
  req POST /v3/kv/range '{"key":"Zm9"}'
  req POST /v3/kv/range '{"key":"Zm9vY*=="}'
  req POST /v3/kv/range '{"key":"Zg="}'
  req POST /v3/kv/rangex '{"key":"Zm9v"}'
  req GET /v3/kv/range
  req GET /nonexistent
  req POST /v3/maintenance/status '{}'
  req GET /health
  req GET '/health?serializable=true'
  req GET '/health?exclude=NOSPACE'
  req POST /health
  req GET /version
  if served lease; then
    req POST /v3/lease/grant '{"TTL":60,"ID":4660}'
    req POST /v3/kv/put '{"key":"bGs=","value":"dg==","lease":4660}'
    req POST /v3/lease/timetolive '{"ID":4660,"keys":true}'
    req POST /v3/kv/lease/timetolive '{"ID":4660}'
    req POST /v3/lease/leases '{}'
    req POST /v3/lease/revoke '{"ID":4660}'
    req POST /v3/kv/lease/revoke '{"ID":4660}'
    req POST /v3/lease/timetolive '{"ID":4660}'
    req POST /v3/kv/range '{"key":"bGs="}'
    req POST /v3/lease/grant '{"TTL":60,"ID":4661}'
    req POST /v3/lease/keepalive '{"ID":4661}'
    req POST /v3/lease/keepalive '{"ID":99}'
  fi
  if served cluster; then
    req POST /v3/cluster/member/list '{}'
  fi
  if served maintenance-alarm; then
    req POST /v3/maintenance/alarm '{}'
  fi
}

# What differs legitimately between two members: ids, term/index, sizes, hashes, versions, and
# Status's 3.6-only fields (dbSizeQuota, storageVersion, downgradeInfo; 3.4 has none).
normalize() {
  sed -E \
    -e 's/"(cluster_id|member_id|leader|ID)":"[0-9]+"/"\1":"<id>"/g' \
    -e 's/"(raft_term|raftTerm|raftIndex|raftAppliedIndex)":"[0-9]+"/"\1":"<n>"/g' \
    -e 's/"(dbSize|dbSizeInUse)":"[0-9]+"/"\1":"<bytes>"/g' \
    -e 's/,"dbSizeQuota":"[0-9]+"//g' \
    -e 's/,"storageVersion":"[^"]*"//g; s/,"downgradeInfo":\{[^}]*\}//g' \
    -e 's/"hash":[0-9]+/"hash":<hash>/g' \
    -e 's/"(version|etcdserver|etcdcluster)":"3\.[0-9]+\.[0-9]+"/"\1":"<version>"/g' \
    -e 's/"TTL":"(59|60)"/"TTL":"<ttl>"/g' \
    -e 's/"peerURLs":\["[^"]*"\]/"peerURLs":["<url>"]/g; s/"clientURLs":\["[^"]*"\]/"clientURLs":["<url>"]/g'
}

run_gateway_side() {
  local bin=$1 dir=$2
  start_server "$bin" "$dir" || exit 2
  EP="http://127.0.0.1:$CLIENT_PORT"
  N=0
  transcript >"$dir/raw.txt" 2>&1
  normalize <"$dir/raw.txt" >"$dir/norm.txt"
  stop_pid "$SERVER_PID"
}

# Which optional services etcdpp serves (501 = not built yet).
probe() {
  start_server "$PP_BIN" "$WORK/probe" || exit 2
  local ep="http://127.0.0.1:$CLIENT_PORT" name path
  for pair in lease:/v3/lease/leases cluster:/v3/cluster/member/list maintenance-alarm:/v3/maintenance/alarm; do
    name=${pair%%:*} path=${pair#*:}
    if [[ $(curl -s -m 5 -o /dev/null -w '%{http_code}' -d '{}' "$ep$path") != 501 ]]; then
      SERVED+="$name "
    else
      echo "gateway_compat: etcdpp does not serve $name yet; its requests are left out" >&2
    fi
  done
  stop_pid "$SERVER_PID"
}

probe
run_gateway_side "$REF_BIN" "$WORK/ref"
run_gateway_side "$PP_BIN" "$WORK/pp"
[[ $(compat_env VERBOSE) == 1 ]] && cat "$WORK/pp/norm.txt"
COUNT=$(grep -c '^### ' "$WORK/pp/norm.txt")
if ! diff -u "$WORK/ref/norm.txt" "$WORK/pp/norm.txt"; then
  echo "gateway_compat: transcripts differ (- reference, + etcdpp)" >&2
  exit 1
fi
if ((COUNT < 30)); then
  echo "gateway_compat: only $COUNT requests compared (want >= 30)" >&2
  exit 1
fi
echo "gateway_compat: $COUNT requests, identical after normalization"
