/* test_deid_adversarial.c: OpenMed's red-team corpus (tests/fixtures/privacy/adversarial_phi.jsonl:
 * zero-width-split and full-width card numbers, a spaced SSN, e-mails with a homoglyph or a
 * combining mark, a valid card after a Luhn-invalid decoy, a day-first date of birth, a role-play
 * request) de-identified without a model by every method, with no policy and with each bundled
 * policy: every letter and digit of every protected value lies inside an entity, and the output
 * keeps none of it by the case's rule: `alnum` (no letter or digit run of the value occurs as a run
 * of the folded output more often than in the rest of the text, e.g. a decoy; for shift_dates a
 * date's whole value instead, a shifted date may keep its year) or `normalized` (the value does not
 * appear in the output after NFKC, mark removal and homoglyph folding of both). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "check.h"
#include "deid/deid.h"
#include "deid/view.h"
#include "leak_check.h" /* leak_check_blank_digests */
#include "openmed.h"

static const char key[] = "adversarial test key";

/* `s` as a reader compares it: the detection view's folding (NFKC, zero-width and format
 * characters removed, digits of every script as ASCII, Latin look-alikes as Latin), then
 * combining marks removed. Caller frees; NULL when out of memory. */
static char *fold(const char *s) {
    om_deid_view v;
    openmed_error err = {0};
    if (om_deid_view_init(&v, s, strlen(s), &err) != OPENMED_OK) return NULL;
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)v.text, (utf8proc_ssize_t)v.len, &out,
                                      UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
    om_deid_view_free(&v);
    return n < 0 ? NULL : (char *)out;
}

static int is_alnum_at(const char *s, size_t i, size_t *len) {
    utf8proc_int32_t c;
    utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i, -1, &c);
    if (n <= 0) {
        *len = 1;
        return 0;
    }
    *len = (size_t)n;
    utf8proc_category_t cat = utf8proc_category(c);
    return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) || cat == UTF8PROC_CATEGORY_ND;
}

/* How often `run` (n bytes) occurs in `hay` as a whole letter-and-digit run (no letter or digit
 * beside it). */
static size_t count_run(const char *hay, const char *run, size_t n) {
    size_t count = 0;
    for (const char *p = hay; (p = strstr(p, run)) != NULL; p++) {
        int before = 0, after = 0;
        if (p > hay) {
            const char *q = p - 1;
            while (q > hay && ((unsigned char)*q & 0xC0) == 0x80) q--;
            size_t l;
            before = is_alnum_at(hay, (size_t)(q - hay), &l);
        }
        size_t l;
        after = p[n] && is_alnum_at(p, n, &l);
        count += !before && !after;
    }
    return count;
}

/* The text with every occurrence of `value` replaced by a space: what a run of the value may
 * legitimately match elsewhere (a Luhn-invalid decoy sharing its digit groups). Caller frees. */
static char *without_value(const char *text, const char *value) {
    size_t n = strlen(text), vlen = strlen(value), k = 0;
    char *out = malloc(n + 1);
    if (!out) return NULL;
    for (size_t i = 0; i < n;) {
        if (vlen && !strncmp(text + i, value, vlen)) {
            out[k++] = ' ';
            i += vlen;
        } else {
            out[k++] = text[i++];
        }
    }
    out[k] = 0;
    return out;
}

/* Every letter and digit of the value's occurrences in `text` lies inside an entity (code points). */
static void check_covered(const char *what, const char *text, const char *value, const openmed_deid_result *r) {
    size_t vlen = strlen(value);
    int found = 0;
    for (const char *p = text; (p = strstr(p, value)) != NULL; p += vlen) {
        found = 1;
        int64_t cp = 0; /* code point index of p */
        for (const char *q = text; q < p; q++) cp += ((unsigned char)*q & 0xC0) != 0x80;
        for (size_t i = 0; i < vlen;) {
            size_t l;
            int alnum = is_alnum_at(p, i, &l);
            int inside = 0;
            for (size_t k = 0; k < r->n_entities && !inside; k++) inside = r->entities[k].start <= cp && cp < r->entities[k].end;
            CHECK_MSG(!alnum || inside, "%s: character %lld of the value is in no entity", what, (long long)cp);
            i += l;
            cp++;
        }
    }
    CHECK_MSG(found, "%s: the protected value is not in the text (fixture broken)", what);
}

static const char *label_of(const cJSON *v) {
    const cJSON *label = cJSON_GetObjectItemCaseSensitive(v, "label");
    return cJSON_IsString(label) ? label->valuestring : "";
}

