#!/usr/bin/env bash
# Builds etcdpp with a sanitizer and runs ctest on it:
#
#   scripts/sanitize.sh address [ctest args...]   # ASan+UBSan, build-asan/
#   scripts/sanitize.sh thread  [ctest args...]   # TSan, build-tsan/
#
# e.g. scripts/sanitize.sh address -LE 'package|process'   (the unit tests)
#      scripts/sanitize.sh thread -R 'raft|wal|watch'
#
# -O1 with line tables only (a sanitizer build is mostly compile time), no jemalloc (the
# sanitizers bring their own allocator), the test hooks on (the fault tests need them). The
# process tests run the sanitized server too (ETCDPP_BIN is the sanitized binary's): a report
# from a member makes it exit non-zero, which its test sees. TSan reads
# scripts/tsan-suppressions.txt (every entry says why).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KIND=${1:?usage: scripts/sanitize.sh address|thread [ctest args...]}
shift
case "$KIND" in
  address) BUILD=${ETCDPP_ASAN_BUILD_DIR:-$ROOT/build-asan} ;;
  thread) BUILD=${ETCDPP_TSAN_BUILD_DIR:-$ROOT/build-tsan} ;;
  *) echo "sanitize.sh: address or thread, not $KIND" >&2; exit 2 ;;
esac
LAUNCHER=()
command -v ccache >/dev/null 2>&1 && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DETCDPP_SANITIZE="$KIND" -DETCDPP_JEMALLOC=OFF -DETCDPP_TEST_HOOKS=ON "${LAUNCHER[@]}" >/dev/null
fi
cmake --build "$BUILD" -j "${ETCDPP_JOBS:-$(nproc)}"
# halt_on_error: the first report fails the test that caused it.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/scripts/tsan-suppressions.txt${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
export ETCDPP_BIN="$BUILD/bin/etcdpp"
cd "$BUILD"
if [ "$#" -eq 0 ]; then set -- -LE package; fi
ctest --output-on-failure --timeout 900 -j "${ETCDPP_TEST_JOBS:-2}" "$@"
