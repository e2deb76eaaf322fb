#!/usr/bin/env bash
# v2_compat.sh <etcdpp-binary> [reference-binary] [etcdctl-under-test]
#
# etcd 3.4's v2 API (--enable-v2): one fixed transcript run against a fresh single-member
# etcdpp and a fresh reference etcd 3.4 (/usr/bin/etcd), both with --enable-v2, and diffed:
#   - 57 curl requests on /v2/keys, /v2/members and /v2/machines (set, create, update, CAS, CAD,
#     directories, TTLs and refresh, in-order keys, waits with and without waitIndex (one in the future), a stream,
#     recursive listing and delete, and etcd's errors: bad forms, TTLs and indexes that are not
#     numbers, prevIndex on a directory, "..", wrong methods), recording the status, the
#     headers that matter and the body;
#   - the tutorial's v2 walk-through with the stock etcdctl (ETCDCTL_API=2) and with the
#     etcdctl under test (default: etcdctl beside the etcdpp binary): set, get of a missing key,
#     update, rm, mk twice, mkdir twice, setdir, updatedir, rmdir of a non-empty dir, ls,
#     ls --recursive -p, watch, exec-watch, member list, cluster-health;
#   - v2 auth: /v2/auth/{users,roles,enable} with curl (create, grant, revoke, etcd's errors,
#     enable, basic-auth checks on /v2/keys, /v2/auth and /v2/members, disable), then the same
#     walk with each etcdctl (user/role/auth commands, --username right and wrong, guest).
# lib.sh normalizes ids and ports; v2_compat_normalize.py the store indexes (as offsets from
# the index before the first write: etcd's own /0 membership writes move its start, see
# docs/compatibility.md), expiration times, TTLs left, raft index and term headers.
#
# Exit 0 only if the transcripts are identical; otherwise the diff is printed and the exit code
# is 1 (2 for a setup failure). V2_COMPAT_KEEP=1 keeps the temp dir, V2_COMPAT_VERBOSE=1 prints
# the normalized transcript of the etcdpp side.
set -u -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/lib.sh"

OUR_CTL=${3:-$(dirname "$1")/etcdctl}
compat_init v2_compat "${@:1:2}" -- "$ETCDCTL" "$OUR_CTL"

# Both servers with the v2 API on (lib.sh starts servers with its fixed flag set).
for side in a b; do
  bin_var="SIDE_${side^^}_BIN"
  printf '#!/bin/sh\nexec %q --enable-v2 "$@"\n' "${!bin_var}" >"$WORK/server-$side"
  chmod +x "$WORK/server-$side"
done
SIDE_A_LABEL=$SIDE_A_BIN
SIDE_B_LABEL=$SIDE_B_BIN
SIDE_A_BIN=$WORK/server-a
SIDE_B_BIN=$WORK/server-b

# c METHOD PATH [CURL-ARGS...] : one numbered curl request; records the status line, the
# headers that matter (lower-cased names) and the body.
c() {
  local method=$1 path=$2
  shift 2
  N=$((N + 1))
  printf '### %03d curl -X %s %s%s\n' "$N" "$method" "$path" "$(printf ' %q' "$@")"
  curl -sS -m 10 --path-as-is -X "$method" -D "$CTL_OUT.hdr" -o "$CTL_OUT.out" \
    "http://$EP$path" "$@" 2>"$CTL_OUT.err"
  local code=$?
  headers
  print_ctl "exit $code"
}

# The status line and the headers of $CTL_OUT.hdr that the transcript compares.
headers() {
  tr -d '\r' <"$CTL_OUT.hdr" | awk '
    /^HTTP\// { print "HTTP " $2; next }
    { i = index($0, ":"); if (i == 0) next
      name = tolower(substr($0, 1, i - 1))
      if (name ~ /^(content-type|x-etcd-index|x-etcd-cluster-id|x-raft-index|x-raft-term|location|allow)$/)
        print name ": " substr($0, i + 2) }' | {
    IFS= read -r status && echo "$status"
    LC_ALL=C sort
  }
}

