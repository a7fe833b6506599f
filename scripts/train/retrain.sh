#!/bin/sh
# retrain.sh: rebuilds both bundled models from the public corpora, exactly as they were trained
# (vocabularies, synthetic PII data, ModernBERT training stages, engine scoring, model cards).
# Seeded; CPU only; not part of CI. Needs scripts/train/setup.sh once and a built build/bin/openmed.
#   OPENMED_TRAIN_DATA=/path/to/corpora scripts/train/retrain.sh [disease|pii|both]
# The two tasks are independent; "both" runs them side by side, one core each.
set -e
data=${OPENMED_TRAIN_DATA:?set OPENMED_TRAIN_DATA to the folder of the public corpora (ncbi-disease/, bc5cdr/, pii/, clinical-notes/, vocab/)}
export OPENMED_TRAIN_DATA
py=/usr/bin/python3
om=build/bin/openmed
w=${WORK:-build-train}
what=${1:-both}
mkdir -p "$w"
T="--arch modernbert --local-window 16 --layers 3 --threads 1 --word-dropout 0.05 --mention-swap 0.5"

disease() {
  $py scripts/train/build_vocab.py --data "$data" --out "$w/tok-disease" --whole-words 2
  D="$T --task disease --tok $w/tok-disease --openmed $om --batch-tokens 1024"
  # NCBI-disease + BC5CDR (train and devel) Disease mentions; PPMI-SVD word embeddings and
  # masked-LM pre-training first; the epoch with the best NCBI devel F1 is kept
  $py scripts/train/train_ner.py $D --hidden 192 --heads 3 --intermediate 384 --bc5cdr --bc5cdr-devel \
    --svd-init --mlm-steps 2000 --mlm-lr 2e-3 --epochs 4 --lr 2e-3 --out models/disease-ner --work "$w"
  WORK=$w sh scripts/train/publish.sh disease models/disease-ner $om
}

pii() {
  $py scripts/train/build_vocab.py --data "$data" --out "$w/tok-pii" --cased --whole-words 2
  $py scripts/train/pii_gen.py --data "$data" --out "$w/pii" --seed 7 --records 1500 --recase 0.5
  P="$T --task pii --pii $w/pii --tok $w/tok-pii --openmed $om --hidden 128 --heads 2 --intermediate 256 --batch-tokens 2048"
  # stage 1: PPMI-SVD word embeddings, six epochs
  $py scripts/train/train_ner.py $P --svd-init --epochs 6 --lr 2e-3 --out "$w/pii-1" --work "$w/pii-1"
  # stage 2: lower rate
  $py scripts/train/train_ner.py $P --init "$w/pii-1" --epochs 3 --lr 5e-4 --out models/pii --work "$w"
  WORK=$w sh scripts/train/publish.sh pii models/pii $om
}

case "$what" in
  disease) disease ;;
  pii) pii ;;
  both) disease > "$w/disease.log" 2>&1 & pii > "$w/pii.log" 2>&1; wait ;;
  *) echo "usage: retrain.sh [disease|pii|both]" >&2; exit 2 ;;
esac
