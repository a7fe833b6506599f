"""build_vocab.py: builds a bundled model's WordPiece tokenizer: the bert-base vocabulary (uncased,
or cased with --cased) pruned to the pieces the training text uses (plus every single character),
plus, with --whole-words N, every word of the training text seen at least N times, so frequent
words are one token; written as a Hugging Face tokenizer.json (BertNormalizer, BertPreTokenizer,
WordPiece, TemplateProcessing).

Usage: build_vocab.py --data DIR --out DIR [--min-count N] [--cased] [--whole-words N]"""
import argparse
import collections
import csv
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wordpiece  # noqa: E402

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def conll_texts(path):
    words = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            if words:
                yield " ".join(words)
            words = []
            continue
        words.append(line.split("\t")[0])
    if words:
        yield " ".join(words)


def training_texts(data):
    yield from conll_texts(os.path.join(data, "ncbi-disease/train.tsv"))
    yield from conll_texts(os.path.join(data, "bc5cdr/train.tsv"))
    csv.field_size_limit(1 << 30)
    with open(os.path.join(data, "clinical-notes/aci-train.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            yield row["note"]
            yield row["dialogue"]
    for rec in json.load(open(os.path.join(data, "pii/presidio-synth-train.json"), encoding="utf-8")):
        yield rec["full_text"]


def tokenizer_json(vocab_list, lowercase=True):
    vocab = {t: i for i, t in enumerate(vocab_list)}
    added = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for t in SPECIALS]
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": lowercase},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [cls], "tokens": ["[CLS]"]},
                               "[SEP]": {"id": "[SEP]", "ids": [sep], "tokens": ["[SEP]"]}},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--cased", action="store_true", help="start from bert-base-cased, keep case")
    ap.add_argument("--whole-words", type=int, default=0,
                    help="add every pre-tokenized word seen at least this often (0: none)")
    a = ap.parse_args()
    base = "bert-base-cased-vocab.txt" if a.cased else "bert-base-uncased-vocab.txt"
    full = [l.rstrip("\n") for l in open(os.path.join(a.data, "vocab", base), encoding="utf-8")]
    lower = not a.cased
    tok = wordpiece.WordPiece({t: i for i, t in enumerate(full)}, lowercase=lower)
    counts, words = collections.Counter(), collections.Counter()
    for text in training_texts(a.data):
        counts.update(tok.encode(text, specials=False)[0])
        if a.whole_words:
            words.update("".join(c for c, _ in w) for w in wordpiece.pre_tokenize(wordpiece.normalize(text, lower)))
    keep = []
    for t in full:
        if t in SPECIALS or t.startswith("[unused"):
            continue
        single = len(t) == 1 or (t.startswith("##") and len(t) == 3)
        if single or counts[t] >= a.min_count:
            keep.append(t)
    have = set(keep)
    extra = sorted(w for w, n in words.items() if n >= a.whole_words and w not in have and len(w) <= 100) if a.whole_words else []
    vocab_list = SPECIALS + keep + extra
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(vocab_list, lower), f, ensure_ascii=False)
    with open(os.path.join(a.out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab_list) + "\n")
    print(f"vocab {len(vocab_list)} tokens ({len(keep)} pieces of {len(full)} with min count {a.min_count}, "
          f"{len(extra)} whole words seen {a.whole_words}+ times)")


if __name__ == "__main__":
    main()
