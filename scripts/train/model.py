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
