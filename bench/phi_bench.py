"""phi_bench.py: the planted-PHI benchmark. Generates the documents of phi_plant.py (seeded), runs
the real `openmed pii deidentify` on each, and reports:
  - recall per identifier type, per shape (the context a value was planted in) and per case: a
    planted value counts as caught only when every letter and digit of it lies inside a detected
    entity; one character left counts as a miss (a leak);
  - precision as the share of the note's own words kept (no character of them redacted), of its
    capitalised words, and of clinical terms (the metadata's complaints, eponyms and drug brands
    planted as distractors);
  - false-positive entities by label (detected spans touching no planted value).

Usage (from the repository root, after building):
  /usr/bin/python3 bench/phi_bench.py --data /work/shared/data [--split tune|heldout|train|valid]
      [--variants 3] [--seed 1] [--names faker|heldout] [--openmed build/bin/openmed] [--model DIR] [--jobs 2]
      [--json out.json] [--save DIR] [--show-misses N] [--show-touched N]
The 'heldout' split (the second half of the ACI valid notes) is for reporting only: --show-misses,
--show-touched and --save refuse it, so tuning never looks at it."""
import argparse
import collections
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import phi_plant  # noqa: E402

WORD = re.compile(r"[^\W\d_]{2,}")


def run_one(args, doc, tmp):
    path = os.path.join(tmp, doc["id"] + ".txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc["text"])
    cmd = [args.openmed, "pii", "deidentify", "--input", path, "--json"] + (["--model", args.model] if args.model else [])
    p = subprocess.run(cmd, capture_output=True, text=True)
    os.unlink(path)
    if p.returncode != 0:
        raise RuntimeError(f"{doc['id']}: openmed exited {p.returncode}: {p.stderr.strip()[:300]}")
    return json.loads(p.stdout)


def score(docs, results):
    by = {k: collections.defaultdict(lambda: [0, 0]) for k in ("type", "shape", "case", "locale", "type_shape")}
    misses, fp = [], collections.Counter()
    words = collections.Counter()
    verbatim = 0
    for doc, res in zip(docs, results):
        text = doc["text"]
        cov = bytearray(len(text) + 1)
        for e in res["pii_entities"]:
            for i in range(max(0, e["start"]), min(len(text), e["end"])):
                cov[i] = 1
        out = res["deidentified_text"]
        planted = bytearray(len(text) + 1)
        for it in doc["items"]:
            planted[it["start"]:it["end"]] = b"\x01" * (it["end"] - it["start"])
            left = [i for i in range(it["start"], it["end"]) if text[i].isalnum() and not cov[i]]
            caught = not left
            typ = it["type"]
            script = "nonlatin" if re.search(r"[^\x00-\u024f]", it["value"]) else "latin"
            for k, key in (("type", typ), ("shape", f"{typ}:{it['shape']}"), ("case", f"{typ}:{it['case']}"),
                           ("locale", f"{typ}:{script}"), ("type_shape", it["shape"])):
                by[k][key][0] += 1
                by[k][key][1] += caught
            if not caught:
                misses.append((doc, it, left))
            if typ != "NAME" and it["value"] in out:
                verbatim += 1
        for e in res["pii_entities"]:
            if not any(planted[i] for i in range(max(0, e["start"]), min(len(text), e["end"]))):
                fp[e["label"]] += 1
        for w0, w1, role in doc["words"]:
            for m in WORD.finditer(text, w0, w1):
                kept = not any(cov[m.start():m.end()])
                words["note"] += 1
                words["note_kept"] += kept
                if m.group(0)[0].isupper() and not m.group(0).isupper():
                    words["cap"] += 1
                    words["cap_kept"] += kept
        for t0, t1 in doc["terms"]:
            words["terms"] += 1
            words["terms_kept"] += not any(cov[t0:t1])
    return by, misses, fp, words, verbatim


def touched(docs, results):
    """(doc, result, start, end, 'term'|'word') for every clinical term and note word an entity touches."""
    out = []
    for doc, res in zip(docs, results):
        cov = bytearray(len(doc["text"]) + 1)
        for e in res["pii_entities"]:
            for i in range(max(0, e["start"]), min(len(doc["text"]), e["end"])):
                cov[i] = 1
        for t0, t1 in doc["terms"]:
            if any(cov[t0:t1]):
                out.append((doc, res, t0, t1, "term"))
        for w0, w1, _ in doc["words"]:
            for m in WORD.finditer(doc["text"], w0, w1):
                if any(cov[m.start():m.end()]):
                    out.append((doc, res, m.start(), m.end(), "word"))
    return out


def pct(a, b):
    return 100.0 * a / b if b else float("nan")


def report(by, fp, words, verbatim, n_docs, seconds):
    lines = []
    tot = by["type"]
    names = tot.get("NAME", [0, 0])
    struct = [sum(v[i] for k, v in tot.items() if k != "NAME") for i in (0, 1)]
    lines.append(f"documents {n_docs}, {seconds:.0f} s")
    lines.append(f"names: {names[0]} planted, {names[0]-names[1]} survive ({pct(names[0]-names[1], names[0]):.2f} %)")
    lines.append(f"structured identifiers: {struct[0]} planted, {struct[0]-struct[1]} survive "
                 f"({pct(struct[0]-struct[1], struct[0]):.2f} %); {verbatim} left verbatim in the output")
    lines.append(f"words kept: note {pct(words['note_kept'], words['note']):.2f} % of {words['note']}, "
                 f"capitalised {pct(words['cap_kept'], words['cap']):.2f} % of {words['cap']}, "
                 f"clinical terms {pct(words['terms_kept'], words['terms']):.2f} % of {words['terms']}")
    lines.append("")
    lines.append(f"{'recall by type':<34} {'planted':>7} {'missed':>6} {'recall':>7}")
    for k in phi_plant.TYPES:
        if k in tot:
            p, c = tot[k]
            lines.append(f"{k:<34} {p:>7} {p-c:>6} {pct(c, p):>6.1f}%")
    for title, key in (("by shape", "shape"), ("by case", "case"), ("by script", "locale")):
        lines.append("")
        lines.append(f"{'recall ' + title:<34} {'planted':>7} {'missed':>6} {'recall':>7}")
        for k in sorted(by[key]):
            p, c = by[key][k]
            lines.append(f"{k:<34} {p:>7} {p-c:>6} {pct(c, p):>6.1f}%")
    lines.append("")
    lines.append("entities touching no planted value, by label: " +
                 (", ".join(f"{k} {v}" for k, v in fp.most_common()) or "none"))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.environ.get("OPENMED_TRAIN_DATA", "/work/shared/data"))
    ap.add_argument("--split", default="tune", choices=["tune", "heldout", "train", "valid"])
    ap.add_argument("--variants", type=int, default=3, help="documents per note")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--names", default="faker", choices=["faker", "heldout"],
                    help="person names from Faker's locales (default) or only names off the detector's name list")
    ap.add_argument("--openmed", default="build/bin/openmed")
    ap.add_argument("--model", help="PII model folder (default: the bundled one)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--json", help="write the numbers there")
    ap.add_argument("--save", help="write the documents (jsonl) there; not for the heldout split")
    ap.add_argument("--show-misses", type=int, default=0, help="print up to N missed values with context")
    ap.add_argument("--show-touched", type=int, default=0,
                    help="print up to N clinical terms and note words redacted, with the entity that touched them")
    a = ap.parse_args()
    if a.split in ("heldout", "valid") and (a.save or a.show_misses or a.show_touched):
        sys.exit("phi_bench: the heldout notes are for the final numbers only; tune on 'tune' or 'train'")
    docs = phi_plant.make_docs(a.data, a.split, a.seed, a.variants, a.names)
    if a.save:
        with open(a.save, "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        results = list(ex.map(lambda d: run_one(a, d, tmp), docs))
    seconds = time.time() - t0
    by, misses, fp, words, verbatim = score(docs, results)
    print(f"split {a.split}, seed {a.seed}, {a.variants} variants per note, names {a.names}, "
          f"model {a.model or 'bundled'}")
    print(report(by, fp, words, verbatim, len(docs), seconds))
    if a.show_misses:
        print("\nmissed values (context):")
        for doc, it, left in misses[:a.show_misses]:
            t = doc["text"]
            ctx = t[max(0, it["start"] - 40):it["start"]] + "[[" + t[it["start"]:it["end"]] + "]]" + t[it["end"]:it["end"] + 30]
            print(f"  {it['type']}/{it['shape']}/{it['case']} {doc['locale']}: {ctx!r}")
    if a.show_touched:
        print("\nclinical terms and note words redacted (entity label/source: term in context):")
        for doc, res, t0, t1, what in touched(docs, results)[:a.show_touched]:
            t = doc["text"]
            ents = [e for e in res["pii_entities"] if e["start"] < t1 and e["end"] > t0]
            why = ", ".join(f"{e['label']}/{e.get('source', '?')}" for e in ents)
            print(f"  {what} [{why}]: {t[max(0, t0 - 30):t0]!r} [[{t[t0:t1]}]] {t[t1:t1 + 20]!r}")
    if a.json:
        tot = by["type"]
        names = tot.get("NAME", [0, 0])
        out = {"split": a.split, "seed": a.seed, "variants": a.variants, "names": a.names, "documents": len(docs),
               "names_planted": names[0], "names_survived": names[0] - names[1],
               "structured_planted": sum(v[0] for k, v in tot.items() if k != "NAME"),
               "structured_survived": sum(v[0] - v[1] for k, v in tot.items() if k != "NAME"),
               "verbatim_in_output": verbatim,
               "note_words_kept": pct(words["note_kept"], words["note"]),
               "capitalised_words_kept": pct(words["cap_kept"], words["cap"]),
               "clinical_terms_kept": pct(words["terms_kept"], words["terms"]),
               "by_type": {k: {"planted": v[0], "caught": v[1]} for k, v in tot.items()},
               "by_shape": {k: {"planted": v[0], "caught": v[1]} for k, v in by["shape"].items()},
               "by_case": {k: {"planted": v[0], "caught": v[1]} for k, v in by["case"].items()},
               "false_positive_entities": dict(fp), "seconds": seconds}
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
