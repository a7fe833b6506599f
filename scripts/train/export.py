"""export.py: writes a trained token classifier as a Hugging Face model folder: model.safetensors
(written here directly: 8-byte little-endian header length, JSON header, raw tensor bytes),
config.json, tokenizer files, and a reference file of torch logits for the engine parity test."""
import json
import os
import shutil
import struct

import torch

DTYPES = {torch.float16: "F16", torch.float32: "F32"}


def write_safetensors(path, tensors, metadata=None):
    """tensors: name -> contiguous CPU tensor (F16 or F32). Tensors are stored in name order."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        raw = t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)  # align the data section to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    """name -> float32 tensor from a file written by write_safetensors (F16 or F32)."""
    import numpy as np
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        blob = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dt = {"F16": np.float16, "F32": np.float32}[info["dtype"]]
        arr = np.frombuffer(blob[a:b], dtype=dt).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32))
    return out


def export_folder(out, model, cfg, id2label, tok_dir, dtype=torch.float16):
    """Writes the folder and rounds the model's weights to dtype in place (so reference logits
    computed afterwards are exactly what the stored weights give)."""
    os.makedirs(out, exist_ok=True)
    from model import export_state_dict, hf_config
    sd = export_state_dict(model)
    write_safetensors(os.path.join(out, "model.safetensors"),
                      {k: v.to(dtype) for k, v in sd.items()}, {"format": "pt"})
    with torch.no_grad():
        for v in sd.values():
            v.copy_(v.to(dtype).to(v.dtype))
    config = hf_config(model, cfg)
    config.update({"torch_dtype": "float16" if dtype == torch.float16 else "float32",
                   "id2label": {str(i): l for i, l in enumerate(id2label)},
                   "label2id": {l: i for i, l in enumerate(id2label)}})
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    shutil.copy(os.path.join(tok_dir, "tokenizer.json"), os.path.join(out, "tokenizer.json"))
    with open(os.path.join(tok_dir, "tokenizer.json"), encoding="utf-8") as f:
        lowercase = json.load(f)["normalizer"].get("lowercase", True)
    tok_cfg = {"tokenizer_class": "BertTokenizerFast", "do_lower_case": lowercase,
               "model_max_length": cfg.max_pos, "unk_token": "[UNK]", "sep_token": "[SEP]",
               "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]",
               "strip_accents": None, "tokenize_chinese_chars": True}
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump(tok_cfg, f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "special_tokens_map.json"), "w") as f:
        json.dump({"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                   "cls_token": "[CLS]", "mask_token": "[MASK]"}, f, indent=2)
        f.write("\n")


def write_reference(path, model, texts, encoded):
    """Torch logits (float32) of the exported (rounded) weights for a few texts, one JSON line
    each: {"text", "ids", "logits": [[...] per token]}."""
    model.eval()
    with open(path, "w", encoding="utf-8") as f, torch.no_grad():
        for text, (ids, _) in zip(texts, encoded):
            t = torch.tensor([ids])
            logits = model(t, torch.ones_like(t))[0]
            f.write(json.dumps({"text": text, "ids": ids,
                                "logits": [[round(float(x), 6) for x in row] for row in logits]},
                               ensure_ascii=False) + "\n")
