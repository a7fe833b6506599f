/* pre_tokenizers.c: HF pre-tokenizers (BertPreTokenizer, ByteLevel, Whitespace, WhitespaceSplit, Metaspace,
 * Split, Punctuation, Digits, CharDelimiterSplit, Sequence) over the flat pre-tokenized string. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/internal.h"

#define GPT2_REGEX "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"

/* ---------------------------------------------------------------- byte-level tables */

static uint32_t g_byte_char[256];
static int g_char_byte[324];
static pthread_once_t g_tables_once = PTHREAD_ONCE_INIT;

static void build_tables(void) {
    for (int i = 0; i < 324; i++) g_char_byte[i] = -1;
    int n = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        g_byte_char[b] = printable ? (uint32_t)b : (uint32_t)(256 + n++);
    }
    for (int b = 0; b < 256; b++) g_char_byte[g_byte_char[b]] = b;
}

static void tables(void) { pthread_once(&g_tables_once, build_tables); }

uint32_t om_bytelevel_char(unsigned char b) { tables(); return g_byte_char[b]; }
int om_bytelevel_byte(uint32_t cp) { tables(); return cp < 324 ? g_char_byte[cp] : -1; }

/* ---------------------------------------------------------------- parsing */

static int parse_behavior(const char *s) {
    if (!s) return -1;
    if (!strcmp(s, "Removed")) return OM_SPLIT_REMOVED;
    if (!strcmp(s, "Isolated")) return OM_SPLIT_ISOLATED;
    if (!strcmp(s, "MergedWithPrevious")) return OM_SPLIT_MERGED_PREV;
    if (!strcmp(s, "MergedWithNext")) return OM_SPLIT_MERGED_NEXT;
    if (!strcmp(s, "Contiguous")) return OM_SPLIT_CONTIGUOUS;
    return -1;
}

