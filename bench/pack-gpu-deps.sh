#!/usr/bin/env bash
# pack-gpu-deps.sh: bundle the build dependencies (headers, libraries, pkg-config files and the
# runtime closure of cJSON, utf8proc, PCRE2, libcurl, libmicrohttpd, OpenSSL, pkgconf, and oneDNN's
# headers) of this Debian machine into .gpu-deps/gpu-deps.tar.xz (about 4 MB), for the GPU machine,
# whose image has CUDA and PyTorch but not these -dev packages and no network. oneDNN's 40 MB
# library does not fit the 64 MiB transfer: gpu-check.sh builds bench/gpu-deps/dnnl_sgemm_shim.c
# there instead. Run it here once, then carry ".gpu-deps" in
# the device call; bench/gpu-check.sh unpacks it when the machine lacks the libraries.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST="$ROOT/.gpu-deps"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
grep -qx '/.gpu-deps/' "$ROOT/.git/info/exclude" 2>/dev/null || echo '/.gpu-deps/' >>"$ROOT/.git/info/exclude"

pkgs="libcjson-dev libcjson1 libutf8proc-dev libutf8proc2 libpcre2-dev libpcre2-8-0 libcurl4-openssl-dev libcurl4
      libmicrohttpd-dev libmicrohttpd12 libssl-dev libssl3 libdnnl-dev pkgconf pkgconf-bin libpkgconf3"  # libdnnl2 (the library) left out on purpose
for p in $pkgs; do
  dpkg -L "$p" 2>/dev/null | while read -r f; do
    case "$f" in
      *.a|*pcre2-16*|*pcre2-32*|*pcre2-posix*|*/libdnnl.so*|*/dnnl*.hpp|*/cmake/*) ;; # not needed: static archives,
        # unused PCRE2 widths, oneDNN's library and C++ headers, CMake package files
      /usr/include/*|/usr/lib/*|/usr/bin/pkgconf|/usr/bin/pkg-config|/usr/share/pkgconfig/*)
        if [ -f "$f" ] || [ -L "$f" ]; then mkdir -p "$STAGE$(dirname "$f")"; cp -a "$f" "$STAGE$f"; fi ;;
    esac
  done
done
# Runtime closure of the bundled libraries, minus the C runtime every Linux has (and libstdc++ /
# libgcc_s, which the GPU image has in a newer version).
LIBDIR="$STAGE/usr/lib/x86_64-linux-gnu"
for lib in "$LIBDIR"/*.so* "$STAGE/usr/bin/pkgconf"; do
  [ -f "$lib" ] || continue
  ldd "$lib" 2>/dev/null | awk '/=> \// {print $3}'
done | sort -u | while read -r dep; do
  base=$(basename "$dep")
  case "$base" in
    libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libstdc++.so*|libgcc_s.so*|libresolv.so*|libutil.so*) continue ;;
  esac
  [ -e "$LIBDIR/$base" ] || cp -L "$dep" "$LIBDIR/$base"
done
# Shared linking only: drop Requires.private (pkg-config would demand gnutls.pc and friends).
sed -i '/^Requires.private:/d' "$LIBDIR"/pkgconfig/*.pc
mkdir -p "$DEST"
tar -C "$STAGE" -cf - usr | xz -9 -T2 >"$DEST/gpu-deps.tar.xz"
ls -la "$DEST/gpu-deps.tar.xz"
# The device call carries the working tree (tracked + untracked, not ignored) and .gpu-deps: 64 MiB at most.
cd "$ROOT"
total=$(( $(git ls-files -z | du --files0-from=- -cb | tail -1 | cut -f1) +
          $(git ls-files -o --exclude-standard -z | du --files0-from=- -cb | tail -1 | cut -f1) +
          $(stat -c %s "$DEST/gpu-deps.tar.xz") ))
echo "working tree + bundle: $total bytes of the 67108864 a device call carries"
[ "$total" -le 67108864 ] || echo "WARNING: over the device call's 64 MiB limit" >&2
