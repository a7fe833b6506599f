"""check_engine.py: token-label agreement between our engine (`openmed analyze --raw
--aggregation-strategy none --all-windows`) and the training framework (torch predictions that
train_ner.py wrote for the whole devel set, WORK/<task>-devel-torch.jsonl).

Usage: check_engine.py --openmed build/bin/openmed --model models/disease-ner --task disease"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--openmed", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--task", required=True)
    ap.add_argument("--work", default="build-train")
    a = ap.parse_args()
    rows = [json.loads(l) for l in open(os.path.join(a.work, f"{a.task}-devel-torch.jsonl"), encoding="utf-8")]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"text": r["text"]}, ensure_ascii=False) + "\n")
        name = f.name
    try:
        out = subprocess.run([a.openmed, "analyze", "--model", a.model, "--raw", "--aggregation-strategy",
                              "none", "--all-windows", "--input", name], check=True, capture_output=True,
                             text=True).stdout.splitlines()
    finally:
        os.unlink(name)
    if len(out) != len(rows):
        sys.exit(f"engine returned {len(out)} lines for {len(rows)} texts")
    same = total = texts_same = 0
    for r, line in zip(rows, out):
        doc = json.loads(line)  # several documents: {"id", "entities": [HF's list]} per line
        engine = {e["index"]: e["entity"] for e in (doc["entities"] if isinstance(doc, dict) else doc)}
        ok = True
        for i, lab in enumerate(r["labels"]):
            if i == 0 or i == len(r["labels"]) - 1:
                continue  # [CLS], [SEP]
            total += 1
            if engine.get(i, "O") == lab:
                same += 1
            else:
                ok = False
        texts_same += ok
    print(json.dumps({"task": a.task, "tokens": total, "same_label": same,
                      "agreement": round(same / total, 6) if total else 0.0,
                      "texts": len(rows), "texts_identical": texts_same}))


if __name__ == "__main__":
    main()