openmed_status om_pretokenizer_parse(om_pretokenizer *p, const cJSON *j, openmed_error *err) {
    memset(p, 0, sizeof *p);
    const char *type = om_json_str(j, "type");
    if (!type) return om_fail(err, OPENMED_ERR_FORMAT, "pre_tokenizer: missing \"type\"");
    if (!strcmp(type, "BertPreTokenizer")) {
        p->type = OM_PRE_BERT;
    } else if (!strcmp(type, "ByteLevel")) {
        p->type = OM_PRE_BYTELEVEL;
        p->add_prefix_space = om_json_bool(j, "add_prefix_space", 1);
        p->trim_offsets = om_json_bool(j, "trim_offsets", 1);
        p->use_regex = om_json_bool(j, "use_regex", 1);
        if (p->use_regex) return om_pattern_regex(&p->pattern, GPT2_REGEX, "pre_tokenizer ByteLevel", err);
    } else if (!strcmp(type, "Whitespace")) {
        p->type = OM_PRE_WHITESPACE;
        return om_pattern_regex(&p->pattern, "\\w+|[^\\w\\s]+", "pre_tokenizer Whitespace", err);
    } else if (!strcmp(type, "WhitespaceSplit")) {
        p->type = OM_PRE_WHITESPACE_SPLIT;
    } else if (!strcmp(type, "Metaspace")) {
        p->type = OM_PRE_METASPACE;
        const char *r = om_json_str(j, "replacement");
        if (!r) r = "\xE2\x96\x81";
        size_t k;
        if (!*r || om_utf8_validate(r, strlen(r)) != strlen(r))
            return om_fail(err, OPENMED_ERR_FORMAT, "pre_tokenizer Metaspace: bad \"replacement\"");
        p->replacement = om_utf8_decode(r, 0, &k);
        const char *scheme = om_json_str(j, "prepend_scheme");
        if (scheme) {
            if (!strcmp(scheme, "always")) p->prepend_scheme = OM_PREPEND_ALWAYS;
            else if (!strcmp(scheme, "first")) p->prepend_scheme = OM_PREPEND_FIRST;
            else if (!strcmp(scheme, "never")) p->prepend_scheme = OM_PREPEND_NEVER;
            else return om_fail(err, OPENMED_ERR_FORMAT, "pre_tokenizer Metaspace: unknown prepend_scheme \"%s\"", scheme);
        } else {
            p->prepend_scheme = om_json_bool(j, "add_prefix_space", 1) ? OM_PREPEND_ALWAYS : OM_PREPEND_NEVER;
        }
        p->split = om_json_bool(j, "split", 1);
    } else if (!strcmp(type, "Split")) {
        p->type = OM_PRE_SPLIT;
        p->behavior = parse_behavior(om_json_str(j, "behavior"));
        if (p->behavior < 0) return om_fail(err, OPENMED_ERR_FORMAT, "pre_tokenizer Split: bad \"behavior\"");
        p->invert = om_json_bool(j, "invert", 0);
        return om_pattern_from_json(&p->pattern, cJSON_GetObjectItemCaseSensitive(j, "pattern"), "pre_tokenizer Split", err);
    } else if (!strcmp(type, "Punctuation")) {
        p->type = OM_PRE_PUNCTUATION;
        const char *b = om_json_str(j, "behavior");
        p->behavior = b ? parse_behavior(b) : OM_SPLIT_ISOLATED;
        if (p->behavior < 0) return om_fail(err, OPENMED_ERR_FORMAT, "pre_tokenizer Punctuation: bad \"behavior\"");
    } else if (!strcmp(type, "Digits")) {
        p->type = OM_PRE_DIGITS;
        p->individual_digits = om_json_bool(j, "individual_digits", 0);
    } else if (!strcmp(type, "CharDelimiterSplit")) {
        p->type = OM_PRE_CHAR_DELIMITER;
        const char *d = om_json_str(j, "delimiter");
        size_t k;
        if (!d || !*d || om_utf8_validate(d, strlen(d)) != strlen(d))
            return om_fail(err, OPENMED_ERR_FORMAT, "pre_tokenizer CharDelimiterSplit: bad \"delimiter\"");
        p->delimiter = om_utf8_decode(d, 0, &k);
    } else if (!strcmp(type, "Sequence")) {
        p->type = OM_PRE_SEQUENCE;
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "pretokenizers");
        if (!cJSON_IsArray(list)) return om_fail(err, OPENMED_ERR_FORMAT, "pre_tokenizer Sequence: missing \"pretokenizers\" list");
        int k = cJSON_GetArraySize(list);
        p->children = calloc(k ? (size_t)k : 1, sizeof *p->children);
        if (!p->children) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pre_tokenizer");
        const cJSON *c;
        cJSON_ArrayForEach(c, list) {
            openmed_status st = om_pretokenizer_parse(&p->children[p->nchildren++], c, err);
            if (st) return st;
        }
    } else {
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "unknown pre_tokenizer type \"%s\"", type);
    }
    return OPENMED_OK;
}

void om_pretokenizer_free(om_pretokenizer *p) {
    if (!p) return;
    for (size_t i = 0; i < p->nchildren; i++) om_pretokenizer_free(&p->children[i]);
    free(p->children);
    om_pattern_free(&p->pattern);
    memset(p, 0, sizeof *p);
}

/* ---------------------------------------------------------------- the pre-tokenized string */

int om_pretok_add(om_pretok *p, size_t begin, size_t end, int32_t added_id) {
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        om_split *s = realloc(p->splits, cap * sizeof *s);
        if (!s) return 0;
        p->splits = s;
        p->cap = cap;
    }
    p->splits[p->count++] = (om_split){begin, end, added_id};
    return 1;
}

void om_pretok_free(om_pretok *p) {
    om_nstr_free(&p->text);
    free(p->splits);
    memset(p, 0, sizeof *p);
}

/* Copy in->text[b, e) into out as a new split (empty ranges are dropped, as HF does). */
static int keep(om_pretok *out, const om_pretok *in, size_t b, size_t e, int32_t added) {
    if (b >= e) return 1;
    if (out->inplace) return om_pretok_add(out, b, e, added);
    size_t at = out->text.len;
    if (!om_nstr_copy_range(&out->text, &in->text, b, e)) return 0;
    return om_pretok_add(out, at, out->text.len, added);
}

