#!/bin/sh
# tokenizer_bench.sh: OpenMed-C's tokenizer against Hugging Face tokenizers (Rust, npm @anush008/tokenizers),
# single-threaded, on the clinical notes. usage: bench/tokenizer_bench.sh [CLINICAL_NOTES_DIR] [SECONDS]
# Builds bench/out/tokenizer_bench from the tokenizer sources (no other module needed); reads the
# tokenizer fixtures decompressed by the configure step (build/fixtures: run scripts/setup.sh first).
set -e
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NOTES=${1:-/work/shared/data/clinical-notes}
SECONDS_PER=${2:-3}
OUT=$ROOT/bench/out
mkdir -p "$OUT"
# every note and dialogue of the ACI-Bench CSVs, one {"text": ...} per line
python3 - "$NOTES" "$OUT/tokenizer_notes.jsonl" <<'PY'
import csv, glob, json, os, sys
csv.field_size_limit(1 << 30)
with open(sys.argv[2], 'w') as out:
    for path in sorted(glob.glob(os.path.join(sys.argv[1], '*.csv'))):
        if path.endswith('_metadata.csv'):
            continue
        for row in csv.DictReader(open(path, newline='')):
            for col in ('note', 'dialogue'):
                if row.get(col):
                    out.write(json.dumps({'text': row[col]}) + '\n')
PY
gcc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/include" -I"$ROOT/src" "$ROOT/bench/tokenizer_bench.c" "$ROOT"/src/tokenizer/*.c \
    "$ROOT"/src/core/*.c -lcjson -lutf8proc -lpcre2-8 -lm -lpthread -o "$OUT/tokenizer_bench"
[ -d "$ROOT/bench/node_modules/@anush008/tokenizers" ] || (cd "$ROOT/bench" && npm install --no-save --no-package-lock @anush008/tokenizers >/dev/null)
for m in wordpiece-uncased bpe-roberta unigram-xlmr; do
    dir=$ROOT/build/fixtures/hf/tokenizers/$m
    "$OUT/tokenizer_bench" --model "$dir" --input "$OUT/tokenizer_notes.jsonl" --seconds "$SECONDS_PER"
    RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false node "$ROOT/bench/tokenizer_compare.mjs" --model "$dir" \
        --input "$OUT/tokenizer_notes.jsonl" --seconds "$SECONDS_PER"
done
