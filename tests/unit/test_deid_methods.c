/* test_deid_methods.c: the de-identification methods end to end without a model: keyed hashes and
 * surrogates (HMAC, the same within and across documents with one key, different with another),
 * dates that stay real calendar dates in their own format, per-patient shifts, policies, the
 * re-identification round trip, and planted values in every shape for every method. */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "check.h"
#include "deid/deid.h"
#include "deid/view.h"
#include "leak_check.h"
#include "openmed.h"

static const char key_a[] = "first test key", key_b[] = "second test key";

static openmed_entity ent(const char *label, const char *text, const char *value, int nth, float score) {
    const char *p = text;
    for (int i = 0; p && i <= nth; i++) p = strstr(i ? p + 1 : p, value);
    int64_t start = p ? (int64_t)(p - text) : 0; /* the tests' texts are ASCII before their values */
    openmed_entity e = {label, "", score, start, start + (int64_t)strlen(value), -1};
    return e;
}

static void options(openmed_deid_options *o, openmed_deid_method m, const char *key) {
    openmed_deid_options_init(o);
    o->method = m;
    if (key) {
        o->secret = (const unsigned char *)key;
        o->secret_len = strlen(key);
    }
}

static openmed_deid_result *run(const char *text, const openmed_entity *e, size_t n, const openmed_deid_options *o) {
    openmed_deid_result *r = NULL;
    openmed_error err = {0};
    openmed_status st = om_deid_from_entities(text, strlen(text), e, n, o, 1, &r, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    return r;
}

static const char *replacement_of(const openmed_deid_result *r, const char *value) {
    for (size_t i = 0; r && i < r->n_entities; i++)
        if (!strcmp(r->entities[i].text, value)) return r->entities[i].redacted_text;
    return "(not found)";
}

/* ---------------------------------------------------------------- keys */

static void test_hash_keys(void) {
    const char *t = "DOB 1980-01-02, phone 617-555-0142.";
    openmed_deid_options o;
    options(&o, OPENMED_DEID_HASH, key_a);
    openmed_deid_result *a = run(t, NULL, 0, &o), *a2 = run("Again 617-555-0142 only.", NULL, 0, &o);
    options(&o, OPENMED_DEID_HASH, key_b);
    openmed_deid_result *b = run(t, NULL, 0, &o);
    if (a && a2 && b) {
        const char *ha = replacement_of(a, "617-555-0142");
        CHECK_STR(ha, replacement_of(a2, "617-555-0142")); /* the same key: the same value everywhere */
        CHECK(strcmp(ha, replacement_of(b, "617-555-0142")) != 0); /* another key: another value */
        /* exactly HMAC-SHA256(key, "hash\0" + value), 16 hex digits */
        unsigned char msg[64], md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        memcpy(msg, "hash", 5);
        memcpy(msg + 5, "1980-01-02", 10);
        HMAC(EVP_sha256(), key_a, (int)strlen(key_a), msg, 15, md, &len);
        char want[64] = "DATE_";
        for (int i = 0; i < 8; i++) snprintf(want + 5 + 2 * i, 3, "%02x", md[i]);
        CHECK_STR(replacement_of(a, "1980-01-02"), want);
        /* not the unkeyed sha256 a dictionary of dates would reverse */
        unsigned char plain[EVP_MAX_MD_SIZE];
        EVP_Digest("1980-01-02", 10, plain, &len, EVP_sha256(), NULL);
        char unkeyed[64] = "DATE_";
        for (int i = 0; i < 8; i++) snprintf(unkeyed + 5 + 2 * i, 3, "%02x", plain[i]);
        CHECK(strcmp(replacement_of(a, "1980-01-02"), unkeyed) != 0);
        CHECK(!a->random_key);
    }
    openmed_deid_result_free(a);
    openmed_deid_result_free(a2);
    openmed_deid_result_free(b);
    /* no secret: one random key for the whole process, said in the result */
    options(&o, OPENMED_DEID_HASH, NULL);
    openmed_deid_result *x = run(t, NULL, 0, &o), *y = run(t, NULL, 0, &o);
    if (x && y) {
        CHECK(x->random_key && y->random_key);
        CHECK_STR(x->deidentified_text, y->deidentified_text);
    }
    openmed_deid_result_free(x);
    openmed_deid_result_free(y);
}

static void test_replace_consistency(void) {
    const char *d1 = "John Smith was seen today. Smith called back.";
    const char *d2 = "SMITH, JOHN (patient) and his wife.";
    const char *d3 = "Spoke with Mr. Smith on the phone.";
    openmed_entity e1[] = {ent("PERSON", d1, "John Smith", 0, 0.9f)};
    openmed_entity e2[] = {ent("PERSON", d2, "SMITH, JOHN", 0, 0.9f)};
    openmed_entity e3[] = {ent("LAST_NAME", d3, "Smith", 0, 0.9f)};
    const char *keys[2] = {key_a, key_b};
    char last[2][64];
    for (int k = 0; k < 2; k++) {
        openmed_deid_options o;
        options(&o, OPENMED_DEID_REPLACE, keys[k]);
        openmed_deid_result *r1 = run(d1, e1, 1, &o), *r2 = run(d2, e2, 1, &o), *r3 = run(d3, e3, 1, &o);
        if (!r1 || !r2 || !r3) continue;
        /* "John Smith" -> "First Last"; "Smith" alone (a repeat) and "SMITH, JOHN" use the same words */
        const char *full = replacement_of(r1, "John Smith"), *alone = replacement_of(r1, "Smith");
        const char *space = strchr(full, ' ');
        CHECK_MSG(space && !strcmp(space + 1, alone), "%s / %s", full, alone);
        snprintf(last[k], sizeof last[k], "%s", alone);
        char upper_last[64], upper_first[64];
        snprintf(upper_last, sizeof upper_last, "%s", alone);
        snprintf(upper_first, sizeof upper_first, "%.*s", space ? (int)(space - full) : 0, full);
        for (char *p = upper_last; *p; p++) *p = (char)toupper((unsigned char)*p);
        for (char *p = upper_first; *p; p++) *p = (char)toupper((unsigned char)*p);
        char want[160];
        snprintf(want, sizeof want, "%s, %s", upper_last, upper_first);
        CHECK_STR(replacement_of(r2, "SMITH, JOHN"), want); /* case and order kept */
        CHECK_STR(replacement_of(r3, "Smith"), alone);
        for (const char *t = r1->deidentified_text; t; t = NULL)
            CHECK_MSG(!strcasestr(t, "smith") && !strcasestr(t, "john"), "%s", t);
        openmed_deid_result_free(r1);
        openmed_deid_result_free(r2);
        openmed_deid_result_free(r3);
    }
    CHECK_MSG(strcmp(last[0], last[1]) != 0, "two keys gave the same surrogate %s", last[0]);

    /* two different values of a document never share a surrogate */
    char many[4096] = "";
    openmed_entity e[60];
    static char names[60][16];
    for (int i = 0; i < 60; i++) {
        snprintf(names[i], sizeof names[i], "Zq%c%cwin", 'a' + i % 26, 'a' + i / 26);
        strcat(many, names[i]);
        strcat(many, " met. ");
    }
    for (int i = 0; i < 60; i++) e[i] = ent("LAST_NAME", many, names[i], 0, 0.9f);
    openmed_deid_options o;
    options(&o, OPENMED_DEID_REPLACE, key_a);
    openmed_deid_result *r = run(many, e, 60, &o);
    for (size_t i = 0; r && i < r->n_entities; i++)
        for (size_t j = i + 1; j < r->n_entities; j++)
            CHECK_MSG(strcmp(r->entities[i].redacted_text, r->entities[j].redacted_text) != 0, "%s twice",
                      r->entities[i].redacted_text);
    openmed_deid_result_free(r);
}

/* ---------------------------------------------------------------- dates */

/* A real calendar date, by the C library (independent of dates.c). */
static int real_date(int y, int m, int d) {
    if (m < 1 || m > 12 || d < 1 || d > 31) return 0;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = 12;
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    return back.tm_mday == d && back.tm_mon == m - 1;
}

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};