/* HF NormalizedString::split: apply the behaviour to (range, is_match) pieces relative to `base`. */
static int split_with(om_pretok *out, const om_pretok *in, size_t base, om_match *m, size_t n, int behavior) {
    size_t w = 0;
    switch (behavior) {
    case OM_SPLIT_REMOVED:
        for (size_t i = 0; i < n; i++)
            if (!m[i].is_match && !keep(out, in, base + m[i].start, base + m[i].end, -1)) return 0;
        return 1;
    case OM_SPLIT_ISOLATED:
        for (size_t i = 0; i < n; i++)
            if (!keep(out, in, base + m[i].start, base + m[i].end, -1)) return 0;
        return 1;
    case OM_SPLIT_CONTIGUOUS: {
        int prev = 0;
        for (size_t i = 0; i < n; i++) {
            if (m[i].is_match == prev && w > 0) m[w - 1].end = m[i].end;
            else m[w++] = m[i];
            prev = m[i].is_match;
        }
        break;
    }
    case OM_SPLIT_MERGED_PREV: {
        int prev = 0;
        for (size_t i = 0; i < n; i++) {
            int is = m[i].is_match;
            if (is && !prev && w > 0) m[w - 1].end = m[i].end;
            else m[w++] = m[i];
            prev = is;
        }
        break;
    }
    case OM_SPLIT_MERGED_NEXT: {
        /* walk backwards, merging each match into the piece after it */
        om_match *acc = malloc((n ? n : 1) * sizeof *acc);
        if (!acc) return 0;
        size_t cnt = 0;
        int prev = 0, ok = 1;
        for (size_t i = n; i-- > 0;) {
            if (m[i].is_match && !prev && cnt > 0) acc[cnt - 1].start = m[i].start;
            else acc[cnt++] = m[i];
            prev = m[i].is_match;
        }
        for (size_t i = cnt; ok && i-- > 0;) ok = keep(out, in, base + acc[i].start, base + acc[i].end, -1);
        free(acc);
        return ok;
    }
    }
    for (size_t i = 0; i < w; i++)
        if (!keep(out, in, base + m[i].start, base + m[i].end, -1)) return 0;
    return 1;
}

/* Char-predicate pattern (HF `impl Pattern for Fn(char) -> bool`): each matching char is one match. */
typedef int (*char_pred)(uint32_t c, const om_pretokenizer *p);

static int char_matches(const char *s, size_t len, char_pred pred, const om_pretokenizer *p, om_matches *m) {
    m->count = 0;
    size_t last = 0, i = 0, k;
    if (!len) {
        om_match z = {0, 0, 0};
        if (m->cap == 0) {
            m->items = malloc(16 * sizeof *m->items);
            if (!m->items) return 0;
            m->cap = 16;
        }
        m->items[m->count++] = z;
        return 1;
    }
    while (i < len) {
        uint32_t c = om_utf8_decode(s, i, &k);
        if (pred(c, p)) {
            if (m->count + 2 > m->cap) {
                size_t cap = m->cap ? m->cap * 2 : 16;
                om_match *it = realloc(m->items, cap * sizeof *it);
                if (!it) return 0;
                m->items = it;
                m->cap = cap;
            }
            if (last < i) m->items[m->count++] = (om_match){last, i, 0};
            m->items[m->count++] = (om_match){i, i + k, 1};
            last = i + k;
        }
        i += k;
    }
    if (len > last) {
        if (m->count + 1 > m->cap) {
            size_t cap = m->cap ? m->cap * 2 : 16;
            om_match *it = realloc(m->items, cap * sizeof *it);
            if (!it) return 0;
            m->items = it;
            m->cap = cap;
        }
        m->items[m->count++] = (om_match){last, len, 0};
    }
    return 1;
}

static int pred_whitespace(uint32_t c, const om_pretokenizer *p) { (void)p; return om_uc_is_whitespace(c); }
static int pred_punct(uint32_t c, const om_pretokenizer *p) { (void)p; return om_uc_is_bert_punctuation(c); }
static int pred_digit(uint32_t c, const om_pretokenizer *p) { (void)p; return om_uc_is_numeric(c); }
static int pred_delim(uint32_t c, const om_pretokenizer *p) { return c == p->delimiter; }

