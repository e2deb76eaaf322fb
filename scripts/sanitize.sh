#!/usr/bin/env bash
# Builds etcdpp with a sanitizer and runs ctest on it:
#
#   scripts/sanitize.sh address [--targets "t1 t2"] [ctest args...]  # ASan+UBSan, build-asan/
#   scripts/sanitize.sh thread  [--targets "t1 t2"] [ctest args...]  # TSan, build-tsan/
#
# e.g. scripts/sanitize.sh address -LE 'package|process'   (everything but the process tests)
#      scripts/sanitize.sh thread --targets "watch_test wal_test"
#
# Without --targets every target is built and ctest runs what the arguments select (default:
# all but the package test). --targets builds only those test binaries and runs only their
# cases: each test is labelled with its binary's name (CMakeLists.txt). Name etcdpp among them
# when a process test is (it starts the server). scripts/test.sh runs a selection of each this
# way (docs/design/testing.md).
#
# ASan+UBSan builds with g++, TSan with clang and -Wthread-safety -Werror=thread-safety, so
# the TSan build checks the lock annotations too (scripts/check-thread-safety.sh alone is the
# quick way to check only those). -O1 with line tables only (a sanitizer build is mostly compile
# time), no jemalloc (the sanitizers bring their own allocator), the test hooks on (the fault
# tests need them). The process tests run the sanitized server too (ETCDPP_BIN is the sanitized
# binary's): a report from a member makes it exit non-zero, which its test sees. TSan reads
# scripts/tsan-suppressions.txt (every entry says why).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KIND=${1:?usage: scripts/sanitize.sh address|thread [--targets "t1 t2"] [ctest args...]}
shift
TARGETS=()
if [ "${1:-}" = "--targets" ]; then
  read -r -a TARGETS <<<"${2:?--targets needs a list}"
  shift 2
fi
FLAGS="-O1 -g1"
COMPILER=()
case "$KIND" in
  address) BUILD=${ETCDPP_ASAN_BUILD_DIR:-$ROOT/build-asan} ;;
  thread)
    BUILD=${ETCDPP_TSAN_BUILD_DIR:-$ROOT/build-tsan}
    command -v clang++ >/dev/null || { echo "sanitize.sh: clang++ not installed (scripts/install-deps.sh)" >&2; exit 1; }
    COMPILER=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
    FLAGS="$FLAGS -Wthread-safety -Werror=thread-safety"
    ;;
  *) echo "sanitize.sh: address or thread, not $KIND" >&2; exit 2 ;;
esac
LAUNCHER=()
command -v ccache >/dev/null 2>&1 && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${COMPILER[@]}" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$FLAGS" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DETCDPP_SANITIZE="$KIND" -DETCDPP_JEMALLOC=OFF -DETCDPP_TEST_HOOKS=ON "${LAUNCHER[@]}" >/dev/null
fi
CTEST_SELECT=()
if [ "${#TARGETS[@]}" -gt 0 ]; then
  cmake --build "$BUILD" -j "${ETCDPP_JOBS:-$(nproc)}" --target "${TARGETS[@]}"
  CTEST_SELECT=(-L "^($(IFS='|'; echo "${TARGETS[*]}"))\$")
else
  cmake --build "$BUILD" -j "${ETCDPP_JOBS:-$(nproc)}"
fi
# halt_on_error: the first report fails the test that caused it. verify_asan_link_order=0: the
# power-loss tests preload their fault shim (tests/powerloss), itself built with ASan, before
# the runtime; the shim's calls reach the runtime's interceptors through dlsym(RTLD_NEXT).
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/scripts/tsan-suppressions.txt${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
export ETCDPP_BIN="$BUILD/bin/etcdpp"
cd "$BUILD"
if [ "$#" -eq 0 ] && [ "${#CTEST_SELECT[@]}" -eq 0 ]; then set -- -LE package; fi
ctest --output-on-failure --no-label-summary --timeout 900 -j "${ETCDPP_TEST_JOBS:-2}" \
  "${CTEST_SELECT[@]}" "$@"
