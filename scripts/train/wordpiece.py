"""wordpiece.py: a small Python BERT tokenizer (BertNormalizer, BertPreTokenizer, WordPiece) used
to build the bundled models' vocabulary and to cross-check `openmed tokenize`; offsets are code
points of the caller's text, as Hugging Face reports them."""
import json
import unicodedata


def _is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Cn", "Co", "Cs")


def _is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def normalize(text, lowercase=True):
    """Returns [(normalized_char, original_index)] per BertNormalizer (clean text, CJK padding,
    accent stripping and lowercasing when lowercase is set)."""
    out = []
    for i, ch in enumerate(text):
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        if _is_whitespace(ch):
            out.append((" ", i))
            continue
        if _is_cjk(cp):
            out.extend([(" ", i), (ch, i), (" ", i)])
            continue
        if lowercase:
            for c in unicodedata.normalize("NFD", ch):
                if unicodedata.category(c) == "Mn":
                    continue
                for lc in c.lower():
                    out.append((lc, i))
        else:
            out.append((ch, i))
    return out


def pre_tokenize(chars):
    """Splits normalized chars on whitespace (dropped) and punctuation (isolated)."""
    words, cur = [], []
    for c, i in chars:
        if _is_whitespace(c):
            if cur:
                words.append(cur)
                cur = []
        elif _is_punct(c):
            if cur:
                words.append(cur)
                cur = []
            words.append([(c, i)])
        else:
            cur.append((c, i))
    if cur:
        words.append(cur)
    return words


class WordPiece:
    def __init__(self, vocab, unk="[UNK]", prefix="##", max_chars=100, lowercase=True):
        self.vocab = vocab  # token -> id
        self.unk, self.prefix, self.max_chars, self.lowercase = unk, prefix, max_chars, lowercase

    @classmethod
    def from_tokenizer_json(cls, path):
        j = json.load(open(path, encoding="utf-8"))
        m = j["model"]
        return cls(m["vocab"], m.get("unk_token", "[UNK]"), m.get("continuing_subword_prefix", "##"),
                   m.get("max_input_chars_per_word", 100), j["normalizer"].get("lowercase", True))

    def word_pieces(self, word):
        """word: str. Returns list of (piece, start_char, end_char) relative to the word or None."""
        if len(word) > self.max_chars:
            return None
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                sub = word[start:end]
                if start > 0:
                    sub = self.prefix + sub
                if sub in self.vocab:
                    found = sub
                    break
                end -= 1
            if found is None:
                return None
            pieces.append((found, start, end))
            start = end
        return pieces

    def encode(self, text, specials=True):
        """Returns (tokens, ids, offsets) with [CLS]/[SEP] (offsets (0,0)) when specials."""
        toks, offs = [], []
        for w in pre_tokenize(normalize(text, self.lowercase)):
            s = "".join(c for c, _ in w)
            pieces = self.word_pieces(s)
            if pieces is None:
                toks.append(self.unk)
                offs.append((w[0][1], w[-1][1] + 1))
                continue
            for p, a, b in pieces:
                toks.append(p)
                offs.append((w[a][1], w[b - 1][1] + 1))
        if specials:
            toks = ["[CLS]"] + toks + ["[SEP]"]
            offs = [(0, 0)] + offs + [(0, 0)]
        ids = [self.vocab.get(t, self.vocab.get(self.unk)) for t in toks]
        return toks, ids, offs
