/* lists.c: the caller's deny list (terms always redacted, a detector) and allow list (terms never
 * redacted, applied to the joined spans); both match whole words, ignoring ASCII case. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "deid/deid.h"
#include "deid/detector.h"

static int is_word_byte(unsigned char c) { return isalnum(c) || c >= 0x80; }

openmed_status om_detect_deny(const om_detect_input *in, om_span_list *out, openmed_error *err) {
    const openmed_deid_options *o = in->options;
    if (!o->n_deny_list) return OPENMED_OK;
    const char *t = in->view->text;
    size_t n = in->view->len;
    char *lower = malloc(n + 1);
    if (!lower) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory for the deny list");
    for (size_t i = 0; i < n; i++) lower[i] = (char)tolower((unsigned char)t[i]);
    openmed_status st = OPENMED_OK;
    for (size_t k = 0; k < o->n_deny_list && st == OPENMED_OK; k++) {
        size_t m = strlen(o->deny_list[k]);
        char *term = malloc(m + 1);
        if (!term) {
            st = om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory for the deny list");
            break;
        }
        for (size_t i = 0; i <= m; i++) term[i] = (char)tolower((unsigned char)o->deny_list[k][i]);
        for (const char *p = m ? memmem(lower, n, term, m) : NULL; p && st == OPENMED_OK;
             p = memmem(p + 1, n - (size_t)(p + 1 - lower), term, m)) {
            size_t b0 = (size_t)(p - lower), b1 = b0 + m;
            if ((b0 > 0 && is_word_byte((unsigned char)lower[b0 - 1]) && is_word_byte((unsigned char)term[0])) ||
                (b1 < n && is_word_byte((unsigned char)lower[b1]) && is_word_byte((unsigned char)term[m - 1])))
                continue;
            om_pii_span s = {b0, b1, "CUSTOM", 1.0f, OM_SRC_DENY};
            st = om_span_list_push(out, &s, err);
        }
        free(term);
    }
    free(lower);
    return st;
}

void om_spans_apply_allow_list(const char *text, om_span_list *spans, const openmed_deid_options *o) {
    if (!o->n_allow_list) return;
    size_t kept = 0;
    for (size_t k = 0; k < spans->n; k++) {
        const om_pii_span *s = &spans->items[k];
        int allowed = 0;
        if (!(s->source & OM_SRC_DENY))
            for (size_t a = 0; a < o->n_allow_list && !allowed; a++)
                allowed = strlen(o->allow_list[a]) == s->end - s->start &&
                          !strncasecmp(o->allow_list[a], text + s->start, s->end - s->start);
        if (!allowed) spans->items[kept++] = *s;
    }
    spans->n = kept;
}
