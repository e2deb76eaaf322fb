#!/usr/bin/env bash
# member_compat.sh <etcdpp-binary> [reference-binary]
#
# Membership and cluster commands of the stock `etcdctl` against a 3-member cluster of each
# binary on loopback (issue 3, acceptance 1 and 4): member list / add (and --learner) / promote /
# update / remove, endpoint status --cluster, endpoint health --cluster, move-leader, and the
# refusals (malformed or used peer URLs, unknown ids, promoting a voter or a learner that has
# not caught up, a second learner, a removal that would break the active quorum). A learner
# is started, caught up and promoted; a removed member must shut itself down.
#
# Both clusters are made alike before the transcript: m0 is moved to leader (outside the
# transcript) and the script waits out etcd's 5 s health interval, within which etcd refuses
# member changes ("unhealthy cluster"). Normalized: member and cluster ids (by member name),
# ports (by member name), versions, terms, indexes, db sizes, durations, timestamps, client
# uuids; rows of tables and lists whose order follows the (port-derived) ids are sorted.
#
# Exit 0 only if the transcripts are identical after normalization, 1 with the diff, 2 for a
# setup failure. MEMBER_COMPAT_KEEP=1 keeps the temp dir; MEMBER_COMPAT_VERBOSE=1 prints the
# normalized transcript of the first side.
set -u -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

compat_init member_compat "$@"

FLAGS=(--heartbeat-interval=50 --election-timeout=500)

# start_member DIR NAME CPORT PPORT INITIAL-CLUSTER STATE : appends to STARTED_PIDS, sets PID_<NAME>.
start_member() {
  local dir=$1 name=$2 cp=$3 pp=$4 ic=$5 state=$6
  "$BIN" --name "$name" --data-dir "$dir/$name" \
    --listen-client-urls "http://127.0.0.1:$cp" --advertise-client-urls "http://127.0.0.1:$cp" \
    --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --initial-cluster "$ic" --initial-cluster-state "$state" "${FLAGS[@]}" >"$dir/$name.log" 2>&1 &
  local pid=$!
  STARTED_PIDS+=("$pid")
  printf -v "PID_$name" '%s' "$pid"
}

# wait_ready DIR NAME CPORT : the milestone line and an open client port (<= 20 s).
wait_ready() {
  local pid="PID_$2"
  wait_server_ready "${!pid}" "$1/$2.log" "$3" 20 "$2 ($BIN)"
}

# ctl ARGS... : etcdctl outside the transcript.
ctl() { "$ETCDCTL" --dial-timeout=3s --command-timeout=10s "$@" 2>/dev/null; }

# member_id ENDPOINT : the hex id of the member serving ENDPOINT.
member_id() { ctl --endpoints="$1" endpoint status | awk -F', ' '{print $2}'; }

# leader_endpoint : the endpoint of m0..m2 that reports being leader.
leader_endpoint() {
  ctl --endpoints="$EPS" endpoint status | awk -F', ' '$5 == "true" {print $1}' | head -n 1
}

