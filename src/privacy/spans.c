/* spans.c: privacy-filter entity spans: grapheme snapping, whitespace trimming, refinement (spans.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "privacy/spans.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/error.h"

/* ---------------------------------------------------------------- whitespace trimming */

static int is_extend_or_zwj(int32_t c) {
    utf8proc_category_t cat = utf8proc_category(c);
    return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_ME || c == 0x200C || c == 0x200D ||
           (c >= 0x1F3FB && c <= 0x1F3FF) || (c >= 0xE0020 && c <= 0xE007F);
}

/* A cluster is whitespace when it has a space and nothing but spaces, marks and joiners. */
static int cluster_is_whitespace(const om_cp_text *t, int64_t a, int64_t b) {
    int saw_space = 0;
    for (int64_t k = a; k < b; k++) {
        if (om_cp_is_space(t->cp[k])) saw_space = 1;
        else if (!is_extend_or_zwj(t->cp[k])) return 0;
    }
    return saw_space;
}

void om_trim_span_whitespace(const om_cp_text *t, int64_t *start, int64_t *end) {
    om_snap_to_graphemes(t, start, end);
    int64_t s = *start, e = *end;
    while (s < e) {
        int64_t c = s + 1;
        while (c < e && !t->brk[c]) c++;
        if (!cluster_is_whitespace(t, s, c)) break;
        s = c;
    }
    while (e > s) {
        int64_t c = e - 1;
        while (c > s && !t->brk[c]) c--;
        if (!cluster_is_whitespace(t, c, e)) break;
        e = c;
    }
    *start = s;
    *end = e;
}

/* ---------------------------------------------------------------- scripts (OpenMed script_detect) */

typedef enum script {
    SCRIPT_NONE = 0, /* neutral: digits, punctuation, spaces, unlisted letters */
    SCRIPT_LATIN,
    SCRIPT_CJK_HAN,
    SCRIPT_CJK_KANA,
    SCRIPT_CJK_HANGUL,
    SCRIPT_INDIC_FIRST, /* one value per Indic script from here */
    SCRIPT_INDIC_LAST = SCRIPT_INDIC_FIRST + 8,
    SCRIPT_OTHER_FIRST, /* Arabic, Ethiopic, Cyrillic, Greek, Hebrew, Thai */
    SCRIPT_OTHER_LAST = SCRIPT_OTHER_FIRST + 5
} script;

static int is_cjk(script s) { return s == SCRIPT_CJK_HAN || s == SCRIPT_CJK_KANA || s == SCRIPT_CJK_HANGUL; }
static int is_indic(script s) { return s >= SCRIPT_INDIC_FIRST && s <= SCRIPT_INDIC_LAST; }

