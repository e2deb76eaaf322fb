#!/usr/bin/env bash
# etcdctl_v2_golden.sh <server-binary> <etcdctl-under-test> [reference-etcdctl]
#
# The v2 command set (ETCDCTL_API=2): one fixed transcript of v2 etcdctl commands run twice
# against a fresh single-member server started with --enable-v2 (etcd 3.4: /usr/bin/etcd), once
# with the etcdctl under test (build/bin/etcdctl) and once with the stock etcdctl 3.4, recording
# stdout, stderr and the exit code of every command, and diffs the two after lib.sh's
# normalization (ids, ports) plus expiration times and remaining TTLs, and without the complaint
# of /bin/stty that stock etcdctl's password prompt (speakeasy) runs when stdin is no terminal
# (docs/compatibility.md).
#
# Exit 0 only if the transcripts are identical; otherwise the diff is printed and the exit code
# is 1 (2 for a setup failure).
#
# Environment: CTL_V2_GOLDEN_KEEP=1 keeps the temp dir, CTL_V2_GOLDEN_VERBOSE=1 prints the
# normalized transcript of the etcdctl under test.
set -u -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ctl_pair_init ctl_v2_golden "$@"

# The server with the v2 API on (lib.sh starts servers with its fixed flag set).
printf '#!/bin/sh\nexec %q --enable-v2 "$@"\n' "$SERVER" >"$WORK/server-v2"
chmod +x "$WORK/server-v2"
SIDE_A_BIN=$WORK/server-v2
SIDE_B_BIN=$WORK/server-v2

# ctl2 SECS SORT EP ARGS... : one numbered ETCDCTL_API=2 command of the transcript (stdout,
# stderr, exit code) with the caller's stdin; SECS > 0 stops it after SECS s, SORT=1 sorts its
# stdout (exec-watch starts its commands without waiting for them, so their lines come in any
# order), EP=1 passes --endpoints http://EP first.
ctl2() {
  local secs=$1 sort=$2 eps=$3 label=etcdctl note= code
  shift 3
  local -a pre=() ep=()
  if ((secs > 0)); then
    pre=(timeout "$secs")
    label="timeout $secs etcdctl"
  fi
  if ((eps)); then ep=(--endpoints "http://$EP"); fi
  if ((sort)); then note=" (stdout sorted)"; fi
  N=$((N + 1))
  printf '### %03d %s%s%s\n' "$N" "$label" "$(printf ' %q' "$@")" "$note"
  ETCDCTL_API=2 "${pre[@]}" "$ETCDCTL" "${ep[@]}" "$@" >"$CTL_OUT.out" 2>"$CTL_OUT.err"
  code=$?
  if ((sort)); then LC_ALL=C sort -o "$CTL_OUT.out" "$CTL_OUT.out"; fi
  print_ctl "exit $code"
}

v() { ctl2 0 0 1 "$@" </dev/null; }     # against the server, stdin from /dev/null
vin() { ctl2 0 0 1 "$@"; }              # against the server, the caller's stdin
vraw() { ctl2 0 0 0 "$@" </dev/null; }  # no --endpoints (flags and environment forms)
vt() { ctl2 "$1" 0 1 "${@:2}" </dev/null; }   # vt SECS ARGS...: stopped after SECS s
vts() { ctl2 "$1" 1 1 "${@:2}" </dev/null; }  # vts SECS ARGS...: vt, stdout sorted