run_script() {
  r member list -w table
  r member list
  r endpoint status --cluster -w table
  r endpoint health --cluster
  # Refusals.
  r member add bad --peer-urls=notaurl
  r member add bad --peer-urls=http://127.0.0.1:$PP_m1
  r member remove 1234abcd
  r member promote "$ID_m1"
  r member update 1234abcd --peer-urls=http://127.0.0.1:$PP_new
  r member update "$ID_m2" --peer-urls=http://127.0.0.1:$PP_m1
  # A learner: added, refused a second one, not promotable before it runs, removed.
  r member add learner1 --learner --peer-urls=http://127.0.0.1:$PP_new
  LEARNER1=$(sed -nE 's/^Member +([0-9a-f]+) added.*/\1/p' "$CTL_OUT.out")
  r member list -w table
  r member add learner2 --learner --peer-urls=http://127.0.0.1:$PP_new2
  r member promote "$LEARNER1"
  r member remove "$LEARNER1"
  # Updates and leadership.
  r member update "$ID_m2" --peer-urls=http://127.0.0.1:$PP_m2
  r move-leader "$ID_m1"
  r move-leader "$ID_m2"                    # m0 no longer leads
  EP=$EP1 r endpoint status --cluster -w table
  EP=$EP1 r move-leader "$ID_m0"
  # A learner that runs: promoted once it caught up.
  r member add m3 --learner --peer-urls=http://127.0.0.1:$PP_m3
  ID_m3=$(sed -nE 's/^Member +([0-9a-f]+) added.*/\1/p' "$CTL_OUT.out")
  start_member "$SIDE_DIR" m3 "$CP_m3" "$PP_m3" "$IC,m3=http://127.0.0.1:$PP_m3" existing
  wait_ready "$SIDE_DIR" m3 "$CP_m3" || return 1
  local i
  for ((i = 0; i < 100; i++)); do
    ctl --endpoints="$EP" member promote "$ID_m3" >/dev/null && break
    sleep 0.2
  done
  r member list -w table
  r member promote "$ID_m3"                 # a voter now
  # Remove m2: it shuts itself down.
  r member remove "$ID_m2"
  for ((i = 0; i < 100; i++)); do
    kill -0 "$PID_m2" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$PID_m2" 2>/dev/null; then echo "### m2 still runs after its removal"; else echo "### m2 exited"; fi
  r member list -w table
  # With m3 down, removing m1 would leave m0 alone among the members it reaches: refused.
  stop_pid "$PID_m3"
  sleep 1  # its peers notice the broken streams
  r member remove "$ID_m1"
  EP="127.0.0.1:$CP_m0,127.0.0.1:$CP_m1" r endpoint health --cluster
}

# run_side NAME BIN : a 3-member cluster, the transcript, normalization.
run_side() {
  local name=$1 dir="$WORK/$1" n
  BIN=$2
  SIDE_DIR=$dir
  mkdir -p "$dir"
  IC=
  for n in m0 m1 m2 m3; do
    printf -v "CP_$n" '%s' "$(free_port)"
    printf -v "PP_$n" '%s' "$(free_port)"
  done
  PP_new=$(free_port)
  PP_new2=$(free_port)
  IC="m0=http://127.0.0.1:$PP_m0,m1=http://127.0.0.1:$PP_m1,m2=http://127.0.0.1:$PP_m2"
  for n in m0 m1 m2; do
    local cp="CP_$n" pp="PP_$n"
    start_member "$dir" "$n" "${!cp}" "${!pp}" "$IC" new
  done
  for n in m0 m1 m2; do
    local cp="CP_$n"
    wait_ready "$dir" "$n" "${!cp}" || return 1
  done
  EP="127.0.0.1:$CP_m0"
  EP1="127.0.0.1:$CP_m1"
  EPS="127.0.0.1:$CP_m0,127.0.0.1:$CP_m1,127.0.0.1:$CP_m2"
  for n in m0 m1 m2; do
    local cp="CP_$n"
    printf -v "ID_$n" '%s' "$(member_id "127.0.0.1:${!cp}")"
  done
  CLUSTER_ID=$(ctl --endpoints="$EP" endpoint status -w json | sed -nE 's/.*"cluster_id":([0-9]+).*/\1/p')
  # m0 leads; then etcd's 5 s health interval (strict reconfiguration) passes.
  local lead
  lead=$(leader_endpoint)
  if [[ -n $lead && $lead != "$EP" ]]; then
    ctl --endpoints="$lead" move-leader "$ID_m0" >/dev/null
  fi
  sleep 6
  CTL_OUT="$dir/ctl"
  N=0
  run_script >"$dir/raw.txt" 2>&1
  for n in m0 m1 m2 m3; do
    local pid="PID_$n"
    [[ -n ${!pid:-} ]] && stop_pid "${!pid}"
  done
  local map="$dir/map"
  : >"$map"
  for n in m0 m1 m2 m3; do
    local id="ID_$n" cp="CP_$n" pp="PP_$n"
    echo "id ${!id:-none} $n" >>"$map"
    echo "port ${!cp} CP_$n" >>"$map"
    echo "port ${!pp} PP_$n" >>"$map"
  done
  echo "id ${LEARNER1:-none} learner1" >>"$map"
  echo "port $PP_new PP_new" >>"$map"
  echo "port $PP_new2 PP_new2" >>"$map"
  echo "cluster $CLUSTER_ID" >>"$map"
  python3 "$(dirname "${BASH_SOURCE[0]}")/member_compat_normalize.py" "$map" \
    <"$dir/raw.txt" >"$dir/normalized.txt"
  echo "$N" >"$dir/count"
}

compat_finish
