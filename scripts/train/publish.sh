#!/bin/sh
# publish.sh TASK FOLDER OPENMED TRAIN_ARGS: scores a freshly trained model folder with our engine
# (openmed eval), measures engine/torch token agreement on the whole evaluation set, and writes its
# model card. TASK is disease or pii; run from the repository root after train_ner.py.
set -e
task=$1; model=$2; openmed=$3; train_args=$4
data=${OPENMED_TRAIN_DATA:?set OPENMED_TRAIN_DATA to the folder of the public corpora (ncbi-disease/, bc5cdr/, pii/, clinical-notes/)}
work=${WORK:-build-train}
if [ "$task" = disease ]; then
  "$openmed" eval --model "$model" --conll "$data/ncbi-disease/devel.tsv" --json > "$work/$task-eval.json"
else
  "$openmed" eval --model "$model" --spans "$work/pii/heldout.jsonl" --json > "$work/$task-eval.json"
fi
/usr/bin/python3 scripts/train/check_engine.py --openmed "$openmed" --model "$model" --task "$task" \
  --work "$work" > "$work/$task-agreement.json"
/usr/bin/python3 scripts/train/model_card.py --task "$task" --model "$model" \
  --summary "$work/$task-summary.json" --eval "$work/$task-eval.json" \
  --agreement "$work/$task-agreement.json" --train-args "$train_args" --minutes "${MINUTES:-?}"
cat "$work/$task-eval.json" "$work/$task-agreement.json"
du -sh "$model"
