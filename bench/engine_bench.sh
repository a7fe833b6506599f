#!/bin/sh
# engine_bench.sh: build the engine benchmark helpers against the sources, write a random
# bert-base model (once) and report forward tokens/s for 8 x 128 windows at 2 threads.
# Usage: bench/engine_bench.sh [MODEL_DIR=/tmp/openmed-bert-base] [threads] [windows] [seq] [runs]
set -e
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODEL=${1:-/tmp/openmed-bert-base}
OUT=${TMPDIR:-/tmp}/openmed-engine-bench
mkdir -p "$OUT"
cc -O2 -o "$OUT/make_random_bert" "$ROOT/bench/make_random_bert.c"
cc -O2 -D_GNU_SOURCE -I"$ROOT/include" -I"$ROOT/src" -o "$OUT/bench_engine" "$ROOT/bench/bench_engine.c" \
  "$ROOT"/src/core/*.c "$ROOT"/src/device/*.c "$ROOT"/src/io/*.c "$ROOT"/src/hub/*.c "$ROOT"/src/tokenizer/*.c \
  "$ROOT"/src/backend/backend.c "$ROOT"/src/backend/cpu/*.c "$ROOT"/src/models/*.c \
  -lcjson -lutf8proc -lpcre2-8 -lcurl -lcrypto -ldnnl -lm -ldl -lpthread
[ -f "$MODEL/model.safetensors" ] || "$OUT/make_random_bert" "$MODEL"
"$OUT/bench_engine" "$MODEL" "${2:-2}" "${3:-8}" "${4:-128}" "${5:-5}"
