#!/usr/bin/env bash
# Configures and builds etcdpp into build/ (or $ETCDPP_BUILD_DIR). ETCDPP_SANITIZE=address|thread
# builds with the sanitizers (use a separate build dir for those).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${ETCDPP_BUILD_DIR:-$ROOT/build}
GEN=()
LAUNCHER=()
command -v ccache >/dev/null 2>&1 && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE="${ETCDPP_BUILD_TYPE:-RelWithDebInfo}" \
    -DETCDPP_SANITIZE="${ETCDPP_SANITIZE:-}" "${LAUNCHER[@]}"
fi
cmake --build "$BUILD" -j "${ETCDPP_JOBS:-$(nproc)}"
