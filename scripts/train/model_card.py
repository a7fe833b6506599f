"""model_card.py: writes a bundled model's README.md (data, licences, labels, architecture, scores,
how to retrain) from the training summary, the `openmed eval --json` result and the engine/torch
agreement measured by check_engine.py.

Usage: model_card.py --task disease --model models/disease-ner --summary build-train/disease-summary.json
                     --eval eval.json --agreement agreement.json"""
import argparse
import json
import os

DATA = {
    "disease": """- **NCBI-disease** (`train.tsv`, 5,424 sentences; `devel.tsv`, 923 sentences, used for model
  selection and the scores below), from cambridgeltl/MTL-Bioinformatics-2016 `data/NCBI-disease-IOB/`.
  Licence: NLM public-domain notice (the corpus); packaging CC BY 4.0.
- **BC5CDR** `train.tsv` and `devel.tsv` (4,560 + 4,581 sentences; training data here, the
  corpus's devel split is not NCBI's), Disease mentions only (Chemical tags dropped to O), from the
  same repository. Licence: public domain; packaging CC BY 4.0.
- The WordPiece vocabulary is the bert-base-uncased vocabulary (microsoft/BlingFire, MIT) pruned to
  the pieces the training text uses at least twice plus every single character, plus every word of
  the training text seen at least twice as a whole token (`build_vocab.py --whole-words 2`).""",
    "pii": """- Synthetic notes from `scripts/train/pii_gen.py` (seed 7): templates built from the ACI-bench
  clinical notes (microsoft/clinical_visit_note_summarization_corpus, CC BY 4.0; synthetic
  role-play encounters, no PHI) with the patient's names and age (from the metadata), `Dr. Name`
  and m/d/yyyy dates replaced by placeholders, plus record headers and footers written for the
  generator; and the masked templates of the presidio synthetic PII records
  (microsoft/presidio-research, MIT). Fake values come from the generator's own lists (names,
  streets, cities, organisations, phone/ID/date formats).
- **Held out for evaluation, as whole templates**: the 20 ACI `valid` notes (a different set of
  encounters), one fifth of the presidio template ids, 3 of the 12 header templates and one footer.
- Vocabulary: the bert-base-cased vocabulary (MIT) pruned the same way as the disease model's, plus
  whole words seen at least twice, case kept (`build_vocab.py --cased --whole-words 2`).""",
}
TITLE = {"disease": "OpenMed-C bundled disease NER (tiny BERT, trained from scratch)",
         "pii": "OpenMed-C bundled PII detector (tiny BERT, trained from scratch)"}
PURPOSE = {
    "disease": "Finds disease mentions (`DISEASE`) in biomedical and clinical English text. It is the "
               "default model of `openmed analyze` and `openmed eval`: small enough to ship in the "
               "repository so the main job works offline on a fresh clone. For real work use a full "
               "OpenMed disease model (`openmed analyze --model disease_detection_superclinical ...`).",
    "pii": "Finds personal identifiers in clinical notes: first and last names, dates, ages, phone "
           "numbers, e-mail addresses, SSNs, other identifiers (MRN, account and chart numbers), street "
           "addresses, locations, organisations and URLs. It is the default of the PII commands. It "
           "was trained only on synthetic notes: a demo and a test fixture, not a de-identification "
           "tool to rely on.",
}


def first_line(path):
    """A sentence on the word-level (`first`) score, when that evaluation was run."""
    if not path:
        return ""
    f = json.load(open(path))
    return (f"\nWith word-level aggregation (`--aggregation-strategy first`: a word takes its first "
            f"piece's label, so a word is never split) the micro scores are P {f['precision']:.4f}, "
            f"R {f['recall']:.4f}, F1 {f['f1']:.4f}.\n")


