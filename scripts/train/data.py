"""data.py: training data for the bundled models: CoNLL and span readers, tokenization with the
project's own C tokenizer (`openmed tokenize`), label alignment to word pieces, and packing of
sentences into training sequences."""
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wordpiece  # noqa: E402


def read_conll(path, keep_types=None):
    """Reads `token<TAB>tag` lines (blank line between sentences). Returns a list of
    {"text", "spans": [{"start","end","label"}]} where text is the tokens joined by single spaces
    and spans are code-point offsets. Tags of types not in keep_types become O."""
    out, words, tags = [], [], []

    def flush():
        if not words:
            return
        text, spans, pos, cur = "", [], 0, None
        for w, t in zip(words, tags):
            if text:
                text += " "
                pos += 1
            start, end = pos, pos + len(w)
            text += w
            pos = end
            kind = t[2:] if t != "O" else None
            if kind is not None and keep_types is not None and kind not in keep_types:
                kind = None
            if kind is None:
                cur = None
            elif t.startswith("B-") or cur is None or cur["label"] != kind:
                cur = {"start": start, "end": end, "label": kind}
                spans.append(cur)
            else:
                cur["end"] = end
        out.append({"text": text, "spans": spans})
        words.clear()
        tags.clear()

    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip():
            flush()
            continue
        w, t = line.split("\t")
        words.append(w)
        tags.append(t)
    flush()
    return out


def tokenize(texts, tok_dir, openmed_bin=None):
    """Returns [(ids, offsets)] for texts, special tokens included. Uses `openmed tokenize` when
    openmed_bin is given (what the engine sees at inference), else the Python reference."""
    if openmed_bin:
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
            for t in texts:
                f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
            name = f.name
        try:
            res = subprocess.run([openmed_bin, "tokenize", "--model", tok_dir, "--input", name],
                                 check=True, capture_output=True, text=True)
        finally:
            os.unlink(name)
        lines = [json.loads(l) for l in res.stdout.splitlines() if l.strip()]
        if len(lines) != len(texts):
            raise RuntimeError(f"openmed tokenize returned {len(lines)} lines for {len(texts)} texts")
        return [(l["ids"], [tuple(o) for o in l["offsets"]]) for l in lines]
    wp = wordpiece.WordPiece.from_tokenizer_json(os.path.join(tok_dir, "tokenizer.json"))
    out = []
    for t in texts:
        _, ids, offs = wp.encode(t)
        out.append((ids, offs))
    return out


def token_labels(offsets, spans, label2id):
    """BIO label per token from character spans: the first token overlapping a span gets B-, the
    others inside it I- (every sub-token labelled, so 'simple' and 'first' aggregation agree);
    special tokens (empty offsets) get -100."""
    labels = []
    for s, e in offsets:
        if s == e:
            labels.append(-100)
            continue
        lab = "O"
        for sp in spans:
            if s < sp["end"] and e > sp["start"]:
                lab = ("B-" if s <= sp["start"] else "I-") + sp["label"]
                break
        labels.append(label2id[lab])
    # a span's first token may start before it (e.g. "##" pieces): ensure one B per span start
    return labels


def word_first_tokens(text, offsets):
    """For whitespace-separated words of text: index of the first token of each word (or None)."""
    starts, pos = [], 0
    for w in text.split(" "):
        starts.append((pos, pos + len(w)))
        pos += len(w) + 1
    first = []
    ti = 0
    for ws, we in starts:
        while ti < len(offsets) and (offsets[ti][0] == offsets[ti][1] or offsets[ti][1] <= ws):
            ti += 1
        first.append(ti if ti < len(offsets) and offsets[ti][0] < we else None)
    return first


def encode_examples(examples, tok_dir, label2id, openmed_bin=None):
    """Adds ids/offsets/labels to each example (dict with text, spans)."""
    toks = tokenize([e["text"] for e in examples], tok_dir, openmed_bin)
    for e, (ids, offs) in zip(examples, toks):
        e["ids"], e["offsets"] = ids, offs
        e["labels"] = token_labels(offs, e["spans"], label2id)
    return examples


def pack(examples, max_len, rng, cls_id, sep_id):
    """Packs consecutive examples' content tokens into sequences of at most max_len tokens
    ([CLS] ... [SEP]); each sequence's target length is drawn at random so every position up to
    max_len is trained and short inputs stay common. Over-long examples are split."""
    seqs, cur_ids, cur_lab = [], [], []
    target = rng.randint(8, max_len - 2)
    for e in examples:
        ids, lab = e["ids"][1:-1], e["labels"][1:-1]
        while len(ids) > max_len - 2:
            seqs.append(([cls_id] + ids[:max_len - 2] + [sep_id], [-100] + lab[:max_len - 2] + [-100]))
            ids, lab = ids[max_len - 2:], lab[max_len - 2:]
        if cur_ids and len(cur_ids) + len(ids) > target:
            seqs.append(([cls_id] + cur_ids + [sep_id], [-100] + cur_lab + [-100]))
            cur_ids, cur_lab = [], []
            target = rng.randint(8, max_len - 2)
        cur_ids += ids
        cur_lab += lab
    if cur_ids:
        seqs.append(([cls_id] + cur_ids + [sep_id], [-100] + cur_lab + [-100]))
    return seqs


def spans_to_word_tags(text, spans):
    """Word-level BIO tags for whitespace-separated words (for CoNLL-style strict scoring)."""
    tags, pos = [], 0
    for w in text.split(" "):
        s, e = pos, pos + len(w)
        tag = "O"
        for sp in spans:
            if s < sp["end"] and e > sp["start"]:
                tag = ("B-" if s <= sp["start"] else "I-") + sp["label"]
                break
        tags.append(tag)
        pos = e + 1
    return tags


def strict_prf(gold, pred):
    """gold, pred: lists (one per text) of sets of (start, end, label). Returns (p, r, f1)."""
    tp = sum(len(g & p) for g, p in zip(gold, pred))
    ng = sum(len(g) for g in gold)
    npred = sum(len(p) for p in pred)
    p = tp / npred if npred else 0.0
    r = tp / ng if ng else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def decode_simple(offsets, label_ids, id2label):
    """Token labels -> character spans the way HF's 'simple' aggregation groups them (a B- or a
    change of type starts a new entity; O ends one)."""
    spans, cur = [], None
    for (s, e), li in zip(offsets, label_ids):
        if s == e:
            continue
        lab = id2label[li]
        if lab == "O":
            cur = None
            continue
        kind = lab[2:]
        if lab.startswith("B-") or cur is None or cur[2] != kind:
            cur = [s, e, kind]
            spans.append(cur)
        else:
            cur[1] = e
    return {tuple(x) for x in spans}


def seeded(seed):
    return random.Random(seed)
