/* test_deid_logic.c: PII extraction and de-identification without a model: the safety sweep, word
 * widening, the merge with model spans, overlap resolution, every method on hand-made entities,
 * placeholder numbering and the mapping, leaks of planted structured values, and input errors. */
#include <ctype.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "leak_check.h"
#include "deid/deid.h"
#include "deid/spans.h"
#include "deid/sweep.h"
#include "openmed.h"

/* Planted structured values; every one must disappear whatever the model says. */
static const char *const planted[] = {
    "john.smith@mercy-hospital.org", "(617) 555-0142", "617-555-0199", "123-45-6789", "MRN: 00482913",
    "03/14/2021", "2021-03-14", "March 3, 2021", "https://portal.example-health.com/patient/4821",
    "14 February 2020", "MRN#7734120", "Oct. 2", "123456789"};

static const char *note =
    "Patient seen on 03/14/2021 (admitted 2021-03-14). Contact: john.smith@mercy-hospital.org or "
    "(617) 555-0142; pager 617-555-0199. SSN 123-45-6789, MRN: 00482913. Follow-up March 3, 2021 "
    "via https://portal.example-health.com/patient/4821. Prior visit 14 February 2020, MRN#7734120. "
    "Seen again on Oct. 2. SSN#123456789. BP 120/80, HR 72, temp 98.6 F, metformin 500 mg twice daily, 3 tabs.";

static openmed_entity ent(const char *label, int64_t start, int64_t end, float score) {
    openmed_entity e = {label, "", score, start, end, -1};
    return e;
}

/* Code-point offset of the first occurrence of `needle` in ASCII-prefixed `text` (tests use ASCII
 * before their needles unless stated). */
static int64_t at(const char *text, const char *needle) {
    const char *p = strstr(text, needle);
    return p ? (int64_t)(p - text) : -1;
}

static const char secret[] = "test secret: not for real data";

static openmed_deid_result *deid(const char *text, const openmed_entity *e, size_t n, openmed_deid_method method,
                                 int keep_mapping) {
    openmed_deid_options o;
    openmed_deid_options_init(&o);
    o.secret = (const unsigned char *)secret;
    o.secret_len = strlen(secret);
    o.method = method;
    o.keep_mapping = keep_mapping;
    openmed_deid_result *r = NULL;
    openmed_error err = {0};
    openmed_status st = om_deid_from_entities(text, strlen(text), e, n, &o, 1, &r, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    return r;
}

static void test_sweep(void) {
    om_span_list hits = {0};
    openmed_error err = {0};
    CHECK(om_pii_sweep(note, strlen(note), &hits, &err) == OPENMED_OK);
    struct { const char *label, *text; } want[] = {
        {"DATE", "03/14/2021"}, {"DATE", "2021-03-14"},
        {"SSN", "123-45-6789"},
        {"ID_NUM", "MRN: 00482913"}, {"DATE", "March 3, 2021"},
        {"DATE", "14 February 2020"},
        {"ID_NUM", "MRN#7734120"}, {"DATE", "Oct. 2"}, {"SSN", "SSN#123456789"}};
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        int found = 0;
        for (size_t i = 0; i < hits.n; i++)
            found |= !strcmp(hits.items[i].label, want[w].label) &&
                     hits.items[i].end - hits.items[i].start == strlen(want[w].text) &&
                     !memcmp(note + hits.items[i].start, want[w].text, strlen(want[w].text));
        CHECK_MSG(found, "sweep misses %s %s", want[w].label, want[w].text);
    }
    /* nothing in the vitals and dosing sentence */
    size_t vitals = (size_t)at(note, "BP 120/80");
    for (size_t i = 0; i < hits.n; i++)
        CHECK_MSG(hits.items[i].start < vitals, "false hit %s at byte %zu", hits.items[i].label, hits.items[i].start);
    om_span_list_free(&hits);

    const char *quiet = "Take 2 tablets 3 times a day; ratio 1/2; version 10.2; lab 12345; we may 5 times; Mar 1.5 mg";
    CHECK(om_pii_sweep(quiet, strlen(quiet), &hits, &err) == OPENMED_OK);
    CHECK_INT(hits.n, 0);
    om_span_list_free(&hits);

    /* longer numbers are not SSNs or phones (e-mail and URLs are the network detector's:
     * test_deid_structured) */
    const char *edges = "id 1123-45-67890 and 617-555-01429; see www.example.org/a. SSN 1234567890";
    CHECK(om_pii_sweep(edges, strlen(edges), &hits, &err) == OPENMED_OK);
    CHECK_INT(hits.n, 0);
    om_span_list_free(&hits);
}