# cw SECS METHOD PATH [CURL-ARGS...] : curl in the background (a wait), bounded by SECS; its
# record is printed by cw_end.
cw() {
  local secs=$1 method=$2 path=$3
  shift 3
  N=$((N + 1))
  CW_N=$N
  CW_SHOWN="$(printf '### %03d curl -m %s -X %s %s%s' "$N" "$secs" "$method" "$path" "$(printf ' %q' "$@")")"
  : >"$CTL_OUT.wout"  # a wait that times out before any byte of body leaves no file
  curl -sS -m "$secs" -X "$method" -D "$CTL_OUT.whdr" -o "$CTL_OUT.wout" "http://$EP$path" "$@" \
    2>"$CTL_OUT.werr" &
  CW_PID=$!
}
cw_end() {
  wait "$CW_PID"
  local code=$?
  echo "$CW_SHOWN"
  mv "$CTL_OUT.whdr" "$CTL_OUT.hdr"
  mv "$CTL_OUT.wout" "$CTL_OUT.out"
  mv "$CTL_OUT.werr" "$CTL_OUT.err"
  headers
  print_ctl "exit $code"
}

# v2 CTL ARGS... : one numbered ETCDCTL_API=2 command of etcdctl binary CTL.
v2() {
  local ctl=$1
  shift
  N=$((N + 1))
  printf '### %03d %s%s\n' "$N" "$(basename "$ctl")" "$(printf ' %q' "$@")"
  ETCDCTL_API=2 timeout 20 "$ctl" --endpoints "http://$EP" "$@" </dev/null \
    >"$CTL_OUT.out" 2>"$CTL_OUT.err"
  print_ctl "exit $?"
}

# The X-Etcd-Index of a GET of /v2/keys/ now.
etcd_index() {
  curl -sS -m 10 -D - -o /dev/null "http://$EP/v2/keys/" | tr -d '\r' |
    awk -F': ' 'tolower($1) == "x-etcd-index" { print $2 }'
}