run_script() {
  # --- the command line: help, version, unknown commands and flags ----------------------------
  vraw
  vraw --help
  vraw -h
  vraw --version
  vraw -v
  vraw help
  vraw help set
  vraw help member
  vraw help bogus
  vraw bogus
  vraw --bogus get foo
  vraw --timeout x get foo
  local c
  for c in backup cluster-health mk mkdir rm rmdir get ls set setdir update updatedir watch \
    exec-watch member user role auth; do
    vraw "$c" --help
  done
  vraw member list --help
  vraw member add -h
  vraw member bogus
  vraw member help remove
  vraw user
  vraw user add --help
  vraw user grant --help
  vraw role grant --help
  vraw auth
  v set --ttl abc foo bar
  v rm -r --recursive /q
  v -o json --output simple get /q
  vraw member -h --help
  vraw set -h --help
  v set --bogus foo bar
  v ls --sort=maybe
  v get
  v set
  v set /only-key
  v mk
  v mkdir
  v rm
  v rmdir
  v update /k
  v updatedir
  v setdir
  v watch
  v exec-watch /k
  v member list extra
  v member add onlyname
  v member remove
  v member update x

  # --- keys in every output format ----------------------------------------------------------
  v set /foo bar
  v get /foo
  v -o extended get /foo
  v -o json get /foo
  v --output=json get /foo
  v -o yaml get /foo
  v set /foo bar2 --ttl 1000
  v -o extended get /foo
  v -o json get /foo
  v -o extended set /foo bar3
  v -o json set /foo bar4
  v set /foo -dash
  v set -- /foo -dash2
  v get /foo
  v set /html '<a href="x">&amp;</a>'
  v -o json get /html
  v set /utf8 'héllo wörld ✓'
  v -o json get /utf8
  v set '/sp ace/k?x=1' 'v a l'
  v ls '/sp ace'
  v -o json get '/sp ace/k?x=1'
  vin set /stdin <<<"from stdin"
  v get /stdin
  v get /nokey
  v -o json get /nokey
  v -o extended get /nokey
  v get nokey/../foo

  # --- compare and swap -----------------------------------------------------------------------
  v set /cas one
  v set /cas two --swap-with-value one
  v set /cas three --swap-with-value one
  v set /cas three --swap-with-index 1
  v -o extended set /cas four --swap-with-index 40
  v set /cas five --swap-with-value=four --swap-with-index=40
  v update /cas six
  v update /nokey six
  v -o json update /cas seven --ttl 500
  v mk /cas x
  v mk /newkey x
  v -o extended mk /newkey2 y --ttl 1000
  v rm /cas --with-value nope
  v rm /cas --with-index 1
  v -o extended rm /cas --with-value seven
  v rm /cas
  v rm /newkey2 --with-index 0

  # --- directories ------------------------------------------------------------------------------
  v mkdir /dir
  v mkdir /dir
  v -o json mkdir /dir2
  v -o extended mkdir /dir3 --ttl 1000
  v setdir /dir
  v setdir /foo
  v -o json setdir /dir4
  v updatedir /dir --ttl 1000
  v -o extended updatedir /dir
  v updatedir /nodir
  v updatedir /foo
  v set /dir/a 1
  v set /dir/b 2
  v set /dir/sub/c 3
  v get /dir
  v -o json get /dir
  v set /dir x
  v mk /dir/a x
  v mk /foo/x y
  v mkdir /foo/x
  v rmdir /dir
  v rm /dir
  v rm /dir --dir
  v rmdir /dir2
  v -o json rmdir /dir3
  v rmdir /nodir
  v rmdir /foo
  v rm /dir4 --dir
  v -o extended rm /dir/sub --recursive
  v rm /dir/b
  v -o json rm /dir/a

  # --- ls -------------------------------------------------------------------------------------
  v set /l/b 1
  v set /l/a 2
  v set /l/d/x 3
  v mkdir /l/e
  # (Without --sort the v2 store lists a directory in Go's map order: only sorted listings of
  # directories with more than one child are compared.)
  v ls --sort
  v ls --sort /l
  v ls -r --sort /l
  v ls --recursive --sort -p /l
  v ls -p --sort /l
  v ls /l/d
  v ls /l/a
  v ls /nodir
  v -o extended ls --sort /l
  v -o json ls --sort /l
  v -o json ls --sort -r /l
  v ls --quorum --sort /l
  v get -q --sort /l/a

  # --- in-order keys ----------------------------------------------------------------------------
  v mk --in-order /queue job1
  v mk --in-order /queue job2 --ttl 1000
  v -o json mk --in-order /queue job3
  v ls --sort /queue
  v mk --in-order /foo job
  v rm -r /queue

  # --- watch and exec-watch (events already in the history: --after-index) ----------------------
  v set /w/k first
  v set /w/k second
  v mkdir /w/d
  v set /w/k third
  v watch --after-index 1 /w/k
  v -o extended watch --after-index 1 /w/k
  v -o json watch --after-index 1 /w/k
  vt 2 watch -f --after-index 1 /w/k
  vt 2 watch --forever --recursive --after-index 1 /w
  vt 2 -o json watch -f -r --after-index 1 /w
  v watch -r --after-index 1 /w
  vt 2 exec-watch --after-index 1 /w/k -- sh -c 'echo "$ETCD_WATCH_ACTION $ETCD_WATCH_KEY $ETCD_WATCH_VALUE"'
  vts 2 exec-watch -r --after-index 1 /w -- sh -c 'echo "$ETCD_WATCH_KEY=$ETCD_WATCH_VALUE"'
  # urfave moves "--" before the arguments and Go's flag package eats it: only a second "--"
  # (or the key last) separates the key from the command.
  vts 2 exec-watch --after-index 1 -- /w/k -- sh -c 'echo "$ETCD_WATCH_ACTION $ETCD_WATCH_KEY $ETCD_WATCH_VALUE"'
  vts 2 exec-watch --after-index 1 sh -c 'echo "$ETCD_WATCH_MODIFIED_INDEX $ETCD_WATCH_VALUE"' /w/k
  vts 2 exec-watch -r --after-index 1 -- /w -- sh -c 'echo "$ETCD_WATCH_KEY=$ETCD_WATCH_VALUE"'
  vt 2 exec-watch --after-index 1 -- /w/k -- /nonexistent/cmd
  vt 2 exec-watch --after-index 1 -- /w/k -- no-such-command-xyz
  vt 2 exec-watch --after-index 1 /w/k -- /nonexistent/cmd
  vt 2 exec-watch --after-index 1 /w/k -- no-such-command-xyz
  vt 2 exec-watch --after-index 1 /w/k echo

  # --- members and health -----------------------------------------------------------------------
  v member list
  v member add newmember notaurl
  v member add newmember http://127.0.0.1
  v member remove 1234
  v member update 1234 http://127.0.0.1:1
  v cluster-health

  # --- users, roles, auth -----------------------------------------------------------------------
  v user list
  v role list
  v user add root:rootpw
  v user add root:again  # (an existing user: PUT updates its password)
  v user add alice:alicepw
  v user add
  v user get root
  v user get nobody
  v user list
  v role add reader
  v role add reader
  v role add
  v role get reader
  v role get nobody
  v role grant reader
  v role grant --path /foo reader
  v role grant --path /foo/../bar --read reader
  v role grant --path /foo --read --write reader
  v role grant --path /foo --read reader
  v role grant --path /foo --read reader
  v role grant --path '/dir/*' --rw reader
  v role grant --path /x --readwrite nobody
  v role get reader
  v role revoke --path /foo --read reader
  v role revoke --path /foo --read reader
  v role revoke --path /foo --write reader
  v role get reader
  v role list
  v user grant alice
  v user grant --roles reader alice
  v user grant --roles reader alice
  v user grant --roles nosuchrole alice
  v user grant --roles reader --roles guest alice
  v user get alice
  v user revoke --roles reader alice
  v user revoke --roles reader alice
  v user get alice
  vin user passwd alice <<<"newpw"
  vin user add bob <<<"bobpw"
  v user list
  v auth enable extra
  v auth enable
  v auth enable
  v get /foo
  v -u alice:newpw get /foo
  v -u alice:wrong get /foo
  vin -u alice get /foo <<<"newpw"
  v -u root:again user list
  v user list
  v -u root:again role get guest
  v -u alice:newpw auth disable
  v -u root:again auth disable
  v auth disable
  v user remove bob
  v user remove bob
  v role remove reader
  v role remove reader
  v user get alice

  # --- global flags and their environment forms -------------------------------------------------
  v --no-sync get /utf8
  v --debug get /utf8
  v --debug --no-sync set /dbg 'a b&c' --ttl 1000
  v --debug member list
  v --timeout 5s --total-timeout 10s get /utf8
  v --total-timeout 1ns get /utf8
  v --total-timeout 0 get /utf8
  v --no-sync --total-timeout 1ns get /utf8
  v --total-timeout 1ns member list
  v --no-sync --total-timeout 1ns member list
  vraw --endpoints http://127.0.0.1:1 get /utf8
  vraw --no-sync --endpoints http://127.0.0.1:1 get /utf8
  vraw --endpoints 127.0.0.1:2 get /utf8
  vraw --endpoint "http://$EP" get /utf8
  vraw --peers "http://$EP" get /utf8
  vraw -C "http://$EP" get /utf8
  vraw -C "$EP" get /utf8
  ETCDCTL_ENDPOINTS="http://$EP" vraw get /utf8
  ETCDCTL_ENDPOINT="http://$EP" vraw get /utf8
  ETCDCTL_PEERS="http://$EP" vraw get /utf8
  ETCDCTL_ENDPOINTS="http://127.0.0.1:1" vraw --endpoints "http://$EP" get /utf8
  vraw --endpoints "http://$EP" -u root:pass get /utf8
  ETCDCTL_USERNAME=root:pass vraw --endpoints "http://$EP" get /utf8
  vraw --endpoints "http://$EP" --ca-file /nonexistent/ca.pem get /utf8
  v cluster-health --forever=false

  # --- last: a member that never starts (the cluster then has no quorum for writes) ------------
  v member add newmember http://127.0.0.1:1
  ctl2 0 1 1 member list </dev/null
  v member add other http://127.0.0.1:1
  ctl2 0 1 1 cluster-health </dev/null
}