static void test_merge_and_overlaps(void) {
    /* a partial model span of a phone grows to the whole number, keeping no digit outside */
    const char *t = "Call Maria at (617) 555-0142 today.";
    openmed_entity e[] = {ent("PHONE", at(t, "555"), at(t, "555") + 3, 0.9f),
                          ent("FIRST_NAME", at(t, "Maria"), at(t, "Maria") + 5, 0.95f)};
    openmed_deid_result *r = deid(t, e, 2, OPENMED_DEID_MASK, 0);
    if (r) {
        CHECK_STR(r->deidentified_text, "Call [FIRST_NAME] at [PHONE] today.");
        CHECK_INT(r->n_entities, 2);
        if (r->n_entities == 2) {
            CHECK_STR(r->entities[1].text, "(617) 555-0142");
            CHECK_STR(r->entities[1].source, "model+phone");
            CHECK_NEAR(r->entities[1].confidence, 0.9, 1e-6);
            CHECK_STR(r->entities[0].source, "model");
        }
    }
    openmed_deid_result_free(r);

    /* a model label that differs from the sweep's: the union takes the sweep's type unless the model
     * span covers it all */
    const char *t2 = "SSN 123-45-6789 and date 2020-01-02 noted.";
    int64_t s0 = at(t2, "123"), d0 = at(t2, "2020");
    openmed_entity e2[] = {ent("ID_NUM", s0, s0 + 6, 0.8f), ent("ID_NUM", d0 - 5, d0 + 10, 0.8f)};
    r = deid(t2, e2, 2, OPENMED_DEID_MASK, 0);
    if (r) CHECK_STR(r->deidentified_text, "SSN [SSN] and [ID_NUM] noted.");
    openmed_deid_result_free(r);

    /* model spans snap to whole words: "Joh" of "Johnson" hides all of it */
    const char *t3 = "Dr. Johnson's patient.";
    openmed_entity e3[] = {ent("LAST_NAME", 4, 7, 0.9f)};
    r = deid(t3, e3, 1, OPENMED_DEID_MASK, 0);
    if (r) CHECK_STR(r->deidentified_text, "Dr. [LAST_NAME]'s patient.");
    openmed_deid_result_free(r);

    /* edges of white space and sentence punctuation go, punctuation-only spans are dropped */
    const char *t6 = "Seen by Ann, then Bob; ok.";
    openmed_entity e8[] = {ent("FIRST_NAME", 7, 12, 0.9f), ent("DATE", 11, 12, 0.9f), ent("FIRST_NAME", 17, 22, 0.9f)};
    r = deid(t6, e8, 3, OPENMED_DEID_MASK, 0);
    if (r) {
        CHECK_STR(r->deidentified_text, "Seen by [FIRST_NAME], then [FIRST_NAME]; ok.");
        CHECK_INT(r->n_entities, 2);
        if (r->n_entities == 2) CHECK(r->entities[0].start == 8 && r->entities[0].end == 11);
    }
    openmed_deid_result_free(r);

    /* a value found once is found everywhere, as a whole word; short or plain lower-case values are not
     * (a listed name, "Anna", is the name detector's) */
    const char *t7 = "John Smith came. Smith's wife called Mr. Smith; Smithson no. or or or. Anna or";
    openmed_entity e9[] = {ent("FIRST_NAME", 0, 4, 0.9f), ent("LAST_NAME", 5, 10, 0.9f), ent("EMAIL", 62, 64, 0.9f),
                           ent("LAST_NAME", 17, 22, 0.9f)};
    r = deid(t7, e9, 4, OPENMED_DEID_MASK, 0);
    if (r) {
        CHECK_STR(r->deidentified_text, "[FIRST_NAME] [LAST_NAME] came. [LAST_NAME]'s wife called Mr. [LAST_NAME]; "
                                        "Smithson no. [EMAIL] or or. [PERSON] or");
        CHECK_INT(r->n_entities, 6);
        if (r->n_entities == 6) {
            CHECK_STR(r->entities[5].source, "names");
            CHECK_STR(r->entities[3].source, "repeat");
            CHECK_STR(r->entities[2].source, "model");
            CHECK_INT(r->entities[3].start, 41);
        }
    }
    openmed_deid_result_free(r);

    /* widening works on code points: "Zo" of "Zoë" (offsets after "Café ") covers "Zoë" */
    const char *t8 = "Café Zoë Ångström left.";
    openmed_entity e10[] = {ent("FIRST_NAME", 5, 7, 0.9f), ent("LAST_NAME", 10, 13, 0.9f)};
    r = deid(t8, e10, 2, OPENMED_DEID_MASK, 0);
    if (r) {
        CHECK_STR(r->deidentified_text, "Café [FIRST_NAME] [LAST_NAME] left.");
        if (r->n_entities == 2) {
            CHECK_STR(r->entities[0].text, "Zoë");
            CHECK_INT(r->entities[1].start, 9);
            CHECK_INT(r->entities[1].end, 17);
        }
    }
    openmed_deid_result_free(r);

    /* overlapping spans become their union, labelled by the longer; equal length: higher score;
     * then earlier start */
    const char *t4 = "alpha beta gamma delta";
    openmed_entity e4[] = {ent("A", 0, 10, 0.99f), ent("B", 6, 16, 0.95f), ent("C", 6, 22, 0.75f)};
    r = deid(t4, e4, 3, OPENMED_DEID_MASK, 0);
    if (r) CHECK_STR(r->deidentified_text, "[C]");
    openmed_deid_result_free(r);
    openmed_entity e5[] = {ent("A", 0, 10, 0.8f), ent("B", 6, 16, 0.9f)};
    r = deid(t4, e5, 2, OPENMED_DEID_MASK, 0);
    if (r) CHECK_STR(r->deidentified_text, "[B] delta");
    openmed_deid_result_free(r);
    openmed_entity e6[] = {ent("B", 6, 16, 0.9f), ent("A", 0, 10, 0.9f)};
    r = deid(t4, e6, 2, OPENMED_DEID_MASK, 0);
    if (r) CHECK_STR(r->deidentified_text, "[A] delta");
    openmed_deid_result_free(r);

    /* the threshold drops model entities (not sweep hits); "Quill" is a common word in no name
     * context, so the name detector leaves it to the model */
    const char *t5 = "Quill wrote to a@b.io";
    openmed_entity e7[] = {ent("FIRST_NAME", 0, 4, 0.6f)};
    r = deid(t5, e7, 1, OPENMED_DEID_MASK, 0);
    if (r) CHECK_STR(r->deidentified_text, "Quill wrote to [EMAIL]");
    openmed_deid_result_free(r);
    openmed_deid_options o;
    openmed_deid_options_init(&o);
    o.confidence_threshold = 0.5f;
    openmed_error err = {0};
    CHECK(om_deid_from_entities(t5, strlen(t5), e7, 1, &o, 1, &r, &err) == OPENMED_OK);
    if (r) CHECK_STR(r->deidentified_text, "[FIRST_NAME] wrote to [EMAIL]");
    openmed_deid_result_free(r);
}

