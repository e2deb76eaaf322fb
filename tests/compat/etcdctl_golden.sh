#!/usr/bin/env bash
# etcdctl_golden.sh <server-binary> <etcdctl-under-test> [reference-etcdctl]
#
# Runs one fixed transcript of etcdctl commands twice against a fresh single-member server of
# the same binary: once with the etcdctl under test (build/bin/etcdctl), once with the stock
# etcdctl (/usr/bin/etcdctl by default), recording stdout, stderr and the exit code of every
# command, and diffs the two after the normalization the other compat scripts use (ids, ports,
# terms, durations, versions) plus lease IDs, the Go clients' {"level":...} log lines, the
# timestamps of pkg/flags lines and snapshot hashes (the snapshot holds the random member ids).
#
# Exit 0 only if the transcripts are identical; otherwise the diff is printed and the exit code
# is 1 (2 for a setup failure).
#
# Environment: CTL_GOLDEN_KEEP=1 keeps the temp dir, CTL_GOLDEN_VERBOSE=1 prints the
# normalized transcript of the etcdctl under test.
set -u -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NORMALIZE_PY="$(dirname "${BASH_SOURCE[0]}")/etcdctl_golden_normalize.py"
ctl_pair_init ctl_golden "$@"

# txn SCRIPT [ARGS...] : etcdctl txn with SCRIPT on stdin.
txn() {
  local script=$1
  shift
  rin txn "$@" <<<"$script"
}

