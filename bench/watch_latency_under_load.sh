#!/usr/bin/env bash
# Usage: bench/watch_latency_under_load.sh   (after building etcdpp and etcdpp-bench)
#
# Event delivery latency of 1,000 watchers while one member takes about 1,000 puts/s (issue 4):
# etcdpp-bench watch-latency (1,000 watchers on 100 connections, probe puts on the watched key,
# paced at 100/s but one at a time) plus 900 background puts/s on other keys (10 conns, 50
# clients, 256 B values). Three alternating rounds, etcdpp then the reference etcd, a fresh
# single-member server per round; prints each side's JSON summaries (take the medians).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build/bin/etcdpp-bench
run() {
  local sys=$1 bin=$2 d
  d=$(mktemp -d "$ROOT/build/wl-XXXX")
  # Ports: random in 30000-49999 on loopback (a clash fails that round visibly).
  local cp=$((30000 + RANDOM % 20000)) pp=$((30000 + RANDOM % 20000))
  "$bin" --name m --data-dir "$d/data" --listen-client-urls "http://127.0.0.1:$cp" \
    --advertise-client-urls "http://127.0.0.1:$cp" --listen-peer-urls "http://127.0.0.1:$pp" \
    --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --initial-cluster "m=http://127.0.0.1:$pp" >"$d/log" 2>&1 &
  local pid=$! i
  for i in $(seq 100); do
    etcdctl --endpoints="127.0.0.1:$cp" put warm 1 >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$B" --endpoints "127.0.0.1:$cp" --conns 10 --clients 50 --json put --rate 900 --duration 12 \
    --key-size 8 --val-size 256 --key-space-size 100000 >"$d/bg.json" 2>&1 &
  local bg=$!
  sleep 1
  "$B" --endpoints "127.0.0.1:$cp" --conns 100 --clients 1000 --json watch-latency --total 500 \
    --put-rate 100 >"$d/wl.json" 2>&1
  wait "$bg"
  echo "$sys watch-latency: $(tail -1 "$d/wl.json")"
  echo "$sys background puts: $(tail -1 "$d/bg.json")"
  kill "$pid"
  wait "$pid" 2>/dev/null
  rm -rf "$d"
}
for r in 1 2 3; do
  run etcdpp "$ROOT/build/bin/etcdpp"
  run etcd /usr/bin/etcd
done