static void test_code_points(void) {
    /* offsets are code points: "é" and "—" are one each */
    const char *t = "Café — mail zoë@exämple.org or x@y.org";
    openmed_deid_result *r = NULL;
    openmed_error err = {0};
    CHECK(openmed_pii_extract(NULL, t, strlen(t), NULL, &r, &err) == OPENMED_OK);
    if (r) {
        CHECK_INT(r->n_entities, 2); /* e-mail addresses in any script */
        if (r->n_entities == 2) {
            CHECK_STR(r->entities[0].text, "zo\xc3\xab@ex\xc3\xa4mple.org");
            CHECK_INT(r->entities[0].start, 12);
            CHECK_INT(r->entities[0].end, 27);
            CHECK_STR(r->entities[1].text, "x@y.org");
            CHECK_INT(r->entities[1].start, 31);
            CHECK_INT(r->entities[1].end, 38);
            CHECK(r->entities[1].redacted_text == NULL);
        }
        CHECK(r->deidentified_text == NULL);
    }
    openmed_deid_result_free(r);
}

/* 16 hex of HMAC-SHA256(secret, "hash\0" + s), by OpenSSL's one-shot HMAC (independent of keys.c) */
static void hmac_hex16(const char *s, char out[17]) {
    unsigned char msg[256], md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    memcpy(msg, "hash", 5);
    memcpy(msg + 5, s, strlen(s));
    HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, 5 + strlen(s), md, &len);
    for (int i = 0; i < 8; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void test_methods(void) {
    const char *t = "Ann Lee met Bob Lee and Ann on 2020-05-06; call 617-555-0142.";
    openmed_entity e[] = {ent("FIRST_NAME", 0, 3, 0.9f), ent("LAST_NAME", 4, 7, 0.9f),
                          ent("FIRST_NAME", 12, 15, 0.9f), ent("LAST_NAME", 16, 19, 0.9f),
                          ent("FIRST_NAME", 24, 27, 0.9f)};
    openmed_deid_result *r = deid(t, e, 5, OPENMED_DEID_MASK, 0);
    if (r) {
        CHECK_STR(r->deidentified_text,
                  "[FIRST_NAME] [LAST_NAME] met [FIRST_NAME] [LAST_NAME] and [FIRST_NAME] on [DATE]; call [PHONE].");
        CHECK_INT(r->n_mapping, 0);
        CHECK_INT(r->method, OPENMED_DEID_MASK);
    }
    openmed_deid_result_free(r);

    r = deid(t, e, 5, OPENMED_DEID_MASK, 1);
    if (r) {
        CHECK_STR(r->deidentified_text, "[FIRST_NAME] [LAST_NAME] met [FIRST_NAME_2] [LAST_NAME] and [FIRST_NAME] on "
                                        "[DATE]; call [PHONE].");
        CHECK_INT(r->n_mapping, 5);
        if (r->n_mapping == 5) {
            CHECK_STR(r->mapping[0].redacted, "[FIRST_NAME]");
            CHECK_STR(r->mapping[0].original, "Ann");
            CHECK_STR(r->mapping[2].redacted, "[FIRST_NAME_2]");
            CHECK_STR(r->mapping[2].original, "Bob");
            CHECK_STR(r->mapping[4].original, "617-555-0142");
        }
    }
    openmed_deid_result_free(r);

    r = deid(t, e, 5, OPENMED_DEID_REMOVE, 0);
    if (r) CHECK_STR(r->deidentified_text, "  met   and  on ; call .");
    openmed_deid_result_free(r);
    r = deid(t, e, 5, OPENMED_DEID_REMOVE, 1);
    if (r) CHECK_STR(r->deidentified_text, "[FIRST_NAME_REMOVED] [LAST_NAME_REMOVED] met [FIRST_NAME_REMOVED_2] "
                                           "[LAST_NAME_REMOVED] and [FIRST_NAME_REMOVED] on [DATE_REMOVED]; call "
                                           "[PHONE_REMOVED].");
    openmed_deid_result_free(r);

    r = deid(t, e, 5, OPENMED_DEID_HASH, 0);
    if (r) {
        char h[17], want[64];
        hmac_hex16("Ann", h);
        snprintf(want, sizeof want, "FIRST_NAME_%s", h);
        CHECK_STR(r->entities[0].redacted_text, want);
        CHECK_STR(r->entities[4].redacted_text, want);
        hmac_hex16("617-555-0142", h);
        snprintf(want, sizeof want, "PHONE_%s", h);
        CHECK_STR(r->entities[6].redacted_text, want);
    }
    openmed_deid_result_free(r);

    /* replace: the same value maps to the same surrogate, within and across documents */
    r = deid(t, e, 5, OPENMED_DEID_REPLACE, 1);
    const char *t2 = "Later: Ann called from 617-555-0142 about 2020-05-06.";
    openmed_entity e2[] = {ent("FIRST_NAME", 7, 10, 0.9f)};
    openmed_deid_result *r2 = deid(t2, e2, 1, OPENMED_DEID_REPLACE, 0);
    if (r && r2 && r->n_entities == 7 && r2->n_entities == 3) {
        CHECK_STR(r->entities[0].redacted_text, r->entities[4].redacted_text);
        CHECK_STR(r->entities[0].redacted_text, r2->entities[0].redacted_text);
        CHECK_STR(r->entities[5].redacted_text, r2->entities[2].redacted_text);
        CHECK_STR(r->entities[6].redacted_text, r2->entities[1].redacted_text);
        for (size_t i = 0; i < r->n_entities; i++) {
            const char *a = r->entities[i].redacted_text;
            CHECK_MSG(strcasecmp(a, r->entities[i].text) != 0, "surrogate %zu equals the original", i);
            CHECK_MSG(a[0] != '[', "no surrogate for %s: %s", r->entities[i].label, a);
            for (const char *v = "Ann\0Lee\0Bob\0"; *v; v += strlen(v) + 1)
                CHECK_MSG(strstr(r->deidentified_text, v) == NULL, "a real name stays: %s", v);
        }
        /* the phone keeps its shape with every digit changed; the date is another valid ISO date */
        const char *ph = r->entities[6].redacted_text, *dt = r->entities[5].redacted_text;
        CHECK_INT(strlen(ph), 12);
        for (int i = 0; i < 12 && strlen(ph) == 12; i++)
            CHECK(ph[i] == '-' ? "617-555-0142"[i] == '-' : ph[i] != "617-555-0142"[i] && isdigit((unsigned char)ph[i]));
        int y = 0, m = 0, d = 0;
        CHECK_INT(sscanf(dt, "%4d-%2d-%2d", &y, &m, &d), 3);
        CHECK(strlen(dt) == 10 && m >= 1 && m <= 12 && d >= 1 && d <= 28 && y >= 1940 && y < 2020);
        CHECK(r->n_mapping >= 5);
    }
    openmed_deid_result_free(r);
    openmed_deid_result_free(r2);

    /* surrogate formats of the other kinds */
    const char *t3 = "Seen 3rd of March 2019, e-mail ab@cd.com, site http://x.io/p, MRN 1234567, ZIP AB12 9CD";
    openmed_entity e3[] = {ent("ID_NUM", at(t3, "AB12"), at(t3, "AB12") + 8, 0.9f)};
    r = deid(t3, e3, 1, OPENMED_DEID_REPLACE, 0);
    if (r) {
        CHECK_INT(r->n_entities, 5);
        for (size_t i = 0; i < r->n_entities; i++) {
            const char *lab = r->entities[i].label, *got = r->entities[i].redacted_text;
            if (!strcmp(lab, "DATE")) {
                char suffix[3] = "", month[16] = "";
                int day = 0, year = 0;
                CHECK_MSG(sscanf(got, "%d%2s of %15s %d", &day, suffix, month, &year) == 4, "date %s", got);
                CHECK(strcmp(month, "March") != 0 && year != 2019 && strlen(got) >= 17);
            } else if (!strcmp(lab, "EMAIL")) {
                CHECK_MSG(strncmp(got, "user", 4) == 0 && strstr(got, "@example.org"), "%s", got);
            } else if (!strcmp(lab, "URL")) {
                CHECK_MSG(strncmp(got, "https://www.example.org/", 24) == 0, "%s", got);
            } else if (!strstr(r->entities[i].text, "MRN")) {
                CHECK_INT(strlen(got), 8); /* "AB12 9CD": each token with a digit fully replaced */
                CHECK(got[4] == ' ' && isupper((unsigned char)got[0]) && isdigit((unsigned char)got[2]));
                CHECK(strncmp(got, "AB12", 4) != 0 && strncmp(got + 5, "9CD", 3) != 0);
            } else {
                CHECK_MSG(strncmp(got, "MRN ", 4) == 0 && strlen(got) == 11, "%s", got); /* the word stays */
            }
        }
    }
    openmed_deid_result_free(r);
}

/* year-month-day + days, by the C library's calendar (independent of dates.c) */
static void add_days(int *y, int *m, int *d, int days) {
    struct tm tm = {0};
    tm.tm_year = *y - 1900;
    tm.tm_mon = *m - 1;
    tm.tm_mday = *d + days;
    tm.tm_hour = 12;
    time_t t = timegm(&tm);
    gmtime_r(&t, &tm);
    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
    *d = tm.tm_mday;
}

static openmed_deid_result *shift(const char *text, int days, const char *seed, int keep_mapping) {
    openmed_deid_options o;
    openmed_deid_options_init(&o);
    o.method = OPENMED_DEID_SHIFT_DATES;
    o.date_shift_days = days;
    o.date_shift_seed = seed;
    o.keep_mapping = keep_mapping;
    openmed_deid_result *r = NULL;
    openmed_error err = {0};
    CHECK_MSG(openmed_deidentify(NULL, text, strlen(text), &o, &r, &err) == OPENMED_OK, "%s", err.message);
    return r;
}

static void test_shift_dates(void) {
    const char *t = "Seen 03/14/2021, 2020-12-25, March 3, 2021, 3rd of March 2019, Feb 28, 2020, 12/31/99; "
                    "next March 2021; call 617-555-0142 or 617-555-0199.";
    openmed_deid_result *r = shift(t, 10, NULL, 0);
    if (r) {
        CHECK_STR(r->deidentified_text, "Seen 03/24/2021, 2021-01-04, March 13, 2021, 13th of March 2019, Mar 9, 2020, "
                                        "01/10/00; next [DATE_SHIFTED]; call [PHONE] or [PHONE].");
        CHECK_INT(r->date_shift_days, 10);
    }
    openmed_deid_result_free(r);
    r = shift("Born Mar 1, 2020 (2020-03-01).", -1, NULL, 1);
    if (r) {
        CHECK_STR(r->deidentified_text, "Born Feb 29, 2020 (2020-02-29).");
        CHECK_INT(r->n_mapping, 2);
    }
    openmed_deid_result_free(r);
    r = shift("a 617-555-0142, b 617-555-0199, c March 2021, d 617-555-0142", 5, NULL, 1);
    if (r) CHECK_STR(r->deidentified_text, "a [PHONE], b [PHONE_2], c [DATE_SHIFTED], d [PHONE]");
    openmed_deid_result_free(r);

    /* a seed gives OpenMed's offset: sha256("openmed-date-shift-seed-v1\0" + seed) mod 730 */
    unsigned char md[EVP_MAX_MD_SIZE], msg[64];
    unsigned len = 0;
    memcpy(msg, "openmed-date-shift-seed-v1\0patient-42", 37);
    EVP_Digest(msg, 37, md, &len, EVP_sha256(), NULL);
    unsigned long bucket = 0;
    for (unsigned i = 0; i < len; i++) bucket = (bucket * 256 + md[i]) % 730;
    int want = bucket < 365 ? (int)bucket - 365 : (int)bucket - 364;
    r = shift("Seen 2021-03-14.", 0, "patient-42", 0);
    if (r) {
        CHECK_INT(r->date_shift_days, want);
        int y = 2021, m = 3, d = 14;
        add_days(&y, &m, &d, want);
        char expect[64];
        snprintf(expect, sizeof expect, "Seen %04d-%02d-%02d.", y, m, d);
        CHECK_STR(r->deidentified_text, expect);
    }
    openmed_deid_result_free(r);

    /* without days or seed: a random non-zero shift, the same for every date of the text */
    r = shift("Seen 2021-03-14 and 2021-03-15.", 0, NULL, 0);
    if (r) {
        int s = r->date_shift_days;
        CHECK(s != 0 && s >= -365 && s <= 365);
        int y1 = 2021, m1 = 3, d1 = 14, y2 = 2021, m2 = 3, d2 = 15;
        add_days(&y1, &m1, &d1, s);
        add_days(&y2, &m2, &d2, s);
        char expect[96];
        snprintf(expect, sizeof expect, "Seen %04d-%02d-%02d and %04d-%02d-%02d.", y1, m1, d1, y2, m2, d2);
        CHECK_STR(r->deidentified_text, expect);
    }
    openmed_deid_result_free(r);
}

static void test_no_leak(void) {
    for (int m = OPENMED_DEID_MASK; m <= OPENMED_DEID_FORMAT_PRESERVE; m++) {
        for (int mapping = 0; mapping <= 1; mapping++) {
            openmed_deid_options o;
            openmed_deid_options_init(&o);
            o.method = (openmed_deid_method)m;
            o.keep_mapping = mapping;
            /* a fixed key: with a random one a surrogate can by chance hold another value's year */
            o.secret = (const unsigned char *)secret;
            o.secret_len = strlen(secret);
            openmed_deid_result *r = NULL;
            openmed_error err = {0};
            CHECK(openmed_deidentify(NULL, note, strlen(note), &o, &r, &err) == OPENMED_OK);
            if (!r) continue;
            for (size_t i = 0; i < sizeof planted / sizeof planted[0]; i++) {
                CHECK_MSG(strstr(r->deidentified_text, planted[i]) == NULL, "%s leaks with %s",
                          planted[i], openmed_deid_method_name(o.method));
                /* a shifted date may keep its year; every other value loses all its digits */
                int date = strchr(planted[i], '/') || strstr(planted[i], "20") == planted[i] || strstr(planted[i], "ar") ||
                           strstr(planted[i], "Feb") || strstr(planted[i], "Oct");
                char what[96];
                snprintf(what, sizeof what, "library, %s, mapping %d", openmed_deid_method_name(o.method), mapping);
                if (!(m == OPENMED_DEID_SHIFT_DATES && date)) check_no_digit_leak(what, r->deidentified_text, planted[i]);
            }
            CHECK(strstr(r->deidentified_text, "mercy-hospital") == NULL);
            CHECK(strstr(r->deidentified_text, "metformin 500 mg twice daily") != NULL); /* clinical text stays */
            CHECK_INT(r->n_entities, 13);
            CHECK_INT(r->n_mapping, mapping ? 13 : 0);
            openmed_deid_result_free(r);
        }
    }
}

static void test_errors(void) {
    openmed_error err = {0};
    openmed_deid_result *r = (openmed_deid_result *)&err;
    const char bad[] = "Name: Jos\xC3 Smith";
    CHECK(openmed_deidentify(NULL, bad, strlen(bad), NULL, &r, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(r == NULL);
    CHECK_MSG(strstr(err.message, "invalid UTF-8 at byte 9") != NULL, "%s", err.message);
    CHECK(strstr(err.message, "Smith") == NULL); /* errors never quote the text */
    const char nul[] = "abc\0def";
    CHECK(openmed_pii_extract(NULL, nul, 7, NULL, &r, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err.message, "NUL byte at byte 3") != NULL, "%s", err.message);

    openmed_deid_method m;
    CHECK(openmed_deid_method_parse("scramble", &m, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err.message, "unknown de-identification method 'scramble'") != NULL, "%s", err.message);
    CHECK(openmed_deid_method_parse("aadhaar_mask", &m, &err) == OPENMED_ERR_UNSUPPORTED);
    CHECK(strstr(err.message, "not implemented") != NULL);
    CHECK(openmed_deid_method_parse("HASH", &m, &err) == OPENMED_OK && m == OPENMED_DEID_HASH);
    CHECK_STR(openmed_deid_method_name(OPENMED_DEID_REPLACE), "replace");

    openmed_deid_options o;
    openmed_deid_options_init(&o);
    CHECK_NEAR(o.confidence_threshold, 0.7, 1e-6);
    CHECK(o.method == OPENMED_DEID_MASK && o.safety_sweep == 1 && o.keep_mapping == 0);
    const float bad_thresholds[] = {-0.01f, 1.5f, NAN};
    for (int i = 0; i < 3; i++) {
        o.confidence_threshold = bad_thresholds[i];
        CHECK(openmed_deidentify(NULL, "x", 1, &o, &r, &err) == OPENMED_ERR_INVALID_ARGUMENT);
        CHECK_MSG(strstr(err.message, "confidence_threshold") && strstr(err.message, "outside [0, 1]"), "%s",
                  err.message);
    }
    openmed_deid_options_init(&o);
    o.method = (openmed_deid_method)42;
    CHECK(openmed_deidentify(NULL, "x", 1, &o, &r, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "unknown de-identification method 42") != NULL);
    openmed_deid_options_init(&o);
    o.date_shift_days = 3; /* without shift_dates */
    CHECK(openmed_deidentify(NULL, "x", 1, &o, &r, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "need method shift_dates") != NULL);
    o.method = OPENMED_DEID_SHIFT_DATES;
    o.date_shift_days = 40000;
    CHECK(openmed_deidentify(NULL, "x", 1, &o, &r, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "date_shift_days 40000 is outside [-36500, 36500]") != NULL);
    openmed_deid_options_init(&o);
    o.safety_sweep = 0;
    CHECK(openmed_deidentify(NULL, "x", 1, &o, &r, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(openmed_deidentify(NULL, NULL, 3, NULL, &r, &err) == OPENMED_ERR_INVALID_ARGUMENT);

    /* empty text: an empty result */
    CHECK(openmed_deidentify(NULL, "", 0, NULL, &r, &err) == OPENMED_OK);
    if (r) CHECK(r->n_entities == 0 && r->deidentified_len == 0 && r->deidentified_text[0] == 0);
    openmed_deid_result_free(r);
    openmed_deid_result_free(NULL);
}

/* Garbage in: random bytes through the whole path must fail cleanly or succeed, never crash. */
static void test_fuzz(void) {
    unsigned seed = 12345;
    char buf[256];
    for (int round = 0; round < 300; round++) {
        size_t n = (size_t)(round % 200);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (char)("0123456789-/().@: aZ\xc3\xa9MRN"[(seed >> 16) % 26]);
        }
        openmed_deid_result *r = NULL;
        openmed_error err = {0};
        openmed_deid_options o;
        openmed_deid_options_init(&o);
        o.method = (openmed_deid_method)(round % 6);
        o.keep_mapping = round & 1;
        openmed_status st = openmed_deidentify(NULL, buf, n, &o, &r, &err);
        CHECK(st == OPENMED_OK || st == OPENMED_ERR_INVALID_ARGUMENT);
        openmed_deid_result_free(r);
    }
}

int main(void) {
    test_sweep();
    test_merge_and_overlaps();
    test_code_points();
    test_methods();
    test_shift_dates();
    test_no_leak();
    test_errors();
    test_fuzz();
    return check_finish("test_deid_logic");
}
