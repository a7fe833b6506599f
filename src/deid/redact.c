/* redact.c: per-span actions and replacement texts, placeholder numbering, the mapping back to the
 * original values, and the de-identified text; hash maps keep every step linear. */
#include "deid/redact.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "deid/dates.h"
#include "deid/labels.h"
#include "deid/strmap.h"
#include "deid/surrogate.h"
#include "core/buf.h"

#define MAX_SURROGATE_ATTEMPTS 16

/* Three-digit ZIP areas of 20,000 people or fewer (HHS Safe Harbor guidance, 2000 census): their
 * prefix becomes 000. */
static const char *const restricted_zip3[] = {"036", "059", "063", "102", "203", "556", "692", "790", "821",
                                              "823", "830", "831", "878", "879", "884", "890", "893"};

static om_action method_action(openmed_deid_method m) {
    switch (m) {
    case OPENMED_DEID_MASK: return OM_ACT_MASK;
    case OPENMED_DEID_REMOVE: return OM_ACT_REMOVE;
    case OPENMED_DEID_REPLACE: return OM_ACT_REPLACE;
    case OPENMED_DEID_HASH: return OM_ACT_HASH;
    case OPENMED_DEID_SHIFT_DATES: return OM_ACT_SHIFT_DATES;
    case OPENMED_DEID_FORMAT_PRESERVE: return OM_ACT_FORMAT_PRESERVE;
    }
    return OM_ACT_MASK;
}

int om_dates_day_first(const om_span_list *spans, const om_value *values) {
    int dmy = 0, mdy = 0;
    for (size_t k = 0; k < spans->n; k++) {
        if (om_label_class(spans->items[k].label) != OM_PHI_DATE) continue;
        om_date d;
        if (!om_date_parse(values[k].s, values[k].n, 0, &d) || !d.day || !d.month || !d.year) continue;
        int a = 0, b = 0, ndig = 0, year_first = 0; /* the first two numeric fields */
        for (size_t t = 0; t < d.n_tokens && ndig < 2; t++) {
            if (!d.tokens[t].digits) continue;
            if (ndig == 0) {
                a = d.tokens[t].value;
                year_first = d.tokens[t].len == 4;
            } else {
                b = d.tokens[t].value;
            }
            ndig++;
        }
        if (ndig < 2 || year_first) continue;
        if (a > 12 && b <= 12) dmy++;
        else if (b > 12 && a <= 12) mdy++;
    }
    return dmy > 0 && mdy == 0;
}

/* ---------------------------------------------------------------- one replacement */

typedef struct state {
    const om_redact_input *in;
    om_surrogate_ctx sctx;
    om_strmap used;       /* surrogate -> the span whose value owns it */
    om_strmap text_words; /* lower-case words (3+ letters) of the folded text */
} state;

static openmed_status index_words(state *s, openmed_error *err) {
    const char *t = s->in->view;
    size_t n = s->in->view_len;
    char word[64];
    for (size_t i = 0; i < n;) {
        if (!isalnum((unsigned char)t[i])) {
            i++;
            continue;
        }
        size_t j = i, letters = 0;
        while (j < n && isalnum((unsigned char)t[j])) letters += isalpha((unsigned char)t[j++]) != 0;
        if (letters >= 3 && j - i < sizeof word) {
            for (size_t k = i; k < j; k++) word[k - i] = (char)tolower((unsigned char)t[k]);
            if (!om_strmap_put(&s->text_words, word, j - i, 0))
                return om_fail(err, OPENMED_ERR_NO_MEMORY, "deidentify: out of memory");
        }
        i = j;
    }
    return OPENMED_OK;
}

/* Is the word [w, w+n) (lower case) a word of the value? */
static int word_of_value(const om_value *v, const char *w, size_t n) {
    for (size_t i = 0; i + n <= v->n; i++) {
        if (i > 0 && isalnum((unsigned char)v->s[i - 1])) continue;
        if (i + n < v->n && isalnum((unsigned char)v->s[i + n])) continue;
        if (!strncasecmp(v->s + i, w, n)) return 1;
    }
    return 0;
}

/* Does a fake clash: used by another value, or sharing a word (3+ letters) with the text that is
 * not a word of the value itself ("MRN" of "MRN 1234567" may stay)? */
