/* redact.c: per-method replacement texts, placeholder numbering, the mapping back to the original
 * values, and the de-identified text. */
#include "deid/redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "deid/dates.h"
#include "deid/surrogate.h"
#include "hub/digest.h"
#include "core/buf.h"

#define MAX_SURROGATE_ATTEMPTS 16

static int same_value(const om_pii_span *a, const om_pii_span *b, const om_value *va, const om_value *vb) {
    return !strcmp(a->label, b->label) && va->n == vb->n && !memcmp(va->s, vb->s, va->n);
}

/* Does s (NUL-terminated) equal, contain or lie inside the n-byte value v (ignoring case)? */
static int clashes(const char *s, const char *v, size_t n) {
    size_t m = strlen(s);
    if (m == 0 || n == 0) return 0;
    const char *shorter = m <= n ? s : v, *longer = m <= n ? v : s;
    size_t ns = m <= n ? m : n, nl = m <= n ? n : m;
    for (size_t i = 0; i + ns <= nl; i++)
        if (!strncasecmp(longer + i, shorter, ns)) return 1;
    return 0;
}

/* A surrogate for span k that clashes with no value of the text (after a few attempts, the last). */
static void surrogate_for(const om_span_list *spans, const om_value *values, size_t k, om_buf *out) {
    const om_pii_span *s = &spans->items[k];
    for (unsigned attempt = 0;; attempt++) {
        out->len = 0;
        om_pii_surrogate(s->label, values[k].s, values[k].n, attempt, out);
        om_buf_put(out, "", 0);
        if (out->failed || attempt + 1 == MAX_SURROGATE_ATTEMPTS) return;
        const char *got = out->len ? out->data : "";
        int clash = 0;
        for (size_t j = 0; j < spans->n && !clash; j++)
            clash = clashes(got, values[j].s, values[j].n);
        if (!clash) return;
    }
}

/* The replacement of span k before numbering. */
static void base_replacement(const om_span_list *spans, const om_value *values, size_t k, openmed_deid_method method,
                             int keep_mapping, int shift_days, om_buf *out) {
    const om_pii_span *s = &spans->items[k];
    const char *v = values[k].s;
    size_t vn = values[k].n;
    switch (method) {
    case OPENMED_DEID_SHIFT_DATES:
        if (om_date_label(s->label)) {
            om_date d;
            if (om_date_parse(v, vn, &d) && d.year && d.month && d.day) {
                om_date_add_days(&d.year, &d.month, &d.day, shift_days);
                om_date_render(&d, v, vn, d.year, d.month, d.day, out);
            } else {
                om_buf_puts(out, "[DATE_SHIFTED]");
            }
        } else {
            om_buf_printf(out, "[%s]", s->label);
        }
        break;
    case OPENMED_DEID_MASK:
        om_buf_printf(out, "[%s]", s->label);
        break;
    case OPENMED_DEID_REMOVE:
        if (keep_mapping) om_buf_printf(out, "[%s_REMOVED]", s->label);
        break;
    case OPENMED_DEID_HASH: {
        char hex[65];
        om_sha256_hex(v, vn, hex);
        om_buf_printf(out, "%s_%.8s", s->label, hex);
        break;
    }
    case OPENMED_DEID_REPLACE:
        surrogate_for(spans, values, k, out);
        break;
    }
}

void om_redaction_free(om_redaction *r) {
    for (size_t i = 0; i < r->n_replacements; i++) free(r->replacements[i]);
    free(r->replacements);
    for (size_t i = 0; i < r->n_mapping; i++) {
        free((char *)r->mapping[i].redacted);
        free((char *)r->mapping[i].original);
    }
    free(r->mapping);
    free(r->text);
    memset(r, 0, sizeof *r);
}

static int is_placeholder(const char *s) {
    size_t n = strlen(s);
    return n >= 2 && s[0] == '[' && s[n - 1] == ']';
}

