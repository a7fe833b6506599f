"""check_tokenizer.py: compares `openmed tokenize` with the Python reference tokenizer
(wordpiece.py) on the training and evaluation texts; prints the number of texts whose ids or
offsets differ (0 means training saw exactly the tokens the engine sees).

Usage: check_tokenizer.py --openmed build/bin/openmed --tok build-train/tok --data $OPENMED_TRAIN_DATA"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--openmed", required=True)
    ap.add_argument("--tok", default="build-train/tok")
    ap.add_argument("--data", default=os.environ.get("OPENMED_TRAIN_DATA"), required="OPENMED_TRAIN_DATA" not in os.environ,
                    help="folder of the public corpora (ncbi-disease/, bc5cdr/, pii/, clinical-notes/); default $OPENMED_TRAIN_DATA")
    ap.add_argument("--pii", default="build-train/pii")
    a = ap.parse_args()
    texts = []
    for f in ("ncbi-disease/train.tsv", "ncbi-disease/devel.tsv", "bc5cdr/train.tsv"):
        texts += [e["text"] for e in data.read_conll(os.path.join(a.data, f))]
    for f in ("train.jsonl", "heldout.jsonl"):
        p = os.path.join(a.pii, f)
        if os.path.exists(p):
            texts += [json.loads(l)["text"] for l in open(p, encoding="utf-8")]
    c = data.tokenize(texts, a.tok, a.openmed)
    py = data.tokenize(texts, a.tok, None)
    diff = [i for i, (x, y) in enumerate(zip(c, py)) if x[0] != y[0] or list(x[1]) != list(y[1])]
    print(f"{len(texts)} texts, {sum(len(x[0]) for x in c)} tokens; {len(diff)} differ")
    for i in diff[:5]:
        print(json.dumps(texts[i][:200]), c[i][0][:20], py[i][0][:20])
    sys.exit(1 if diff else 0)


if __name__ == "__main__":
    main()