curl_script() {
  local form=(-H 'Content-Type: application/x-www-form-urlencoded')
  c GET /v2/keys/
  c PUT /v2/keys/foo -d value=bar
  c GET /v2/keys/foo
  c GET /v2/keys/missing
  c PUT /v2/keys/foo -d value=bar2
  c PUT '/v2/keys/foo?prevExist=false' -d value=x
  c PUT '/v2/keys/foo?prevExist=true' -d value=upd
  c PUT '/v2/keys/foo?prevValue=wrong' -d value=y
  c PUT '/v2/keys/foo?prevValue=upd' -d value=cas
  c PUT '/v2/keys/foo?prevIndex=1' -d value=z
  c DELETE '/v2/keys/foo?prevValue=wrong'
  c DELETE '/v2/keys/foo?prevValue=cas'
  c PUT '/v2/keys/dir?dir=true'
  c PUT '/v2/keys/dir?dir=true'
  c PUT /v2/keys/dir/a -d value=1
  c PUT /v2/keys/dir/b/c -d value=2
  c GET '/v2/keys/dir?sorted=true'
  c GET '/v2/keys/dir?recursive=true&sorted=true'
  c DELETE /v2/keys/dir
  c DELETE '/v2/keys/dir?dir=true'
  c PUT '/v2/keys/dir?prevIndex=1' -d value=x
  c PUT /v2/keys/dir/a/deeper -d value=x
  c POST /v2/keys/queue -d value=job1
  c POST /v2/keys/queue -d value=job2
  c GET '/v2/keys/queue?sorted=true'
  c PUT /v2/keys/ttl -d value=t -d ttl=100
  c PUT /v2/keys/ttl -d value=t -d ttl=abc
  c PUT '/v2/keys/ttl?refresh=true&prevExist=true' -d ttl=200
  c PUT '/v2/keys/ttl?refresh=true' -d value=v -d ttl=5
  c PUT '/v2/keys/ttl?refresh=true'
  c PUT '/v2/keys/ttl?ttl=&prevExist=true' -d value=permanent
  c PUT /v2/keys/short -d value=s -d ttl=1
  sleep 3
  c GET /v2/keys/short
  c GET '/v2/keys/foo?wait=true&waitIndex=1'
  c GET '/v2/keys/foo?wait=true&waitIndex=abc'
  c GET '/v2/keys/foo?recursive=maybe'
  c PUT '/v2/keys/x?prevValue=' -d value=1
  c PUT '/v2/keys/x?wait=true' -d value=1
  c POST /v2/keys/bad "${form[@]}" --data-binary 'value=%zz'
  c PUT '/v2/keys/x?noValueOnSuccess=true' -d value=quiet
  c PUT /v2/keys/ -d value=x
  c DELETE /v2/keys/nonexistent
  c GET /v2/keys/../foo
  c PATCH /v2/keys/x
  local idx
  idx=$(etcd_index)
  cw 10 GET "/v2/keys/w?wait=true&waitIndex=$((idx + 1))"
  sleep 1
  c PUT /v2/keys/w -d value=live
  cw_end
  cw 10 GET "/v2/keys/tree?wait=true&recursive=true&waitIndex=$((idx + 2))"
  sleep 1  # registered before the write (its X-Etcd-Index is the index it began at)
  c PUT /v2/keys/tree/leaf -d value=1
  cw_end
  cw 3 GET '/v2/keys/s?wait=true&stream=true'
  sleep 1.5
  c PUT /v2/keys/s -d value=1
  c PUT /v2/keys/s -d value=2
  cw_end
  idx=$(etcd_index)
  cw 2 GET "/v2/keys/foo?wait=true&waitIndex=$((idx + 100))"
  cw_end
  c DELETE '/v2/keys/dir?recursive=true'
  c GET '/v2/keys/?recursive=true&sorted=true'
  c GET /v2/members
  c GET /v2/machines
  c GET /v2/nothing
}

# The tutorial's walk-through with etcdctl CTL, under the key prefix P.
ctl_script() {
  local ctl=$1 p=$2
  v2 "$ctl" set "$p/testkey" "hello world"
  v2 "$ctl" get "$p/testkey2"
  v2 "$ctl" update "$p/testkey" "updated"
  v2 "$ctl" get "$p/testkey"
  v2 "$ctl" rm "$p/testkey"
  v2 "$ctl" mk "$p/mk" "one"
  v2 "$ctl" mk "$p/mk" "two"
  v2 "$ctl" mkdir "$p/dir"
  v2 "$ctl" mkdir "$p/dir"
  v2 "$ctl" setdir "$p/setdir"
  v2 "$ctl" updatedir "$p/setdir"
  v2 "$ctl" set "$p/dir/file" "x"
  v2 "$ctl" rmdir "$p/dir"
  v2 "$ctl" ls --sort "$p"
  v2 "$ctl" ls --sort --recursive -p "$p"
  local idx
  idx=$(etcd_index)
  v2 "$ctl" watch --after-index "$idx" "$p/mk"
  v2 "$ctl" set "$p/mk" "three"
  v2 "$ctl" watch --after-index "$idx" "$p/mk"
  idx=$(etcd_index)
  v2 "$ctl" set "$p/ew" "a"
  N=$((N + 1))
  printf '### %03d %s exec-watch --after-index (stopped after 3 s)\n' "$N" "$(basename "$ctl")"
  ETCDCTL_API=2 timeout 3 "$ctl" --endpoints "http://$EP" exec-watch --after-index "$((idx))" \
    "$p/ew" -- sh -c 'echo "$ETCD_WATCH_ACTION $ETCD_WATCH_KEY $ETCD_WATCH_VALUE"' </dev/null \
    >"$CTL_OUT.out" 2>"$CTL_OUT.err"
  print_ctl "exit $?"
  v2 "$ctl" member list
  v2 "$ctl" cluster-health
}