/* Read a date in the layout `fmt` (D, M, Y digits, N a month name, other characters literal);
 * 0 when the text does not follow the layout. */
static int read_layout(const char *s, const char *fmt, int *y, int *m, int *d) {
    *y = *m = *d = 0;
    int two_digit_year = 0;
    while (*fmt) {
        char f = *fmt;
        if (f == 'D' || f == 'M' || f == 'Y') {
            int want = 0, v = 0, got = 0;
            while (*fmt == f) fmt++, want++;
            while (isdigit((unsigned char)*s)) v = v * 10 + (*s++ - '0'), got++;
            if (!got || (want >= 2 && got != want && f != 'D') || (f == 'Y' && got != want)) return 0;
            if (f == 'Y') *y = v, two_digit_year = want == 2;
            else if (f == 'M') *m = v;
            else *d = v;
        } else if (f == 'N') {
            fmt++;
            int found = 0;
            for (int k = 0; k < 12 && !found; k++)
                if (!strncasecmp(s, month_names[k], 3)) *m = k + 1, found = 1;
            if (!found) return 0;
            while (isalpha((unsigned char)*s)) s++;
        } else if (f == 'O') { /* an ordinal suffix */
            fmt++;
            if (!isalpha((unsigned char)s[0]) || !isalpha((unsigned char)s[1])) return 0;
            s += 2;
        } else {
            if (*s++ != *fmt++) return 0;
        }
    }
    if (*s) return 0;
    if (two_digit_year) *y += *y < 50 ? 2000 : 1900;
    return 1;
}