static void check_case(const cJSON *c, openmed_deid_method method, const openmed_policy *policy) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(c, "text");
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(c, "expected_protected");
    CHECK(cJSON_IsString(id) && cJSON_IsString(text) && cJSON_IsArray(values));
    if (!cJSON_IsString(id) || !cJSON_IsString(text) || !cJSON_IsArray(values)) return;
    openmed_deid_options o;
    openmed_deid_options_init(&o);
    o.method = method;
    o.policy = policy;
    o.secret = (const unsigned char *)key;
    o.secret_len = strlen(key);
    openmed_deid_result *r = NULL;
    openmed_error err = {0};
    static const openmed_entity none[1];
    openmed_status st = om_deid_from_entities(text->valuestring, strlen(text->valuestring), none, 0, &o, 1, &r, &err);
    char what[256];
    snprintf(what, sizeof what, "%s, %s, policy %s", id->valuestring, openmed_deid_method_name(method),
             policy ? openmed_policy_name(policy) : "none");
    CHECK_MSG(st == OPENMED_OK && r, "%s: %s", what, err.message);
    if (st != OPENMED_OK || !r) return;
    char *blanked = leak_check_blank_digests(r->deidentified_text);
    char *out = blanked ? fold(blanked) : NULL;
    CHECK_MSG(out != NULL, "%s: out of memory folding the output", what);
    const cJSON *v;
    cJSON_ArrayForEach(v, values) {
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(v, "value");
        const cJSON *match = cJSON_GetObjectItemCaseSensitive(v, "match");
        CHECK(cJSON_IsString(value) && cJSON_IsString(match));
        if (!out || !cJSON_IsString(value) || !cJSON_IsString(match)) continue;
        check_covered(what, text->valuestring, value->valuestring, r);
        char *fv = fold(value->valuestring);
        CHECK(fv != NULL);
        if (!fv) continue;
        int is_date = strstr(label_of(v), "date") != NULL;
        if (!strcmp(match->valuestring, "normalized") || (is_date && method == OPENMED_DEID_SHIFT_DATES)) {
            /* a shifted date is another valid date: its year (or day) may equal the original's */
            CHECK_MSG(strstr(out, fv) == NULL, "%s: the value survives (folded) in: %s", what, r->deidentified_text);
        } else {
            CHECK_MSG(!strcmp(match->valuestring, "alnum"), "%s: unknown match rule '%s'", what, match->valuestring);
            char *rest = without_value(text->valuestring, value->valuestring);
            char *rest_folded = rest ? fold(rest) : NULL;
            CHECK(rest_folded != NULL);
            for (size_t i = 0; rest_folded && fv[i];) { /* every letter-and-digit run of the folded value */
                size_t l;
                if (!is_alnum_at(fv, i, &l)) {
                    i += l;
                    continue;
                }
                size_t j = i;
                while (fv[j] && is_alnum_at(fv, j, &l)) j += l;
                char run[128];
                snprintf(run, sizeof run, "%.*s", (int)(j - i), fv + i);
                /* no more occurrences than the rest of the text holds */
                CHECK_MSG(count_run(out, run, j - i) <= count_run(rest_folded, run, j - i),
                          "%s: run '%s' of the value survives in: %s", what, run, r->deidentified_text);
                i = j;
            }
            free(rest_folded);
            free(rest);
        }
        free(fv);
    }
    free(out);
    free(blanked);
    openmed_deid_result_free(r);
}

int main(void) {
    const char *path = OM_FIXTURES "/privacy/adversarial_phi.jsonl";
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f) return 1;
    static const openmed_deid_method methods[] = {OPENMED_DEID_MASK, OPENMED_DEID_REMOVE, OPENMED_DEID_REPLACE,
                                                  OPENMED_DEID_HASH, OPENMED_DEID_SHIFT_DATES,
                                                  OPENMED_DEID_FORMAT_PRESERVE};
    static const char *const policy_names[] = {NULL, "hipaa_safe_harbor", "strict"};
    openmed_policy *policies[3] = {NULL, NULL, NULL};
    for (size_t p = 1; p < 3; p++) {
        openmed_error err = {0};
        CHECK_MSG(openmed_policy_load(policy_names[p], &policies[p], &err) == OPENMED_OK, "%s", err.message);
    }
    char line[8192];
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '\n') continue;
        cJSON *c = cJSON_Parse(line);
        CHECK_MSG(c != NULL, "%s: line %d is not JSON", path, cases + 1);
        if (!c) continue;
        cases++;
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++)
            for (size_t p = 0; p < 3; p++)
                if (!p || policies[p]) check_case(c, methods[m], policies[p]);
        cJSON_Delete(c);
    }
    fclose(f);
    (void)check_no_digit_leak; /* runs are counted against the rest of the text instead */
    CHECK_MSG(cases >= 8, "%s: %d cases", path, cases);
    for (size_t p = 1; p < 3; p++) openmed_policy_free(policies[p]);
    return check_finish("test_deid_adversarial");
}
