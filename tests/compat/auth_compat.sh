#!/usr/bin/env bash
# auth_compat.sh <etcdpp-binary> [reference-binary]
#
# The auth half of the compatibility test (same approach as kv_compat.sh): one fixed script of
# stock `etcdctl` user, role and auth commands, then KV, txn, watch and lease commands run as
# users with and without permission, against a fresh single-member server of each binary;
# stdout, stderr and exit codes are recorded, normalized (lib.sh) and diffed.
#
# Exit 0 only if the transcripts are identical after normalization; 1 with the diff otherwise;
# 2 for a setup failure.
#
# Environment:
#   ETCDCTL               the client (default /usr/bin/etcdctl)
#   AUTH_COMPAT_KEEP=1    keep the temp dir (transcripts, server logs)
#   AUTH_COMPAT_VERBOSE=1 print the normalized transcript of the first side
set -u -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

compat_init auth_compat "$@"

run_script() {
  # Users and roles before auth is on.
  r user add root:rootpw
  r user add root:again
  r user add ""
  r user add alice:alicepw
  r user add bob:bobpw
  r user add carol --no-password
  r user list
  r user get alice
  r user get nobody
  r role add root
  r role add reader
  r role add writer
  r role add reader
  r role add ""
  r role list
  r role grant-permission reader read k1
  r role grant-permission reader read --prefix pre/
  r role grant-permission writer readwrite w1
  r role grant-permission writer write --from-key z
  r role grant-permission writer readwrite r1 r5
  r role grant-permission nobody read k1
  r role get reader
  r role get writer
  r role get writer -w json
  r role get nobody
  r user grant-role alice reader
  r user grant-role alice reader
  r user grant-role bob writer
  r user grant-role bob nothere
  r user grant-role nobody reader
  r user get alice
  r user get bob --detail
  r user revoke-role alice writer
  r auth enable
  r user grant-role root root
  r put k1 before
  r put pre/a before
  r auth enable

  # As nobody, as root, as users.
  r put k1 v1
  r get k1
  r --user root:wrong get k1
  r --user nobody:pw get k1
  r --user root:rootpw put k1 v1
  r --user root:rootpw get k1
  r --user alice:alicepw get k1
  r --user alice:alicepw put k1 v2
  r --user alice:alicepw get pre/ --prefix
  r --user alice:alicepw get pre/ --prefix --keys-only -w json
  r --user alice:alicepw get k --prefix
  r --user alice:alicepw del k1
  r --user bob:bobpw put w1 x
  r --user bob:bobpw get w1
  r --user bob:bobpw put zzz x
  r --user bob:bobpw get zzz
  r --user bob:bobpw put r3 x
  r --user bob:bobpw get r1 r5
  r --user bob:bobpw get r1 r6
  r --user bob:bobpw del r1 r5
  r --user bob:bobpw del w1 --prev-kv
  r --user bob:bobpw put w1 y --prev-kv
  rin --user alice:alicepw txn <<EOF2
value("k1") = "v1"

get k1

get pre/a

EOF2
  rin --user alice:alicepw txn <<EOF2
value("k1") = "v1"

put k1 no

EOF2
  rin --user bob:bobpw txn <<EOF2
value("w1") = "y"

put w1 z

put k1 no

EOF2
  rt 2 --user alice:alicepw watch k1
  rt 2 --user alice:alicepw watch w1
  rt 2 --user bob:bobpw watch w1

  # Leases as users.
  r --user bob:bobpw lease grant 600
  r --user alice:alicepw lease list

  # Management needs root.
  r --user alice:alicepw user list
  r --user alice:alicepw role list
  r --user alice:alicepw user get alice
  r --user alice:alicepw user get bob
  r --user alice:alicepw role get reader
  r --user alice:alicepw role get writer
  r --user alice:alicepw user add eve:evepw
  r --user alice:alicepw auth disable
  r --user alice:alicepw compaction 1
  r --user root:rootpw user list
  r --user root:rootpw user delete root
  r --user root:rootpw user revoke-role root root
  r --user root:rootpw role delete root
  r --user root:rootpw role revoke-permission reader k1
  r --user root:rootpw role revoke-permission reader k1
  r --user root:rootpw role revoke-permission reader pre/ --prefix
  r --user root:rootpw role get reader
  r --user alice:alicepw get k1
  rin --user root:rootpw user passwd alice --interactive=false <<<"newpw"
  r --user alice:alicepw get k1
  r --user root:rootpw role delete writer
  r --user root:rootpw user get bob
  r --user bob:bobpw put w1 again
  r --user root:rootpw user delete bob
  r --user bob:bobpw get w1
  r --user root:rootpw user delete bob
  r --user root:rootpw auth disable
  r get k1
  r user list
  r auth disable
  r user delete root
  r role delete root
  r role list
}

# normalize ... : lib.sh's, and the server-chosen lease ID (16 hex digits).
normalize() {
  normalize_etcdctl "$@" | LC_ALL=C sed -E 's/(^|[^0-9a-f])[0-9a-f]{16}([^0-9a-f]|$)/\1<LEASE>\2/g'
}

compat_finish
