#!/usr/bin/env bash
# setup-browser.sh: install Debian's chromium for the browser checks (`ctest -L browser`), which
# are not part of scripts/test.sh. Idempotent; nothing else needs a browser.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "setup-browser: chromium is installed ($(chromium --version 2>/dev/null || echo unknown version))"
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
echo "setup-browser: installed $(chromium --version 2>/dev/null)"
