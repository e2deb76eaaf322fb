#!/usr/bin/env bash
# kv_compat.sh <etcdpp-binary> [reference-binary]
#
# Runs one fixed script of stock `etcdctl` (v3 API) commands against a fresh single-member
# server of each binary, records stdout, stderr and the exit code of every command, normalizes
# only what legitimately differs between two servers (ids, raft term/index, versions, db sizes,
# durations, timestamps, ports, client uuids) and diffs the two transcripts.
#
# Exit 0 only if the transcripts are identical after normalization; otherwise the unified diff
# is printed and the exit code is 1 (2 for a setup failure, e.g. a server that does not start).
#
# Revisions, values, counts, orderings and error messages are compared exactly.
#
# Environment:
#   ETCDCTL             the client (default /usr/bin/etcdctl)
#   KV_COMPAT_KEEP=1    keep the temp dir (transcripts, server logs) for inspection
#   KV_COMPAT_VERBOSE=1 print the normalized transcript of the first side
set -u -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

compat_init kv_compat "$@"

run_script() {
  # Basic put/get, prev-kv, output formats.
  r put foo bar
  r get foo
  r put foo bar2 --prev-kv
  r put foo bar3 --prev-kv -w json
  r get foo -w json
  r get foo -w fields
  r get foo --print-value-only
  r get missing
  r get missing -w json
  r get ""                                  # empty key: server rejects
  r put emptyval ""                         # empty value is legal
  r get emptyval -w json
  r get emptyval -w fields

  # A small key space: a..e, then overwrite some keys so versions/mod revisions differ.
  r put a va
  r put b vb
  r put c vc
  r put d vd
  r put e ve
  r put a va2
  r put a va3
  r put c vc2
  r get a e                                 # [a, e)
  r get a --from-key
  r get c --from-key --keys-only
  r get a --from-key --limit 2 -w json      # more=true, count = all
  r get "" --prefix --keys-only
  r get "" --from-key --limit 3 -w fields
  r get a --rev 15                          # an older version of a
  r get a --rev 15 -w json
  r get --prefix "" --limit 1 --keys-only -w json

  # Sorting: values and versions are distinct within s/ so ties cannot reorder.
  r put s/1 zz
  r put s/2 yy
  r put s/2 yy2
  r put s/3 aa
  r put s/3 aa2
  r put s/3 aa3
  r put s/1 zz2
  r put s/1 zz3
  r put s/1 zz4
  r put s/4 mm
  r get s/ --prefix --sort-by KEY --order DESCEND
  r get s/ --prefix --sort-by KEY --order ASCEND
  r get s/ --prefix --sort-by CREATE --order DESCEND
  r get s/ --prefix --sort-by CREATE --order ASCEND -w json
  r get s/ --prefix --sort-by MODIFY --order ASCEND
  r get s/ --prefix --sort-by MODIFY --order DESCEND --keys-only
  r get s/ --prefix --sort-by VALUE --order ASCEND
  r get s/ --prefix --sort-by VALUE --order DESCEND --print-value-only
  r get s/ --prefix --sort-by VERSION --order ASCEND -w fields
  r get s/ --prefix --sort-by VERSION --order DESCEND
  r get s/ --prefix --sort-by VALUE --limit 2 -w json   # limit applies after sorting
  r get s/ --prefix --order DESCEND --limit 3           # order without sort-by: by key
  r get s/ --prefix --sort-by MODIFY                    # sort-by without order: ascend

  # Unusual keys and values, shown raw, as --hex and as base64 (json).
  r put "key with spaces" "value with spaces"
  r put "ключ/🔑" "значение ✓"
  r put "$(printf 'bin\x01\x02\x7f\xfe\xff')" "$(printf 'v\x03\xff')"
  r get "key with spaces"
  r get "ключ/🔑" -w json
  r get "$(printf 'bin\x01\x02\x7f\xfe\xff')" --hex
  r get "" --from-key --hex --keys-only
  r get "" --from-key --hex -w fields
  r get "" --from-key -w json

  # Transactions from stdin: compares on value/version/create/mod, success and failure ops.
  rin txn <<'EOF'
value("foo") = "bar3"
version("foo") = "3"
create("foo") = "2"
mod("foo") > "3"

put foo txn-success
get foo
del emptyval

put foo txn-failure

EOF
  rin txn -w json <<'EOF'
value("foo") = "no-such-value"

put foo never

put tx/fail yes
get foo
get s/ --prefix --limit 1
del missing-key

EOF
  rin txn <<'EOF'
version("a") < "2"
mod("missing") = "0"

put never x

get a --rev 15
put a va4 --prev-kv

EOF
  rin txn -w fields <<'EOF'
create("tx/fail") != "0"
value("a") > "va"

del tx/ --prefix --prev-kv
get tx/ --prefix --keys-only


EOF
  rin txn <<'EOF'

put tx/nocmp 1
put tx/nocmp2 2


EOF
  rin txn <<'EOF'
value("a") = "va4"

put dup x
put dup y


EOF
  {
    echo
    for ((i = 0; i < 129; i++)); do echo "put big/$i v"; done
    echo
    echo
  } >"$CTL_OUT.txn"
  rin txn <"$CTL_OUT.txn"                   # 129 ops > default --max-txn-ops 128
  {
    echo
    for ((i = 0; i < 128; i++)); do echo "put big/$i v"; done
    echo
    echo
  } >"$CTL_OUT.txn"
  rin txn -w json <"$CTL_OUT.txn"           # exactly 128 ops: allowed
  r get big/ --prefix --keys-only --limit 1 -w json
  r del big/ --prefix

  # Leases: a lease that does not exist; ignore flags.
  r put leased v --lease=1234abcd
  r put foo --ignore-value
  r put foo v --ignore-value
  r put foo --ignore-lease x

  # Deletes: missing keys, ranges, prefix, from-key, prev-kv.
  r del missing
  r del missing -w json
  r del a --prev-kv
  r del b c                                 # [b, c)
  r get "" --from-key --keys-only
  r del s/ --prefix --prev-kv -w json
  r del s/ --prefix
  r del "key with spaces" --from-key --prev-kv --hex
  r get "" --from-key -w json

  # A request over the default --max-request-bytes (1.5 MiB): value read from stdin.
  head -c $((1536 * 1024 + 100)) /dev/zero | tr '\0' 'x' >"$CTL_OUT.big"
  rin put bigvalue <"$CTL_OUT.big"
  r get bigvalue -w json

  # History and compaction.
  r put h v1
  r put h v2
  r put h v3
  r get h -w json
  r get h --rev 2 -w json
  r compaction 5
  r get foo --rev 4                         # compacted
  r get foo --rev 5 -w json                 # the compaction revision itself is readable
  r compaction 5                            # already compacted
  r compaction 3
  r compaction 100000                       # future
  r get foo --rev 100000                    # future
  r compaction --physical 10
  r get foo --rev 9
  r get h --rev 10 -w json
  rin txn <<<$'\n\n\n'                       # empty txn
  rin txn <<'EOF'

get foo --rev 4


EOF
  r put after-compaction ok -w json
  r get "" --from-key --keys-only -w json

  # Status and health.
  r endpoint status
  r endpoint status -w json
  r endpoint status -w table
  r endpoint health
  r endpoint health -w json
}

# normalize MEMBER_ID MEMBER_ID_HEX CLUSTER_ID CLIENT_PORT PEER_PORT  (stdin -> stdout)
normalize() {
  normalize_etcdctl "$@"
}

compat_finish
