#!/usr/bin/env bash
# Times 10,000 sequential puts and 10,000 sequential serializable gets from one client against
# etcdpp and the reference etcd, same machine, same run, alternating A B A B; prints ratios.
#   bench/compare_seq.sh [build/bin/etcdpp] [/usr/bin/etcd] [rounds]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PP=${1:-$ROOT/build/bin/etcdpp}
REF=${2:-/usr/bin/etcd}
ROUNDS=${3:-3}
BENCH=$(dirname "$PP")/etcdpp-seq-bench
TOTAL=${TOTAL:-10000}
WORK=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
PID=""

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_one() {  # binary op -> seconds
  local bin=$1 op=$2 cp pp dir
  cp=$(free_port); pp=$(free_port); dir=$WORK/d.$RANDOM
  "$bin" --name b --data-dir "$dir" --listen-client-urls http://127.0.0.1:$cp \
    --advertise-client-urls http://127.0.0.1:$cp --listen-peer-urls http://127.0.0.1:$pp \
    --initial-advertise-peer-urls http://127.0.0.1:$pp --initial-cluster b=http://127.0.0.1:$pp \
    >"$dir.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do grep -q "ready to serve client requests" "$dir.log" 2>/dev/null && break; sleep 0.1; done
  local out; out=$("$BENCH" --endpoint 127.0.0.1:$cp --op "$op" --total "$TOTAL")
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  echo "$out" | sed -E 's/.*seconds=([0-9.]+).*/\1/'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for op in put get; do
  pp_times=(); ref_times=()
  for r in $(seq "$ROUNDS"); do
    pp_times+=("$(run_one "$PP" $op)")
    ref_times+=("$(run_one "$REF" $op)")
  done
  pp_med=$(printf '%s\n' "${pp_times[@]}" | median)
  ref_med=$(printf '%s\n' "${ref_times[@]}" | median)
  ratio=$(awk -v a="$pp_med" -v b="$ref_med" 'BEGIN {printf "%.2f", a/b}')
  echo "$op x$TOTAL sequential: etcdpp ${pp_med}s  etcd ${ref_med}s  time ratio etcdpp/etcd = $ratio  (rounds: etcdpp ${pp_times[*]} / etcd ${ref_times[*]})"
done