run_script() {
  # --- the command line: help, unknown commands and flags, bad values -----------------------
  r --help
  r help get
  r get --help
  r lease
  r member --help
  r gett foo
  r lease grnt 10
  r get --foo
  r get foo -x
  r get foo -pw json
  r get foo --limit
  r get foo --limit abc
  r get foo --prefix=maybe
  r --dial-timeout=x get foo
  r get foo -w
  r get foo -w yaml
  r get
  r put
  r del
  r del a b c
  r version
  r version -w json

  # --- put / get / del in every format ------------------------------------------------------
  r put foo bar
  r put foo bar2 --prev-kv
  r put foo bar3 --prev-kv -w json
  r put foo bar4 --prev-kv -w fields
  r put foo bar5 -w protobuf
  r put foo bar6 -w table
  r get foo
  r get foo -w json
  r get foo -w fields
  r get foo -w protobuf
  r get foo -w table
  r get foo --hex
  r get foo --print-value-only
  r get foo --print-value-only -w json
  r get missing
  r get missing -w json
  r get missing -w fields
  r get ""
  r put ""  v
  r put emptyval ""
  r get emptyval -w json
  r put --ignore-value foo
  r put --ignore-value foo bar
  r put foo bar7 --lease=xyz
  r put foo bar8 --lease=1234
  r put -- -dash -value
  r get -- -dash
  r put quote $'a"b\\c\td\x01e'
  r get quote -w fields
  r get quote -w json
  r put html '<tag>&amp;'
  r get html -w json
  r put utf8 'héllo wörld ✓'
  r get utf8 -w json
  r get utf8 -w fields
  r get utf8 --hex
  r put a va
  r put b vb
  r put c vc
  r put d vd
  r put e ve
  r put a va2
  r get a e
  r get a e -w json
  r get a --from-key
  r get a --from-key --keys-only
  r get "" --prefix --keys-only
  r get "" --from-key --limit 3 -w fields
  r get a --prefix --from-key
  r get a b --prefix
  r get a --rev 0
  r get a --rev 30 -w json
  r get a --rev 1
  r get a --limit 1 --from-key -w json
  r get a --consistency=s
  r get a --consistency=x
  r get a --order=DESCEND --from-key
  r get a --order=descend --sort-by=value --from-key
  r get a --order=sideways --from-key
  r get a --sort-by=nothing --from-key
  r get a --sort-by=MODIFY --order=ASCEND --from-key --keys-only
  r get a --sort-by=VERSION --order=DESCEND --from-key -w json
  r get a --sort-by=CREATE --order=DESCEND --from-key --limit 2
  r get a --keys-only -w json
  r del a
  r del a
  r del b --prev-kv
  r del c --prev-kv -w json
  r del d --prev-kv -w fields
  r del e -w protobuf
  r del e -w table
  r put p/1 one
  r put p/2 two
  r put p/3 three
  r del p/ --prefix --prev-kv
  r put p/1 one
  r del p/1 --from-key -w json
  r del p/1 --prefix --from-key
  r del p/1 p/9 --prefix

  # --- txn --------------------------------------------------------------------------------
  r put t1 v1
  txn $'value("t1") = "v1"\n\nput t2 v2\nget t1\n\ndel t1\n\n'
  txn $'value("t1") = "nope"\n\nput t2 v2\n\nget t1 -w json\ndel t2 --prev-kv\n\n'
  txn $'ver("t1") > "0"\nmod("t2") < "100"\n\nget t --prefix\n\n\n' -w json
  txn $'create("t1") != "0"\n\nput t3 v3 --prev-kv\n\n\n' -w fields
  txn $'c("t1") = "0"\n\n\nget t1\n\n' -w protobuf
  txn $'\nput t4 v4\n\n\n' -w table
  txn $'\n\n\n' -i
  txn $'value("t1") = "v1"\n\nput t2 v2\n'
  txn $'value("t1" = "v1"\n\n\n\n'
  txn $'bogus("t1") = "v1"\n\n\n\n'
  txn $'ver("t1") = "x"\n\n\n\n'
  txn $'nothing\n\n\n\n'
  txn $'\nfrob t1\n\n\n'
  txn $'\nput\n\n\n'
  txn $'\nput "quoted key" "quoted value"\nget "quoted key"\n\n\n'
  txn '' extra-arg

  # --- compaction ---------------------------------------------------------------------------
  r compaction
  r compaction abc
  r compaction 3
  r compaction 3
  r compaction 4 --physical
  r compaction 100000
  r get foo --rev 2

  # --- lease --------------------------------------------------------------------------------
  r lease grant
  r lease grant abc
  r lease grant 600
  r lease grant 600 -w json
  r lease grant 600 -w fields
  r lease grant 600 -w table
  r lease revoke
  r lease revoke zz
  r lease revoke 1234
  r lease timetolive
  r lease timetolive 1234
  r lease timetolive 1234 -w json
  r lease keep-alive
  r lease keep-alive --once 1234
  r lease list -w table

  # --- cluster: member, endpoint ------------------------------------------------------------
  r member list
  r member list -w json
  r member list -w fields
  r member list -w table
  r member list -w protobuf
  r member add
  r member add newbie
  r member add newbie http://127.0.0.1:1
  r member remove
  r member remove zz
  r member remove 1234
  r member update 1234
  r member update 1234 --peer-urls=http://127.0.0.1:1
  r member promote 1234
  r endpoint health
  r endpoint health -w json
  r endpoint status
  r endpoint status -w json
  r endpoint status -w table
  r endpoint hashkv
  r endpoint hashkv -w json
  r endpoint hashkv -w table
  r endpoint hashkv -w fields
  r endpoint hashkv --rev 5
  r endpoint health --cluster
  r endpoint status --cluster
  r move-leader
  r move-leader zz
  r move-leader 1234

  # --- alarm, defrag --------------------------------------------------------------------------
  r alarm list
  r alarm list -w json
  r alarm list extra
  r alarm disarm
  r alarm disarm -w json
  r defrag
  r defrag --cluster

  # --- check: the errors before any load (a load's numbers are not deterministic; the runs
  # themselves are tools/etcdctl/check_test.sh's) ---------------------------------------------
  r check perf --load foo
  r check datascale --load big
  r check perf --load=
  r check perf --auto-compact=maybe
  r put /etcdctl-check-perf/x y
  r check perf
  r check perf --load medium extra args
  r put /scale/x y
  r check datascale --prefix /scale/
  r check datascale --prefix /scale/ --load m
  r del --prefix /etcdctl-check-perf/
  r del --prefix /scale/

  # --- snapshot save / status (before any session lease whose expiry timing could differ) -----
  r snapshot save "$WORK/golden.db"
  r snapshot status "$WORK/golden.db"
  r snapshot status "$WORK/golden.db" -w json
  r snapshot status "$WORK/golden.db" -w fields
  r snapshot status "$WORK/golden.db" -w table
  r snapshot status "$WORK/golden.db" -w protobuf
  r snapshot status "$WORK/missing.db"
  r snapshot status /etc/hostname
  r snapshot status
  # restore: the data dir's format is the server's own, not compared; only what etcdctl prints.
  r snapshot restore
  r snapshot restore "$WORK/golden.db" "$WORK/golden.db"
  r snapshot restore "$WORK/golden.db" --data-dir "$WORK/restored"
  r snapshot restore "$WORK/golden.db" --data-dir "$WORK/restored"
  rm -rf "$WORK/restored"
  r snapshot restore "$WORK/golden.db" --data-dir "$WORK/restored" --name nobody
  r snapshot restore "$WORK/golden.db" --data-dir "$WORK/restored" --name m2 \
    --initial-cluster m1=http://127.0.0.1:1,m2=http://127.0.0.1:2 \
    --initial-advertise-peer-urls http://127.0.0.1:2 --initial-cluster-token tok
  rm -rf "$WORK/restored"
  r snapshot restore "$WORK/golden.db" --data-dir "$WORK/restored" --skip-hash-check=maybe
  head -c -32 "$WORK/golden.db" >"$WORK/nohash.db"
  r snapshot restore "$WORK/nohash.db" --data-dir "$WORK/restored"
  rm -rf "$WORK/restored"
  r snapshot restore "$WORK/nohash.db" --data-dir "$WORK/restored" --skip-hash-check
  rm -rf "$WORK/restored"

  # --- auth: users and roles ------------------------------------------------------------------
  r user add
  r user add root --new-user-password=rootpw
  r user add alice:alicepw
  r user add :nopw
  r user add bob --new-user-password=bobpw -w json
  r user add carol --no-password -w fields
  rin user add dave --interactive=false <<<"davepw"
  r user add alice:again
  r user list
  r user list -w json
  r user list -w fields
  r user get alice
  r user get alice -w json
  r user get alice -w fields
  r user get nobody
  r role add
  r role add reader
  r role add writer -w json
  r role add writer
  r role list
  r role list -w fields
  r role grant-permission reader read foo
  r role grant-permission reader readwrite p/ --prefix
  r role grant-permission reader write a z -w json
  r role grant-permission reader write "" --from-key -w fields
  r role grant-permission reader bogus k
  r role grant-permission reader read
  r role grant-permission reader read a b --prefix
  r role get reader
  r role get reader -w json
  r role get reader -w fields
  r role get nobody
  r user grant-role alice reader
  r user grant-role alice writer -w json
  r user grant-role alice nobody
  r user get alice
  r user get alice --detail
  r user revoke-role alice writer
  r user revoke-role alice writer
  r role revoke-permission reader foo
  r role revoke-permission reader p/ --prefix
  r role revoke-permission reader a z -w json
  r role revoke-permission reader foo
  rin user passwd bob --interactive=false <<<"bobpw2"
  r user delete dave
  r user delete dave
  r role delete writer
  r role delete writer
  r auth enable
  r get foo
  r get foo --user=alice:alicepw
  r get foo --user=alice:wrong
  r get foo --user=alice --password=alicepw
  r put foo denied --user=alice:alicepw
  r get foo --user=root:rootpw -w json
  r user list --user=root:rootpw
  r auth disable --user=root:rootpw
  r auth disable
  r user delete alice

  # --- watch (bounded), lock and elect error paths ------------------------------------------
  rt 2 watch foo --rev 1
  rt 2 watch foo --rev 1 -w json
  rt 2 watch foo --rev 1 --prev-kv -w fields
  rt 2 watch --prefix t --rev 1
  r watch
  r watch foo bar --prefix
  r watch foo --
  rt 2 watch foo --rev 1 -- echo event
  rt 2 watch foo --rev 1 -- sh -c 'echo "$ETCD_WATCH_EVENT_TYPE $ETCD_WATCH_KEY $ETCD_WATCH_VALUE"'
  rt 2 watch foo --rev 1 -- false
  r lock
  r lock mylock echo locked
  r lock mylock -- sh -c 'echo "$ETCD_LOCK_KEY $ETCD_LOCK_REV"; exit 3'
  rt 2 lock mylock
  rt 2 elect myelection proposal1
  rt 2 elect -l myelection
  r elect
  r elect name
  r elect -l name proposal

  # --- global flags and their environment forms -----------------------------------------------
  ETCDCTL_WRITE_OUT=json r get foo
  ETCDCTL_HEX=true r get foo
  ETCDCTL_BOGUS=1 r get foo
  ETCDCTL_API=4 r get foo
  # SRV discovery of a domain that cannot exist (RFC 6761 .invalid): the resolver's NXDOMAIN.
  r --discovery-srv example.invalid get foo
  r -d example.invalid --discovery-srv-name x --insecure-discovery=false get foo
  r --discovery-srv example.invalid endpoint health
  ETCDCTL_API= r version
  ETCDCTL_ENDPOINTS=127.0.0.1:1 r get foo
  ETCDCTL_DIAL_TIMEOUT=x r get foo
  ETCDCTL_WATCH_KEY=foo rt 2 watch --rev 1
  ETCDCTL_WATCH_RANGE_END=z r watch foo
  r get foo --cacert=/nonexistent/ca.pem
  r get foo --cert=
  r --endpoints=127.0.0.1:1 --dial-timeout=1s --command-timeout=1s get foo
  r snapshot save
  r snapshot save a b
  r make-mirror
  r make-mirror a b
  rt 5 make-mirror --dest-prefix a --no-dest-prefix "$EP"
  rt 5 make-mirror --dest-cacert /nonexistent/ca.pem "$EP"
}