# The v2 auth walk-through with etcdctl CTL, names and keys under P: a root user, a role
# granted reads of /P/* (and writes of /P/w/*, then revoked), a user with that role, auth on,
# guest stripped of writes, key reads and writes with no, right and wrong credentials, listings
# as nobody and as root, auth off, and everything removed again for the next run.
auth_ctl_script() {
  local ctl=$1 p=$2
  local root=(--username root:rootpw)
  v2 "$ctl" user add root:rootpw
  v2 "$ctl" role add "$p-role"
  v2 "$ctl" role add "$p-role"
  v2 "$ctl" role grant --read --path "/$p/*" "$p-role"
  v2 "$ctl" role grant --readwrite --path "/$p/w/*" "$p-role"
  v2 "$ctl" role revoke --write --path "/$p/w/*" "$p-role"
  v2 "$ctl" role get "$p-role"
  v2 "$ctl" role list
  v2 "$ctl" user add "$p-user:pw"
  v2 "$ctl" user grant --roles "$p-role" "$p-user"
  v2 "$ctl" user grant --roles "$p-role" "$p-user"
  v2 "$ctl" user revoke --roles nosuchrole "$p-user"
  v2 "$ctl" user get "$p-user"
  v2 "$ctl" user get nosuchuser
  v2 "$ctl" user list
  v2 "$ctl" set "/$p/k" v1
  v2 "$ctl" auth enable
  v2 "$ctl" "${root[@]}" auth enable
  v2 "$ctl" "${root[@]}" role revoke --write --path '/*' guest
  v2 "$ctl" get "/$p/k"
  v2 "$ctl" set "/$p/k" guest
  v2 "$ctl" --username "$p-user:pw" get "/$p/k"
  v2 "$ctl" --username "$p-user:pw" set "/$p/k" v2
  v2 "$ctl" --username "$p-user:wrong" get "/$p/k"
  v2 "$ctl" "${root[@]}" set "/$p/k" v3
  v2 "$ctl" user list
  v2 "$ctl" "${root[@]}" user list
  v2 "$ctl" "${root[@]}" user get "$p-user"
  v2 "$ctl" "${root[@]}" role list
  v2 "$ctl" "${root[@]}" role get guest
  v2 "$ctl" "${root[@]}" role get root
  v2 "$ctl" "${root[@]}" user remove root
  v2 "$ctl" auth disable
  v2 "$ctl" "${root[@]}" auth disable
  v2 "$ctl" auth disable
  v2 "$ctl" get "/$p/k"
  v2 "$ctl" user remove "$p-user"
  v2 "$ctl" role remove "$p-role"
  v2 "$ctl" role remove guest
  v2 "$ctl" role remove root
  v2 "$ctl" user remove root
}

