#!/usr/bin/env bash
# The clang thread-safety build: compiles the server and everything under it with clang and
# -Wthread-safety -Werror=thread-safety, so that every ABSL_GUARDED_BY / ABSL_EXCLUSIVE_LOCKS_REQUIRED
# annotation is checked (g++ ignores them). Debug, -O0 and no debug info: only the analysis
# matters here. Build dir: $ETCDPP_TSA_BUILD_DIR (default build-tsa/ beside build/).
# Extra arguments are ninja targets (default: the server binary and its libraries).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${ETCDPP_TSA_BUILD_DIR:-$ROOT/build-tsa}
command -v clang++ >/dev/null || { echo "check-thread-safety: clang++ not installed (scripts/install-deps.sh)"; exit 1; }
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS="-Wthread-safety -Werror=thread-safety -O0 -g0" -DETCDPP_JEMALLOC=OFF >/dev/null
fi
targets=("$@")
[ "${#targets[@]}" -eq 0 ] && targets=(etcdpp)
cmake --build "$BUILD" -j "${ETCDPP_JOBS:-$(nproc)}" --target "${targets[@]}"
echo "check-thread-safety: clang -Wthread-safety -Werror passed (${targets[*]})"