# normalize MEMBER_ID MEMBER_ID_HEX CLUSTER_ID CLIENT_PORT PEER_PORT (stdin -> stdout)
normalize() {
  normalize_etcdctl "$@" |
    LC_ALL=C sed -E \
      -e 's/"expiration":"[^"]*"/"expiration":"<EXP>"/g' \
      -e 's/"ttl":[0-9]+/"ttl":<TTL>/g' \
      -e 's/^TTL: [1-9][0-9]*$/TTL: <TTL>/' \
      -e "/^stty: 'standard input': Inappropriate ioctl for device$/d" \
      -e 's/^(Added member named newmember with ID )[0-9a-f]+/\1<NEW_ID>/' \
      -e 's/^[0-9a-f]+(\[unstarted\]: )/<NEW_ID>\1/' \
      -e 's/^(member )[0-9a-f]+( is unreachable: no available published client urls)/\1<NEW_ID>\2/' |
    sort_marked_stdout
}

# The stdout of the commands marked "(stdout sorted)" sorted again after the normalization, and
# the members of ETCD_INITIAL_CLUSTER sorted (the server's member order follows the random ids
# that the normalization replaces).
sort_marked_stdout() {
  python3 -c '
import sys
lines = sys.stdin.read().split("\n")
out, i = [], 0
while i < len(lines):
    if lines[i].startswith("ETCD_INITIAL_CLUSTER=\"") and lines[i].endswith("\""):
        lines[i] = "ETCD_INITIAL_CLUSTER=\"%s\"" % ",".join(sorted(lines[i][22:-1].split(",")))
    out.append(lines[i])
    if lines[i].startswith("### ") and lines[i].endswith("(stdout sorted)") and i + 1 < len(lines) \
            and lines[i + 1] == "--- stdout":
        j = i + 2
        while j < len(lines) and lines[j] != "--- stderr":
            j += 1
        out.append(lines[i + 1])
        out.extend(sorted(lines[i + 2:j]))
        i = j
        continue
    i += 1
sys.stdout.write("\n".join(out))
'
}

SIDE_A_ETCDCTL=$CTL_TESTED
SIDE_B_ETCDCTL=$CTL_REFERENCE
SIDE_A_LABEL=$CTL_TESTED
SIDE_B_LABEL="$CTL_REFERENCE on $SERVER --enable-v2"
compat_finish
