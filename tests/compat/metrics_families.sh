#!/usr/bin/env bash
# metrics_families.sh <etcdpp-binary> [reference-binary]
#
# The metric families of /metrics, etcdpp against the reference etcd 3.4 (issue 22,
# acceptance 4). A 3-member cluster of each binary on loopback runs the same workload through
# the stock etcdctl (puts, gets, a txn, a watch, a lease granted, kept alive, attached and
# revoked, a compaction, a defragmentation, a snapshot, hashkv, member list, endpoint status
# and health, /health); then every member's /metrics is scraped, one member is stopped and
# the two others are scraped again after a few writes; metrics_families.py
# compares the families (name, type, label names, histogram buckets) with Prometheus' own
# text-format parser, which must parse both. The families of etcd that have no meaning here
# are listed with the reason in metrics_families.py (LEFT_OUT).
#
# Exit 0 if every family of etcd's is in ours alike, 1 with the differences, 2 for a setup
# failure. METRICS_FAMILIES_KEEP=1 keeps the temp dir (the scrapes are in a/ and b/).
set -u -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PYTHON=${PYTHON:-/usr/bin/python3}  # Debian's, with python3-prometheus-client
compat_init metrics_families "$@" -- "$ETCDCTL" "$PYTHON"
if ! "$PYTHON" -c 'import prometheus_client' 2>/dev/null; then
  echo "metrics_families: $PYTHON has no prometheus_client (apt-get install python3-prometheus-client)" >&2
  exit 2
fi

FLAGS=(--heartbeat-interval=50 --election-timeout=500 --snapshot-count=10000)

# ctl ARGS... : etcdctl against the side's three members; fails the side on error.
ctl() {
  if ! "$ETCDCTL" --endpoints="$EPS" --dial-timeout=3s --command-timeout=10s "$@" \
    >>"$SIDE_DIR/workload.log" 2>&1; then
    echo "metrics_families: $SIDE_BIN: etcdctl $* failed; see $SIDE_DIR/workload.log" >&2
    return 1
  fi
}

# put_retried KEY VALUE : a put that may meet the election m2's stop caused (a put forwarded
# to a stopped leader times out, on etcd as here): up to 10 tries of 3 s.
put_retried() {
  local try
  for ((try = 0; try < 10; try++)); do
    "$ETCDCTL" --endpoints="$EPS" --dial-timeout=3s --command-timeout=3s put "$1" "$2" \
      >>"$SIDE_DIR/workload.log" 2>&1 && return 0
  done
  echo "metrics_families: $SIDE_BIN: etcdctl put $1 failed 10 times; see $SIDE_DIR/workload.log" >&2
  return 1
}

