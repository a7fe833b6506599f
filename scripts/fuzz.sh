#!/usr/bin/env bash
# fuzz.sh SECONDS [TARGET...]: build the libFuzzer targets (clang, ASan+UBSan, build-fuzz/) and run
# each fuzz_<topic> for SECONDS, one after another, from its seeds in fuzz/corpus/fuzz_<topic>/.
# Each target's CPU time (user + system, what fuzzing hours count) is printed after it. New inputs go to build-fuzz/fuzz/corpus/, crashes to build-fuzz/fuzz/crashes/ (never into the
# repository); a crash stops the run with a non-zero exit. Runs niced: the machine is shared.
# Environment: FUZZ_JOBS (build jobs, default 2), FUZZ_NICE (default 15).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:?usage: scripts/fuzz.sh SECONDS [fuzz_TOPIC...]}"
shift
build=build-fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DOPENMED_FUZZ=ON >/dev/null
nice -n "${FUZZ_NICE:-15}" cmake --build "$build" --target fuzz_all -j"${FUZZ_JOBS:-2}" >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in fuzz/fuzz_*.c; do targets+=("$(basename "$src" .c)"); done
fi
mkdir -p "$build/fuzz/crashes"
status=0
for t in "${targets[@]}"; do
  mkdir -p "$build/fuzz/corpus/$t"
  echo "== $t: ${seconds}s"
  TIMEFORMAT="$t: %U s user + %S s system CPU in %R s wall"
  if ! time ASAN_OPTIONS=detect_leaks=1 nice -n "${FUZZ_NICE:-15}" "$build/fuzz/$t" -max_total_time="$seconds" \
      -timeout=25 -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$build/fuzz/crashes/$t-" \
      "$build/fuzz/corpus/$t" "fuzz/corpus/$t" 2>"$build/fuzz/$t.log"; then
    echo "$t: FAILED (see $build/fuzz/$t.log and $build/fuzz/crashes/)"
    status=1
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+ *DONE" "$build/fuzz/$t.log" || true
done
exit $status
