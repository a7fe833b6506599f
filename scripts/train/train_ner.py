"""train_ner.py: trains one bundled token-classification model from scratch (optional masked-LM
pre-training on in-domain text, then NER fine-tuning), picks the best epoch on the devel split,
and exports a Hugging Face folder plus torch reference logits. Seeded; CPU.

  train_ner.py --task disease --data "$OPENMED_TRAIN_DATA" --tok build-train/tok --out models/disease-ner
  train_ner.py --task pii --pii build-train/pii --tok build-train/tok --out models/pii
Pass --openmed build/bin/openmed to tokenize with the project's C tokenizer (the default when the
binary exists)."""
import argparse
import csv
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import export  # noqa: E402
from model import Config, MaskedLM, ModernConfig, ModernTokenClassifier, TokenClassifier  # noqa: E402

REFERENCE_TEXTS = {
    "disease": ["The patient has cystic fibrosis.",
                "Mutations in BRCA1 increase the risk of breast and ovarian cancer.",
                "Duchenne muscular dystrophy is an X-linked recessive disorder.",
                "No evidence of diabetes mellitus or hypertension was found.",
                "Huntington disease (HD) is a neurodegenerative disorder caused by CAG repeats."],
    "pii": ["Patient John Smith, MRN 4829173, was seen on 03/14/2021.",
            "Call Dr. Maria Lopez at (617) 555-0192 or maria.lopez@example.org.",
            "Mr. Kevin Brown is a 57-year-old male living at 42 Oak Street, Springfield.",
            "SSN 123-45-6789; insurance through Acme Health, see https://acme.example.com.",
            "She was admitted to Mercy General Hospital in Boston on January 5, 2020."],
}


def log(msg):
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def batches(seqs, batch_tokens, rng):
    """Length-bucketed batches of (ids, labels) up to about batch_tokens padded tokens."""
    order = list(range(len(seqs)))
    rng.shuffle(order)
    out = []
    for i in range(0, len(order), 512):
        chunk = sorted(order[i:i + 512], key=lambda j: len(seqs[j][0]))
        cur = []
        for j in chunk:
            if cur and (len(cur) + 1) * len(seqs[j][0]) > batch_tokens:
                out.append(cur)
                cur = []
            cur.append(j)
        if cur:
            out.append(cur)
    rng.shuffle(out)
    return out


def collate(seqs, idx, pad_label=-100):
    t = max(len(seqs[j][0]) for j in idx)
    ids = torch.zeros(len(idx), t, dtype=torch.long)
    lab = torch.full((len(idx), t), pad_label, dtype=torch.long)
    mask = torch.zeros(len(idx), t, dtype=torch.long)
    for r, j in enumerate(idx):
        a, b = seqs[j]
        ids[r, :len(a)] = torch.tensor(a)
        lab[r, :len(b)] = torch.tensor(b)
        mask[r, :len(a)] = 1
    return ids, lab, mask


def word_dropout(ids, rate, unk_id, rng_t):
    """Replaces each non-special token (id >= 5) by [UNK] with probability rate, so the model learns
    to tag from context and word pieces, not only from memorised words."""
    if rate <= 0:
        return ids
    drop = (torch.rand(ids.shape, generator=rng_t) < rate) & (ids >= 5)
    return ids.masked_fill(drop, unk_id)


