#!/usr/bin/env bash
# lease_compat.sh <etcdpp-binary> [reference-binary]
#
# The lease half of the compatibility test (same approach as kv_compat.sh): one fixed script of
# stock `etcdctl` lease commands (grant, revoke, timetolive [--keys], list, keep-alive [--once],
# put --lease, txn puts with a lease, expiry) against a fresh single-member server of each
# binary; stdout, stderr and exit codes are recorded, normalized and diffed.
#
# Normalized: what legitimately differs between two servers (member/cluster ids, raft term,
# client uuids, timestamps, ports), the server-chosen lease IDs (each replaced by <LEASE_n> in
# order of grant, in hex and decimal form) and the seconds a lease has left (timing). Granted
# TTLs, keepalive TTLs, attached keys, revisions and error messages are compared exactly.
#
# Exit 0 only if the transcripts are identical after normalization; 1 with the diff otherwise;
# 2 for a setup failure.
#
# Environment:
#   ETCDCTL                the client (default /usr/bin/etcdctl)
#   LEASE_COMPAT_KEEP=1    keep the temp dir (transcripts, server logs)
#   LEASE_COMPAT_VERBOSE=1 print the normalized transcript of the first side
set -u -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

compat_init lease_compat "$@"

# g ARGS... : etcdctl lease grant ARGS; LAST is the granted ID (hex), recorded for normalize.
g() {
  r lease grant "$@"
  LAST=$(sed -nE 's/^lease ([0-9a-f]+) granted.*/\1/p' "$CTL_OUT.out")
  [[ -n $LAST ]] && echo "$LAST" >>"$LEASE_IDS"
}

run_script() {
  # Grants: TTLs under the minimum (2 s with the default 100 ms / 1 s timers), too large.
  g 600
  local l1=$LAST
  g 600
  local l2=$LAST
  g 1
  r lease revoke "$LAST"
  g 0
  r lease revoke "$LAST"
  g 9000000000
  r lease revoke "$LAST"
  g 9000000001
  g abc
  r lease grant

  # Time to live, with and without keys.
  r lease timetolive "$l1"
  r lease timetolive "$l1" --keys
  r lease timetolive "$l1" -w json
  r lease timetolive 1234abcd
  r lease timetolive 1234abcd -w json
  r lease timetolive nothex

  # Puts with a lease; moving keys between leases; ignore-lease.
  r put k1 v1 --lease="$l1"
  r put k2 v2 --lease="$l1"
  r put k3 v3 --lease="$l2"
  r get k1 -w json
  r get k --prefix -w fields
  r lease timetolive "$l1" --keys
  r lease timetolive "$l2" --keys -w json
  r put k3 v3b --lease="$l1"
  r lease timetolive "$l2" --keys
  r lease timetolive "$l1" --keys
  r put k4 v4
  r put k4 v4b --ignore-lease
  r put k1 v1b --ignore-lease
  r get k1 -w json
  r put k1 v1c
  r lease timetolive "$l1" --keys
  r put k1 v1d --ignore-lease
  r get k1 -w json
  r put k5 v --lease=1234abcd
  r put missing x --ignore-lease
  r del k2
  r lease timetolive "$l1" --keys

  # Txn puts with a lease.
  rin txn <<EOF

put t1 x --lease=$l2
put t2 y --lease=$l2


EOF
  rin txn -w json <<EOF
value("t1") = "x"

put t3 z --lease=1234abcd


EOF
  rin txn <<EOF
value("t1") = "nope"

put t4 z --lease=1234abcd

put t4 w --lease=$l2

EOF
  r get t --prefix -w json
  r lease timetolive "$l2" --keys

  # Listing and keepalives.
  r lease list
  r lease list -w json
  r lease keep-alive --once "$l1"
  r lease keep-alive --once "$l1" -w json
  r lease keep-alive --once 1234abcd
  rt 2 lease keep-alive "$l2"
  rt 2 lease keep-alive 1234abcd

  # Revocation: every attached key in one revision.
  r lease revoke "$l2"
  r get t --prefix -w json
  r get "" --from-key --keys-only -w json
  r lease revoke "$l2"
  r lease timetolive "$l2" --keys
  r lease keep-alive --once "$l2"
  r lease revoke 1234abcd -w json
  r lease list

  # Expiry: a lease nobody keeps alive goes, with its keys, in one revision.
  g 2
  local le=$LAST
  r put e1 v --lease="$le"
  r put e2 v --lease="$le"
  r put e3 v --lease="$le"
  sleep 5
  r get e --prefix -w json
  r lease timetolive "$le"
  r lease keep-alive --once "$le"
  r get "" --from-key --keys-only -w json
  r lease list
}

# before_script DIR : the file of granted lease IDs, one hex ID a line, in order of grant.
before_script() {
  LEASE_IDS="$1/leases"
  : >"$LEASE_IDS"
}

# lease_seds LEASE_IDS_FILE : sed expressions replacing each granted ID (hex as etcdctl prints
# it, and decimal as JSON shows it) by <LEASE_n>.
lease_seds() {
  local n=0 hex
  while read -r hex; do
    n=$((n + 1))
    printf -- '-e\ns/(^|[^0-9a-f])%s([^0-9a-f]|$)/\\1<LEASE_%d>\\2/g\n' "$hex" "$n"
    printf -- '-e\ns/(^|[^0-9])%s([^0-9]|$)/\\1<LEASE_%d>\\2/g\n' "$((16#$hex))" "$n"
  done <"$1"
}

# normalize MEMBER_ID MEMBER_ID_HEX CLUSTER_ID CLIENT_PORT PEER_PORT  (stdin -> stdout): the
# granted lease IDs first (before any id could match inside one), then what every etcdctl
# transcript normalizes, then the seconds a lease has left.
normalize() {
  local -a leases
  mapfile -t leases < <(lease_seds "$LEASE_IDS")
  LC_ALL=C sed -E -e '' "${leases[@]}" |
    normalize_etcdctl "$@" |
    LC_ALL=C sed -E \
      -e 's/remaining\([0-9]+s\)/remaining(<R>s)/g' \
      -e '/"granted-ttl"/ s/"ttl":[0-9]+/"ttl":<R>/' |
    awk '
      # etcd lists attached keys in map order: sort them.
      match($0, /attached keys\(\[[^]]*\]\)/) {
        inner = substr($0, RSTART + 15, RLENGTH - 17)
        n = split(inner, ks, " ")
        for (i = 2; i <= n; i++) { v = ks[i]; for (j = i - 1; j >= 1 && ks[j] > v; j--) ks[j + 1] = ks[j]; ks[j + 1] = v }
        s = ""
        for (i = 1; i <= n; i++) s = s (i > 1 ? " " : "") ks[i]
        $0 = substr($0, 1, RSTART - 1) "attached keys([" s "])" substr($0, RSTART + RLENGTH)
      }
      { print }'
}

compat_finish
