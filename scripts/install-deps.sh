#!/usr/bin/env bash
# Installs everything etcdpp needs to build and test on Debian 12. Idempotent; works as root or
# through sudo. Packages already present are skipped without touching apt.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git curl ca-certificates jq procps
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev liblmdb-dev libspdlog-dev libfmt-dev prometheus-cpp-dev libssl-dev libcrypt-dev
  libgtest-dev libgmock-dev libbenchmark-dev libjemalloc-dev
  libyaml-cpp-dev  # --config-file (etcd's YAML configuration)
  libgoogle-perftools-dev  # --enable-pprof: the CPU profile of /debug/pprof/profile (libprofiler)
  libcurl4-openssl-dev  # etcdctl ETCDCTL_API=2: the v2 HTTP API (tools/etcdctl/v2)
  clang clang-format python3
  libclang-rt-14-dev  # ETCDPP_FUZZ (scripts/fuzz.sh): libFuzzer and the sanitizer runtimes of clang 14
  python3-jwt python3-cryptography  # tests: src/auth/jwt_interop_test.cc checks tokens against PyJWT
  python3-prometheus-client  # tests: tests/compat/metrics_families.sh parses /metrics with it
  etcd-server etcd-client golang-etcd-server-dev golang-go  # tests/e2e: etcd 3.4's e2e suite, built from source
  debootstrap iproute2  # tests/package/deb_install_test.sh: a clean Debian 12 root, a netns
  zsh fish  # tests: tools/etcdctl/completion_test.sh loads `etcdctl completion zsh/fish`
  dnsmasq-base  # tests: tests/dns_discovery_process_test.cc serves SRV records (test only)
  openssl  # tests: certificates made in tests, s_server/s_client (resident_memory_test, tls tests)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "install-deps: installing ${missing[*]}"
  # Through `env`: sudo resets the environment, and apt must not prompt (debconf, conffiles).
  APT=($SUDO env DEBIAN_FRONTEND=noninteractive apt-get)
  "${APT[@]}" update -qq
  # etcd-server's package starts a system etcd on 2379; keep it from starting (policy-rc.d).
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  "${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}"
fi

# etcd-server's package enables a system etcd that would hold 2379 (now, or after the next
# boot): stop and disable it (we only ever start our own). `systemctl disable` works without a
# running systemd too (it removes the enablement links); the link is removed by hand where
# systemctl is missing.
SUDO_CMD=""
if [ "$(id -u)" -ne 0 ]; then SUDO_CMD="sudo"; fi
if command -v systemctl >/dev/null 2>&1; then
  if systemctl is-active --quiet etcd 2>/dev/null; then $SUDO_CMD systemctl stop etcd || true; fi
  if [ -e /etc/systemd/system/multi-user.target.wants/etcd.service ]; then
    $SUDO_CMD systemctl disable --quiet etcd 2>/dev/null || true
  fi
fi
if [ -e /etc/systemd/system/multi-user.target.wants/etcd.service ]; then
  $SUDO_CMD rm -f /etc/systemd/system/multi-user.target.wants/etcd.service
fi
