#!/usr/bin/env bash
# etcdctl_check.sh <server-binary> <etcdctl-under-test> [reference-etcdctl]
#
# Runs `check perf` and `check datascale` of the etcdctl under test against a fresh single-member
# server and checks what they print and leave behind: the progress line (its first and last
# state), the verdict lines in stock etcdctl's formats with a verdict that agrees with its exit
# code, the --auto-compact / --auto-defrag lines and their effect, and that the prefix's keys are
# deleted. The numbers themselves (throughput, latencies, memory) depend on the machine and are
# not asserted. `check datascale` of the reference etcdctl runs on the same server and its output,
# numbers masked, must have the same shape.
#
# check perf runs 60 s by etcd's design; here ETCDPP_TEST_CHECK_PERF_SECONDS=3 (a test-only
# variable, tools/etcdctl/check_commands.cc) makes a run take 3 s.
#
# Environment: CTL_CHECK_KEEP=1 keeps the temp dir.
set -u -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ctl_pair_init ctl_check "$@"
fail=0

start_server "$SERVER" "$WORK/server" || exit 2
EP="127.0.0.1:$CLIENT_PORT"

# run OUT CTL ARGS... : CTL ARGS without a terminal (no bar drawn, as under ctest), stdout and
# stderr to OUT.out / OUT.err; returns the exit code.
run() {
  local out=$1 ctl=$2
  shift 2
  ETCDPP_TEST_CHECK_PERF_SECONDS=3 setsid -w "$ctl" --endpoints="$EP" "$@" \
    </dev/null >"$out.out" 2>"$out.err"
}

# shape FILE [raw] : the output with each run of progress-line states cut to its first and
# last, numbers masked (N) unless `raw`, one line per progress state or output line.
shape() {
  python3 - "$1" "${2:-}" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
out, run = [], []
for seg in re.split(r"[\r\n]", text):
    if re.match(r"^ \d+ / \d+ ", seg):
        run.append(seg)
        continue
    if run:
        out += [run[0]] + ([run[-1]] if len(run) > 1 else [])
        run = []
    if seg:
        out.append(seg)
if run:
    out += [run[0]] + ([run[-1]] if len(run) > 1 else [])
for line in out:
    print(line if sys.argv[2] == "raw" else re.sub(r"-?\d+(\.\d+)?", "N", line))
EOF
}

expect() {  # expect WHAT GOT WANT
  if [[ $2 != "$3" ]]; then
    printf 'FAIL: %s\n--- got\n%s\n--- want\n%s\n' "$1" "$2" "$3"
    fail=1
  fi
}

expect_match() {  # expect_match WHAT TEXT ERE
  if ! [[ $2 =~ $3 ]]; then
    printf 'FAIL: %s\n--- got\n%s\n--- want (regex)\n%s\n' "$1" "$2" "$3"
    fail=1
  fi
}

# keys PREFIX : the number of keys with the prefix.
keys() {
  "$CTL_TESTED" --endpoints="$EP" get --prefix "$1" --keys-only | grep -c .
}

# perf_verdict FILE RC : the four verdict lines in stock's formats, agreeing with RC.
perf_verdict() {
  local v
  v=$(grep -v '^ [0-9]' "$1" | grep -v '^Compact\|^Defrag\|^$')
  expect_match "perf verdict lines" "$v" \
    $'^(PASS: Throughput is|FAIL: Throughput too low:) [0-9]+ writes/s\n(PASS: Slowest request took|Slowest request took too long:) [0-9]+\.[0-9]{6}s\n(PASS: Stddev is|Stddev too high:) [0-9]+\.[0-9]{6}s\n(PASS|FAIL)$'
  if [[ $v == *$'\nPASS' ]]; then
    expect "perf exit code after PASS" "$2" 0
    expect "perf PASS has no failed check" "$(grep -c 'FAIL\|too low\|too long\|too high' <<<"$v")" 0
  else
    expect "perf exit code after FAIL" "$2" 1
  fi
}

# --- check perf -------------------------------------------------------------------------------
run "$WORK/perf" "$CTL_TESTED" check perf
rc=$?
expect "perf stderr" "$(cat "$WORK/perf.err")" ""
expect "perf progress" "$(shape "$WORK/perf.out" | head -2)" \
  "$(printf ' N / N    N%%\n N / N  N%% Ns')"
expect_match "perf progress, raw" "$(tr '\r' '\n' <"$WORK/perf.out" | sed -n 2p)" '^ 0 / 3    0\.00%$'
expect_match "perf last progress, raw" "$(tr '\r' '\n' <"$WORK/perf.out" | grep '^ [0-9]' | tail -1)" \
  '^ 3 / 3  100\.00% [0-9]+s$'
perf_verdict <(tr '\r' '\n' <"$WORK/perf.out") "$rc"
expect "perf leaves no keys" "$(keys /etcdctl-check-perf/)" 0

# With --auto-compact and --auto-defrag, a prefix of our own and the long load name.
"$CTL_TESTED" --endpoints="$EP" put before v >/dev/null
run "$WORK/perf2" "$CTL_TESTED" check perf --load small --prefix /p/ --auto-compact --auto-defrag
rc=$?
lines=$(tr '\r' '\n' <"$WORK/perf2.out" | grep -v '^ [0-9]' | grep -v '^$')
expect_match "perf compact/defrag lines" "$lines" \
  "^Compacting with revision [0-9]+
Compacted with revision [0-9]+
Defragmenting \"$EP\"
Defragmented \"$EP\"
"
perf_verdict <(echo "$lines") "$rc"
expect "perf --prefix leaves no keys" "$(keys /p/)" 0
compacted=$("$CTL_TESTED" --endpoints="$EP" get before --rev 1 2>&1)
# clientv3's warn line for the failed call, then etcdctl's error.
expect_match "compacted (warn)" "$(head -n1 <<<"$compacted")" \
  '"msg":"retrying of unary invoker failed".*"attempt":0,"error":"rpc error: code = OutOfRange desc = etcdserver: mvcc: required revision has been compacted"}$'
expect "compacted" "$(tail -n +2 <<<"$compacted")" \
  "Error: etcdserver: mvcc: required revision has been compacted"

# --- check datascale --------------------------------------------------------------------------
run "$WORK/scale" "$CTL_TESTED" check datascale --auto-compact
rc=$?
expect "datascale exit" "$rc" 0
expect "datascale stderr" "$(cat "$WORK/scale.err")" ""
expect_match "datascale output" "$(shape "$WORK/scale.out" raw)" \
  $'^Start data scale check for work load \\[10000 key-value pairs, 1024 bytes per key-value, 50 concurrent clients\\]\\.\n 0 / 10000    0\\.00%\n 10000 / 10000  100\\.00% [0-9]+s\nCompacting with revision [0-9]+\nCompacted with revision [0-9]+\nPASS: Approximate system memory used : -?[0-9]+\\.[0-9]{2} MB\\.$'
expect "datascale leaves no keys" "$(keys /etcdctl-check-datascale/)" 0

# The reference etcdctl's datascale on the same server: the same shape, numbers masked.
run "$WORK/scale_ref" "$CTL_REFERENCE" check datascale --prefix /ref/
rc_ref=$?
run "$WORK/scale_ours" "$CTL_TESTED" check datascale --prefix /ref/
rc_ours=$?
expect "datascale exit (reference, ours)" "$rc_ours" "$rc_ref"
expect "datascale shape against the reference" "$(shape "$WORK/scale_ours.out")" \
  "$(shape "$WORK/scale_ref.out")"

if [[ $fail == 0 ]]; then
  echo "etcdctl_check: ok"
fi
exit $fail
