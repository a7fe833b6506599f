#!/bin/sh
# publish.sh TASK FOLDER OPENMED: scores a freshly trained model folder with our engine (openmed
# eval, default and word-level aggregation), measures engine/torch token agreement on the whole
# evaluation set, and writes its model card. TASK is disease or pii; run from the repository root
# after train_ner.py (retrain.sh calls it).
set -e
task=$1; model=$2; openmed=$3
data=${OPENMED_TRAIN_DATA:?set OPENMED_TRAIN_DATA to the folder of the public corpora (ncbi-disease/, bc5cdr/, pii/, clinical-notes/)}
work=${WORK:-build-train}
if [ "$task" = disease ]; then set -- --conll "$data/ncbi-disease/devel.tsv"; else set -- --spans "$work/pii/heldout.jsonl"; fi
"$openmed" eval --model "$model" "$@" --json > "$work/$task-eval.json"
"$openmed" eval --model "$model" "$@" --aggregation-strategy first --json > "$work/$task-eval-first.json"
/usr/bin/python3 scripts/train/check_engine.py --openmed "$openmed" --model "$model" --task "$task" \
  --work "$work" > "$work/$task-agreement.json"
/usr/bin/python3 scripts/train/model_card.py --task "$task" --model "$model" \
  --summary "$work/$task-summary.json" --eval "$work/$task-eval.json" --eval-first "$work/$task-eval-first.json" \
  --agreement "$work/$task-agreement.json" --minutes "${MINUTES:-?}"
cat "$work/$task-eval.json" "$work/$task-eval-first.json" "$work/$task-agreement.json"
du -sh "$model"
