#!/bin/sh
# reduced_f1.sh: strict entity F1 of a model on a CoNLL file with float32, int8 and bfloat16 compute
# (openmed eval --dtype), and the int8 / bf16 differences from float32; exits 1 when one is over
# the bound (default 0.005).
# Usage: bench/reduced_f1.sh [CONLL=/work/shared/data/ncbi-disease/devel.tsv] [MODEL=bundled disease] [BOUND=0.005]
set -e
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONLL=${1:-/work/shared/data/ncbi-disease/devel.tsv}
MODEL=${2:-}
BOUND=${3:-0.005}
OPENMED=${OPENMED:-$ROOT/build/bin/openmed}
OUT=${TMPDIR:-/tmp}/openmed-reduced-f1.$$
mkdir -p "$OUT"
trap 'rm -rf "$OUT"' EXIT
for dt in float32 int8 bfloat16; do
  "$OPENMED" eval ${MODEL:+--model "$MODEL"} --conll "$CONLL" --dtype "$dt" --json > "$OUT/$dt.json"
done
python3 - "$OUT" "$BOUND" "$CONLL" <<'PY'
import json, sys
out, bound, conll = sys.argv[1], float(sys.argv[2]), sys.argv[3]
f1 = {dt: json.load(open(f"{out}/{dt}.json"))["f1"] for dt in ("float32", "int8", "bfloat16")}
print(f"{conll}: strict F1 float32 {f1['float32']:.4f}, int8 {f1['int8']:.4f} ({f1['int8'] - f1['float32']:+.4f}), "
      f"bfloat16 {f1['bfloat16']:.4f} ({f1['bfloat16'] - f1['float32']:+.4f}); bound {bound}")
sys.exit(0 if all(abs(f1[d] - f1["float32"]) <= bound for d in ("int8", "bfloat16")) else 1)
PY
