/* pattern.c: HF's Pattern (literal string or regex) and its find_matches, on PCRE2 with Unicode properties. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/internal.h"

/* Oniguruma's Unicode \w (HF's regex engine) is Alphabetic, marks, decimal digits, connector punctuation
 * and the joiners; PCRE2's UCP \w is letters, all numbers and underscore (no marks). Spell it out. */
#define ONIG_WORD "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}"

static char *onig_compatible(const char *re) {
    om_buf b = {0};
    int in_class = 0, ok = om_buf_append(&b, "", 0); /* terminated even when re is "" */
    for (size_t i = 0; ok && re[i]; i++) {
        char c = re[i];
        if (c == '\\' && re[i + 1]) {
            char n = re[i + 1];
            if (n == 'w') ok = in_class ? om_buf_append(&b, ONIG_WORD, strlen(ONIG_WORD))
                                        : om_buf_append(&b, "[" ONIG_WORD "]", strlen(ONIG_WORD) + 2);
            else if (n == 'W' && !in_class) ok = om_buf_append(&b, "[^" ONIG_WORD "]", strlen(ONIG_WORD) + 3);
            else ok = om_buf_append(&b, re + i, 2);
            i++;
            continue;
        }
        if (!in_class && c == '[') {
            in_class = 1;
            ok = om_buf_append(&b, re + i, 1);
            /* a leading ^ and a leading ] belong to the class */
            if (re[i + 1] == '^') { ok = ok && om_buf_append(&b, "^", 1); i++; }
            if (re[i + 1] == ']') { ok = ok && om_buf_append(&b, "]", 1); i++; }
            continue;
        }
        if (in_class && c == '[' && re[i + 1] == ':') {
            /* POSIX class [:alpha:] inside a class */
            const char *e = strstr(re + i + 2, ":]");
            if (e) {
                size_t n = (size_t)(e + 2 - (re + i));
                ok = om_buf_append(&b, re + i, n);
                i += n - 1;
                continue;
            }
        }
        if (in_class && c == ']') in_class = 0;
        ok = om_buf_append(&b, re + i, 1);
    }
    if (!ok) { om_buf_free(&b); return NULL; }
    return b.data;
}

openmed_status om_pattern_regex(om_pattern *p, const char *regex, const char *what, openmed_error *err) {
    int code;
    PCRE2_SIZE at;
    memset(p, 0, sizeof *p);
    char *rewritten = onig_compatible(regex);
    if (!rewritten) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: regex", what);
    p->re = pcre2_compile((PCRE2_SPTR)rewritten, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &code, &at, NULL);
    free(rewritten);
    if (!p->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: bad regex at offset %zu: %s", what, (size_t)at, (char *)msg);
    }
    pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE); /* best effort: the interpreter is the fallback */
    p->mctx = pcre2_match_context_create(NULL);
    if (!p->mctx) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: regex", what);
    pcre2_set_match_limit(p->mctx, 5000000);
    pcre2_set_heap_limit(p->mctx, 64 * 1024); /* KiB */
    return OPENMED_OK;
}

openmed_status om_pattern_literal(om_pattern *p, const char *s, openmed_error *err) {
    memset(p, 0, sizeof *p);
    p->literal = om_strdup(s);
    if (!p->literal) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pattern");
    p->literal_len = strlen(s);
    return OPENMED_OK;
}

openmed_status om_pattern_from_json(om_pattern *p, const cJSON *j, const char *what, openmed_error *err) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "String");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "Regex");
    if (cJSON_IsString(s)) return om_pattern_literal(p, s->valuestring, err);
    if (cJSON_IsString(r)) return om_pattern_regex(p, r->valuestring, what, err);
    return om_fail(err, OPENMED_ERR_FORMAT, "%s: pattern must be {\"String\": ...} or {\"Regex\": ...}", what);
}

void om_pattern_free(om_pattern *p) {
    free(p->literal);
    if (p->re) pcre2_code_free(p->re);
    if (p->mctx) pcre2_match_context_free(p->mctx);
    memset(p, 0, sizeof *p);
}

void om_matches_free(om_matches *m) {
    free(m->items);
    memset(m, 0, sizeof *m);
}

static int push(om_matches *m, size_t s, size_t e, int is_match) {
    if (m->count == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        om_match *it = realloc(m->items, cap * sizeof *it);
        if (!it) return 0;
        m->items = it;
        m->cap = cap;
    }
    m->items[m->count++] = (om_match){s, e, is_match};
    return 1;
}

/* Find the next match at or after `from`; returns 1 with [*s, *e), 0 when none, -1 on error. */
static int next_match(const om_pattern *p, const char *str, size_t len, size_t from, pcre2_match_data *md,
                      size_t *s, size_t *e) {
    if (p->literal) {
        if (!p->literal_len) return 0;
        if (from > len || len - from < p->literal_len) return 0;
        const char *f = memmem(str + from, len - from, p->literal, p->literal_len);
        if (!f) return 0;
        *s = (size_t)(f - str);
        *e = *s + p->literal_len;
        return 1;
    }
    int rc = pcre2_match(p->re, (PCRE2_SPTR)str, len, from, PCRE2_NO_UTF_CHECK, md, p->mctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) /* deep backtracking: the interpreter keeps its stack on the heap */
        rc = pcre2_match(p->re, (PCRE2_SPTR)str, len, from, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, p->mctx);
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc < 0) return -1;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    *s = ov[0];
    *e = ov[1];
    return 1;
}

int om_pattern_find(const om_pattern *p, const char *str, size_t len, om_matches *out) {
    out->count = 0;
    if (len == 0) return push(out, 0, 0, 0);
    pcre2_match_data *md = NULL;
    if (p->re) {
        md = pcre2_match_data_create_from_pattern(p->re, NULL);
        if (!md) return 0;
    }
    size_t prev = 0, from = 0;
    int have_last = 0;
    size_t last_end = 0;
    int ok = 1;
    while (from <= len) {
        size_t s, e;
        int r = next_match(p, str, len, from, md, &s, &e);
        if (r < 0) { ok = 0; break; }
        if (r == 0) break;
        if (s == e && have_last && last_end == e) {
            /* Oniguruma's find_iter: no empty match right after the previous match. */
            from += from < len ? (size_t)om_utf8_len((unsigned char)str[from]) : 1;
            continue;
        }
        if (prev != s && !push(out, prev, s, 0)) { ok = 0; break; }
        if (!push(out, s, e, 1)) { ok = 0; break; }
        prev = e;
        have_last = 1;
        last_end = e;
        from = e;
        if (s == e) from += from < len ? (size_t)om_utf8_len((unsigned char)str[from]) : 1;
    }
    if (ok && prev != len) ok = push(out, prev, len, 0);
    if (md) pcre2_match_data_free(md);
    return ok;
}
