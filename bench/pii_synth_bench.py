"""pii_synth_bench.py: a recall probe from another source than phi_bench's notes. Presidio's
synthetic PII sentences (data/pii/presidio-synth-train.json under --data: short sentences and
snippets with person names, street addresses, phones, cards, e-mails, ... and their code-point
spans; MIT, microsoft/presidio-research) are de-identified by the real `openmed pii deidentify`
(one batch run over a JSON-lines file) and scored with phi_bench's rules: a value counts as
caught only when every letter and digit of it lies inside a detected entity (a person's title and credential, "Dr." and "MD", excepted). Reports survival per
entity type and per case of the value, and the share of the sentences' other words kept.

The records are split by index: even indices are 'dev' (look at misses there), odd indices
'heldout' (numbers only: --show-misses refuses it). --sample N draws N records of the split with
--seed.

Usage (from the repository root, after building):
  /usr/bin/python3 bench/pii_synth_bench.py --data /work/shared/data [--split dev|heldout]
      [--sample N] [--seed 1] [--openmed build/bin/openmed] [--model DIR] [--json out.json]
      [--show-misses N]"""
import argparse
import collections
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import phi_bench  # noqa: E402  (the scoring rules: score, pct)

# Identifiers a de-identifier must remove (HIPAA's names, geographic units below a state, phones,
# e-mails, URLs, IPs, SSNs, account and licence numbers). Presidio's other labels (GPE mixes
# countries with cities, ORGANIZATION, DATE_TIME includes weekdays, AGE, TITLE, NRP) are reported
# but not counted as leaks.
PHI = {"PERSON": "NAME", "STREET_ADDRESS": "STREET_ADDRESS", "CREDIT_CARD": "CREDIT_CARD",
       "PHONE_NUMBER": "PHONE", "EMAIL_ADDRESS": "EMAIL", "US_SSN": "SSN", "IBAN_CODE": "IBAN",
       "IP_ADDRESS": "IP_ADDRESS", "ZIP_CODE": "ZIP_CODE", "DOMAIN_NAME": "DOMAIN",
       "US_DRIVER_LICENSE": "DRIVER_LICENSE"}
OTHER = ("GPE", "ORGANIZATION", "DATE_TIME", "AGE", "TITLE", "NRP")


def value_case(v):
    letters = [c for c in v if c.isalpha()]
    if not letters:
        return "no letters"
    if all(c.islower() for c in letters):
        return "lower"
    if all(c.isupper() for c in letters):
        return "upper"
    return "mixed"


def shape(text, start):
    before = text[:start].rstrip(" \t")
    if not before or before.endswith("\n"):
        return "line start"
    if before.endswith((":", "|", "=")):
        return "after a label"
    return "in a sentence"