# workload : the same requests on both sides.
workload() {
  local i lease rev
  for ((i = 0; i < 20; i++)); do ctl put "key$i" "value$i" || return 1; done
  ctl get key1 || return 1
  ctl get --prefix key || return 1
  ctl get --consistency=s key2 || return 1
  ctl del key19 || return 1
  printf 'value("key1") = "value1"\n\nput key1 swapped\n\nput key1 other\n\n' |
    ctl txn || return 1
  "$ETCDCTL" --endpoints="$EPS" --dial-timeout=3s watch --rev=1 --prefix key </dev/null \
    >"$SIDE_DIR/watch.out" 2>&1 &
  local watch_pid=$!
  STARTED_PIDS+=("$watch_pid")
  lease=$("$ETCDCTL" --endpoints="$EPS" --command-timeout=10s lease grant 60 | awk '{print $2}')
  [[ $lease =~ ^[0-9a-f]+$ ]] || { echo "metrics_families: no lease id" >&2; return 1; }
  ctl put --lease="$lease" leased v || return 1
  ctl lease keep-alive --once "$lease" || return 1
  ctl lease timetolive --keys "$lease" || return 1
  ctl lease revoke "$lease" || return 1
  ctl put key0 after-watch || return 1
  for ((i = 0; i < 100; i++)); do  # the watch receives its events (<= 10 s)
    grep -q after-watch "$SIDE_DIR/watch.out" && break
    sleep 0.1
  done
  stop_pid "$watch_pid"
  grep -q after-watch "$SIDE_DIR/watch.out" || {
    echo "metrics_families: $SIDE_BIN: the watch saw no event" >&2
    return 1
  }
  rev=$("$ETCDCTL" --endpoints="$EPS" --command-timeout=10s get key0 -w json |
    sed -nE 's/.*"revision":([0-9]+).*/\1/p')
  [[ $rev =~ ^[0-9]+$ ]] || { echo "metrics_families: no revision" >&2; return 1; }
  ctl compaction --physical "$((rev - 2))" || return 1
  ctl defrag || return 1
  EPS=${EPS%%,*} ctl snapshot save "$SIDE_DIR/snap.db" || return 1  # one member only
  ctl endpoint hashkv || return 1
  ctl member list || return 1
  ctl endpoint status || return 1
  ctl endpoint health || return 1
  local ep
  for ep in ${EPS//,/ }; do curl -sf "http://$ep/health" >>"$SIDE_DIR/workload.log" || return 1; done
}

# run_side NAME BIN : a 3-member cluster, the workload, one scrape of each member.
run_side() {
  local name=$1 n i
  SIDE_BIN=$2
  SIDE_DIR="$WORK/$name"
  mkdir -p "$SIDE_DIR"
  local -A cp pp pid
  local ic=
  for n in m0 m1 m2; do
    cp[$n]=$(free_port) && pp[$n]=$(free_port) || return 1
    ic+="${ic:+,}$n=http://127.0.0.1:${pp[$n]}"
  done
  EPS=
  for n in m0 m1 m2; do
    "$SIDE_BIN" --name "$n" --data-dir "$SIDE_DIR/$n" \
      --listen-client-urls "http://127.0.0.1:${cp[$n]}" \
      --advertise-client-urls "http://127.0.0.1:${cp[$n]}" \
      --listen-peer-urls "http://127.0.0.1:${pp[$n]}" \
      --initial-advertise-peer-urls "http://127.0.0.1:${pp[$n]}" \
      --initial-cluster "$ic" "${FLAGS[@]}" >"$SIDE_DIR/$n.log" 2>&1 &
    pid[$n]=$!
    STARTED_PIDS+=("${pid[$n]}")
    EPS+="${EPS:+,}127.0.0.1:${cp[$n]}"
  done
  for n in m0 m1 m2; do
    wait_server_ready "${pid[$n]}" "$SIDE_DIR/$n.log" "${cp[$n]}" 20 "$n ($SIDE_BIN)" || return 1
  done
  workload || return 1
  mkdir -p "$SIDE_DIR/scrapes"
  for n in m0 m1 m2; do scrape "$n" "${cp[$n]}" || return 1; done
  # m2 stops: its peers' sends to it fail (etcd_network_peer_sent_failures_total) and they see
  # it disconnect; a few writes make traffic towards it, then the two others are scraped again.
  stop_pid "${pid[m2]}"
  EPS="127.0.0.1:${cp[m0]},127.0.0.1:${cp[m1]}"
  for ((i = 0; i < 5; i++)); do put_retried after-stop "$i" || return 1; done
  sleep 1
  for n in m0 m1; do scrape "$n-after-stop" "${cp[$n]}" || return 1; done
  for n in m0 m1; do stop_pid "${pid[$n]}"; done
}

# scrape NAME PORT : /metrics of the member on PORT into scrapes/NAME.metrics.
scrape() {
  curl -sf "http://127.0.0.1:$2/metrics" >"$SIDE_DIR/scrapes/$1.metrics" && return 0
  echo "metrics_families: $SIDE_BIN: no /metrics from $1" >&2
  return 1
}

run_side a "$SIDE_A_BIN" || exit 2
run_side b "$SIDE_B_BIN" || exit 2
"$PYTHON" "$(dirname "${BASH_SOURCE[0]}")/metrics_families.py" "$WORK/a/scrapes" "$WORK/b/scrapes"
