#!/usr/bin/env bash
# test.sh: set up, build, run every test (fast + model; cuda ones skip without a GPU), then the
# fast tests again under AddressSanitizer + UndefinedBehaviorSanitizer. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"

scripts/setup.sh
ctest --test-dir build --output-on-failure -j"$jobs" -LE browser

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DOPENMED_SANITIZE=ON -DOPENMED_CUDA=OFF >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -L fast