# A title before a person's name and a credential after it are in Presidio's PERSON spans but
# identify no one: they are left out of what must be caught.
TITLE = re.compile(r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+")
CREDENTIAL = re.compile(r",?\s+(?:MD|DDS|DVM|PhD|RN)\.?$")


def person_core(text, a, b):
    m = TITLE.match(text, a, b)
    if m:
        a = m.end()
    m = CREDENTIAL.search(text[a:b])
    if m:
        b = a + m.start()
    return a, b


def make_docs(records):
    """phi_bench documents: items for every span, words for the text between spans."""
    docs = []
    for idx, rec in records:
        text = rec["full_text"]
        items, spans = [], []
        for s in rec["spans"]:
            a, b = s["start_position"], s["end_position"]
            if text[a:b] != s["entity_value"]:
                raise SystemExit(f"pii_synth_bench: record {idx}: span {a}-{b} is not its value")
            typ = PHI.get(s["entity_type"], s["entity_type"])
            if typ == "NAME":
                a, b = person_core(text, a, b)
            items.append({"type": typ, "start": a, "end": b, "value": text[a:b],
                          "shape": shape(text, a), "case": value_case(text[a:b])})
            spans.append((s["start_position"], s["end_position"]))
        words, pos = [], 0
        for a, b in sorted(spans):
            if a > pos:
                words.append((pos, a, "text"))
            pos = max(pos, b)
        if pos < len(text):
            words.append((pos, len(text), "text"))
        docs.append({"id": f"r{idx}", "text": text, "items": items, "words": words, "terms": [],
                     "locale": "presidio", "template": rec.get("template_id")})
    return docs


def run_batch(args, docs):
    """One `openmed pii deidentify` over a JSON-lines file of every document; results in order."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.jsonl"), os.path.join(tmp, "out.jsonl")
        with open(src, "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")
        cmd = [args.openmed, "pii", "deidentify", "--input", src, "--output", dst, "--quiet"]
        cmd += ["--model", args.model] if args.model else []
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"pii_synth_bench: openmed exited {p.returncode}: {p.stderr.strip()[:300]}")
        by_id = {}
        with open(dst, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                by_id[r["id"]] = r
    missing = [d["id"] for d in docs if d["id"] not in by_id or "deidentified_text" not in by_id[d["id"]]]
    if missing:
        raise SystemExit(f"pii_synth_bench: no result for {len(missing)} documents (first {missing[0]})")
    return [by_id[d["id"]] for d in docs]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.environ.get("OPENMED_TRAIN_DATA", "/work/shared/data"))
    ap.add_argument("--split", default="dev", choices=["dev", "heldout"])
    ap.add_argument("--sample", type=int, default=0, help="records drawn from the split (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--openmed", default="build/bin/openmed")
    ap.add_argument("--model", help="PII model folder (default: the bundled one)")
    ap.add_argument("--json", help="write the numbers there")
    ap.add_argument("--show-misses", type=int, default=0, help="print up to N missed values with context (dev only)")
    a = ap.parse_args()
    if a.split == "heldout" and a.show_misses:
        sys.exit("pii_synth_bench: the heldout records are for the final numbers only; look at 'dev'")
    with open(os.path.join(a.data, "pii", "presidio-synth-train.json"), encoding="utf-8") as f:
        records = json.load(f)
    part = [(i, r) for i, r in enumerate(records) if i % 2 == (0 if a.split == "dev" else 1)]
    if a.sample and a.sample < len(part):
        part = sorted(random.Random(a.seed).sample(part, a.sample), key=lambda x: x[0])
    docs = make_docs(part)
    t0 = time.time()
    results = run_batch(a, docs)
    seconds = time.time() - t0
    by, misses, fp, words, _ = phi_bench.score(docs, results)
    pct = phi_bench.pct
    tot = by["type"]
    phi = [k for k in tot if k not in OTHER]
    planted = sum(tot[k][0] for k in phi)
    left = sum(tot[k][0] - tot[k][1] for k in phi)
    print(f"presidio synthetic sentences, split {a.split}, {len(docs)} records, seed {a.seed}, "
          f"model {a.model or 'bundled'}, {seconds:.1f} s")
    print(f"identifiers: {planted} planted, {left} survive ({pct(left, planted):.2f} %)")
    print(f"other words kept: {pct(words['note_kept'], words['note']):.2f} % of {words['note']}, "
          f"capitalised {pct(words['cap_kept'], words['cap']):.2f} % of {words['cap']}")
    print(f"\n{'survival by type':<30} {'planted':>7} {'survive':>7} {'share':>8}")
    for k in sorted(phi, key=lambda k: -tot[k][0]):
        p, c = tot[k]
        print(f"{k:<30} {p:>7} {p - c:>7} {pct(p - c, p):>7.2f}%")
    print(f"\n{'not counted (context types)':<30} {'planted':>7} {'survive':>7} {'share':>8}")
    for k in OTHER:
        if k in tot:
            p, c = tot[k]
            print(f"{k:<30} {p:>7} {p - c:>7} {pct(p - c, p):>7.2f}%")
    print(f"\n{'survival by case':<30} {'planted':>7} {'survive':>7} {'share':>8}")
    for k in sorted(by["case"]):
        if k.split(":")[0] in phi:
            p, c = by["case"][k]
            print(f"{k:<30} {p:>7} {p - c:>7} {pct(p - c, p):>7.2f}%")
    print(f"\n{'survival by shape':<30} {'planted':>7} {'survive':>7} {'share':>8}")
    for k in sorted(by["shape"]):
        if k.split(":")[0] in phi:
            p, c = by["shape"][k]
            print(f"{k:<30} {p:>7} {p - c:>7} {pct(p - c, p):>7.2f}%")
    print("\nentities touching no labelled value, by label: " +
          (", ".join(f"{k} {v}" for k, v in fp.most_common()) or "none"))
    if a.show_misses:
        print("\nmissed values (context):")
        shown = 0
        for doc, it, _ in misses:
            if it["type"] in OTHER:
                continue
            t = doc["text"]
            ctx = t[max(0, it["start"] - 40):it["start"]] + "[[" + t[it["start"]:it["end"]] + "]]" + t[it["end"]:it["end"] + 30]
            print(f"  {it['type']}/{it['case']} {doc['id']}: {ctx!r}")
            shown += 1
            if shown >= a.show_misses:
                break
    if a.json:
        out = {"split": a.split, "seed": a.seed, "records": len(docs), "identifiers_planted": planted,
               "identifiers_survived": left, "other_words_kept": pct(words["note_kept"], words["note"]),
               "by_type": {k: {"planted": v[0], "caught": v[1]} for k, v in tot.items()},
               "by_case": {k: {"planted": v[0], "caught": v[1]} for k, v in by["case"].items()},
               "false_positive_entities": dict(fp), "seconds": seconds}
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