/* BertPreTokenizer in one pass: whitespace removed, each punctuation char isolated. */
static int bert_split(om_pretok *out, const om_pretok *in, const om_split *sp) {
    const char *s = in->text.s;
    size_t i = sp->begin, word = sp->begin, k;
    while (i < sp->end) {
        unsigned char b = (unsigned char)s[i];
        int ws, pu;
        if (b < 0x80) {
            k = 1;
            ws = (b >= 9 && b <= 13) || b == ' ';
            pu = !ws && ((b >= 33 && b <= 47) || (b >= 58 && b <= 64) || (b >= 91 && b <= 96) || (b >= 123 && b <= 126));
        } else {
            uint32_t c = om_utf8_decode(s, i, &k);
            ws = om_uc_is_whitespace(c);
            pu = !ws && om_uc_is_punctuation(c);
        }
        if (ws || pu) {
            if (!keep(out, in, word, i, -1)) return 0;
            if (pu && !keep(out, in, i, i + k, -1)) return 0;
            word = i + k;
        }
        i += k;
    }
    return keep(out, in, word, sp->end, -1);
}

static int push_cp(om_nstr *n, uint32_t c, uint32_t a0, uint32_t a1) {
    char u[4];
    int l = om_utf8_encode(c, u);
    return om_nstr_push(n, u, (size_t)l, a0, a1);
}

/* ByteLevel: optional prefix space, GPT-2 regex split, then every byte -> its printable char. */
static int bytelevel(const om_pretokenizer *p, om_pretok *out, const om_pretok *in, const om_split *sp,
                     om_matches *m, om_nstr *tmp) {
    /* 1. the split's text with the prefix space */
    tmp->len = 0;
    if (p->add_prefix_space && sp->end > sp->begin && in->text.s[sp->begin] != ' ') {
        if (!om_nstr_push(tmp, " ", 1, in->text.a0[sp->begin], in->text.a1[sp->begin])) return 0;
    }
    if (!om_nstr_copy_range(tmp, &in->text, sp->begin, sp->end)) return 0;
    /* 2. the regex pieces (or the whole) */
    size_t npieces;
    if (p->use_regex) {
        if (!om_pattern_find(&p->pattern, tmp->s, tmp->len, m)) return 0;
        npieces = m->count;
    } else {
        m->count = 0;
        npieces = 1;
    }
    for (size_t q = 0; q < npieces; q++) {
        size_t b = p->use_regex ? m->items[q].start : 0, e = p->use_regex ? m->items[q].end : tmp->len;
        if (b >= e) continue;
        size_t at = out->text.len;
        for (size_t i = b; i < e;) {
            size_t k = (size_t)om_utf8_len((unsigned char)tmp->s[i]);
            if (i + k > e) k = e - i;
            uint32_t a0 = tmp->a0[i], a1 = tmp->a1[i];
            for (size_t j = 0; j < k; j++)
                if (!push_cp(&out->text, om_bytelevel_char((unsigned char)tmp->s[i + j]), a0, a1)) return 0;
            i += k;
        }
        if (!om_pretok_add(out, at, out->text.len, -1)) return 0;
    }
    return 1;
}

/* Metaspace: ' ' -> replacement, prepend per scheme, split before each replacement (MergedWithNext). */
static int metaspace(const om_pretokenizer *p, om_pretok *out, const om_pretok *in, const om_split *sp, om_nstr *tmp,
                     om_matches *m) {
    tmp->len = 0;
    const om_nstr *t = &in->text;
    char rep[4];
    int rl = om_utf8_encode(p->replacement, rep);
    for (size_t i = sp->begin; i < sp->end;) {
        if (t->s[i] == ' ') {
            if (!om_nstr_push(tmp, rep, (size_t)rl, t->a0[i], t->a1[i])) return 0;
            i++;
            continue;
        }
        size_t j = i;
        while (j < sp->end && t->s[j] != ' ') j++;
        if (!om_nstr_copy_range(tmp, t, i, j)) return 0;
        i = j;
    }
    int starts = tmp->len >= (size_t)rl && memcmp(tmp->s, rep, (size_t)rl) == 0;
    int do_prepend = 0;
    if (tmp->len && !starts) {
        if (p->prepend_scheme == OM_PREPEND_ALWAYS) do_prepend = 1;
        else if (p->prepend_scheme == OM_PREPEND_FIRST && tmp->a0[0] == 0) do_prepend = 1;
    }
    om_pretok view = {0};
    om_nstr full = {0};
    om_nstr *src = tmp;
    if (do_prepend) {
        if (!om_nstr_push(&full, rep, (size_t)rl, tmp->a0[0], tmp->a1[0]) || !om_nstr_copy_range(&full, tmp, 0, tmp->len)) {
            om_nstr_free(&full);
            return 0;
        }
        src = &full;
    }
    int ok = 1;
    if (!p->split) {
        view.text = *src;
        ok = keep(out, &view, 0, src->len, -1);
    } else {
        om_pattern lit = {0};
        lit.literal = rep;
        lit.literal_len = (size_t)rl;
        ok = om_pattern_find(&lit, src->s, src->len, m);
        view.text = *src;
        if (ok) ok = split_with(out, &view, 0, m->items, m->count, OM_SPLIT_MERGED_NEXT);
    }
    om_nstr_free(&full);
    return ok;
}