static void test_dates(void) {
    static const struct { const char *text, *layout; int y; } dates[] = {
        {"13/07/1970", "DD/MM/YYYY", 1970}, {"07/13/1970", "MM/DD/YYYY", 1970}, {"1970-07-13", "YYYY-MM-DD", 1970},
        {"13.07.1970", "DD.MM.YYYY", 1970}, {"July 13, 1970", "N D, YYYY", 1970}, {"13 July 1970", "D N YYYY", 1970},
        {"Jul 13 1970", "N D YYYY", 1970}, {"13th of July 1970", "DO of N YYYY", 1970},
        {"2/29/2020", "M/D/YYYY", 2020}, {"29/02/2020", "DD/MM/YYYY", 2020}, {"12/31/99", "MM/DD/YY", 1999},
        {"31.12.1999", "DD.MM.YYYY", 1999}, {"2000-02-29", "YYYY-MM-DD", 2000}};
    static const int shifts[] = {1, -1, 17, -200, 365, 10000, -36500};
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "Seen on %s for review.", dates[i].text);
        for (int variant = 0; variant < 3 + (int)(sizeof shifts / sizeof shifts[0]); variant++) {
            for (int keep_year = 0; keep_year <= 1; keep_year++) {
                openmed_deid_options o;
                options(&o, variant == 0 ? OPENMED_DEID_REPLACE : variant == 1 ? OPENMED_DEID_FORMAT_PRESERVE
                                                                              : OPENMED_DEID_SHIFT_DATES, key_a);
                if (variant == 2) o.date_shift_seed = dates[i].text;
                if (variant >= 3) o.date_shift_days = shifts[variant - 3];
                o.keep_year = keep_year;
                openmed_deid_result *r = run(text, NULL, 0, &o);
                if (!r) continue;
                const char *got = replacement_of(r, dates[i].text);
                int y, m, d;
                CHECK_MSG(read_layout(got, dates[i].layout, &y, &m, &d) && real_date(y, m, d),
                          "%s by %s (variant %d, keep_year %d) gave '%s', not a real date laid out as %s", dates[i].text,
                          openmed_deid_method_name(o.method), variant, keep_year, got, dates[i].layout);
                if (keep_year) CHECK_MSG(y == dates[i].y, "%s kept no year: %s", dates[i].text, got);
                else if (variant < 2) CHECK_MSG(strcmp(got, dates[i].text) != 0, "%s unchanged", dates[i].text);
                openmed_deid_result_free(r);
            }
        }
    }
    /* an ambiguous date replaced alone stays valid read either way; a document with 25/12/2020 reads
     * its 03/04/2021 day first when shifting */
    openmed_deid_options o;
    options(&o, OPENMED_DEID_REPLACE, key_a);
    for (int k = 0; k < 20; k++) {
        char text[64];
        snprintf(text, sizeof text, "On 03/%02d/2021 seen.", 1 + k % 12);
        openmed_deid_result *r = run(text, NULL, 0, &o);
        if (!r || r->n_entities != 1) continue;
        int y, m, d;
        CHECK(read_layout(r->entities[0].redacted_text, "MM/DD/YYYY", &y, &m, &d) && real_date(y, m, d) &&
              real_date(y, d, m));
        openmed_deid_result_free(r);
    }
    options(&o, OPENMED_DEID_SHIFT_DATES, NULL);
    o.date_shift_days = 30;
    openmed_deid_result *r = run("Seen 25/12/2020, then 03/04/2021.", NULL, 0, &o);
    if (r) CHECK_STR(r->deidentified_text, "Seen 24/01/2021, then 03/05/2021.");
    openmed_deid_result_free(r);
}

