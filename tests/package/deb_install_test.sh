#!/usr/bin/env bash
# The .deb on a fresh Debian 12: builds it (build_deb.sh) unless given one, makes a clean
# bookworm root with debootstrap, installs the package there with `apt-get install ./etcdpp_*.deb`
# in a chroot (dependencies come from the mirror), checks the service user, the data dir and the
# files, starts the installed server as that user with the packaged /etc/default/etcdpp (on the
# loopback of a network namespace made here, so its 2379 and 2380 are its own), puts and gets a
# key with the installed etcdctl, stops the server by PID, then purges the package.
#
# Needs root and the Debian mirror (ETCDPP_DEBIAN_MIRROR, default deb.debian.org); exits 77
# (skipped) without root. The debootstrap tarball and apt's downloads are kept under
# $ETCDPP_PACKAGE_CACHE (default /var/cache/etcdpp-package-test), so a second run downloads
# little. ctest runs it only on request: ctest -L package.
# Usage: deb_install_test.sh [etcdpp_<version>_<arch>.deb]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${ETCDPP_PACKAGE_CACHE:-/var/cache/etcdpp-package-test}
MIRROR=${ETCDPP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${ETCDPP_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: debootstrap and chroot need root"
  exit 77
fi
for tool in debootstrap unshare nsenter ip; do
  command -v $tool >/dev/null || { echo "FAIL: no $tool (scripts/install-deps.sh installs it)"; exit 1; }
done
start=$SECONDS
phase() { echo "== [$((SECONDS - start))s] $*"; }

if [ $# -ge 1 ]; then
  DEB=$(readlink -f "$1")
else
  phase "building the .deb"
  DEB=$("$ROOT/tests/package/build_deb.sh" | tail -1)
fi
[ -f "$DEB" ] || { echo "FAIL: no package at $DEB"; exit 1; }
echo "package: $DEB"

WORK=$(mktemp -d /var/tmp/etcdpp-deb-test.XXXXXX)
R=$WORK/root
MOUNTS=()
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID" 2>/dev/null || true; fi
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount "${MOUNTS[i]}" || umount -l "${MOUNTS[i]}" || true; done
  # Only once nothing is mounted below it (never delete through a mount).
  if ! grep -q " $WORK/" /proc/mounts; then rm -rf --one-file-system "$WORK"; fi
}
trap cleanup EXIT

failures=0
check() {  # check <what> <command...>: counts a failure when the command fails
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}
in_root() { chroot "$R" "$@"; }

# --- a clean bookworm root -----------------------------------------------------------------
TARBALL=$CACHE/$SUITE-minbase.tgz
mkdir -p "$CACHE/apt-archives/partial"
if [ ! -f "$TARBALL" ]; then
  phase "debootstrap --make-tarball (once; kept in $CACHE)"
  debootstrap --variant=minbase --make-tarball="$WORK/base.tgz" "$SUITE" "$WORK/mk" "$MIRROR" >"$WORK/debootstrap-tarball.log"
  mv "$WORK/base.tgz" "$TARBALL"
  rm -rf --one-file-system "$WORK/mk"
fi
phase "debootstrap --unpack-tarball into $R"
debootstrap --variant=minbase --unpack-tarball="$TARBALL" "$SUITE" "$R" "$MIRROR" >"$WORK/debootstrap.log" ||
  { tail -20 "$WORK/debootstrap.log"; exit 1; }
cat >"$R/etc/apt/sources.list" <<SOURCES
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
SOURCES
cp /etc/resolv.conf "$R/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"  # nothing starts in a chroot
chmod +x "$R/usr/sbin/policy-rc.d"
mount -t proc proc "$R/proc"
MOUNTS+=("$R/proc")
mount --bind "$CACHE/apt-archives" "$R/var/cache/apt/archives"
MOUNTS+=("$R/var/cache/apt/archives")
for dev in null zero random urandom; do [ -c "$R/dev/$dev" ] || { echo "FAIL: no /dev/$dev in the root"; exit 1; }; done

# --- install ---------------------------------------------------------------------------------
phase "apt-get install ./$(basename "$DEB") in the chroot"
cp "$DEB" "$R/tmp/"
in_root apt-get update -qq >"$WORK/apt.log" 2>&1 || { tail -20 "$WORK/apt.log"; exit 1; }
in_root env DEBIAN_FRONTEND=noninteractive sh -c "cd /tmp && apt-get install -y --no-install-recommends ./$(basename "$DEB")" \
  >>"$WORK/apt.log" 2>&1 || { tail -30 "$WORK/apt.log"; exit 1; }
grep -E '^(Setting up|Unpacking) etcdpp' "$WORK/apt.log" || true

phase "checking what the package installed"
passwd=$(in_root getent passwd etcdpp || true)
echo "etcdpp user: $passwd"
IFS=: read -r _ _ uid gid _ home shell <<<"$passwd"
check "the system user etcdpp exists (uid < 1000)" test -n "$passwd" -a "${uid:-1000}" -lt 1000
check "its group etcdpp is its primary group" test "$(in_root getent group etcdpp | cut -d: -f3)" = "$gid"
check "its home is /var/lib/etcdpp and it cannot log in" test "$home:$shell" = /var/lib/etcdpp:/usr/sbin/nologin
# Numeric ids: the host's names for them are not the root's.
state=$(stat -c '%u:%g %a' "$R/var/lib/etcdpp" 2>&1 || true)
check "/var/lib/etcdpp is etcdpp:etcdpp ($uid:$gid), mode 700 (it is $state)" test "$state" = "$uid:$gid 700"
for f in /usr/bin/etcdpp /usr/bin/etcdctl /usr/bin/etcdutl; do
  check "$f is installed" test -x "$R$f"
  check "$f finds its libraries" sh -c "! chroot '$R' ldd $f | grep -q 'not found'"
done
for f in /usr/lib/systemd/system/etcdpp.service /etc/default/etcdpp /usr/share/man/man1/etcdpp.1.gz \
  /usr/share/doc/etcdpp/README.md /usr/share/doc/etcdpp/examples/cluster/m1.default; do
  check "$f is installed" test -f "$R$f"
done
check "/etc/default/etcdpp is the packaged one" cmp -s "$R/etc/default/etcdpp" "$ROOT/deploy/systemd/etcdpp.default"
check "/etc/default/etcdpp is a conffile" sh -c "chroot '$R' dpkg-query -W -f='\${Conffiles}' etcdpp | grep -q '^ /etc/default/etcdpp '"
check "the unit is enabled (multi-user.target.wants)" test -L "$R/etc/systemd/system/multi-user.target.wants/etcdpp.service"
check "the unit starts /usr/bin/etcdpp" grep -qx 'ExecStart=/usr/bin/etcdpp' "$R/usr/lib/systemd/system/etcdpp.service"
check "etcdpp --version runs" sh -c "chroot '$R' /usr/bin/etcdpp --version | grep -q '^Git SHA: etcdpp-'"
# The unit checked where it is installed, against the root's own systemd (minbase has none:
# installed now, after the package, which needs none).
phase "systemd-analyze verify in the root"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd \
  >>"$WORK/apt.log" 2>&1 || { tail -20 "$WORK/apt.log"; exit 1; }
check "systemd-analyze verify accepts the installed unit" \
  in_root systemd-analyze verify /usr/lib/systemd/system/etcdpp.service

# --- the installed server, from the packaged defaults ----------------------------------------
phase "starting /usr/bin/etcdpp as etcdpp with /etc/default/etcdpp"
# As the unit runs it: the variables of the environment file, user etcdpp, working dir /.
# `unshare --net` gives it a loopback of its own; exec all the way, so $PID is the server's.
unshare --net -- sh -c 'ip link set lo up && set -a && . "$1/etc/default/etcdpp" && set +a &&
  exec chroot --userspec="$2:$3" --groups="$3" "$1" /usr/bin/etcdpp' sh "$R" "$uid" "$gid" \
  >"$WORK/etcdpp.log" 2>&1 &
PID=$!
client_url=$(sed -n 's/^ETCD_ADVERTISE_CLIENT_URLS=//p' "$R/etc/default/etcdpp" | cut -d, -f1)
data_dir=$(sed -n 's/^ETCD_DATA_DIR=//p' "$R/etc/default/etcdpp")
ctl() { nsenter --net="/proc/$PID/ns/net" chroot "$R" /usr/bin/etcdctl --endpoints="$client_url" "$@"; }
served=""
for _ in $(seq 1 120); do  # at most 120 tries, 0.5 s apart
  kill -0 "$PID" 2>/dev/null || break
  if ctl endpoint health >/dev/null 2>&1; then served=yes; break; fi
  sleep 0.5
done
check "the installed server serves $client_url" test -n "$served"
if [ -n "$served" ]; then
  check "the installed etcdctl puts a key" test "$(ctl put package-test installed-by-apt)" = OK
  check "the installed etcdctl gets it back" test "$(ctl get package-test --print-value-only)" = installed-by-apt
  check "the member's data is in $data_dir, owned by etcdpp" test "$(stat -c %u "$R$data_dir/member")" = "$uid"
fi
phase "stopping the server (SIGTERM to $PID)"
if kill -0 "$PID" 2>/dev/null; then
  kill -TERM "$PID"
  for _ in $(seq 1 60); do kill -0 "$PID" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$PID" 2>/dev/null; then
    check "the server stops on SIGTERM" false
    kill -KILL "$PID"
  fi
fi
rc=0
wait "$PID" || rc=$?
PID=""
check "the server exited 0 after SIGTERM" test "$rc" -eq 0
grep -q 'ready to serve client requests' "$WORK/etcdpp.log" || true
if [ "$failures" -ne 0 ]; then tail -20 "$WORK/etcdpp.log"; fi

# --- purge ----------------------------------------------------------------------------------
phase "apt-get purge etcdpp"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y etcdpp >>"$WORK/apt.log" 2>&1 ||
  { tail -20 "$WORK/apt.log"; exit 1; }
check "purge removes /var/lib/etcdpp" test ! -e "$R/var/lib/etcdpp"
check "purge removes /etc/default/etcdpp" test ! -e "$R/etc/default/etcdpp"
check "purge removes the enablement link" test ! -L "$R/etc/systemd/system/multi-user.target.wants/etcdpp.service"
check "purge removes the programs" test ! -e "$R/usr/bin/etcdpp"

phase "done"
if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo PASS
