#!/usr/bin/env bash
# etcdctl_36.sh <server-binary> <etcdctl>
#
# What our etcdctl adds from etcd 3.6 (stock etcdctl 3.4 has no oracle for it, so the transcript
# is compared with etcdctl_36.expected, written from 3.6's etcdctl/ctlv3/command sources):
# `auth status` in every format, `get --count-only` and its conflicts, and get's
# --min/max-create-rev and --min/max-mod-rev filters. Exit 0 when the normalized transcript
# matches; otherwise the diff is printed and the exit code is 1 (2 for a setup failure).
# CTL36_KEEP=1 keeps the temp dir; CTL36_UPDATE=1 rewrites the expected file.
set -u -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <server-binary> <etcdctl>" >&2
  exit 2
fi
EXPECTED="$(dirname "${BASH_SOURCE[0]}")/etcdctl_36.expected"
ETCDCTL=$2
compat_init ctl36 "$1" "$1" -- "$ETCDCTL"

run_script() {
  r auth status
  r auth status -w json
  r auth status -w fields
  r auth status -w table
  r auth status extra
  r user add root --new-user-password=rootpw
  r auth enable
  r auth status --user=root:rootpw
  r auth disable --user=root:rootpw
  r auth status
  for i in 1 2 3 4 5; do r put k$i v$i; done
  r put k2 v2b
  r get k --prefix --count-only -w fields
  r get k --prefix --count-only
  r get k --prefix --count-only -w json
  r get k --prefix --count-only --keys-only -w fields
  r get k --prefix --keys-only --min-create-rev 4
  r get k --prefix --keys-only --max-create-rev 4
  r get k --prefix --keys-only --min-mod-rev 7
  r get k --prefix --keys-only --min-mod-rev 3 --max-mod-rev 4
  r get k --prefix --min-create-rev 5 --max-create-rev 4
  r get k --prefix --min-mod-rev 5 --max-mod-rev 4
}

normalize() {
  normalize_etcdctl "$@" | LC_ALL=C sed -E 's/("revision":|"Revision" : )[0-9]+/\1<REV>/g'
}

run_side a "$SIDE_A_BIN" || exit 2
if [[ $(compat_env UPDATE) == 1 ]]; then
  cp "$WORK/a/normalized.txt" "$EXPECTED"
  echo "etcdctl_36: wrote $EXPECTED"
  exit 0
fi
if diff -u --label "$EXPECTED" --label "$ETCDCTL" "$EXPECTED" "$WORK/a/normalized.txt" \
  >"$WORK/diff.txt"; then
  echo "etcdctl_36: $(cat "$WORK/a/count") etcdctl commands as expected ($ETCDCTL on $SIDE_A_BIN)"
  exit 0
fi
echo "etcdctl_36: differences from $EXPECTED ($ETCDCTL on $SIDE_A_BIN):"
cat "$WORK/diff.txt"
exit 1
