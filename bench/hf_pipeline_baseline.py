"""hf_pipeline_baseline.py (copied from the team's shared bench, inputs pointed at bench/data/): baseline: the Hugging Face token-classification pipeline that OpenMed's torch backend runs.

Runs where torch + transformers are installed (the lent GPU machine has them). Random-weight models
of bert-base and distilbert-base size; 64 synthetic clinical notes; aggregation_strategy="simple".
Prints one JSON line per configuration and writes them all to --out.

  python3 bench/hf_pipeline_baseline.py --out hf.json   # inputs default to bench/data/

Inputs default to bench/data/ and the bert-base-uncased tokenizer of the test fixtures (read
xz-compressed; the repository is all that reaches the GPU machine). --devices picks
which runs to make ("cuda" skips the slow CPU run, for the time-boxed bench/gpu-check.sh).
"""
import argparse, csv, json, lzma, os, time
import torch, transformers
from transformers import pipeline, AutoModelForTokenClassification
from tokenizers import Tokenizer

ap = argparse.ArgumentParser()
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
ap.add_argument("--notes", default=os.path.join(here, "aci-notes-64.csv"))
ap.add_argument("--tokenizer", default=os.path.join(here, "..", "..", "tests", "fixtures", "tokenizer",
                                                   "bert-base-uncased-old-format", "tokenizer.json.xz"))
ap.add_argument("--out", default="hf_baseline.json")
ap.add_argument("--models", default="bert-base,distilbert-base")
ap.add_argument("--threads", type=int, default=0)
ap.add_argument("--devices", default="cpu,cuda")
a = ap.parse_args()
csv.field_size_limit(10**9)
notes = [r["note"] for r in csv.DictReader(open(a.notes))][:64]
Fast = getattr(transformers, "TokenizersBackend", None) or transformers.PreTrainedTokenizerFast
tok_json = (lzma.open if a.tokenizer.endswith(".xz") else open)(a.tokenizer, "rt", encoding="utf-8").read()
tok = Fast(tokenizer_object=Tokenizer.from_str(tok_json), unk_token="[UNK]", sep_token="[SEP]",
           pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]", model_max_length=512)
ntok = sum(len(tok(n)["input_ids"]) for n in notes)
labels = ["O"] + [f"{p}-{c}" for c in ("DISEASE", "CHEM", "PERSON", "DATE") for p in "BI"]
cfgs = {"bert-base": transformers.BertConfig(vocab_size=30522, num_labels=len(labels)),
        "distilbert-base": transformers.DistilBertConfig(vocab_size=30522, num_labels=len(labels))}
if a.threads: torch.set_num_threads(a.threads)
devices = a.devices.split(",")
runs = [("cpu", torch.float32, 16)] if "cpu" in devices else []
if torch.cuda.is_available() and "cuda" in devices:
    runs += [("cuda", torch.float32, 1), ("cuda", torch.float32, 16), ("cuda", torch.float16, 16), ("cuda", torch.bfloat16, 64)]
res = [{"notes": len(notes), "tokens": ntok, "torch": torch.__version__, "transformers": transformers.__version__,
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, "cpu_threads": torch.get_num_threads()}]
print(json.dumps(res[0]), flush=True)
for mname in a.models.split(","):
    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_config(cfgs[mname]).eval()
    for dev, dtype, bs in runs:
        m = model.to(dev, dtype=dtype)
        p = pipeline("token-classification", model=m, tokenizer=tok, aggregation_strategy="simple", device=(-1 if dev == "cpu" else 0))
        p(notes[:2], batch_size=bs)
        sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
        sync(); t = time.perf_counter(); p(notes, batch_size=bs); sync(); dt = time.perf_counter() - t
        r = dict(model=mname, device=dev, dtype=str(dtype).split(".")[-1], batch_size=bs, seconds=round(dt, 3),
                 notes_per_s=round(len(notes) / dt, 2), tokens_per_s=round(ntok / dt, 1))
        ids = torch.randint(1000, 30000, (16, 512), device=dev)
        with torch.no_grad():
            m(input_ids=ids); sync(); t = time.perf_counter()
            for _ in range(3): m(input_ids=ids)
            sync(); dt = (time.perf_counter() - t) / 3
        r["forward_16x512_tokens_per_s"] = round(16 * 512 / dt, 1)
        print(json.dumps(r), flush=True); res.append(r)
json.dump(res, open(a.out, "w"), indent=1)
