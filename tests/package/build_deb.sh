#!/usr/bin/env bash
# Builds etcdpp's .deb (deploy/CMakeLists.txt): configures $ETCDPP_BUILD_DIR (default
# build-deb/ beside build/, so a test build keeps its test hooks) for the /usr prefix, without
# the test hooks, as a release-type build; builds the three programs and the man page only;
# stages `cmake --install` under DESTDIR and checks the layout; runs cpack. The .deb's path is
# the last line printed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${ETCDPP_BUILD_DIR:-$ROOT/build-deb}

cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt"; }
if [ -f "$BUILD/CMakeCache.txt" ]; then
  case "$(cache_value CMAKE_BUILD_TYPE)" in
  Release | RelWithDebInfo | MinSizeRel) ;;
  *) echo "build_deb: $BUILD is a $(cache_value CMAKE_BUILD_TYPE) build; a package needs a release build" >&2
     exit 1 ;;
  esac
  for opt in ETCDPP_SANITIZE ETCDPP_FAILPOINTS; do
    v=$(cache_value $opt)
    if [ -n "$v" ] && [ "$v" != OFF ]; then
      echo "build_deb: $BUILD has $opt=$v; a package is built without it" >&2
      exit 1
    fi
  done
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_INSTALL_PREFIX=/usr -DETCDPP_TEST_HOOKS=OFF >/dev/null
else
  GEN=()
  LAUNCHER=()
  command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
  command -v ccache >/dev/null 2>&1 && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$ROOT" -B "$BUILD" "${GEN[@]}" "${LAUNCHER[@]}" \
    -DCMAKE_BUILD_TYPE="${ETCDPP_BUILD_TYPE:-RelWithDebInfo}" -DCMAKE_INSTALL_PREFIX=/usr \
    -DETCDPP_TEST_HOOKS=OFF >/dev/null
fi
cmake --build "$BUILD" -j "${ETCDPP_JOBS:-$(nproc)}" --target etcdpp etcdctl etcdutl etcdpp_man

# `cmake --install` into a staging root: everything in its place, the unit naming the server.
STAGE=$BUILD/install-stage
rm -rf "$STAGE"
DESTDIR=$STAGE cmake --install "$BUILD" >/dev/null
for f in usr/bin/etcdpp usr/bin/etcdctl usr/bin/etcdutl usr/lib/systemd/system/etcdpp.service \
  etc/default/etcdpp usr/share/man/man1/etcdpp.1.gz usr/share/doc/etcdpp/README.md \
  usr/share/doc/etcdpp/examples/cluster/m1.default; do
  [ -f "$STAGE/$f" ] || { echo "build_deb: cmake --install put no /$f" >&2; exit 1; }
done
grep -qx 'ExecStart=/usr/bin/etcdpp' "$STAGE/usr/lib/systemd/system/etcdpp.service" ||
  { echo "build_deb: the installed unit does not start /usr/bin/etcdpp" >&2; exit 1; }

rm -f "$BUILD"/package/etcdpp_*.deb
(cd "$BUILD" && cpack -G DEB -B "$BUILD/package" >/dev/null)
DEBS=("$BUILD"/package/etcdpp_*.deb)
if [ "${#DEBS[@]}" -ne 1 ] || [ ! -f "${DEBS[0]}" ]; then
  echo "build_deb: cpack made no .deb" >&2
  exit 1
fi
echo "${DEBS[0]}"