# /v2/auth with curl: the same walk as JSON, and etcd's errors.
auth_curl_script() {
  local j=(-H 'Content-Type: application/json')
  c GET /v2/auth/enable
  c GET /v2/auth/users
  c GET /v2/auth/roles
  c PUT /v2/auth/enable
  c PUT /v2/auth/users/cu "${j[@]}" -d '{"user":"cu", "password":"pass"}'
  c PUT /v2/auth/users/cu "${j[@]}" -d '{"user":"cu", "password":"pass"}'
  c PUT /v2/auth/users/cu "${j[@]}" -d '{"user":"other"}'
  c PUT /v2/auth/users/cu "${j[@]}" -d 'not json'
  c PUT /v2/auth/users/nopw "${j[@]}" -d '{"user":"nopw","roles":["x"]}'
  c PUT /v2/auth/roles/cr "${j[@]}" -d '{"role":"cr", "permissions": {"kv": {"read": ["/cu/*"]}}}'
  c PUT /v2/auth/roles/cr "${j[@]}" -d '{"role":"cr", "permissions": {"kv": {"read": ["/cu/*"]}}}'
  c PUT /v2/auth/roles/cr "${j[@]}" -d '{"role":"cr", "grant": {"kv": {"write": ["/cu/w"]}}}'
  c PUT /v2/auth/roles/cr "${j[@]}" -d '{"role":"cr", "grant": {"kv": {"write": ["/cu/w"]}}}'
  c PUT /v2/auth/roles/cr "${j[@]}" -d '{"role":"cr", "revoke": {"kv": {"write": ["/nope"]}}}'
  c PUT /v2/auth/roles/cr "${j[@]}" -d '{"role":"cr","permissions":{"kv":{"read":["/a"]}},"revoke":{"kv":{"read":["/a"]}}}'
  c PUT /v2/auth/roles/root "${j[@]}" -d '{"role":"root"}'
  c PUT /v2/auth/users/cu "${j[@]}" -d '{"user": "cu", "grant": ["cr"]}'
  c PUT /v2/auth/users/cu "${j[@]}" -d '{"user": "cu", "grant": ["cr"], "roles": ["cr"]}'
  c PUT /v2/auth/users/cu "${j[@]}" -d '{"user": "cu"}'
  c PUT /v2/auth/users/root "${j[@]}" -d '{"user":"root", "password":"rpw"}'
  c GET /v2/auth/users/cu
  c GET /v2/auth/users/nobody
  c GET /v2/auth/roles/cr
  c GET /v2/auth/roles/nobody
  c GET /v2/auth/roles/a/b
  c GET /v2/auth/other
  c POST /v2/auth/users
  c PUT /v2/keys/cu/k -d value=1
  c PUT /v2/auth/enable
  c GET /v2/auth/enable
  c GET /v2/auth/users
  c GET /v2/auth/users -u root:rpw
  c GET /v2/auth/users -u root:bad
  c GET /v2/auth/users -u cu:pass
  c GET /v2/auth/roles -u root:rpw
  c GET /v2/keys/cu/k
  c GET /v2/keys/cu/k -u cu:pass
  c GET '/v2/keys/cu?recursive=true' -u cu:pass
  c PUT /v2/keys/cu/w -u cu:pass -d value=2
  c PUT /v2/keys/cu/k -u cu:pass -d value=2
  c GET /v2/keys/cu/k -u cu:
  c GET /v2/keys/cu/k -H 'Authorization: Basic !!!'
  c DELETE /v2/auth/users/root -u root:rpw
  c DELETE /v2/auth/roles/root -u root:rpw
  c POST /v2/members -u cu:pass "${j[@]}" -d '{"peerURLs":["http://127.0.0.1:1"]}'
  c GET /v2/members -u cu:pass
  c DELETE /v2/auth/enable
  c DELETE /v2/auth/enable -u root:rpw
  c DELETE /v2/auth/enable
  c DELETE /v2/auth/users/cu
  c DELETE /v2/auth/users/cu
  c DELETE /v2/auth/roles/cr
  c DELETE /v2/auth/roles/cr
  c DELETE /v2/auth/roles/guest
  c DELETE /v2/auth/users/root
}

run_script() {
  curl_script
  ctl_script "$ETCDCTL" /stock
  ctl_script "$OUR_CTL" /ours
  auth_curl_script
  auth_ctl_script "$ETCDCTL" stock
  auth_ctl_script "$OUR_CTL" ours
}

normalize() {
  local cluster_hex
  cluster_hex=$(printf '%x' "$3")
  normalize_etcdctl "$@" | LC_ALL=C sed -E "s/(^|[^0-9a-f])$cluster_hex([^0-9a-f]|\$)/\\1<CLUSTER_ID>\\2/g" |
    python3 "$HERE/v2_compat_normalize.py"
}

compat_finish
