#!/usr/bin/env bash
# tsan.sh: build the tests labelled `tsan` (threads sharing one loaded model, each with its own
# pipeline) with ThreadSanitizer in build-tsan/ and run them; any data race fails the run.
# Usage: scripts/tsan.sh [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${JOBS:-2}"

cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Release -DOPENMED_TSAN=ON -DOPENMED_CUDA=OFF >/dev/null
targets=$(ctest --test-dir build-tsan -N -L tsan | sed -n 's/^ *Test *#[0-9]*: *//p')
[ -n "$targets" ] || { echo "tsan.sh: no test is labelled tsan" >&2; exit 1; }
# shellcheck disable=SC2086
cmake --build build-tsan -j"$jobs" --target $targets
# libgomp and oneDNN are not instrumented: their own synchronization (OpenMP barriers inside one
# GEMM or parallel op) is invisible to TSan, so reports from inside them are suppressed; every
# access made by OpenMed-C's code is still checked.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp ${TSAN_OPTIONS:-}" \
  ctest --test-dir build-tsan --output-on-failure -L tsan "$@"