static void test_patient_key(void) {
    openmed_deid_options o;
    options(&o, OPENMED_DEID_SHIFT_DATES, key_a);
    o.patient_key = "patient-0042";
    openmed_deid_result *a = run("Visit 2021-03-14.", NULL, 0, &o), *b = run("Other note 2019-01-01.", NULL, 0, &o);
    if (a && b) {
        CHECK_INT(a->date_shift_days, b->date_shift_days);
        /* HMAC-SHA256(key, "date-shift\0" + patient key) big-endian mod 730, as OpenMed's bucket */
        unsigned char msg[64], md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        memcpy(msg, "date-shift", 11);
        memcpy(msg + 11, "patient-0042", 12);
        HMAC(EVP_sha256(), key_a, (int)strlen(key_a), msg, 23, md, &len);
        unsigned long bucket = 0;
        for (unsigned i = 0; i < len; i++) bucket = (bucket * 256 + md[i]) % 730;
        CHECK_INT(a->date_shift_days, bucket < 365 ? (long)bucket - 365 : (long)bucket - 364);
    }
    openmed_deid_result_free(a);
    openmed_deid_result_free(b);
    int differ = 0;
    for (int k = 0; k < 40; k++) {
        char pk[32];
        snprintf(pk, sizeof pk, "p%d", k);
        o.patient_key = pk;
        o.date_shift_max_days = 5;
        openmed_deid_result *r = run("Visit 2021-03-14.", NULL, 0, &o);
        if (!r) continue;
        CHECK(r->date_shift_days != 0 && r->date_shift_days >= -5 && r->date_shift_days <= 5);
        differ |= r->date_shift_days != -5 && r->date_shift_days != 5; /* not stuck at an end */
        openmed_deid_result_free(r);
    }
    CHECK(differ);
    /* a patient key needs a secret: a random one would give every run other shifts */
    options(&o, OPENMED_DEID_SHIFT_DATES, NULL);
    o.patient_key = "p1";
    openmed_deid_result *r = NULL;
    openmed_error err = {0};
    CHECK(openmed_deidentify(NULL, "x 2021-01-01", 12, &o, &r, &err) == OPENMED_ERR_INVALID_ARGUMENT && !r);
    CHECK(strstr(err.message, "patient_key needs a secret") != NULL);
}

