#!/usr/bin/env bash
# setup.sh: install the Debian packages OpenMed-C needs (idempotent) and build it into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config libcjson-dev libutf8proc-dev libpcre2-dev libdnnl-dev
          libopenblas-dev libcurl4-openssl-dev libmicrohttpd-dev libssl-dev libcsv-dev python3 xz-utils
          python3-dev python3-venv python3-setuptools python3-wheel python3-cffi python3-pytest)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
echo "setup: built build/bin/openmed"