static script script_of(int32_t c) {
    static const struct {
        int32_t lo, hi;
        script s;
    } ranges[] = {
        {0x0041, 0x005A, SCRIPT_LATIN}, {0x0061, 0x007A, SCRIPT_LATIN}, {0x00C0, 0x024F, SCRIPT_LATIN},
        {0x1E00, 0x1EFF, SCRIPT_LATIN}, {0x2C60, 0x2C7F, SCRIPT_LATIN}, {0xA720, 0xA7FF, SCRIPT_LATIN},
        {0xAB30, 0xAB6F, SCRIPT_LATIN}, {0xFF21, 0xFF3A, SCRIPT_LATIN}, {0xFF41, 0xFF5A, SCRIPT_LATIN},
        {0x0600, 0x06FF, SCRIPT_OTHER_FIRST}, {0x0750, 0x077F, SCRIPT_OTHER_FIRST},
        {0x08A0, 0x08FF, SCRIPT_OTHER_FIRST}, {0xFB50, 0xFDFF, SCRIPT_OTHER_FIRST},
        {0xFE70, 0xFEFF, SCRIPT_OTHER_FIRST}, {0x1200, 0x139F, SCRIPT_OTHER_FIRST + 1},
        {0x2D80, 0x2DDF, SCRIPT_OTHER_FIRST + 1}, {0xAB00, 0xAB2F, SCRIPT_OTHER_FIRST + 1},
        {0x1E7E0, 0x1E7FF, SCRIPT_OTHER_FIRST + 1}, {0x3400, 0x4DBF, SCRIPT_CJK_HAN},
        {0x4E00, 0x9FFF, SCRIPT_CJK_HAN}, {0xF900, 0xFAFF, SCRIPT_CJK_HAN}, {0x20000, 0x323AF, SCRIPT_CJK_HAN},
        {0x3040, 0x30FF, SCRIPT_CJK_KANA}, {0x31F0, 0x31FF, SCRIPT_CJK_KANA}, {0x1B000, 0x1B16F, SCRIPT_CJK_KANA},
        {0xFF65, 0xFF9F, SCRIPT_CJK_KANA}, {0x1100, 0x11FF, SCRIPT_CJK_HANGUL}, {0x3130, 0x318F, SCRIPT_CJK_HANGUL},
        {0xA960, 0xA97F, SCRIPT_CJK_HANGUL}, {0xAC00, 0xD7FF, SCRIPT_CJK_HANGUL},
        {0x0400, 0x052F, SCRIPT_OTHER_FIRST + 2}, {0x1C80, 0x1C8F, SCRIPT_OTHER_FIRST + 2},
        {0x2DE0, 0x2DFF, SCRIPT_OTHER_FIRST + 2}, {0xA640, 0xA69F, SCRIPT_OTHER_FIRST + 2},
        {0x0900, 0x097F, SCRIPT_INDIC_FIRST}, {0xA8E0, 0xA8FF, SCRIPT_INDIC_FIRST},
        {0x11B00, 0x11B5F, SCRIPT_INDIC_FIRST}, {0x0980, 0x09FF, SCRIPT_INDIC_FIRST + 1},
        {0x0A00, 0x0A7F, SCRIPT_INDIC_FIRST + 2}, {0x0A80, 0x0AFF, SCRIPT_INDIC_FIRST + 3},
        {0x0B00, 0x0B7F, SCRIPT_INDIC_FIRST + 4}, {0x0B80, 0x0BFF, SCRIPT_INDIC_FIRST + 5},
        {0x0C00, 0x0C7F, SCRIPT_INDIC_FIRST + 6}, {0x0C80, 0x0CFF, SCRIPT_INDIC_FIRST + 7},
        {0x0D00, 0x0D7F, SCRIPT_INDIC_FIRST + 8}, {0x0370, 0x03FF, SCRIPT_OTHER_FIRST + 3},
        {0x1F00, 0x1FFF, SCRIPT_OTHER_FIRST + 3}, {0x0590, 0x05FF, SCRIPT_OTHER_FIRST + 4},
        {0xFB1D, 0xFB4F, SCRIPT_OTHER_FIRST + 4}, {0x0E00, 0x0E7F, SCRIPT_OTHER_FIRST + 5},
    };
    if (c == 0x3007) return SCRIPT_CJK_HAN;
    if (c >= 0x1E7E0 && c <= 0x1E7FF) return SCRIPT_OTHER_FIRST + 1;
    utf8proc_category_t cat = utf8proc_category(c);
    int letter_or_mark = (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
                         (cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME);
    if (!letter_or_mark) return SCRIPT_NONE;
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (c >= ranges[i].lo && c <= ranges[i].hi) return ranges[i].s;
    return SCRIPT_NONE;
}

/* Runs of one script over [a, b); neutral code points join the run around them (a text with no
 * script at all is one neutral run). Returns the number of runs written to run_* (capacity b-a+1). */
static int64_t script_runs(const om_cp_text *t, int64_t a, int64_t b, int64_t *run_start, int64_t *run_end,
                           script *run_script) {
    int64_t n = 0, start = a;
    script cur = SCRIPT_NONE;
    for (int64_t k = a; k < b; k++) {
        script s = script_of(t->cp[k]);
        if (s == SCRIPT_NONE || s == cur) continue;
        if (cur == SCRIPT_NONE) {
            cur = s;
            continue;
        }
        run_start[n] = start, run_end[n] = k, run_script[n] = cur, n++;
        start = k, cur = s;
    }
    run_start[n] = start, run_end[n] = b, run_script[n] = cur, n++;
    return n;
}

/* ---------------------------------------------------------------- structured-PII patterns */

static const char *const pattern_hint[3] = {"email", "url", "phone"};
static const char *const pattern_regex[3] = {
    "\\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}\\b",
    "\\b(?:https?://|www\\.)[^\\s,;)\\]]+",
    "(?:\\+?1[\\s.-]?)?(?:\\(?\\d{3}\\)?[\\s.-]?)\\d{3}[\\s.-]?\\d{4}",
};

/* Code point index of a byte offset inside the text. */
static int64_t cp_at_byte(const om_cp_text *t, int64_t lo, size_t byte) {
    while (lo < t->n && t->byte_at[lo] < byte) lo++;
    return lo;
}

/* First match of `re` in code points [a, b): 1 and its [*ms, *me) in code points, 0 if none. */
static int search(const om_cp_text *t, pcre2_code *re, pcre2_match_data *md, int64_t a, int64_t b, int64_t *ms,
                  int64_t *me) {
    size_t off = t->byte_at[a];
    int rc = pcre2_match(re, (PCRE2_SPTR)(t->utf8 + off), t->byte_at[b] - off, 0, PCRE2_NO_UTF_CHECK, md, NULL);
    if (rc < 0) return 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    *ms = cp_at_byte(t, a, off + ov[0]);
    *me = cp_at_byte(t, *ms, off + ov[1]);
    return 1;
}

static int find_structured_match(const om_cp_text *t, pcre2_code *re, pcre2_match_data *md, int64_t a, int64_t b,
                                 const int64_t *rs, const int64_t *re_, const script *rsc, int64_t n_runs,
                                 int64_t *ms, int64_t *me) {
    int guarded = 0;
    for (int64_t r = 0; r < n_runs; r++)
        if (is_cjk(rsc[r]) || is_indic(rsc[r])) guarded = 1;
    if (!guarded) return search(t, re, md, a, b, ms, me);
    /* A neighbouring ideograph defeats \b and URLs would swallow it: search Latin runs alone. */
    for (int64_t r = 0; r < n_runs; r++)
        if (rsc[r] == SCRIPT_LATIN && search(t, re, md, rs[r], re_[r], ms, me)) return 1;
    /* Neutral-only matches (digits of a phone number) count when they carry no CJK/Indic letter. */
    if (!search(t, re, md, a, b, ms, me)) return 0;
    for (int64_t k = *ms; k < *me; k++) {
        script s = script_of(t->cp[k]);
        if (is_cjk(s) || is_indic(s)) return 0;
    }
    return 1;
}

static int contains_ci(const char *haystack, const char *needle) {
    size_t n = strlen(needle);
    for (const char *p = haystack; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] && tolower((unsigned char)p[i]) == needle[i]) i++;
        if (i == n) return 1;
    }
    return 0;
}

