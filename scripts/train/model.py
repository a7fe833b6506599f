"""model.py: a small BERT for token classification (and its masked-LM head for pre-training) in
PyTorch, with Hugging Face's parameter names and exactly BertForTokenClassification's math
(post-LayerNorm, erf GELU, eps 1e-12), so the exported weights load in any BERT runtime."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    def __init__(self, vocab_size, hidden=256, layers=3, heads=4, intermediate=512, max_pos=256,
                 dropout=0.1, eps=1e-12):
        self.vocab_size, self.hidden, self.layers, self.heads = vocab_size, hidden, layers, heads
        self.intermediate, self.max_pos, self.dropout, self.eps = intermediate, max_pos, dropout, eps


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.query = nn.Linear(c.hidden, c.hidden)
        self.key = nn.Linear(c.hidden, c.hidden)
        self.value = nn.Linear(c.hidden, c.hidden)
        self.attn_out = nn.Linear(c.hidden, c.hidden)
        self.attn_norm = nn.LayerNorm(c.hidden, eps=c.eps)
        self.inter = nn.Linear(c.hidden, c.intermediate)
        self.out = nn.Linear(c.intermediate, c.hidden)
        self.out_norm = nn.LayerNorm(c.hidden, eps=c.eps)
        self.drop = nn.Dropout(c.dropout)

    def forward(self, x, bias):
        # x: [B, T, H]; bias: [B, 1, 1, T] additive mask (0 or -inf-ish for padding)
        b, t, h = x.shape
        nh, d = self.c.heads, h // self.c.heads

        def split(y):
            return y.view(b, t, nh, d).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + bias
        probs = self.drop(F.softmax(scores, dim=-1))
        ctx = (probs @ v).transpose(1, 2).reshape(b, t, h)
        x = self.attn_norm(x + self.drop(self.attn_out(ctx)))
        y = self.out(F.gelu(self.inter(x)))
        return self.out_norm(x + self.drop(y))


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.word = nn.Embedding(c.vocab_size, c.hidden)
        self.pos = nn.Embedding(c.max_pos, c.hidden)
        self.token_type = nn.Embedding(2, c.hidden)
        self.emb_norm = nn.LayerNorm(c.hidden, eps=c.eps)
        self.drop = nn.Dropout(c.dropout)
        self.layers = nn.ModuleList([Layer(c) for _ in range(c.layers)])
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, ids, mask):
        t = ids.shape[1]
        pos = torch.arange(t, device=ids.device).unsqueeze(0)
        x = self.word(ids) + self.pos(pos) + self.token_type(torch.zeros_like(ids))
        x = self.drop(self.emb_norm(x))
        bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.layers:
            x = layer(x, bias)
        return x


class TokenClassifier(nn.Module):
    def __init__(self, c, num_labels):
        super().__init__()
        self.bert = Bert(c)
        self.drop = nn.Dropout(c.dropout)
        self.classifier = nn.Linear(c.hidden, num_labels)
        Bert._init(self.classifier)

    def forward(self, ids, mask):
        return self.classifier(self.drop(self.bert(ids, mask)))


class MaskedLM(nn.Module):
    """BERT with the masked-LM head (transform + decoder tied to the word embeddings)."""

    def __init__(self, bert):
        super().__init__()
        c = bert.c
        self.bert = bert
        self.transform = nn.Linear(c.hidden, c.hidden)
        self.norm = nn.LayerNorm(c.hidden, eps=c.eps)
        self.bias = nn.Parameter(torch.zeros(c.vocab_size))
        Bert._init(self.transform)

    def forward(self, ids, mask, positions):
        h = self.bert(ids, mask)[positions]  # [N, H] at the masked positions only
        h = self.norm(F.gelu(self.transform(h)))
        return h @ self.bert.word.weight.t() + self.bias


def hf_state_dict(model):
    """TokenClassifier weights under BertForTokenClassification's names."""
    b = model.bert
    sd = {
        "bert.embeddings.word_embeddings.weight": b.word.weight,
        "bert.embeddings.position_embeddings.weight": b.pos.weight,
        "bert.embeddings.token_type_embeddings.weight": b.token_type.weight,
        "bert.embeddings.LayerNorm.weight": b.emb_norm.weight,
        "bert.embeddings.LayerNorm.bias": b.emb_norm.bias,
        "classifier.weight": model.classifier.weight,
        "classifier.bias": model.classifier.bias,
    }
    for i, l in enumerate(b.layers):
        p = f"bert.encoder.layer.{i}."
        pairs = [("attention.self.query", l.query), ("attention.self.key", l.key),
                 ("attention.self.value", l.value), ("attention.output.dense", l.attn_out),
                 ("attention.output.LayerNorm", l.attn_norm), ("intermediate.dense", l.inter),
                 ("output.dense", l.out), ("output.LayerNorm", l.out_norm)]
        for name, mod in pairs:
            sd[p + name + ".weight"] = mod.weight
            sd[p + name + ".bias"] = mod.bias
    return {k: v.detach() for k, v in sd.items()}