static int clashes(const state *s, size_t k, const char *fake, size_t n) {
    size_t owner;
    if (om_strmap_get(&s->used, fake, n, &owner)) {
        const om_value *a = &s->in->values[owner], *b = &s->in->values[k];
        return !(a->n == b->n && !memcmp(a->s, b->s, a->n) &&
                 !strcmp(s->in->spans->items[owner].label, s->in->spans->items[k].label));
    }
    char word[64];
    for (size_t i = 0; i < n;) {
        if (!isalnum((unsigned char)fake[i])) {
            i++;
            continue;
        }
        size_t j = i, letters = 0;
        while (j < n && isalnum((unsigned char)fake[j])) letters += isalpha((unsigned char)fake[j++]) != 0;
        if (letters >= 3 && j - i < sizeof word) {
            for (size_t c = i; c < j; c++) word[c - i] = (char)tolower((unsigned char)fake[c]);
            size_t ignored;
            if (om_strmap_get(&s->text_words, word, j - i, &ignored) && !word_of_value(&s->in->values[k], word, j - i))
                return 1;
        }
        i = j;
    }
    return 0;
}

/* replace / format_preserve: a fake that clashes with nothing, else the placeholder. */
static openmed_status fake(state *s, size_t k, int shape, om_buf *out, openmed_error *err) {
    const om_pii_span *sp = &s->in->spans->items[k];
    const om_value *v = &s->in->values[k];
    for (unsigned attempt = 0; attempt < MAX_SURROGATE_ATTEMPTS; attempt++) {
        out->len = 0;
        openmed_status st = shape ? om_pii_format_preserve(&s->sctx, sp->label, v->s, v->n, attempt, out, err)
                                  : om_pii_surrogate(&s->sctx, sp->label, v->s, v->n, attempt, out, err);
        if (st != OPENMED_OK) return st;
        if (out->failed) return om_fail(err, OPENMED_ERR_NO_MEMORY, "deidentify: out of memory");
        const char *got = out->len ? out->data : "";
        if (got[0] == '[') return OPENMED_OK; /* a placeholder: nothing to clash */
        if (!clashes(s, k, got, out->len)) {
            if (!om_strmap_put(&s->used, got, out->len, k)) return om_fail(err, OPENMED_ERR_NO_MEMORY, "deidentify: out of memory");
            return OPENMED_OK;
        }
    }
    out->len = 0;
    om_buf_printf(out, "[%s]", sp->label);
    return OPENMED_OK;
}

static openmed_status shifted_date(const state *s, size_t k, om_buf *out) {
    const om_value *v = &s->in->values[k];
    om_date d;
    if (!om_date_parse(v->s, v->n, s->sctx.day_first, &d) || !d.year || !d.month || !d.day) {
        om_buf_puts(out, "[DATE_SHIFTED]");
        return OPENMED_OK;
    }
    int year = d.year, month = d.month, day = d.day;
    om_date_add_days(&year, &month, &day, s->in->shift_days);
    if (s->sctx.keep_year) {
        year = d.year;
        if (day > om_days_in_month(year, month)) day = om_days_in_month(year, month);
    }
    om_date_render(&d, v->s, v->n, year, month, day, out);
    return OPENMED_OK;
}

/* The first whole number of the value, -1 without one. */
static long first_number(const om_value *v) {
    for (size_t i = 0; i < v->n; i++) {
        if (!isdigit((unsigned char)v->s[i])) continue;
        long x = 0;
        for (size_t j = i; j < v->n && isdigit((unsigned char)v->s[j]) && x < 100000; j++) x = x * 10 + (v->s[j] - '0');
        return x;
    }
    return -1;
}