STAGES = {
    "disease": """- Word embeddings start from a count-based pre-training: positive PMI of word pieces within 4
  tokens over the in-domain text, reduced by a randomised SVD (`--svd-init`).
- Masked-LM pre-training (2,000 steps) on the in-domain text (NCBI-disease and BC5CDR
  training and devel sentences, the BC5CDR training abstracts, the ACI-bench training notes;
  never NCBI devel). Measured on a 128-hidden model: devel F1 after the first NER epoch 0.697 with
  1,200 MLM steps against 0.629 without.
- NER training (four epochs) on NCBI-disease + BC5CDR Disease mentions, with word dropout (5 % of
  input tokens become `[UNK]`) and mention substitution (each epoch adds a copy of the data whose
  entities are swapped, with probability 0.5, for random training mentions); the epoch with the
  best NCBI devel F1 is kept (NCBI devel chose the epoch as well as scoring it).
- The path here: the 128-hidden model with BC5CDR train only and a second NCBI-only stage reached
  0.7495; widening to 192 and adding BC5CDR devel and more MLM steps reached 0.7666 after its
  third epoch, before any second stage.""",
    "pii": """- Word embeddings start from a count-based pre-training: positive PMI of word pieces within 4
  tokens over the clinical notes (`--svd-init`).
- Training data: the generator's notes, presidio templates and headers, plus 1,500 random form
  records (`--records`: field names in several wordings and casings, non-identifying fields such as
  vitals and medications) and re-cased template lines (`--recase 0.5`). Before the records the
  same model reached 0.770 micro F1 on the held-out templates; with them, 0.896 after stage 1.
- Stage 1: six epochs with word dropout (5 %) and mention substitution (probability 0.5); stage 2:
  three epochs at a lower rate. The epoch with the best held-out F1 is kept: the held-out
  templates chose the epoch as well as scoring it, so the score is slightly optimistic.""",
}
LIMITS = {
    "disease": "Tiny and trained on little data from scratch: it misses mentions a real OpenMed model "
               "finds and makes mistakes on text unlike PubMed abstracts (clinical notes above all). "
               "It is a demo default, not a clinical tool.",
    "pii": "Trained only on synthetic notes with values from short lists: names, places and formats "
           "outside them are found less reliably, so `openmed pii deidentify` backs the model with a "
           "rule-based sweep for structured identifiers. Phone numbers in brackets after a name (a "
           "held-out layout) often come out with the bracket: PHONE F1 0.52. The held-out templates "
           "hold no ID_NUM or URL, so those two labels are scored only by their false positives. "
           "It is a demo default and a test fixture, "
           "not a de-identification tool to rely on.",
}


