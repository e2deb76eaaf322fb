#!/usr/bin/env bash
# The libFuzzer targets of tests/fuzz (docs/design/fuzzing.md): configures build-fuzz/ with
# clang and -DETCDPP_FUZZ=ON, builds the targets, then fuzzes each in turn for --time seconds
# (default 30), one process at a time, over a scratch copy of its seed corpus and regression
# inputs (the corpus in the repo is never written). A crash stops the script with exit 1 and the
# path of the reproducer (build-fuzz/fuzz-artifacts/<target>/crash-...).
#
#   scripts/fuzz.sh                           build, then 30 s per target
#   scripts/fuzz.sh --time 600 wal_record     ten minutes of one target
#   scripts/fuzz.sh --build-only              only configure and build
#   scripts/fuzz.sh --no-build --time 60      fuzz what is built
#   scripts/fuzz.sh --keep-corpus DIR ...     keep each target's grown corpus in DIR/<target>
#   scripts/fuzz.sh --make-seeds              rewrite the binary seeds of tests/fuzz/*/seeds
#
# Reproduce a crash: build-fuzz/bin/fuzz_<target> <crash file>. Build dir: $ETCDPP_FUZZ_BUILD_DIR
# (default build-fuzz/ beside build/); build parallelism: $ETCDPP_JOBS (default nproc).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${ETCDPP_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
TIME=30
BUILD_STEP=1
FUZZ_STEP=1
KEEP=""
MAKE_SEEDS=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) TIME=$2; shift 2 ;;
    --time=*) TIME=${1#--time=}; shift ;;
    --build-only) FUZZ_STEP=0; shift ;;
    --no-build) BUILD_STEP=0; shift ;;
    --keep-corpus) KEEP=$2; shift 2 ;;
    --make-seeds) MAKE_SEEDS=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ "${#targets[@]}" -eq 0 ]; then
  for d in "$ROOT"/tests/fuzz/*_fuzzer.cc; do
    n=$(basename "$d" _fuzzer.cc)
    targets+=("$n")
  done
fi

if [ "$BUILD_STEP" -eq 1 ]; then
  command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not installed (scripts/install-deps.sh)" >&2; exit 1; }
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    LAUNCHER=()
    command -v ccache >/dev/null 2>&1 && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    # Debug keeps the debug invariant checks; -O1 keeps the fuzzers fast enough.
    CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" -DETCDPP_FUZZ=ON -DETCDPP_JEMALLOC=OFF \
      "${LAUNCHER[@]}" >/dev/null
  fi
  bins=()
  for t in "${targets[@]}"; do bins+=("fuzz_$t"); done
  [ "$MAKE_SEEDS" -eq 1 ] && bins=(fuzz_make_seeds)
  cmake --build "$BUILD" -j "${ETCDPP_JOBS:-$(nproc)}" --target "${bins[@]}"
fi
if [ "$MAKE_SEEDS" -eq 1 ]; then
  "$BUILD/bin/fuzz_make_seeds" "$ROOT/tests/fuzz"
  echo "fuzz.sh: seeds written under tests/fuzz/*/seeds"
  exit 0
fi
[ "$FUZZ_STEP" -eq 1 ] || exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in "${targets[@]}"; do
  bin=$BUILD/bin/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz.sh: $bin is not built" >&2; exit 1; }
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/etcdpp-fuzz-$t.XXXXXX")
  for sub in seeds regressions; do
    src=$ROOT/tests/fuzz/$t/$sub
    if [ -d "$src" ]; then cp -r "$src"/. "$scratch"/ 2>/dev/null || true; fi
  done
  rm -f "$scratch/.gitkeep"
  artifacts=$BUILD/fuzz-artifacts/$t
  mkdir -p "$artifacts"
  echo "fuzz.sh: $t for ${TIME}s ($(ls "$scratch" | wc -l) inputs to start)"
  set +e
  "$bin" -max_total_time="$TIME" -timeout=25 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$scratch" >"$artifacts/last-run.log" 2>&1
  rc=$?
  set -e
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+ *DONE' "$artifacts/last-run.log" || true
  if [ -n "$KEEP" ]; then mkdir -p "$KEEP/$t" && cp -r "$scratch"/. "$KEEP/$t"/; fi
  rm -rf "$scratch"
  if [ "$rc" -ne 0 ]; then
    tail -n 60 "$artifacts/last-run.log"
    crash=$(ls -t "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-* 2>/dev/null | head -1 || true)
    echo "fuzz.sh: $t FAILED (exit $rc); reproducer: ${crash:-none written}; log: $artifacts/last-run.log" >&2
    echo "fuzz.sh: reproduce with: $bin ${crash:-<input>}" >&2
    exit 1
  fi
done
echo "fuzz.sh: ${#targets[@]} target(s) ran ${TIME}s each without a crash"