static openmed_status replacement(state *s, size_t k, om_action *action, om_buf *out, openmed_error *err) {
    const om_redact_input *in = s->in;
    const om_pii_span *sp = &in->spans->items[k];
    const om_value *v = &in->values[k];
    om_phi_class cls = om_label_class(sp->label);
    om_action a = om_policy_action(in->options->policy, sp->label);
    if (a == OM_ACT_METHOD) a = method_action(in->options->method);
    if (a == OM_ACT_SHIFT_DATES && cls != OM_PHI_DATE) a = OM_ACT_MASK;
    if (a == OM_ACT_AGE_OVER_89) { /* ages under 90 stay; unreadable ones are masked */
        long age = first_number(v);
        if (age < 0) a = OM_ACT_MASK;
        else if (age < 90) a = OM_ACT_KEEP;
    }
    if (a == OM_ACT_ZIP3) {
        int zip = (v->n == 5 || (v->n == 10 && v->s[5] == '-'));
        for (size_t i = 0; i < v->n && zip; i++) zip = i == 5 ? v->s[i] == '-' : isdigit((unsigned char)v->s[i]) != 0;
        if (!zip) a = OM_ACT_MASK;
    }
    *action = a;
    switch (a) {
    case OM_ACT_KEEP:
        om_buf_put(out, in->text + sp->start, sp->end - sp->start);
        return OPENMED_OK;
    case OM_ACT_AGE_OVER_89:
        om_buf_puts(out, "90+");
        return OPENMED_OK;
    case OM_ACT_ZIP3: {
        int restricted = 0;
        for (size_t i = 0; i < sizeof restricted_zip3 / sizeof restricted_zip3[0]; i++)
            restricted |= !memcmp(v->s, restricted_zip3[i], 3);
        om_buf_printf(out, "%.3s**%s", restricted ? "000" : v->s, v->n == 10 ? "-****" : "");
        return OPENMED_OK;
    }
    case OM_ACT_REMOVE:
        if (in->options->keep_mapping) om_buf_printf(out, "[%s_REMOVED]", sp->label);
        return OPENMED_OK;
    case OM_ACT_HASH: {
        unsigned char mac[OM_HMAC_SIZE];
        openmed_status st = om_hmac(in->key, "hash", v->s, v->n, mac, err);
        if (st != OPENMED_OK) return st;
        om_buf_printf(out, "%s_", sp->label);
        for (int i = 0; i < 8; i++) om_buf_printf(out, "%02x", mac[i]);
        return OPENMED_OK;
    }
    case OM_ACT_REPLACE:
        return fake(s, k, 0, out, err);
    case OM_ACT_FORMAT_PRESERVE:
        return fake(s, k, 1, out, err);
    case OM_ACT_SHIFT_DATES:
        return shifted_date(s, k, out);
    case OM_ACT_MASK:
    case OM_ACT_METHOD:
    case OM_ACT_N:
        break;
    }
    *action = OM_ACT_MASK;
    om_buf_printf(out, "[%s]", sp->label);
    return OPENMED_OK;
}

/* ---------------------------------------------------------------- numbering and mapping */

void om_redaction_free(om_redaction *r) {
    for (size_t i = 0; i < r->n_replacements; i++) free(r->replacements[i]);
    free(r->replacements);
    free(r->actions);
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

/* label '\0' value: the key of "the same value of a label". */
static char *label_value_key(const om_pii_span *sp, const om_value *v, size_t *len) {
    size_t l = strlen(sp->label);
    char *key = malloc(l + 1 + v->n + 1);
    if (!key) return NULL;
    memcpy(key, sp->label, l + 1);
    memcpy(key + l + 1, v->s, v->n);
    *len = l + 1 + v->n;
    return key;
}

/* "[LABEL]" -> "[LABEL_2]" for the second and later values of a label; the same value again gets
 * its first placeholder. */
static openmed_status number_placeholders(const om_redact_input *in, om_redaction *r, openmed_error *err) {
    om_strmap first = {0}, per_label = {0};
    openmed_status st = OPENMED_OK;
    for (size_t k = 0; k < in->spans->n && st == OPENMED_OK; k++) {
        if (!is_placeholder(r->replacements[k])) continue;
        const om_pii_span *sp = &in->spans->items[k];
        size_t klen, earlier, count = 0;
        char *key = label_value_key(sp, &in->values[k], &klen);
        if (!key) {
            st = om_fail(err, OPENMED_ERR_NO_MEMORY, "deidentify: out of memory");
            break;
        }
        if (om_strmap_get(&first, key, klen, &earlier)) { /* the same value again: the same placeholder */
            char *copy = strdup(r->replacements[earlier]);
            if (!copy) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "deidentify: out of memory");
            else {
                free(r->replacements[k]);
                r->replacements[k] = copy;
            }
        } else {
            om_strmap_get(&per_label, sp->label, strlen(sp->label), &count);
            count++;
            if (!om_strmap_put(&first, key, klen, k) || !om_strmap_put(&per_label, sp->label, strlen(sp->label), count))
                st = om_fail(err, OPENMED_ERR_NO_MEMORY, "deidentify: out of memory");
            if (st == OPENMED_OK && count >= 2) {
                size_t len = strlen(r->replacements[k]); /* "[...]" */
                char *numbered = malloc(len + 24);
                if (!numbered) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "deidentify: out of memory");
                else {
                    snprintf(numbered, len + 24, "%.*s_%zu]", (int)(len - 1), r->replacements[k], count);
                    free(r->replacements[k]);
                    r->replacements[k] = numbered;
                }
            }
        }
        free(key);
    }
    om_strmap_free(&first);
    om_strmap_free(&per_label);
    return st;
}

