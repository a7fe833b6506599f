/* test_deid_view.c: the detection view (folding, the map back to the original) and what it buys:
 * planted values hidden by zero-width characters, soft hyphens, full-width or other-script digits
 * and look-alike letters are found and replaced whole; deny and allow lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deid/deid.h"
#include "deid/view.h"
#include "leak_check.h"
#include "openmed.h"

static om_deid_view view_of(const char *t) {
    om_deid_view v;
    openmed_error err = {0};
    CHECK_MSG(om_deid_view_init(&v, t, strlen(t), &err) == OPENMED_OK, "%s", err.message);
    return v;
}

static void test_folding(void) {
    struct { const char *in, *want; } cases[] = {
        {"plain ASCII stays", "plain ASCII stays"},
        {"Jo\xe2\x80\x8bhn Sm\xe2\x80\x8dith", "John Smith"},                 /* ZWSP, ZWJ */
        {"Sm\xc2\xadith \xef\xbb\xbfX\xe2\x81\xa0Y\xe2\x80\x8cZ", "Smith XYZ"},    /* soft hyphen, BOM, WJ, ZWNJ */
        {"\xef\xbc\x96\xef\xbc\x91\xef\xbc\x97-555-0142", "617-555-0142"},      /* full-width digits */
        {"\xd9\xa3\xd9\xa1\xd9\xa4 \xe0\xa5\xa8", "314 2"},                     /* Arabic-Indic, Devanagari */
        {"J\xd0\xb0ne \xd0\x90nna \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd", "Jane Anna \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd"},
        {"\xef\xac\x81le Caf\x65\xcc\x81", "file Caf\xc3\xa9"},                  /* ligature, NFC */
        {"line\r\nnext\xc2\xa0word", "line\r\nnext word"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        om_deid_view v = view_of(cases[i].in);
        CHECK_STR(v.text, cases[i].want);
        om_deid_view_free(&v);
    }
    /* spans map back to whole clusters: "John" of the view covers "Jo<ZWSP>hn" */
    const char *t = "Dr Jo\xe2\x80\x8bhn Sm\xe2\x80\x8dith.";
    om_deid_view v = view_of(t);
    size_t o0, o1;
    om_deid_view_to_original(&v, 3, 7, &o0, &o1);
    CHECK_INT(o0, 3);
    CHECK_INT(o1, 10);
    om_deid_view_to_original(&v, 8, 13, &o0, &o1);
    CHECK_INT(o0, 11);
    CHECK_INT(o1, 19);
    om_deid_view_free(&v);
}

/* Random mixes of ASCII, removed characters, marks and wide characters: every view byte maps into
 * the original, ranges are monotonic and cover the whole text. */
static void test_map_fuzz(void) {
    static const char *const pieces[] = {"a", "Z", "7", " ", "\xe2\x80\x8d", "\xc2\xad", "\xcc\x81", "\xef\xbc\x93",
                                         "\xd0\xb0", "\xe4\xb8\xad", "\r\n", "\xef\xac\x81", "\xf0\x9f\x91\x8d"};
    unsigned seed = 7;
    char buf[512];
    for (int round = 0; round < 500; round++) {
        size_t n = 0;
        for (int k = 0; k < 40; k++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % (sizeof pieces / sizeof pieces[0])];
            memcpy(buf + n, p, strlen(p));
            n += strlen(p);
        }
        buf[n] = 0;
        om_deid_view v = view_of(buf);
        size_t prev = 0;
        for (size_t b = 0; b < v.len; b++) {
            size_t o0, o1;
            om_deid_view_to_original(&v, b, b + 1, &o0, &o1);
            CHECK(o0 < o1 && o1 <= n && o0 >= prev);
            prev = o0;
        }
        size_t a, z;
        om_deid_view_to_original(&v, 0, v.len, &a, &z);
        CHECK(v.len == 0 || z <= n);
        om_deid_view_free(&v);
    }
}