/* ---------------------------------------------------------------- policies */

static void test_policies(void) {
    openmed_policy *hipaa = NULL, *strict = NULL;
    openmed_error err = {0};
    CHECK_MSG(openmed_policy_load("hipaa_safe_harbor", &hipaa, &err) == OPENMED_OK, "%s", err.message);
    CHECK_MSG(openmed_policy_load("strict", &strict, &err) == OPENMED_OK, "%s", err.message);
    if (!hipaa || !strict) return;
    CHECK_STR(openmed_policy_name(hipaa), "hipaa_safe_harbor");
    /* "Quill Grey": common words in no name context, so only the model's score decides */
    const char *t = "Ann Lee, 45, her father 92, ZIP 02139 (old 03601), Texas, Quill Grey (score 0.6).";
    openmed_entity e[] = {ent("PERSON", t, "Ann Lee", 0, 0.95f),  ent("AGE", t, "45", 0, 0.9f),
                          ent("AGE", t, "92", 0, 0.9f),           ent("ZIPCODE", t, "02139", 0, 0.9f),
                          ent("ZIPCODE", t, "03601", 0, 0.9f),    ent("STATE", t, "Texas", 0, 0.9f),
                          ent("PERSON", t, "Quill Grey", 0, 0.6f)};
    openmed_deid_options o;
    options(&o, OPENMED_DEID_MASK, key_a);
    o.policy = hipaa;
    openmed_deid_result *r = run(t, e, 7, &o);
    if (r) {
        CHECK_STR(r->deidentified_text,
                  "[PERSON], 45, her father 90+, ZIP 021** (old 000**), Texas, Quill Grey (score 0.6).");
        CHECK_STR(r->entities[1].action, "keep");
        CHECK_STR(r->entities[2].action, "age_over_89");
        CHECK_STR(r->entities[1].hipaa_class, "ages");
        CHECK_STR(r->entities[5].action, "keep");
        CHECK_STR(r->entities[0].action, "mask");
        CHECK_NEAR(r->confidence_threshold, 0.7, 1e-6);
    }
    openmed_deid_result_free(r);
    o.policy = strict;
    o.method = OPENMED_DEID_REPLACE;
    r = run(t, e, 7, &o);
    if (r) {
        CHECK_MSG(!strstr(r->deidentified_text, ", 45,") && !strstr(r->deidentified_text, "Texas") &&
                  !strstr(r->deidentified_text, "Quill Grey") && !strstr(r->deidentified_text, "02139"),
                  "%s", r->deidentified_text);
        CHECK_NEAR(r->confidence_threshold, 0.5, 1e-6);
        CHECK(r->safety_sweep);
    }
    openmed_deid_result_free(r);
    o.safety_sweep = 0; /* the policy makes the sweep mandatory */
    r = run("Mail a@b.org now", NULL, 0, &o);
    if (r) CHECK(r->safety_sweep && !strstr(r->deidentified_text, "a@b.org"));
    openmed_deid_result_free(r);
    openmed_policy_free(hipaa);
    openmed_policy_free(strict);

    /* a custom policy file; and the errors */
    char dir[] = "/tmp/openmed-policy-XXXXXX", path[128];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/mine.json", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("{\"schema_version\": 1, \"name\": \"mine\", \"default_action\": \"hash\", "
              "\"classes\": {\"dates\": \"shift_dates\"}, \"labels\": {\"EMAIL\": \"remove\"}}", f);
        fclose(f);
    }
    openmed_policy *mine = NULL;
    CHECK_MSG(openmed_policy_load(path, &mine, &err) == OPENMED_OK, "%s", err.message);
    options(&o, OPENMED_DEID_MASK, key_a);
    o.policy = mine;
    o.date_shift_days = 1;
    r = run("Seen 2021-03-14, mail a@b.org, call 617-555-0142.", NULL, 0, &o);
    if (r) {
        CHECK_MSG(strstr(r->deidentified_text, "Seen 2021-03-15, mail , call PHONE_") != NULL, "%s", r->deidentified_text);
    }
    openmed_deid_result_free(r);
    openmed_policy_free(mine);
    const char *bad[] = {"{\"name\": \"x\", \"colour\": 1}", "{\"name\": \"x\", \"default_action\": \"scramble\"}",
                         "{\"name\": \"x\", \"classes\": {\"planets\": \"mask\"}}", "[1]", "{\"schema_version\": 2}"};
    const char *why[] = {"unknown key 'colour'", "default_action: expected one of", "classes.planets: unknown class",
                         "not a JSON object", "schema_version must be 1"};
    for (int i = 0; i < 5; i++) {
        f = fopen(path, "w");
        if (!f) continue;
        fputs(bad[i], f);
        fclose(f);
        openmed_policy *p = NULL;
        openmed_status st = openmed_policy_load(path, &p, &err);
        CHECK(st == OPENMED_ERR_CONFIG || st == OPENMED_ERR_FORMAT);
        CHECK_MSG(p == NULL && strstr(err.message, why[i]) && strstr(err.message, path), "%s", err.message);
    }
    remove(path);
    remove(dir);
    openmed_policy *p = NULL;
    CHECK(openmed_policy_load("no_such_policy", &p, &err) == OPENMED_ERR_NOT_FOUND && !p);
    CHECK(strstr(err.message, "hipaa_safe_harbor") != NULL);
}