static openmed_status build_mapping(const om_redact_input *in, om_redaction *r, openmed_error *err) {
    r->mapping = calloc(in->spans->n ? in->spans->n : 1, sizeof *r->mapping);
    if (!r->mapping) return om_fail(err, OPENMED_ERR_NO_MEMORY, "deidentify: out of memory");
    om_strmap entry = {0}, seen = {0}; /* replacement -> its plain mapping entry; -> occurrences so far */
    openmed_status st = OPENMED_OK;
    for (size_t k = 0; k < in->spans->n && st == OPENMED_OK; k++) {
        const om_pii_span *sp = &in->spans->items[k];
        const char *key = r->replacements[k];
        size_t klen = strlen(key), m, occurrences = 0;
        if (r->actions[k] == OM_ACT_KEEP || klen == 0) continue;
        om_strmap_get(&seen, key, klen, &occurrences);
        if (!om_strmap_put(&seen, key, klen, occurrences + 1)) {
            st = om_fail(err, OPENMED_ERR_NO_MEMORY, "deidentify: out of memory");
            break;
        }
        const char *orig = in->text + sp->start;
        size_t olen = sp->end - sp->start;
        int plain = !om_strmap_get(&entry, key, klen, &m);
        if (!plain && strlen(r->mapping[m].original) == olen && !memcmp(r->mapping[m].original, orig, olen)) continue;
        char *redacted, *original = strndup(orig, olen);
        if (plain) {
            redacted = strdup(key);
        } else {
            size_t size = klen + 48;
            redacted = malloc(size);
            if (redacted) snprintf(redacted, size, "__openmed_occurrence_v1__:%08zu:%s", occurrences, key);
        }
        if (!redacted || !original || (plain && !om_strmap_put(&entry, key, klen, r->n_mapping))) {
            free(redacted);
            free(original);
            st = om_fail(err, OPENMED_ERR_NO_MEMORY, "deidentify: out of memory");
            break;
        }
        r->mapping[r->n_mapping].redacted = redacted;
        r->mapping[r->n_mapping].original = original;
        r->n_mapping++;
    }
    om_strmap_free(&entry);
    om_strmap_free(&seen);
    return st;
}

/* ---------------------------------------------------------------- the whole text */

openmed_status om_pii_redact(const om_redact_input *in, om_redaction *out, openmed_error *err) {
    memset(out, 0, sizeof *out);
    const om_span_list *spans = in->spans;
    const openmed_deid_options *o = in->options;
    state s = {in, {in->key, o->keep_year || (o->policy && o->policy->keep_year), 0}, {0}, {0}};
    s.sctx.day_first = om_dates_day_first(spans, in->values);
    openmed_status st = index_words(&s, err);
    om_buf buf;
    om_buf_init(&buf);
    out->replacements = calloc(spans->n ? spans->n : 1, sizeof *out->replacements);
    out->actions = calloc(spans->n ? spans->n : 1, sizeof *out->actions);
    if (st == OPENMED_OK && (!out->replacements || !out->actions))
        st = om_fail(err, OPENMED_ERR_NO_MEMORY, "deidentify: out of memory");
    for (size_t k = 0; k < spans->n && st == OPENMED_OK; k++) {
        buf.len = 0;
        st = replacement(&s, k, &out->actions[k], &buf, err);
        if (st != OPENMED_OK) break;
        out->replacements[k] = buf.failed ? NULL : strndup(buf.len ? buf.data : "", buf.len);
        if (!out->replacements[k]) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "deidentify: out of memory");
        else out->n_replacements++;
    }
    if (st == OPENMED_OK && o->keep_mapping) st = number_placeholders(in, out, err);
    if (st == OPENMED_OK && o->keep_mapping) st = build_mapping(in, out, err);
    if (st == OPENMED_OK) {
        buf.len = 0;
        size_t at = 0;
        for (size_t k = 0; k < spans->n; k++) {
            om_buf_put(&buf, in->text + at, spans->items[k].start - at);
            om_buf_puts(&buf, out->replacements[k]);
            at = spans->items[k].end;
        }
        om_buf_put(&buf, in->text + at, in->len - at);
        out->text = buf.failed ? NULL : strndup(buf.len ? buf.data : "", buf.len);
        out->len = buf.len;
        if (!out->text) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "deidentify: out of memory for the de-identified text");
    }
    om_buf_free(&buf);
    om_strmap_free(&s.used);
    om_strmap_free(&s.text_words);
    if (st != OPENMED_OK) om_redaction_free(out);
    return st;
}
