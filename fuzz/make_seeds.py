#!/usr/bin/env python3
"""make_seeds.py: rebuild the seed corpora fuzz/corpus/fuzz_<topic>/ from the test fixtures.

Seeds are small on purpose: tokenizers keep their first vocabulary entries (and the merges among
them), safetensors files hold a few tiny tensors. Run from anywhere: python3 fuzz/make_seeds.py.
Inputs found by fuzzing that once broke something are kept next to these as regress-*.
"""
import base64
import glob
import json
import lzma
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def put(topic, name, data):
    d = os.path.join(CORPUS, topic)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    header, blob = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    h = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(h)) + h + blob


def safetensors_seeds():
    f32 = struct.pack("<4f", 1.0, -2.0, 0.5, 3.25)
    put("fuzz_safetensors", "f32", b"\0" + safetensors([("w", "F32", [2, 2], f32)]))
    put("fuzz_safetensors", "mixed", b"\0" + safetensors([
        ("a.weight", "F16", [3], b"\0\x3c\0\x40\0\xc0"), ("a.bias", "BF16", [1, 2], b"\x80\x3f\0\x40"),
        ("ids", "I64", [2], struct.pack("<2q", 7, -1)), ("empty", "F32", [0, 4], b""),
        ("scalar", "U8", [], b"\x05"), ("mask", "BOOL", [2], b"\x01\x00")], {"format": "pt"}))
    put("fuzz_safetensors", "padded", b"\0" + struct.pack("<Q", 64) +
        b'{"x":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}' + b" " * 9 + b"\1\0\0\0")
    index = {"metadata": {"total_size": 22},
             "weight_map": {"one.a": "model-00001-of-00002.safetensors", "one.b": "model-00001-of-00002.safetensors",
                            "two.a": "model-00002-of-00002.safetensors", "two.b": "model-00002-of-00002.safetensors"}}
    put("fuzz_safetensors", "index", b"\1" + json.dumps(index).encode())
    index["weight_map"] = {"one.a": "./model-00001-of-00002.safetensors"}
    put("fuzz_safetensors", "index-partial", b"\1" + json.dumps(index).encode())


def config_seeds():
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/hf/models/*/config.json")) +
                       glob.glob(os.path.join(ROOT, "models/*/config.json"))):
        name = os.path.basename(os.path.dirname(path))
        with open(path, "rb") as f:
            put("fuzz_config_json", name, f.read())


def read_fixture(path):
    """A fixture file, stored as is or xz-compressed (PATH.xz)."""
    if os.path.exists(path):
        with open(path, "rb") as f:
            return f.read()
    with lzma.open(path + ".xz") as f:
        return f.read()


def trim_tokenizer(j, keep):
    model = j["model"]
    specials = {t["content"] for t in j.get("added_tokens", [])}
    if isinstance(model.get("vocab"), dict):
        items = sorted((kv for kv in model["vocab"].items() if not kv[0].startswith("[unused")), key=lambda kv: kv[1])
        kept = dict((k, v) for k, v in items[:keep])
        kept.update((k, v) for k, v in items if k in specials)
        model["vocab"] = kept
        if "merges" in model:
            merges = []
            for m in model["merges"]:
                a, b = m if isinstance(m, list) else m.split(" ", 1)
                if a in kept and b in kept and a + b in kept:
                    merges.append(m)
            model["merges"] = merges
    else:
        vocab = model["vocab"]
        kept = vocab[:keep] + [p for p in vocab[keep:] if p[0] in specials]
        model["vocab"] = kept
        if model.get("unk_id") is not None and model["unk_id"] >= len(kept):
            model["unk_id"] = 0
    return j


def mini_charsmap():
    """A darts-clone double array (SentencePiece's precompiled charsmap) mapping 'x' -> 'y' and
    'A' -> 'a': the root's offset 1 sends byte c to unit 1^c, whose offset 1 leads to its leaf."""
    units = [0] * 128
    units[0] = 1 << 10
    for key, value in ((ord("x"), 0), (ord("A"), 2)):
        node = 1 ^ key
        units[node] = (1 << 10) | (1 << 8) | key
        units[node ^ 1] = (1 << 31) | value
    trie = b"".join(struct.pack("<I", u) for u in units)
    return base64.b64encode(struct.pack("<I", len(trie)) + trie + b"y\0a\0").decode()