/* ---------------------------------------------------------------- re-identification */

static void test_reidentify(void) {
    const char *t = "Ann Lee (DOB 1980-01-02) and Bob Lee met Ann; call 617-555-0142 or 617-555-0199. "
                    "Ann Lee again, 617-555-0142, ages 92 and 95.";
    openmed_entity e[] = {ent("PERSON", t, "Ann Lee", 0, 0.9f), ent("PERSON", t, "Bob Lee", 0, 0.9f),
                          ent("FIRST_NAME", t, "Ann", 1, 0.9f), ent("AGE", t, "92", 0, 0.9f),
                          ent("AGE", t, "95", 0, 0.9f)};
    openmed_policy *hipaa = NULL;
    openmed_error err = {0};
    openmed_policy_load("hipaa_safe_harbor", &hipaa, &err);
    for (int m = OPENMED_DEID_MASK; m <= OPENMED_DEID_FORMAT_PRESERVE; m++) {
        for (int with_policy = 0; with_policy <= 1; with_policy++) {
            openmed_deid_options o;
            options(&o, (openmed_deid_method)m, key_a);
            o.keep_mapping = 1;
            o.policy = with_policy ? hipaa : NULL;
            openmed_deid_result *r = run(t, e, 5, &o);
            if (!r) continue;
            char *back = NULL;
            size_t back_len = 0;
            CHECK(openmed_reidentify(r->deidentified_text, r->deidentified_len, r->mapping, r->n_mapping, &back,
                                     &back_len, &err) == OPENMED_OK);
            CHECK_MSG(back && !strcmp(back, t), "%s%s: %s -> %s", openmed_deid_method_name(o.method),
                      with_policy ? " + hipaa" : "", r->deidentified_text, back ? back : "(null)");
            CHECK(back_len == strlen(t));
            free(back);
            openmed_deid_result_free(r);
        }
    }
    openmed_policy_free(hipaa);
    /* an OpenMed-style mapping with an occurrence key */
    openmed_deid_mapping map[] = {{"[NAME]", "Ann"}, {"__openmed_occurrence_v1__:00000001:[NAME]", "Bob"}};
    char *back = NULL;
    const char *text = "[NAME] met [NAME] and [NAME].";
    CHECK(openmed_reidentify(text, strlen(text), map, 2, &back, NULL, &err) == OPENMED_OK);
    if (back) CHECK_STR(back, "Ann met Bob and Ann.");
    free(back);
    openmed_deid_mapping broken[] = {{"__openmed_occurrence_v1__:x:[NAME]", "Bob"}};
    CHECK(openmed_reidentify(text, strlen(text), broken, 1, &back, NULL, &err) == OPENMED_ERR_INVALID_ARGUMENT);
}