/* Planted structured values in every Unicode disguise, every method: no digit run survives. */
static void test_disguised_values(void) {
    const char *note = "Call 6\xe2\x80\x8d" "17-555-01\xc2\xad" "42 or \xef\xbc\x96\xef\xbc\x91\xef\xbc\x97-555-0199; "
                       "SSN 123-4\xe2\x80\x8b" "5-6789; seen \xd9\xa0\xd9\xa3/14/2021; mail jo\xe2\x80\x8dhn@ex.org.";
    const char *values[] = {"617-555-0142", "617-555-0199", "123-45-6789", "03/14/2021"};
    for (int m = OPENMED_DEID_MASK; m <= OPENMED_DEID_FORMAT_PRESERVE; m++) {
        openmed_deid_options o;
        openmed_deid_options_init(&o);
        o.method = (openmed_deid_method)m;
        openmed_deid_result *r = NULL;
        openmed_error err = {0};
        CHECK_MSG(openmed_deidentify(NULL, note, strlen(note), &o, &r, &err) == OPENMED_OK, "%s", err.message);
        if (!r) continue;
        om_deid_view out = view_of(r->deidentified_text); /* compare in folded form too */
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
            if (m == OPENMED_DEID_SHIFT_DATES && i == 3) continue; /* a shifted date keeps its year */
            check_no_digit_leak(openmed_deid_method_name(o.method), out.text, values[i]);
        }
        CHECK_MSG(strstr(out.text, "john") == NULL && strstr(r->deidentified_text, "\xe2\x80\x8d") == NULL,
                  "%s: %s", openmed_deid_method_name(o.method), r->deidentified_text);
        CHECK_MSG(strstr(r->deidentified_text, "\xef\xbc\x96") == NULL, "%s", r->deidentified_text);
        CHECK_INT(r->n_entities, 5);
        om_deid_view_free(&out);
        openmed_deid_result_free(r);
    }
}

/* A model entity over the view maps to the original: the name with a ZWJ inside is replaced whole. */
static void test_model_span_over_joiner(void) {
    const char *t = "Pt Kowal\xe2\x80\x8dski seen; KOWALSKI called.";
    /* the view is "Pt Kowalski seen; KOWALSKI called." */
    openmed_entity e[] = {{"LAST_NAME", "", 0.95f, 3, 11, -1}};
    openmed_deid_options o;
    openmed_deid_options_init(&o);
    openmed_deid_result *r = NULL;
    openmed_error err = {0};
    CHECK(om_deid_from_entities(t, strlen(t), e, 1, &o, 1, &r, &err) == OPENMED_OK);
    if (r) {
        CHECK_STR(r->deidentified_text, "Pt [LAST_NAME] seen; [LAST_NAME] called.");
        if (r->n_entities == 2) {
            CHECK_STR(r->entities[0].text, "Kowal\xe2\x80\x8dski");
            CHECK_INT(r->entities[0].start, 3);
            CHECK_INT(r->entities[0].end, 12);
            CHECK_STR(r->entities[1].source, "repeat");
        }
    }
    openmed_deid_result_free(r);
}

static void test_lists(void) {
    const char *t = "Acme Clinic referred Mr Quux; quux agreed. Call 617-555-0142 (Acme main line 617-555-0100).";
    const char *deny[] = {"quux", "Acme Clinic"}, *allow[] = {"617-555-0100"};
    openmed_deid_options o;
    openmed_deid_options_init(&o);
    o.deny_list = deny;
    o.n_deny_list = 2;
    o.allow_list = allow;
    o.n_allow_list = 1;
    openmed_deid_result *r = NULL;
    openmed_error err = {0};
    CHECK(openmed_deidentify(NULL, t, strlen(t), &o, &r, &err) == OPENMED_OK);
    if (r) {
        CHECK_STR(r->deidentified_text,
                  "[CUSTOM] referred Mr [CUSTOM]; [CUSTOM] agreed. Call [PHONE] (Acme main line 617-555-0100).");
        CHECK_STR(r->entities[0].source, "deny");
    }
    openmed_deid_result_free(r);
    const char *empty[] = {""};
    o.deny_list = empty;
    o.n_deny_list = 1;
    CHECK(openmed_deidentify(NULL, t, strlen(t), &o, &r, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(r == NULL && strstr(err.message, "deny_list entry 0 is empty"));
}

int main(void) {
    test_folding();
    test_map_fuzz();
    test_disguised_values();
    test_model_span_over_joiner();
    test_lists();
    return check_finish("test_deid_view");
}