# normalize MEMBER_ID MEMBER_ID_HEX CLUSTER_ID CLIENT_PORT PEER_PORT (stdin -> stdout)
normalize() {
  python3 "$NORMALIZE_PY" | normalize_etcdctl "$@" |
    LC_ALL=C sed -E \
      -e 's/remaining\([0-9]+s\)/remaining(<R>s)/g' \
      -e 's/^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}\.[0-9]{6} ([A-Z]) \| /<TS> \1 | /' \
      -e 's/^[0-9a-f]{1,8}(, [0-9]+, [0-9]+, [0-9.]+ [kMG]?B)$/<HASH>\1/' \
      -e 's/^\{"hash":[0-9]+,/{"hash":<HASH>,/' \
      -e 's/^"Hash" : [0-9]+$/"Hash" : <HASH>/' \
      -e 's/^\|[0-9a-f]{1,8}(\|[0-9]+\|[0-9]+\|[0-9.]+ [kMG]?B\|)$/|<HASH>\1/' \
      -e 's/"ttl":[0-9]+,"granted-ttl"/"ttl":<R>,"granted-ttl"/' \
      -e 's/(127\.0\.0\.1:<CLIENT_PORT>, <MEMBER_ID>, )[0-9.]+, [0-9.]+ [kMG]?B, /\1<VERSION>, <DB_SIZE>, /'
}

SIDE_A_ETCDCTL=$CTL_TESTED
SIDE_B_ETCDCTL=$CTL_REFERENCE
SIDE_A_LABEL=$CTL_TESTED
SIDE_B_LABEL="$CTL_REFERENCE on $SERVER"
compat_finish