def swap_mentions(examples, pool, rate, rng, label2id):
    """Mention-substitution augmentation: a copy of each example in which every entity is, with
    probability rate, replaced by the word pieces of a random training mention of the same label
    (labels rebuilt B-, I-). Entities start and end on token boundaries in the pre-tokenized text,
    so splicing token ids is exact."""
    out = []
    for e in examples:
        ids, lab = list(e["ids"]), list(e["labels"])
        # token ranges of entities from the B-/I- labels
        spans, i = [], 1
        while i < len(lab) - 1:
            if lab[i] > 0 and (lab[i] - 1) % 2 == 0:  # B-
                j = i + 1
                while j < len(lab) - 1 and lab[j] == lab[i] + 1:
                    j += 1
                spans.append((i, j, (lab[i] - 1) // 2))
                i = j
            else:
                i += 1
        for a, b, k in reversed(spans):
            if rng.random() >= rate or not pool.get(k):
                continue
            m = rng.choice(pool[k])
            ids[a:b] = m
            lab[a:b] = [1 + 2 * k] + [2 + 2 * k] * (len(m) - 1)
        out.append({"ids": ids, "labels": lab})
    return out


def mention_pool(examples):
    """Token ids of every entity in the training examples, by entity kind index."""
    pool = {}
    for e in examples:
        lab, i = e["labels"], 1
        while i < len(lab) - 1:
            if lab[i] > 0 and (lab[i] - 1) % 2 == 0:
                j = i + 1
                while j < len(lab) - 1 and lab[j] == lab[i] + 1:
                    j += 1
                pool.setdefault((lab[i] - 1) // 2, []).append(e["ids"][i:j])
                i = j
            else:
                i += 1
    return pool


def schedule(opt, lr, step, total, warmup):
    f = step / max(1, warmup) if step < warmup else max(0.0, (total - step) / max(1, total - warmup))
    for g in opt.param_groups:
        g["lr"] = lr * f


def mlm_pretrain(model, texts, args, rng, vocab_size):
    """Masked-LM pre-training of model.bert on texts (15% of tokens; 80/10/10 mask/random/keep)."""
    log(f"MLM: tokenizing {len(texts)} texts")
    enc = data.tokenize(texts, args.tok, args.openmed)
    exs = [{"ids": ids, "labels": ids} for ids, _ in enc]
    seqs = data.pack(exs, args.max_len, rng, 2, 3)
    mlm = MaskedLM(model.bert)
    opt = torch.optim.AdamW(mlm.parameters(), lr=args.mlm_lr, weight_decay=0.01)
    step, t0 = 0, time.time()
    mlm.train()
    while step < args.mlm_steps:
        for idx in batches(seqs, args.batch_tokens * 2, rng):
            ids, _, mask = collate(seqs, idx, 0)
            special = (ids < 5)
            sel = (torch.rand(ids.shape) < 0.15) & ~special
            if not sel.any():
                continue
            target = ids[sel]
            inp = ids.clone()
            r = torch.rand(ids.shape)
            inp[sel & (r < 0.8)] = 4  # [MASK]
            rnd = sel & (r >= 0.8) & (r < 0.9)
            inp[rnd] = torch.randint(5, vocab_size, (int(rnd.sum()),))
            schedule(opt, args.mlm_lr, step, args.mlm_steps, args.mlm_steps // 20)
            loss = F.cross_entropy(mlm(inp, mask, sel), target)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(mlm.parameters(), 1.0)
            opt.step()
            step += 1
            if step % 200 == 0:
                log(f"MLM step {step}/{args.mlm_steps} loss {loss.item():.3f} ({time.time()-t0:.0f}s)")
            if step >= args.mlm_steps:
                break


def svd_embeddings(texts, args, vocab_size, hidden):
    """Count-based pre-training of the word embeddings: positive PMI of word pieces co-occurring
    within 4 tokens over the in-domain text, reduced to `hidden` dimensions by a randomised SVD
    (U * sqrt(S)), scaled to std 0.05. Much cheaper than masked-LM pre-training on this machine."""
    import numpy as np
    enc = data.tokenize(texts, args.tok, args.openmed)
    counts = np.zeros(vocab_size * vocab_size, dtype=np.float32)
    for d in range(1, 5):
        rows, cols = [], []
        for ids, _ in enc:
            a = np.asarray(ids[1:-1], dtype=np.int64)
            if len(a) > d:
                rows.append(a[:-d])
                cols.append(a[d:])
        r, c = np.concatenate(rows), np.concatenate(cols)
        w = 1.0 / d
        counts += w * np.bincount(r * vocab_size + c, minlength=vocab_size * vocab_size).astype(np.float32)
        counts += w * np.bincount(c * vocab_size + r, minlength=vocab_size * vocab_size).astype(np.float32)
    m = counts.reshape(vocab_size, vocab_size)
    total = m.sum()
    pw = m.sum(1) / total
    pc = m.sum(0) ** 0.75
    pc /= pc.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(m / total) - np.log(pw)[:, None] - np.log(pc)[None, :]
    pmi = np.nan_to_num(np.maximum(pmi, 0), nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
    del m, counts
    torch.manual_seed(args.seed)
    u, s, _ = torch.svd_lowrank(torch.from_numpy(pmi), q=hidden, niter=4)
    emb = u * s.sqrt()
    return emb * (0.05 / emb.std())


def predict(model, examples, max_len):
    """Token label ids per example (argmax), aligned with its ids. Texts longer than max_len
    tokens are read in consecutive windows of max_len - 2 tokens, each with [CLS] and [SEP]
    (like the pipeline's whole-text mode)."""
    model.eval()
    pieces = []  # (example index, window start, window ids)
    for i, e in enumerate(examples):
        body = e["ids"][1:-1]
        for at in range(0, max(1, len(body)), max_len - 2):
            pieces.append((i, at, [e["ids"][0]] + body[at:at + max_len - 2] + [e["ids"][-1]]))
    res = [[0] * len(e["ids"]) for e in examples]
    order = sorted(range(len(pieces)), key=lambda k: len(pieces[k][2]))
    with torch.no_grad():
        for k in range(0, len(order), 64):
            idx = order[k:k + 64]
            seqs = [(pieces[j][2], pieces[j][2]) for j in idx]
            ids, _, mask = collate(seqs, list(range(len(idx))), 0)
            pred = model(ids, mask).argmax(-1)
            for r, j in enumerate(idx):
                i, at, w = pieces[j]
                res[i][1 + at:1 + at + len(w) - 2] = pred[r, 1:len(w) - 1].tolist()
    return res


def evaluate(model, examples, id2label, max_len):
    preds = predict(model, examples, max_len)
    gold = [{(s["start"], s["end"], s["label"]) for s in e["spans"]} for e in examples]
    pred = [data.decode_simple(e["offsets"], p, id2label) for e, p in zip(examples, preds)]
    return data.strict_prf(gold, pred), preds


def load_task(args):
    if args.task == "disease":
        train = data.read_conll(os.path.join(args.data, "ncbi-disease/train.tsv"))
        dev = data.read_conll(os.path.join(args.data, "ncbi-disease/devel.tsv"))
        if args.bc5cdr:
            train += data.read_conll(os.path.join(args.data, "bc5cdr/train.tsv"), {"Disease"})
        if args.bc5cdr_devel:  # a different corpus's devel split: training data here, never NCBI's
            train += data.read_conll(os.path.join(args.data, "bc5cdr/devel.tsv"), {"Disease"})
        for e in train + dev:
            for s in e["spans"]:
                s["label"] = "DISEASE"
        labels = ["O", "B-DISEASE", "I-DISEASE"]
    else:
        train = [json.loads(l) for l in open(os.path.join(args.pii, "train.jsonl"), encoding="utf-8")]
        dev = [json.loads(l) for l in open(os.path.join(args.pii, "heldout.jsonl"), encoding="utf-8")]
        kinds = sorted({s["label"] for e in train for s in e["spans"]})
        labels = ["O"] + [f"{p}-{k}" for k in kinds for p in ("B", "I")]
    return train, dev, labels


def mlm_texts(args):
    texts = []
    if args.task == "disease":
        for f in ("ncbi-disease/train.tsv", "bc5cdr/train.tsv") + (("bc5cdr/devel.tsv",) if args.bc5cdr_devel else ()):
            texts += [e["text"] for e in data.read_conll(os.path.join(args.data, f))]
        for line in open(os.path.join(args.data, "bc5cdr/pubtator/train.PubTator.txt"), encoding="utf-8"):
            parts = line.rstrip("\n").split("|", 2)
            if len(parts) == 3 and parts[1] in ("t", "a"):
                texts.append(parts[2])
    csv.field_size_limit(1 << 30)
    with open(os.path.join(args.data, "clinical-notes/aci-train.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            texts += [p for p in row["note"].split("\n") if p.strip()]
    return texts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", choices=["disease", "pii"], required=True)
    ap.add_argument("--data", default=os.environ.get("OPENMED_TRAIN_DATA"), required="OPENMED_TRAIN_DATA" not in os.environ,
                    help="folder of the public corpora (ncbi-disease/, bc5cdr/, pii/, clinical-notes/); default $OPENMED_TRAIN_DATA")
    ap.add_argument("--pii", default="build-train/pii")
    ap.add_argument("--tok", default="build-train/tok")
    ap.add_argument("--openmed", default="build/bin/openmed")
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default="build-train")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--arch", choices=["bert", "modernbert"], default="bert")
    ap.add_argument("--local-window", type=int, default=16,
                    help="modernbert: sliding attention window (tokens) of the local layers")
    ap.add_argument("--global-every", type=int, default=3,
                    help="modernbert: layers at multiples of this attend globally")
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--intermediate", type=int, default=512)
    ap.add_argument("--max-len", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch-tokens", type=int, default=2048)
    ap.add_argument("--mlm-steps", type=int, default=0)
    ap.add_argument("--mlm-lr", type=float, default=1e-3)
    ap.add_argument("--bc5cdr", action="store_true", help="add BC5CDR Disease mentions to training")
    ap.add_argument("--bc5cdr-devel", action="store_true", help="also train on BC5CDR devel Disease mentions")
    ap.add_argument("--svd-init", action="store_true",
                    help="initialise word embeddings from PPMI-SVD of the in-domain text")
    ap.add_argument("--freeze-embeddings", action="store_true",
                    help="keep the (pre-trained) word embeddings fixed during fine-tuning")
    ap.add_argument("--word-dropout", type=float, default=0.0,
                    help="probability of replacing an input token by [UNK] during fine-tuning")
    ap.add_argument("--mention-swap", type=float, default=0.0,
                    help="add an augmented copy of the training set each epoch in which entities are "
                         "replaced by random training mentions of the same label with this probability")
    ap.add_argument("--init", help="start from this exported model folder (continue training)")
    ap.add_argument("--time-limit", type=float, default=3000, help="seconds; stop fine-tuning after")
    args = ap.parse_args()
    if args.openmed and not os.path.exists(args.openmed):
        log(f"warning: {args.openmed} missing; tokenizing with the Python reference tokenizer")
        args.openmed = None
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    t_start = time.time()

    train, dev, id2label = load_task(args)
    label2id = {l: i for i, l in enumerate(id2label)}
    log(f"{args.task}: {len(train)} train / {len(dev)} devel texts, labels {id2label}")
    data.encode_examples(train, args.tok, label2id, args.openmed)
    data.encode_examples(dev, args.tok, label2id, args.openmed)
    vocab = json.load(open(os.path.join(args.tok, "tokenizer.json"), encoding="utf-8"))["model"]["vocab"]
    if args.arch == "modernbert":
        cfg = ModernConfig(len(vocab), args.hidden, args.layers, args.heads, args.intermediate, args.max_len,
                           args.local_window, args.global_every, args.dropout)
        model = ModernTokenClassifier(cfg, len(id2label))
    else:
        cfg = Config(len(vocab), args.hidden, args.layers, args.heads, args.intermediate, args.max_len,
                     args.dropout)
        model = TokenClassifier(cfg, len(id2label))

    if args.init:
        from model import export_state_dict
        loaded = export.read_safetensors(os.path.join(args.init, "model.safetensors"))
        with torch.no_grad():
            for k, v in export_state_dict(model).items():
                v.copy_(loaded[k])
        log(f"initialised from {args.init}")
    if args.svd_init:
        t0 = time.time()
        emb = svd_embeddings(mlm_texts(args) + [e["text"] for e in train], args, len(vocab), args.hidden)
        with torch.no_grad():
            model.bert.word.weight.copy_(emb)
        log(f"word embeddings from PPMI-SVD ({time.time()-t0:.0f}s)")
    if args.mlm_steps:
        mlm_pretrain(model, mlm_texts(args) + [e["text"] for e in train], args, rng, len(vocab))
    t_ner = time.time()
    plain = seqs = data.pack(train, args.max_len, rng, vocab["[CLS]"], vocab["[SEP]"])
    pool = mention_pool(train) if args.mention_swap > 0 else None
    if pool:
        # Known defect, kept so the bundled models stay reproducible: `+=` extends `plain` too, so
        # epochs after the first train on the plain data, this first augmented copy and a fresh
        # one (1.5x the first epoch's steps), and the schedule below, sized from the first epoch,
        # reaches a rate of zero part-way through the last epoch. Fix with the next retraining.
        seqs += data.pack(swap_mentions(train, pool, args.mention_swap, rng, label2id), args.max_len, rng,
                          vocab["[CLS]"], vocab["[SEP]"])
    rng_t = torch.Generator().manual_seed(args.seed)
    steps_per_epoch = len(batches(seqs, args.batch_tokens, random.Random(0)))
    total = steps_per_epoch * args.epochs
    if args.freeze_embeddings:
        model.bert.word.weight.requires_grad_(False)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
    best, best_state, step = (-1, 0, 0, 0), None, 0
    for epoch in range(args.epochs):
        model.train()
        t0, tot = time.time(), 0.0
        if pool and epoch > 0:  # a fresh augmented copy each epoch
            seqs = plain + data.pack(swap_mentions(train, pool, args.mention_swap, rng, label2id),
                                              args.max_len, rng, vocab["[CLS]"], vocab["[SEP]"])
        for idx in batches(seqs, args.batch_tokens, rng):
            ids, lab, mask = collate(seqs, idx)
            ids = word_dropout(ids, args.word_dropout, vocab["[UNK]"], rng_t)
            schedule(opt, args.lr, step, total, total // 20)
            logits = model(ids, mask)
            loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), lab.view(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            tot += loss.item()
            if step % 100 == 0:
                log(f"step {step}/{total} loss {loss.item():.4f} ({time.time()-t0:.0f}s into epoch {epoch+1})")
        (p, r, f), _ = evaluate(model, dev, id2label, args.max_len)
        log(f"epoch {epoch+1}: loss {tot/steps_per_epoch:.4f} devel P {p:.4f} R {r:.4f} F1 {f:.4f} "
            f"({time.time()-t0:.0f}s)")
        if f > best[0]:
            best = (f, p, r, epoch + 1)
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        if time.time() - t_ner > args.time_limit:
            log("time limit reached")
            break
    model.load_state_dict(best_state)
    export.export_folder(args.out, model, cfg, id2label, args.tok)
    (p, r, f), preds = evaluate(model, dev, id2label, args.max_len)  # with the float16-rounded weights
    log(f"exported epoch {best[3]}: float16 devel P {p:.4f} R {r:.4f} F1 {f:.4f}")
    texts = REFERENCE_TEXTS[args.task]
    export.write_reference(os.path.join(args.out, "reference_logits.jsonl"), model, texts,
                           data.tokenize(texts, args.tok, args.openmed))
    os.makedirs(args.work, exist_ok=True)
    with open(os.path.join(args.work, f"{args.task}-devel-torch.jsonl"), "w", encoding="utf-8") as fo:
        for e, pr in zip(dev, preds):
            fo.write(json.dumps({"text": e["text"], "spans": e["spans"], "ids": e["ids"],
                                 "labels": [id2label[x] for x in pr]}, ensure_ascii=False) + "\n")
    summary = {"task": args.task, "devel_precision": p, "devel_recall": r, "devel_f1": f,
               "best_epoch": best[3], "train_seconds": round(time.time() - t_start),
               "mlm_steps": args.mlm_steps, "bc5cdr": args.bc5cdr, "seed": args.seed,
               "hidden": args.hidden, "layers": args.layers, "intermediate": args.intermediate,
               "heads": args.heads, "svd_init": args.svd_init, "freeze_embeddings": args.freeze_embeddings, "epochs": args.epochs, "lr": args.lr, "batch_tokens": args.batch_tokens,
               "tokenizer": "openmed tokenize" if args.openmed else "python reference",
               "train_texts": len(train), "devel_texts": len(dev)}
    with open(os.path.join(args.work, f"{args.task}-summary.json"), "w") as fo:
        json.dump(summary, fo, indent=2)
    log(json.dumps(summary))


if __name__ == "__main__":
    main()