/* Whether code points [e - len, e) are ASCII `suffix` ignoring case. */
static int ends_with_ci(const om_cp_text *t, int64_t s, int64_t e, const char *suffix) {
    int64_t len = (int64_t)strlen(suffix);
    if (e - s < len) return 0;
    for (int64_t i = 0; i < len; i++) {
        int32_t c = t->cp[e - len + i];
        if (c > 0x7F || tolower(c) != suffix[i]) return 0;
    }
    return 1;
}

openmed_status om_refine_privacy_span(const om_cp_text *t, const char *label, int64_t *start, int64_t *end,
                                      openmed_error *err) {
    om_trim_span_whitespace(t, start, end);
    int64_t s = *start, e = *end;
    int64_t cap = (e - s) + 1;
    int64_t *rs = malloc(sizeof(int64_t) * (size_t)cap * 2);
    script *rsc = malloc(sizeof(script) * (size_t)cap);
    if (!rs || !rsc) {
        free(rs), free(rsc);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "span refinement: out of memory");
    }
    int64_t *re_ = rs + cap;
    int64_t n_runs = script_runs(t, s, e, rs, re_, rsc);
    openmed_status st = OPENMED_OK;

    for (int p = 0; p < 3; p++) {
        if (!contains_ci(label, pattern_hint[p])) continue;
        int code;
        PCRE2_SIZE where;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern_regex[p], PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
                                       &code, &where, NULL);
        pcre2_match_data *md = re ? pcre2_match_data_create_from_pattern(re, NULL) : NULL;
        if (!re || !md) {
            pcre2_code_free(re);
            st = om_fail(err, OPENMED_ERR_INTERNAL, "span refinement: cannot compile the %s pattern (code %d)",
                         pattern_hint[p], code);
            goto done;
        }
        int64_t ms, me;
        int found = find_structured_match(t, re, md, s, e, rs, re_, rsc, n_runs, &ms, &me);
        pcre2_match_data_free(md);
        pcre2_code_free(re);
        if (found) {
            *start = ms, *end = me;
            om_trim_span_whitespace(t, start, end);
            goto done;
        }
    }

    int only_latin = 1, any_indic = 0;
    for (int64_t r = 0; r < n_runs; r++) {
        if (rsc[r] != SCRIPT_LATIN && rsc[r] != SCRIPT_NONE) only_latin = 0;
        if (is_indic(rsc[r])) any_indic = 1;
    }
    if (only_latin || any_indic) {
        if (ends_with_ci(t, s, e, " and")) e -= 4;
        else if (ends_with_ci(t, s, e, " or")) e -= 3;
    }
    *start = s, *end = e;
    om_trim_span_whitespace(t, start, end);
