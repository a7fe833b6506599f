/* regex.c: PCRE2 patterns compiled once per process (JIT when available) and run over a text. */
#include "deid/regex.h"

#include <pthread.h>

#include "core/error.h"

static pthread_mutex_t compile_lock = PTHREAD_MUTEX_INITIALIZER;

static openmed_status compiled(om_regex *re, const char *what, pcre2_code **out, openmed_error *err) {
    pcre2_code *code = __atomic_load_n((pcre2_code **)&re->code, __ATOMIC_ACQUIRE);
    if (code) {
        *out = code;
        return OPENMED_OK;
    }
    openmed_status st = OPENMED_OK;
    pthread_mutex_lock(&compile_lock);
    code = re->code;
    if (!code) {
        int rc;
        PCRE2_SIZE where;
        code = pcre2_compile((PCRE2_SPTR)re->pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | re->flags, &rc, &where, NULL);
        if (!code) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            st = om_fail(err, OPENMED_ERR_INTERNAL, "pii: the %s pattern does not compile at %zu: %s", what,
                         (size_t)where, (const char *)msg);
        } else {
            (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* without a JIT pcre2_match interprets */
            __atomic_store_n((pcre2_code **)&re->code, code, __ATOMIC_RELEASE);
        }
    }
    pthread_mutex_unlock(&compile_lock);
    *out = code;
    return st;
}

openmed_status om_regex_each(om_regex *re, const char *what, const char *text, size_t n, om_regex_fn fn, void *ctx,
                             openmed_error *err) {
    pcre2_code *code = NULL;
    openmed_status st = compiled(re, what, &code, err);
    if (st != OPENMED_OK) return st;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    if (!md) return om_fail(err, OPENMED_ERR_NO_MEMORY, "pii: out of memory matching the %s pattern", what);
    size_t at = 0;
    while (at <= n && st == OPENMED_OK) {
        int rc = pcre2_match(code, (PCRE2_SPTR)text, n, at, PCRE2_NO_UTF_CHECK, md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            st = om_fail(err, OPENMED_ERR_INTERNAL, "pii: matching the %s pattern failed (PCRE2 error %d)", what, rc);
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        om_regex_match m = {ov[0], ov[1], (const size_t *)ov, (size_t)rc};
        if (ov[1] < ov[0]) m.end = m.start; /* \K after a lookahead: treat as empty */
        if (m.end > m.start) st = fn(text, n, &m, ctx, err);
        /* go on after the match; an empty match moves one code point */
        at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        while (at < n && ((unsigned char)text[at] & 0xC0) == 0x80) at++;
    }
    pcre2_match_data_free(md);
    return st;
}