static int apply_one(const om_pretokenizer *p, const om_pretok *in, om_pretok *out) {
    out->text.len = 0;
    out->count = 0;
    out->inplace = p->type != OM_PRE_BYTELEVEL && p->type != OM_PRE_METASPACE;
    om_matches m = {0};
    om_nstr tmp = {0};
    int ok = 1;
    for (size_t i = 0; i < in->count && ok; i++) {
        const om_split *sp = &in->splits[i];
        if (sp->added_id >= 0) { ok = keep(out, in, sp->begin, sp->end, sp->added_id); continue; }
        const char *s = in->text.s + sp->begin;
        size_t len = sp->end - sp->begin;
        switch (p->type) {
        case OM_PRE_BERT: ok = bert_split(out, in, sp); break;
        case OM_PRE_WHITESPACE_SPLIT:
            ok = char_matches(s, len, pred_whitespace, p, &m) && split_with(out, in, sp->begin, m.items, m.count, OM_SPLIT_REMOVED);
            break;
        case OM_PRE_PUNCTUATION:
            ok = char_matches(s, len, pred_punct, p, &m) && split_with(out, in, sp->begin, m.items, m.count, p->behavior);
            break;
        case OM_PRE_DIGITS:
            ok = char_matches(s, len, pred_digit, p, &m) &&
                 split_with(out, in, sp->begin, m.items, m.count, p->individual_digits ? OM_SPLIT_ISOLATED : OM_SPLIT_CONTIGUOUS);
            break;
        case OM_PRE_CHAR_DELIMITER:
            ok = char_matches(s, len, pred_delim, p, &m) && split_with(out, in, sp->begin, m.items, m.count, OM_SPLIT_REMOVED);
            break;
        case OM_PRE_WHITESPACE:
            /* split(Invert(re), Removed): keep only the regex matches */
            ok = om_pattern_find(&p->pattern, s, len, &m);
            for (size_t q = 0; ok && q < m.count; q++) m.items[q].is_match = !m.items[q].is_match;
            if (ok) ok = split_with(out, in, sp->begin, m.items, m.count, OM_SPLIT_REMOVED);
            break;
        case OM_PRE_SPLIT:
            ok = om_pattern_find(&p->pattern, s, len, &m);
            if (ok && p->invert)
                for (size_t q = 0; q < m.count; q++) m.items[q].is_match = !m.items[q].is_match;
            if (ok) ok = split_with(out, in, sp->begin, m.items, m.count, p->behavior);
            break;
        case OM_PRE_BYTELEVEL: ok = bytelevel(p, out, in, sp, &m, &tmp); break;
        case OM_PRE_METASPACE: ok = metaspace(p, out, in, sp, &tmp, &m); break;
        default: ok = 0;
        }
    }
    om_matches_free(&m);
    om_nstr_free(&tmp);
    return ok;
}

static void swap(om_pretok *a, om_pretok *b) {
    om_pretok t = *a;
    *a = *b;
    *b = t;
}

int om_pretokenizer_apply(const om_pretokenizer *p, om_pretok *pt, om_pretok *scratch) {
    if (p->type == OM_PRE_SEQUENCE) {
        for (size_t i = 0; i < p->nchildren; i++)
            if (!om_pretokenizer_apply(&p->children[i], pt, scratch)) return 0;
        return 1;
    }
    if (!apply_one(p, pt, scratch)) return 0;
    if (scratch->inplace) {
        /* same text, new splits */
        om_split *s = pt->splits;
        size_t cap = pt->cap;
        pt->splits = scratch->splits;
        pt->count = scratch->count;
        pt->cap = scratch->cap;
        scratch->splits = s;
        scratch->cap = cap;
        scratch->count = 0;
        scratch->inplace = 0;
        return 1;
    }
    swap(pt, scratch);
    return 1;
}
