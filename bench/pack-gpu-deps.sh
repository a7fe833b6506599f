#!/usr/bin/env bash
# pack-gpu-deps.sh: what a GPU check (bench/gpu-check.sh) needs on the lent GPU machine, whose image
# has CUDA, PyTorch and CMake but not this project's -dev packages, and no network. Writes, into
# .gpu-deps/ (git-ignored; the device call carries it; GPU_DEPS_DIR=... puts it elsewhere):
#  - gpu-deps.tar.xz (about 4 MB): headers, libraries, pkg-config files and the runtime closure of
#    cJSON, utf8proc, PCRE2, libcurl, libmicrohttpd, OpenSSL, libcsv, pkgconf and oneDNN's headers, so the
#    GPU targets can be built there;
#  - with BUILD_DIR (a CUDA build of this tree, e.g. build/ configured with
#    -DCMAKE_CUDA_ARCHITECTURES=90): prebuilt.tar.xz, the GPU targets built here (the CLI, the
#    plugin, the cuda benchmark, the test programs gpu-check.sh runs), the shared libraries they
#    load that neither a CUDA machine nor the bundle above has, and a plain-C oneDNN sgemm
#    (bench/gpu-deps/) for the cpu reference backend, since oneDNN's 40 MB library does not fit the
#    64 MiB a device call carries. They run there with the bundle's libraries.
#
#   bench/pack-gpu-deps.sh [BUILD_DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${GPU_DEPS_DIR:-$ROOT/.gpu-deps}
BUILD_DIR=${1:-}
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)

# Libraries every Linux (or CUDA image) has, never bundled: the C runtime, the C++ runtime (the GPU
# image has a newer one), the NVIDIA driver and the CUDA toolkit's own libraries.
system_lib() {
  case "$1" in
    libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libstdc++.so*|libgcc_s.so*|libresolv.so*|libutil.so*) return 0 ;;
    libcuda.so*|libcublas*|libcudart*|libnvidia*|linux-vdso*) return 0 ;;
  esac
  return 1
}
# copy_closure DIR FILES...: every shared library FILES load (ldd), unless system_lib, into DIR.
copy_closure() {
  local dir=$1
  shift
  for f in "$@"; do ldd "$f" 2>/dev/null | awk '/=> \// {print $3}'; done | sort -u | while read -r dep; do
    local base
    base=$(basename "$dep")
    system_lib "$base" && continue
    [ -e "$dir/$base" ] || cp -L "$dep" "$dir/$base"
  done
}

# --- the -dev bundle
pkgs="libcjson-dev libcjson1 libutf8proc-dev libutf8proc2 libpcre2-dev libpcre2-8-0 libcurl4-openssl-dev libcurl4
      libmicrohttpd-dev libmicrohttpd12 libssl-dev libssl3 libcsv-dev libcsv3 libdnnl-dev pkgconf pkgconf-bin libpkgconf3"  # libdnnl2 (the library) left out on purpose
DEV="$STAGE/dev"
for p in $pkgs; do
  dpkg -L "$p" 2>/dev/null | while read -r f; do
    case "$f" in
      *.a|*pcre2-16*|*pcre2-32*|*pcre2-posix*|*/libdnnl.so*|*/dnnl*.hpp|*/cmake/*) ;; # not needed: static archives,
        # unused PCRE2 widths, oneDNN's library and C++ headers, CMake package files
      /usr/include/*|/usr/lib/*|/usr/bin/pkgconf|/usr/bin/pkg-config|/usr/share/pkgconfig/*)
        if [ -f "$f" ] || [ -L "$f" ]; then mkdir -p "$DEV$(dirname "$f")"; cp -a "$f" "$DEV$f"; fi ;;
    esac
  done
done
LIBDIR="$DEV/usr/lib/x86_64-linux-gnu"
copy_closure "$LIBDIR" "$LIBDIR"/*.so* "$DEV/usr/bin/pkgconf"
# Shared linking only: drop Requires.private (pkg-config would demand gnutls.pc and friends).
sed -i '/^Requires.private:/d' "$LIBDIR"/pkgconfig/*.pc
tar -C "$DEV" -cf - usr | xz -9 -T2 >"$DEST/gpu-deps.tar.xz"
ls -la "$DEST/gpu-deps.tar.xz"

# --- the prebuilt GPU targets
if [ -n "$BUILD_DIR" ]; then
  BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
  TESTS="test_cuda_loader test_cuda_ops test_cuda_models test_device test_config test_cli_doctor test_model_errors"
  # shellcheck disable=SC2086
  cmake --build "$BUILD_DIR" -j2 --target openmed_cli openmed_cuda openmed_cuda_bench $TESTS
  PRE="$STAGE/prebuilt"
  mkdir -p "$PRE/bin" "$PRE/lib" "$PRE/tests" "$PRE/runtime"
  cp "$BUILD_DIR/bin/openmed" "$BUILD_DIR/bin/openmed_cuda_bench" "$PRE/bin/"
  cp "$BUILD_DIR/lib/libopenmed_cuda.so" "$PRE/lib/"
  for t in $TESTS; do cp "$BUILD_DIR/tests/$t" "$PRE/tests/"; done
  cc -O2 -o "$PRE/bin/make_random_bert" "$ROOT/bench/make_random_bert.c"
  cc -O3 -fPIC -fopenmp -shared -Wl,-soname,libdnnl.so.2 -o "$PRE/runtime/libdnnl.so.2" "$ROOT/bench/gpu-deps/dnnl_sgemm_shim.c"
  # the closure, less what the bundle holds (the shim above stands in for oneDNN: a library
  # already there is not copied)
  copy_closure "$PRE/runtime" "$PRE"/bin/* "$PRE"/tests/* "$PRE"/lib/*.so "$PRE/runtime/libdnnl.so.2"
  for lib in "$PRE"/runtime/*; do
    if [ -e "$LIBDIR/$(basename "$lib")" ]; then rm "$lib"; fi
  done
  strip --strip-debug "$PRE"/bin/* "$PRE"/tests/* "$PRE"/runtime/*
  src_dir=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD_DIR/CMakeCache.txt")
  {
    echo "source_dir=$src_dir"
    echo "build_dir=$BUILD_DIR"
    echo "commit=$(git -C "$src_dir" describe --always --dirty)"
    echo "built=$(date -u +%FT%TZ) on $(. /etc/os-release && echo "$PRETTY_NAME"), $(ldd --version | head -1)"
    echo "nvcc=$("$(sed -n 's/^CMAKE_CUDA_COMPILER:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")" --version | tail -1)," \
      "architectures $(sed -n 's/^CMAKE_CUDA_ARCHITECTURES:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")"
  } >"$PRE/MANIFEST"
  tar -C "$PRE" -cf - . | xz -9 -T2 >"$DEST/prebuilt.tar.xz"
  ls -la "$DEST/prebuilt.tar.xz"
  cat "$PRE/MANIFEST"
fi

# A device call carries its checkout (tracked + untracked, not ignored) and .gpu-deps: 64 MiB at most.
REPO=$(git -C "$(dirname "$DEST")" rev-parse --show-toplevel)
cd "$REPO"
total=$(( $(git ls-files -z | du --files0-from=- -cb | tail -1 | cut -f1) +
          $(git ls-files -o --exclude-standard -z | du --files0-from=- -cb | tail -1 | cut -f1) +
          $(du -cb "$DEST" | tail -1 | cut -f1) ))
echo "$REPO tree + $DEST: $total bytes of the 67108864 a device call carries"
[ "$total" -le 67108864 ] || echo "WARNING: over the device call's 64 MiB limit" >&2