/* Number placeholders ("[LABEL]" -> "[LABEL_2]") for the second and later values of a label. */
static openmed_status number_placeholders(const om_span_list *spans, const om_value *values, om_redaction *r,
                                          openmed_error *err) {
    for (size_t k = 0; k < spans->n; k++) {
        const om_pii_span *s = &spans->items[k];
        if (!is_placeholder(r->replacements[k])) continue;
        size_t same = k, ordinal = 1;
        for (size_t j = 0; j < k && same == k; j++)
            if (same_value(&spans->items[j], s, &values[j], &values[k])) same = j;
        if (same != k) { /* the same value again: the same placeholder */
            char *copy = strdup(r->replacements[same]);
            if (!copy) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory");
            free(r->replacements[k]);
            r->replacements[k] = copy;
            continue;
        }
        for (size_t j = 0; j < k; j++) { /* earlier first occurrences of other values of this label */
            int first = 1;
            for (size_t i = 0; i < j && first; i++)
                first = !same_value(&spans->items[i], &spans->items[j], &values[i], &values[j]);
            if (first && !strcmp(spans->items[j].label, s->label) && is_placeholder(r->replacements[j])) ordinal++;
        }
        if (ordinal < 2) continue;
        size_t len = strlen(r->replacements[k]); /* "[...]" */
        char *numbered = malloc(len + 24);
        if (!numbered) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory");
        snprintf(numbered, len + 24, "%.*s_%zu]", (int)(len - 1), r->replacements[k], ordinal);
        free(r->replacements[k]);
        r->replacements[k] = numbered;
    }
    return OPENMED_OK;
}

static openmed_status build_mapping(const char *text, const om_span_list *spans, om_redaction *r,
                                    openmed_error *err) {
    r->mapping = calloc(spans->n ? spans->n : 1, sizeof *r->mapping);
    if (!r->mapping) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory");
    for (size_t k = 0; k < spans->n; k++) {
        const om_pii_span *s = &spans->items[k];
        const char *key = r->replacements[k];
        int seen = 0, collides = 0;
        for (size_t m = 0; m < r->n_mapping && !seen; m++) {
            if (strcmp(r->mapping[m].redacted, key) != 0) continue;
            if (strlen(r->mapping[m].original) == s->end - s->start &&
                !memcmp(r->mapping[m].original, text + s->start, s->end - s->start))
                seen = 1;
            else
                collides = 1;
        }
        if (seen) continue;
        char *redacted, *original = strndup(text + s->start, s->end - s->start);
        if (collides) {
            size_t size = strlen(key) + 48;
            redacted = malloc(size);
            if (redacted) snprintf(redacted, size, "__openmed_occurrence_v1__:%08zu:%s", k, key);
        } else {
            redacted = strdup(key);
        }
        if (!redacted || !original) {
            free(redacted);
            free(original);
            return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory");
        }
        r->mapping[r->n_mapping].redacted = redacted;
        r->mapping[r->n_mapping].original = original;
        r->n_mapping++;
    }
    return OPENMED_OK;
}

openmed_status om_pii_redact(const char *text, size_t n, const om_span_list *spans, const om_value *values,
                             openmed_deid_method method, int keep_mapping, int shift_days, om_redaction *out,
                             openmed_error *err) {
    memset(out, 0, sizeof *out);
    openmed_status st = OPENMED_OK;
    out->replacements = calloc(spans->n ? spans->n : 1, sizeof *out->replacements);
    if (!out->replacements) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory");
    om_buf buf;
    om_buf_init(&buf);
    for (size_t k = 0; k < spans->n; k++) {
        buf.len = 0;
        base_replacement(spans, values, k, method, keep_mapping, shift_days, &buf);
        out->replacements[k] = buf.failed ? NULL : strndup(buf.len ? buf.data : "", buf.len);
        if (!out->replacements[k]) {
            st = om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory");
            goto done;
        }
        out->n_replacements++;
    }
    if (keep_mapping && (method == OPENMED_DEID_MASK || method == OPENMED_DEID_REMOVE ||
                         method == OPENMED_DEID_SHIFT_DATES)) {
        st = number_placeholders(spans, values, out, err);
        if (st != OPENMED_OK) goto done;
    }
    if (keep_mapping) {
        st = build_mapping(text, spans, out, err);
        if (st != OPENMED_OK) goto done;
    }
    buf.len = 0;
    size_t at = 0;
    for (size_t k = 0; k < spans->n; k++) {
        om_buf_put(&buf, text + at, spans->items[k].start - at);
        om_buf_puts(&buf, out->replacements[k]);
        at = spans->items[k].end;
    }
    om_buf_put(&buf, text + at, n - at);
    out->text = buf.failed ? NULL : strndup(buf.len ? buf.data : "", buf.len);
    out->len = buf.len;
    if (!out->text) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory for the de-identified text");
done:
    om_buf_free(&buf);
    if (st != OPENMED_OK) om_redaction_free(out);
    return st;
}
