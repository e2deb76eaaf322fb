#!/usr/bin/env bash
# Checks deploy/man/etcdpp.1 against the binary and the reference etcd:
#   - every flag under OPTIONS, and under "ETCD FLAGS REFUSED" after the list, is one etcdpp
#     accepts (neither unknown nor refused);
#   - every flag in the list under "ETCD FLAGS REFUSED" is refused by name;
#   - every flag the reference etcd's --help prints is in the page.
# `etcdpp --version <flag>` parses the whole configuration and exits before it opens anything.
# Usage: man_page_test.sh <etcdpp> <etcdpp.1> [<reference etcd>]
set -euo pipefail
ETCDPP=$1
PAGE=$2
ETCD=${3:-/usr/bin/etcd}
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# The flags of one part of the page: from the line matching $1 to the one matching $2.
flags_between() {
  sed -n "/$1/,/$2/p" "$PAGE" | grep -o '\\-\\-[a-z0-9\\-]*[a-z0-9]' | sed 's/\\-/-/g' | sort -u
}
accepted=$( (flags_between '^\.SH OPTIONS' '^\.SH ETCD FLAGS REFUSED'
  flags_between '^\.fi' '^\.SH FILES') | sort -u)
refused=$(sed -n '/^\.SH ETCD FLAGS REFUSED/,/^\.fi/p' "$PAGE" | sed -n '/^\.nf/,/^\.fi/p' |
  grep '^\\-\\-' | sed 's/\\-/-/g' | sort -u)
[ "$(echo "$accepted" | wc -l)" -gt 50 ] || fail "only $(echo "$accepted" | wc -l) accepted flags found in $PAGE"
[ "$(echo "$refused" | wc -l)" -gt 20 ] || fail "only $(echo "$refused" | wc -l) refused flags found in $PAGE"

# Prints what etcdpp says to `--version <arg>`, and its exit status.
try() { "$ETCDPP" --version "$1" 2>&1 | head -3 || true; }

for f in $accepted; do
  [ "$f" = --version ] && continue
  for v in etcdpp-man-test true false; do  # a boolean refused for one value is refused
    out=$(try "$f=$v")
    if grep -qE 'not defined|not a valid flag|is not supported by etcdpp' <<<"$out"; then
      fail "$f: the page says etcdpp accepts it; etcdpp: $out"
      break
    fi
  done
done

for f in $refused; do
  said=""
  for v in etcdpp-man-test true false; do
    out=$(try "$f=$v")
    if grep -qF -- "$f=$v is not supported by etcdpp" <<<"$out"; then said=yes; break; fi
  done
  [ -n "$said" ] || fail "$f: the page says etcdpp refuses it; etcdpp accepted every value tried"
done

# Unknown flags are reported as unknown, so the checks above can tell.
out=$(try --etcdpp-man-test-no-such-flag)
grep -qE 'not defined|not a valid flag' <<<"$out" || fail "an unknown flag is not reported: $out"

if [ -x "$ETCD" ]; then
  etcd_flags=$("$ETCD" --help 2>&1 | grep -oE '^\s+--[a-z0-9-]+' | tr -d ' ' | sort -u)
  [ "$(echo "$etcd_flags" | wc -l)" -gt 50 ] || fail "$ETCD --help: too few flags"
  for f in $etcd_flags; do
    grep -qxF -- "$f" <<<"$accepted"$'\n'"$refused" || fail "$f (etcd's) is not in $PAGE"
  done
else
  fail "no reference etcd at $ETCD"
fi

echo "$(echo "$accepted" | wc -l) accepted and $(echo "$refused" | wc -l) refused flags checked"
if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo PASS