def architecture(cfg, params, weights, size):
    """The card's architecture paragraph, from config.json."""
    vocab = (f"vocabulary {cfg['vocab_size']} WordPiece tokens ({'cased' if cfg.get('_cased') else 'uncased'}, "
             "`tokenizer.json` with BertNormalizer, BertPreTokenizer, WordPiece and TemplateProcessing)")
    sizes = (f"About {params/1e6:.1f} M parameters stored as float16 safetensors ({weights/1e6:.1f} MB; "
             f"the folder is {size/1e6:.1f} MB). Trained from random initialisation: no pretrained "
             "weights exist on the machines that built it.")
    if cfg["model_type"] == "modernbert":
        glob = [i for i, t in enumerate(cfg["layer_types"]) if t == "full_attention"]
        return (f"`ModernBertForTokenClassification` ({cfg['num_hidden_layers']} layers, hidden "
                f"{cfg['hidden_size']}, {cfg['num_attention_heads']} heads, GeGLU intermediate "
                f"{cfg['intermediate_size']}, pre-LayerNorm without biases, rotary positions; layer(s) "
                f"{', '.join(map(str, glob))} attend globally, the others within a sliding window of "
                f"{cfg['local_attention']} tokens; `model_max_length` {cfg['max_position_embeddings']}), "
                f"{vocab}. {sizes}\n\nWhy ModernBERT and not BERT: with absolute position embeddings a "
                "BERT trained from scratch on this little data learns slowly (devel F1 0.35 after the "
                "first epoch, 0.45 after three); the same size ModernBERT, whose sliding-window "
                "attention and rotary positions make locality the default, reached 0.63 after one.")
    return (f"`BertForTokenClassification` ({cfg['num_hidden_layers']} layers, hidden {cfg['hidden_size']}, "
            f"{cfg['num_attention_heads']} heads, intermediate {cfg['intermediate_size']}, GELU, "
            f"post-LayerNorm, {cfg['max_position_embeddings']} positions = `model_max_length`), {vocab}. {sizes}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--summary", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--agreement", required=True)
    ap.add_argument("--eval-first", help="`openmed eval --aggregation-strategy first --json` result")
    ap.add_argument("--minutes", default="?", help="total training time")
    a = ap.parse_args()
    s = json.load(open(a.summary))
    ev = json.load(open(a.eval))
    ag = json.load(open(a.agreement))
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    tok = json.load(open(os.path.join(a.model, "tokenizer.json"), encoding="utf-8"))
    cfg["_cased"] = not tok["normalizer"].get("lowercase", True)
    labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
    size = sum(os.path.getsize(os.path.join(a.model, f)) for f in os.listdir(a.model)
               if f != "README.md")
    weights = os.path.getsize(os.path.join(a.model, "model.safetensors"))
    params = weights // 2
    rows = "\n".join(f"| {k} | {v['precision']:.4f} | {v['recall']:.4f} | {v['f1']:.4f} | {v['support']} |"
                     for k, v in sorted(ev["per_label"].items()))
    split = "NCBI-disease devel (923 sentences)" if a.task == "disease" else "held-out templates (272 texts)"
    card = f"""---
license: cc-by-4.0
language: en
pipeline_tag: token-classification
library_name: openmed-c
---
# {TITLE[a.task]}

{PURPOSE[a.task]}

## Labels
BIO tags: {", ".join(f"`{l}`" for l in labels)}. Every word piece of an entity is tagged in
training (B- on the first, I- on the rest), so HF's default `simple` aggregation yields whole words
when the model is consistent; this small model sometimes is not (a word split into two entities),
which the strict scores below count as errors.

## Architecture
{architecture(cfg, params, weights, size)}

## Training data and licences
{DATA[a.task]}

## Scores
Strict entity level (start, end and label exact), computed by our C engine with
`openmed eval --model {a.model} {"--conll $OPENMED_TRAIN_DATA/ncbi-disease/devel.tsv" if a.task == "disease" else "--spans build-train/pii/heldout.jsonl"} --json`
(aggregation `simple`) on {split}:

| label | precision | recall | F1 | support |
|---|---|---|---|---|
{rows}
| **micro** | **{ev['precision']:.4f}** | **{ev['recall']:.4f}** | **{ev['f1']:.4f}** | |
{first_line(a.eval_first)}
Engine vs PyTorch (the training framework), argmax label of every token of the whole evaluation
set: {ag['same_label']} of {ag['tokens']} tokens agree ({100*ag['agreement']:.3f} %), {ag['texts_identical']}
of {ag['texts']} texts identical. `reference_logits.jsonl` holds torch logits of the float16 weights
for {5} sentences; `test_bundled_models` checks the engine against them within 1e-4.

## Training
Seeded (seed {s['seed']}), CPU only (Debian `python3-torch` 1.13 with OpenBLAS, one thread of a
shared 2-core machine): {a.minutes} minutes in all. `scripts/train/retrain.sh {a.task}` runs every
step below. Tokenized by the project's own tokenizer (`openmed tokenize`), so training saw exactly
the ids the engine sees. Sequences are consecutive training texts packed to random lengths up to
{cfg['max_position_embeddings']} tokens; AdamW, linear warm-up and decay, dropout 0.1.
{STAGES[a.task]}

## How to retrain
```sh
scripts/train/setup.sh                          # python3-torch + OpenBLAS (not part of CI)
OPENMED_TRAIN_DATA=/path/to/corpora scripts/train/retrain.sh {a.task}
```
`OPENMED_TRAIN_DATA` names the folder of the public corpora (`ncbi-disease/`, `bc5cdr/`, `pii/`,
`clinical-notes/`, `vocab/`, with their licences); they are not part of the repository.

## Limitations
{LIMITS[a.task]}
"""
    with open(os.path.join(a.model, "README.md"), "w") as f:
        f.write(card)


if __name__ == "__main__":
    main()
