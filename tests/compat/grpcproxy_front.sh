#!/usr/bin/env bash
# grpcproxy_front.sh: a stand-in "server binary" for the compat scripts that puts
# `etcdpp grpc-proxy start` in front of a member, so a script's etcdctl commands go through the
# proxy. It takes the member flags the scripts pass, moves the member's client URL to a free
# port, starts the proxy on the port the script chose, prints "ready to serve client requests"
# once both serve, and stops both (by PID) on SIGTERM or SIGINT.
#   GRPCPROXY_FRONT_BIN   the etcdpp binary (default: build/bin/etcdpp beside this checkout)
#   GRPCPROXY_FRONT_ARGS  extra proxy flags (e.g. --namespace=/ns/)
# Example: tests/compat/kv_compat.sh tests/compat/grpcproxy_front.sh build/bin/etcdpp
set -u -o pipefail
BIN=${GRPCPROXY_FRONT_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin/etcdpp}
args=() proxy_port=''
for a in "$@"; do
  if [[ -n ${take:-} ]]; then
    proxy_port=${a##*:}
    unset take
    args+=("__CLIENT__")
    continue
  fi
  case "$a" in
    --listen-client-urls | --advertise-client-urls) take=1 args+=("$a") ;;
    *) args+=("$a") ;;
  esac
done
member_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
for i in "${!args[@]}"; do
  [[ ${args[$i]} == __CLIENT__ ]] && args[$i]="http://127.0.0.1:$member_port"
done
"$BIN" "${args[@]}" 2>&1 | sed 's/ready to serve client requests/member ready/' &
member_pid=$!
# shellcheck disable=SC2086
"$BIN" grpc-proxy start --endpoints="127.0.0.1:$member_port" \
  --listen-addr="127.0.0.1:$proxy_port" ${GRPCPROXY_FRONT_ARGS:-} &
proxy_pid=$!
trap 'kill $proxy_pid $(pgrep -P $member_pid) $member_pid 2>/dev/null; exit 0' TERM INT
for ((i = 0; i < 100; i++)); do
  if ETCDCTL_API=3 etcdctl --endpoints="127.0.0.1:$proxy_port" --command-timeout=1s \
    endpoint health >/dev/null 2>&1; then
    echo "ready to serve client requests"
    break
  fi
  sleep 0.1
done
wait $proxy_pid
