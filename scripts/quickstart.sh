#!/usr/bin/env bash
# Installs what is needed, builds, and starts a single-member etcdpp on 127.0.0.1:2379 with its
# data in ./default.etcd (in the directory you run it from). Ctrl-C stops it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build.sh" etcdpp  # only what it runs: the tests are built by scripts/test.sh
exec "${ETCDPP_BUILD_DIR:-$ROOT/build}/bin/etcdpp" --name default --data-dir ./default.etcd \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster default=http://127.0.0.1:2380 "$@"