done:
    free(rs), free(rsc);
    return st;
}

/* ---------------------------------------------------------------- entities */

openmed_status om_privacy_entities(const om_bioes_scheme *s, const int32_t *labels, const double *label_prob,
                                   const int64_t (*offsets)[2], int64_t T, const om_cp_text *t,
                                   om_pf_entity **out, int64_t *n_out, openmed_error *err) {
    *out = NULL;
    *n_out = 0;
    if (T <= 0) return OPENMED_OK;
    om_token_span *spans = malloc(sizeof *spans * (size_t)T);
    om_pf_entity *ents = malloc(sizeof *ents * (size_t)T);
    if (!spans || !ents) {
        free(spans), free(ents);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "privacy entities: out of memory for %lld tokens", (long long)T);
    }
    int64_t n_spans = om_bioes_token_spans(s, labels, T, spans), n = 0;
    for (int64_t i = 0; i < n_spans; i++) {
        int64_t a = offsets[spans[i].start][0], b = offsets[spans[i].end - 1][1];
        if (b <= a) continue;
        om_snap_to_graphemes(t, &a, &b);
        om_trim_span_whitespace(t, &a, &b);
        double sum = 0.0;
        for (int64_t k = spans[i].start; k < spans[i].end; k++) sum += label_prob[k];
        openmed_status st = om_refine_privacy_span(t, s->span_names[spans[i].span], &a, &b, err);
        if (st != OPENMED_OK) {
            free(spans), free(ents);
            return st;
        }
        if (b <= a) continue;
        ents[n].span = spans[i].span;
        ents[n].score = sum / (double)(spans[i].end - spans[i].start);
        ents[n].start = a;
        ents[n].end = b;
        n++;
    }
    free(spans);
    *out = ents;
    *n_out = n;
    return OPENMED_OK;
}