def small_charsmap(node):
    """Real precompiled charsmaps are 320 kB: keep the component with a tiny valid map."""
    if isinstance(node, dict):
        out = {k: small_charsmap(v) for k, v in node.items()}
        if out.get("type") == "Precompiled":
            out["precompiled_charsmap"] = mini_charsmap()
        return out
    if isinstance(node, list):
        return [small_charsmap(x) for x in node]
    return node


def tokenizer_seeds():
    for folder in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/hf/tokenizers/*"))):
        name = os.path.basename(folder)
        path = os.path.join(folder, "tokenizer.json")
        j = small_charsmap(trim_tokenizer(json.loads(read_fixture(path)), 300))
        body = json.dumps(j, ensure_ascii=False, separators=(",", ":"))
        put("fuzz_tokenizer_json", name, body)
        cfg = os.path.join(os.path.dirname(path), "tokenizer_config.json")
        if os.path.exists(cfg):
            with open(cfg) as f:
                put("fuzz_tokenizer_json", name + "-with-config", body + "\n#tokenizer_config#\n" + f.read())
    # the component zoo of tests/unit/test_tokenizer_fuzz.c (every normalizer, pre-tokenizer,
    # post-processor and decoder kind), as files
    src = open(os.path.join(ROOT, "tests/unit/test_tokenizer_fuzz.c")).read()
    start = src.index("static const char *seeds[] = {")
    end = src.index("};", start)
    block, seeds, cur = src[start:end], [], None
    for line in block.splitlines()[1:]:
        line = line.strip()
        if line.startswith("/*"):
            if cur:
                seeds.append(cur)
            cur = ""
            continue
        if line.startswith('"') and cur is not None:
            lit = line.rstrip(",")
            cur += json.loads(lit.replace("\\\\", "\x00").replace("\\x", "\\u00").replace("\x00", "\\\\"))
    if cur:
        seeds.append(cur)
    # regressions: an empty Split regex once read past the rewritten pattern (no terminator)
    put("fuzz_tokenizer_json", "regress-empty-regex",
        '{"model":{"type":"WordLevel","vocab":{"a":0,"[UNK]":1},"unk_token":"[UNK]"},'
        '"pre_tokenizer":{"type":"Split","pattern":{"Regex":""},"behavior":"Isolated","invert":false}}')
    for i, s in enumerate(seeds):
        put("fuzz_tokenizer_json", "components-%d" % i, s.encode("utf-8", "surrogatepass"))


def toml_seeds():
    put("fuzz_config_toml", "full", "\n".join([
        "# OpenMed config", 'default_org = "OpenMed"', "cache_dir = '~/.cache/openmed'", 'device = "cpu"',
        'hf_token = "hf_xxx"  # comment', "log_level = INFO", "timeout = 300", "use_medical_tokenizer = true",
        'medical_tokenizer_exceptions = "a,b"', 'backend = "hf"', "batch_size = 8", "num_workers = 0",
        "local_only = false", "indic_name_similarity_threshold = 0.85", "remote_inference_timeout_seconds = 1.5",
        'onnx_variant = "auto"', "pii_model = null", 'dtype = "bf16"', "num_threads = 2", ""]))
    put("fuzz_config_toml", "quoted-hash", 'hf_token = "a#b" # real comment\n[section]\ncache_dir = "/tmp/x"\n')
    put("fuzz_config_toml", "empty", "")


def manifest_seeds():
    with open(os.path.join(ROOT, "data/registry/models.jsonl")) as f:
        rows = [l for l in f if l.strip()]
    put("fuzz_registry_manifest", "first-rows", "".join(rows[:6]))
    picks = [r for r in rows if "PII" in r or "privacy" in r.lower()][:4]
    picks += [r for r in rows if "DiseaseDetect" in r][:3]
    put("fuzz_registry_manifest", "pii-and-disease", "".join(picks))
    put("fuzz_registry_manifest", "odd-rows", "\n".join([
        '{"repo_id": "OpenMed/OpenMed-NER-Test-Tiny-33M-v1", "family": "NER", "task": "token-classification", '
        '"languages": ["en", "de"], "tier": "Base", "param_count": 3.3e7, "formats": ["pytorch", "mlx-fp"]}',
        '{"repo_id": "", "family": "NER"}', '{"family": "PII"}',
        '{"repo_id": "openai/privacy-filter", "family": "PII", "languages": "en", "param_count": -1}', ""]))


def deid_seeds():
    texts = [
        "Patient John Smith (MRN 4482913) was seen on 03/14/2021 by Dr. Alice Wong. Call 555-201-3344.",
        "Jane Doe, DOB 1984-07-02, SSN 123-45-6789, lives at 42 Elm Street, Boston MA 02118; jane.doe@example.org",
        "Follow-up in 2 weeks. No PHI here, just cystic fibrosis and metformin 500 mg.",
        "Ms. Garc\u00eda v\u00edo al Dr. M\u00fcller el 5 de mayo de 2020 \u2014 tel. +34 612 345 678.",
        "Name:\u200bRobert\u200b Brown\nPhone:\uff15\uff15\uff15-0100\nURL: https://clinic.example.com/p?id=77",
    ]
    for i, t in enumerate(texts):
        for method in range(5):  # de-identify with each method (stage 0)
            put("fuzz_deidentify", "text%d-m%d" % (i, method), bytes([method | (8 if i % 2 else 0), 170]) + t.encode())
        put("fuzz_deidentify", "text%d-extract" % i, bytes([0x20, 128]) + t.encode())
        put("fuzz_deidentify", "text%d-pipeline" % i, bytes([0x40, 0]) + t.encode())


def serve_request_seeds():
    """First byte: the route (om_request_kind; 0x80 = tight limits), then the body."""
    ANALYZE, BATCH, PII, PII_BATCH, DEID, DEID_BATCH, UNLOAD = range(7)
    bodies = [
        (ANALYZE, "analyze", '{"text": "Cystic fibrosis and metformin 500 mg.", "model_name": "disease_detection_tiny", '
                             '"aggregation_strategy": "first", "confidence_threshold": 0.25, "keep_alive": "5m"}'),
        (ANALYZE, "analyze-null-agg", '{"text":"a\\u00e9\\ud83d\\ude00\\"\\/","aggregation_strategy":null,'
                                      '"confidence_threshold":null,"sentence_detection":false}'),
        (BATCH, "analyze-batch", '{"texts": ["first note", "second note \\u2014 more"], "group_entities": false}'),
        (PII, "pii-extract", '{"text": "John Smith, MRN 4482913", "lang": "de", "use_safety_sweep": true}'),
        (PII_BATCH, "pii-extract-batch", '{"texts": ["Call 555-201-3344", "jane@example.org"], "confidence_threshold": 1}'),
        (DEID, "deid-shift", '{"text": "Seen 03/14/2021", "method": "shift_dates", "date_shift_days": -30, '
                             '"keep_mapping": true, "keep_year": false}'),
        (DEID_BATCH, "deid-batch-hash", '{"texts": ["a", "b c"], "method": "hash", "shift_dates": false, "policy": null}'),
        (UNLOAD, "unload-all", '{"all": true}'),
        (UNLOAD, "unload-name", '{"model_name": "pii_detection", "keep_alive": 0}'),
        (ANALYZE | 0x80, "analyze-tight", '{"text": "more than eight characters"}'),
        (BATCH | 0x80, "batch-tight", '{"texts": ["a", "b", "c"]}'),
        (ANALYZE, "bad-duplicate", '{"text": "x", "text": "y"}'),
        (ANALYZE, "bad-trailing", '{"text": "x"} []'),
        (DEID, "bad-extra", '{"text": "x", "Weird Key!": 1, "date_shift_days": 1.5}'),
        (ANALYZE, "deep", '{"text": "x", "keep_alive": ' + "[" * 70 + "]" * 70 + "}"),
    ]
    for kind, name, body in bodies:
        put("fuzz_serve_request", name, bytes([kind]) + body.encode())
    put("fuzz_serve_request", "bad-utf8", bytes([ANALYZE]) + b'{"text": "\xed\xa0\x80 \xc0\xaf"}')


if __name__ == "__main__":
    safetensors_seeds()
    config_seeds()
    tokenizer_seeds()
    toml_seeds()
    manifest_seeds()
    deid_seeds()
    serve_request_seeds()