/* ---------------------------------------------------------------- planted values in every shape */

static void test_shapes(void) {
    /* a name found once (by the model, given here) and structured values found by the sweep, written
     * again in other cases, layouts and Unicode disguises */
    const char *note =
        "Patient: Marisol Quenneville\n"
        "| Name | MARISOL QUENNEVILLE |\n"
        "Dr. Quenneville's note: Quen\xe2\x80\x8dneville (ZWJ), Quenne\xc2\xadville (soft hyphen), "
        "QUENNEVILLE, Marisol.\n"
        "Phones: (617) 555-0142, 617.555.0199, \xef\xbc\x96\xef\xbc\x91\xef\xbc\x97-555-0123, 6\xe2\x80\x8b" "17-555-0177\n"
        "SSN 123-45-6789; SSN: 987 65 4321; MRN: 00482913; mrn#7734120\n"
        "E-mail MARISOL.Q@EXAMPLE-HOSPITAL.ORG, web https://portal.example-health.com/p/4821\n"
        "DOB 13/07/1970; seen 2021-03-14 and March 3, 2021.\n";
    const char *digits[] = {"617-555-0142", "617.555.0199", "617-555-0123", "617-555-0177", "123-45-6789",
                            "987 65 4321", "00482913", "7734120", "4821"};
    const char *dates[] = {"13/07/1970", "2021-03-14", "March 3, 2021"};
    openmed_entity e[] = {ent("PERSON", note, "Marisol Quenneville", 0, 0.95f)};
    for (int m = OPENMED_DEID_MASK; m <= OPENMED_DEID_FORMAT_PRESERVE; m++) {
        for (int keep_year = 0; keep_year <= 1; keep_year++) {
            openmed_deid_options o;
            options(&o, (openmed_deid_method)m, key_a);
            o.keep_year = keep_year;
            openmed_deid_result *r = run(note, e, 1, &o);
            if (!r) continue;
            om_deid_view folded; /* what a reader would see after folding, too */
            openmed_error err = {0};
            if (om_deid_view_init(&folded, r->deidentified_text, r->deidentified_len, &err) != OPENMED_OK) continue;
            const char *name = openmed_deid_method_name(o.method);
            for (const char *w = "marisol\0quenneville\0quen\0example-hospital\0example-health\0"; *w; w += strlen(w) + 1)
                CHECK_MSG(!strcasestr(folded.text, w), "%s: '%s' survives in:\n%s", name, w, r->deidentified_text);
            for (size_t i = 0; i < sizeof digits / sizeof digits[0]; i++) check_no_digit_leak(name, folded.text, digits[i]);
            for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
                CHECK_MSG(!strstr(folded.text, dates[i]), "%s: %s survives", name, dates[i]);
                if (!keep_year && m != OPENMED_DEID_SHIFT_DATES) check_no_digit_leak(name, folded.text, dates[i]);
            }
            CHECK_MSG(!strstr(r->deidentified_text, "\xe2\x80\x8d") && !strstr(r->deidentified_text, "\xc2\xad") &&
                      !strstr(r->deidentified_text, "\xef\xbc\x96"), "%s: a disguise character survives", name);
            /* the layout survives: the table, the lines, the labels */
            CHECK(strstr(r->deidentified_text, "| Name | ") && strstr(r->deidentified_text, "Phones: ") &&
                  strstr(r->deidentified_text, "\nSSN "));
            om_deid_view_free(&folded);
            openmed_deid_result_free(r);
        }
    }
}

int main(void) {
    test_hash_keys();
    test_replace_consistency();
    test_dates();
    test_patient_key();
    test_policies();
    test_reidentify();
    test_shapes();
    return check_finish("test_deid_methods");
}