class ModernConfig:
    """A small ModernBERT: pre-LayerNorm without biases, rotary positions, GeGLU, sliding-window
    attention (window `local`) in every layer but those at multiples of `global_every`."""

    def __init__(self, vocab_size, hidden=128, layers=3, heads=2, intermediate=256, max_pos=256,
                 local=16, global_every=3, dropout=0.1, eps=1e-5, local_theta=10000.0, global_theta=160000.0):
        self.vocab_size, self.hidden, self.layers, self.heads = vocab_size, hidden, layers, heads
        self.intermediate, self.max_pos, self.local, self.global_every = intermediate, max_pos, local, global_every
        self.dropout, self.eps, self.local_theta, self.global_theta = dropout, eps, local_theta, global_theta

    def sliding(self, i):
        return i % self.global_every != 0


class NormNoBias(nn.Module):
    """LayerNorm with a scale and no shift (ModernBERT's norm_bias=false); torch 1.13 lacks bias=False."""

    def __init__(self, hidden, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.eps = eps

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.weight, None, self.eps)


def _rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class ModernLayer(nn.Module):
    def __init__(self, c, i):
        super().__init__()
        self.c, self.sliding = c, c.sliding(i)
        self.attn_norm = NormNoBias(c.hidden, c.eps) if i > 0 else nn.Identity()
        self.Wqkv = nn.Linear(c.hidden, 3 * c.hidden, bias=False)
        self.Wo = nn.Linear(c.hidden, c.hidden, bias=False)
        self.mlp_norm = NormNoBias(c.hidden, c.eps)
        self.Wi = nn.Linear(c.hidden, 2 * c.intermediate, bias=False)
        self.Wo_mlp = nn.Linear(c.intermediate, c.hidden, bias=False)
        self.drop = nn.Dropout(c.dropout)
        d = c.hidden // c.heads
        theta = c.local_theta if self.sliding else c.global_theta
        self.register_buffer("inv_freq", 1.0 / theta ** (torch.arange(0, d, 2, dtype=torch.float32) / d),
                             persistent=False)

    def forward(self, x, bias_full, bias_local):
        b, t, h = x.shape
        nh, d = self.c.heads, h // self.c.heads
        qkv = self.Wqkv(self.attn_norm(x)).view(b, t, 3, nh, d)
        q, k, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))  # [B, nh, T, d]
        freqs = torch.arange(t, dtype=torch.float32)[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        q = q * cos + _rotate_half(q) * sin
        k = k * cos + _rotate_half(k) * sin
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + (bias_local if self.sliding else bias_full)
        probs = self.drop(F.softmax(scores, dim=-1))
        ctx = (probs @ v).transpose(1, 2).reshape(b, t, h)
        x = x + self.drop(self.Wo(ctx))
        a, gate = self.Wi(self.mlp_norm(x)).chunk(2, dim=-1)
        return x + self.drop(self.Wo_mlp(self.drop(F.gelu(a) * gate)))


class ModernBert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.word = nn.Embedding(c.vocab_size, c.hidden)
        self.emb_norm = NormNoBias(c.hidden, c.eps)
        self.drop = nn.Dropout(c.dropout)
        self.layers = nn.ModuleList([ModernLayer(c, i) for i in range(c.layers)])
        self.final_norm = NormNoBias(c.hidden, c.eps)
        self.apply(Bert._init)

    def forward(self, ids, mask):
        t = ids.shape[1]
        x = self.drop(self.emb_norm(self.word(ids)))
        neg = torch.finfo(x.dtype).min
        bias_full = (1.0 - mask[:, None, None, :].to(x.dtype)) * neg
        pos = torch.arange(t)
        far = (pos[:, None] - pos[None, :]).abs() > self.c.local // 2
        bias_local = bias_full.masked_fill(far[None, None], neg)
        for layer in self.layers:
            x = layer(x, bias_full, bias_local)
        return self.final_norm(x)


class ModernTokenClassifier(nn.Module):
    def __init__(self, c, num_labels):
        super().__init__()
        self.bert = ModernBert(c)
        self.head_dense = nn.Linear(c.hidden, c.hidden, bias=False)
        self.head_norm = NormNoBias(c.hidden, c.eps)
        self.drop = nn.Dropout(c.dropout)
        self.classifier = nn.Linear(c.hidden, num_labels)
        Bert._init(self.head_dense)
        Bert._init(self.classifier)

    def forward(self, ids, mask):
        h = self.head_norm(F.gelu(self.head_dense(self.bert(ids, mask))))
        return self.classifier(self.drop(h))


def modern_state_dict(model):
    b = model.bert
    sd = {"model.embeddings.tok_embeddings.weight": b.word.weight,
          "model.embeddings.norm.weight": b.emb_norm.weight,
          "model.final_norm.weight": b.final_norm.weight,
          "head.dense.weight": model.head_dense.weight,
          "head.norm.weight": model.head_norm.weight,
          "classifier.weight": model.classifier.weight,
          "classifier.bias": model.classifier.bias}
    for i, l in enumerate(b.layers):
        p = f"model.layers.{i}."
        if i > 0:
            sd[p + "attn_norm.weight"] = l.attn_norm.weight
        sd[p + "attn.Wqkv.weight"] = l.Wqkv.weight
        sd[p + "attn.Wo.weight"] = l.Wo.weight
        sd[p + "mlp_norm.weight"] = l.mlp_norm.weight
        sd[p + "mlp.Wi.weight"] = l.Wi.weight
        sd[p + "mlp.Wo.weight"] = l.Wo_mlp.weight
    return {k: v.detach() for k, v in sd.items()}


def export_state_dict(model):
    """The model's weights under its Hugging Face class's parameter names."""
    return modern_state_dict(model) if isinstance(model, ModernTokenClassifier) else hf_state_dict(model)


def hf_config(model, cfg):
    """config.json fields of the architecture (labels added by the caller)."""
    if isinstance(model, ModernTokenClassifier):
        types = ["sliding_attention" if cfg.sliding(i) else "full_attention" for i in range(cfg.layers)]
        return {"architectures": ["ModernBertForTokenClassification"], "model_type": "modernbert",
                "vocab_size": cfg.vocab_size, "hidden_size": cfg.hidden, "num_hidden_layers": cfg.layers,
                "num_attention_heads": cfg.heads, "intermediate_size": cfg.intermediate,
                "hidden_activation": "gelu", "max_position_embeddings": cfg.max_pos,
                "norm_eps": cfg.eps, "norm_bias": False, "attention_bias": False, "mlp_bias": False,
                "classifier_bias": False, "classifier_activation": "gelu", "classifier_pooling": "mean",
                "local_attention": cfg.local, "global_attn_every_n_layers": cfg.global_every,
                "layer_types": types, "global_rope_theta": cfg.global_theta,
                "local_rope_theta": cfg.local_theta,
                "embedding_dropout": 0.0, "attention_dropout": 0.0, "mlp_dropout": 0.0,
                "classifier_dropout": 0.0, "initializer_range": 0.02,
                "pad_token_id": 0, "unk_token_id": 1, "cls_token_id": 2, "sep_token_id": 3,
                "mask_token_id": 4, "bos_token_id": 2, "eos_token_id": 3}
    return {"architectures": ["BertForTokenClassification"], "model_type": "bert",
            "vocab_size": cfg.vocab_size, "hidden_size": cfg.hidden, "num_hidden_layers": cfg.layers,
            "num_attention_heads": cfg.heads, "intermediate_size": cfg.intermediate,
            "hidden_act": "gelu", "hidden_dropout_prob": cfg.dropout,
            "attention_probs_dropout_prob": cfg.dropout, "max_position_embeddings": cfg.max_pos,
            "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": cfg.eps,
            "pad_token_id": 0, "position_embedding_type": "absolute", "classifier_dropout": None}
