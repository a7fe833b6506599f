#!/bin/sh
# threads_bench.sh: libopenmed's CPU throughput on a shared machine: short texts (one sentence per
# call, the bundled disease model) and long batches (4 notes of ~150 words per call, a random
# bert-base), alone and next to one competing busy process, under each OpenMP wait policy:
#   library  nothing set: the library's default (passive; src/backend/cpu/cpu_gemm.c)
#   libgomp  GOMP_SPINCOUNT=300000: libgomp's own default (idle workers spin ~300k rounds first)
#   active   OMP_WAIT_POLICY=active: idle workers spin
# then 1 vs N pipelines sharing one model. Numbers on a shared machine are noisy: run it twice.
# Usage: bench/threads_bench.sh [BUILD_DIR=build] [SECONDS=4] [PIPELINES=2]
set -e
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
SECONDS_EACH=${2:-4}
N=${3:-2}
OUT=${TMPDIR:-/tmp}/openmed-threads-bench
mkdir -p "$OUT"

cc -O2 -I"$ROOT/include" -o "$OUT/threads_bench" "$ROOT/bench/threads_bench.c" \
  -L"$BUILD" -Wl,-rpath,"$BUILD" -lopenmed -lpthread
BERT="$OUT/bert-base"
if [ ! -f "$BERT/model.safetensors" ]; then
  cc -O2 -o "$OUT/make_random_bert" "$ROOT/bench/make_random_bert.c"
  "$OUT/make_random_bert" "$BERT" >/dev/null
  cp "$BUILD/fixtures/hf/models/bert-uncased/tokenizer.json" "$BERT/"
  printf '{"model_max_length": 512}\n' >"$BERT/tokenizer_config.json"
fi

competitor=""
start_competitor() { sh -c 'while :; do :; done' & competitor=$!; }
alive_competitor() { [ -z "$competitor" ] || kill -0 "$competitor" 2>/dev/null || echo "# the competing process died" >&2; }
stop_competitor() {
  if [ -n "$competitor" ]; then kill "$competitor" 2>/dev/null || true; wait "$competitor" 2>/dev/null || true; fi
  competitor=""
}
trap stop_competitor EXIT INT TERM

run() { # label policy mode model pipelines
  case "$2" in
    library) line=$(env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT "$OUT/threads_bench" "$4" "$3" "$5" "$SECONDS_EACH") ;;
    libgomp) line=$(env -u OMP_WAIT_POLICY GOMP_SPINCOUNT=300000 "$OUT/threads_bench" "$4" "$3" "$5" "$SECONDS_EACH") ;;
    *) line=$(env -u GOMP_SPINCOUNT OMP_WAIT_POLICY="$2" "$OUT/threads_bench" "$4" "$3" "$5" "$SECONDS_EACH") ;;
  esac
  printf '%-14s %-8s %s\n' "$1" "$2" "$line"
  alive_competitor
}

echo "# $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), ${SECONDS_EACH}s per line"
for competing in no yes; do
  [ "$competing" = yes ] && start_competitor
  label=$([ "$competing" = yes ] && echo "1 competitor" || echo "alone")
  for policy in library libgomp active; do
    run "$label" "$policy" short disease 1
    run "$label" "$policy" long "$BERT" 1
  done
  stop_competitor
done
echo "# 1 vs $N pipelines on one model (each pipeline's thread count: the default)"
for mode in short long; do
  model=$([ "$mode" = short ] && echo disease || echo "$BERT")
  run "alone" library "$mode" "$model" 1
  run "alone" library "$mode" "$model" "$N"
done
