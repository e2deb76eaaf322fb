#!/usr/bin/env bash
# Configures and builds etcdpp into build/ (or $ETCDPP_BUILD_DIR): every target, or the targets
# given as arguments (scripts/build.sh etcdpp). ETCDPP_SANITIZE=address|thread
# builds with the sanitizers (use a separate build dir for those).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${ETCDPP_BUILD_DIR:-$ROOT/build}
GEN=()
LAUNCHER=()
command -v ccache >/dev/null 2>&1 && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
# ETCDPP_TEST_HOOKS=ON builds the server's test-only switches (src/server/test_hooks.h);
# scripts/test.sh sets it, everything else builds without them. Flipping it rebuilds one file.
HOOKS=${ETCDPP_TEST_HOOKS:-OFF}
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE="${ETCDPP_BUILD_TYPE:-RelWithDebInfo}" \
    -DETCDPP_SANITIZE="${ETCDPP_SANITIZE:-}" -DETCDPP_TEST_HOOKS="$HOOKS" "${LAUNCHER[@]}"
elif ! grep -qx "ETCDPP_TEST_HOOKS:BOOL=$HOOKS" "$BUILD/CMakeCache.txt"; then
  cmake -S "$ROOT" -B "$BUILD" -DETCDPP_TEST_HOOKS="$HOOKS" >/dev/null
fi
# Arguments name the targets to build (quickstart.sh builds only the server); none: all.
TARGETS=()
for t in "$@"; do TARGETS+=(--target "$t"); done
cmake --build "$BUILD" -j "${ETCDPP_JOBS:-$(nproc)}" "${TARGETS[@]}"
