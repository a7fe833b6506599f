/* test_privacy_spans.c: grapheme snapping, whitespace trimming and the email / URL / phone /
 * "and"-"or" refinement of privacy-filter spans (behaviour spec 6.8 and the offsets contract),
 * and the assembly of entities from token labels. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "privacy/spans.h"

/* Refine `label` over the code points [start, end) of text; returns the result as "start:end". */
static const char *refine(const char *text, const char *label, int64_t start, int64_t end) {
    static char out[64];
    om_cp_text t;
    openmed_error err;
    if (om_cp_text_init(&t, text, strlen(text), &err) != OPENMED_OK) return "bad-utf8";
    if (om_refine_privacy_span(&t, label, &start, &end, &err) != OPENMED_OK) return "error";
    snprintf(out, sizeof out, "%lld:%lld", (long long)start, (long long)end);
    om_cp_text_free(&t);
    return out;
}

static const char *trim(const char *text, int64_t start, int64_t end) {
    static char out[64];
    om_cp_text t;
    openmed_error err;
    if (om_cp_text_init(&t, text, strlen(text), &err) != OPENMED_OK) return "bad-utf8";
    om_trim_span_whitespace(&t, &start, &end);
    snprintf(out, sizeof out, "%lld:%lld", (long long)start, (long long)end);
    om_cp_text_free(&t);
    return out;
}

static const char *snap(const char *text, int64_t start, int64_t end) {
    static char out[64];
    om_cp_text t;
    openmed_error err;
    if (om_cp_text_init(&t, text, strlen(text), &err) != OPENMED_OK) return "bad-utf8";
    om_snap_to_graphemes(&t, &start, &end);
    snprintf(out, sizeof out, "%lld:%lld", (long long)start, (long long)end);
    om_cp_text_free(&t);
    return out;
}

int main(void) {
    openmed_error err;
    om_cp_text t;

    /* code points and invalid UTF-8 */
    CHECK(om_cp_text_init(&t, "a\xc3\xa9\xe2\x82\xac", 6, &err) == OPENMED_OK);
    CHECK_INT(t.n, 3);
    CHECK_INT(t.cp[1], 0xE9);
    CHECK_INT(t.byte_at[2], 3);
    om_cp_text_free(&t);
    CHECK(om_cp_text_init(&t, "ab\xc3", 3, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "byte 2") != NULL);
    CHECK(om_cp_text_init(&t, "\xed\xa0\x80", 3, &err) == OPENMED_ERR_INVALID_ARGUMENT); /* surrogate */

    /* grapheme snapping (offset contract): a span never splits a cluster */
    CHECK_STR(snap("\xe0\xa4\x95\xe0\xa5\x8d\xe0\xa4\xb7\xe0\xa4\xbf", 1, 3), "0:4"); /* क्षि, conjunct */
    CHECK_STR(snap("e\xcc\x81t\xc3\xa9", 0, 1), "0:2");                          /* e + combining acute */
    CHECK_STR(snap("x \xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9 y", 3, 4), "2:5"); /* ZWJ family */
    CHECK_STR(snap("\xf0\x9f\x87\xba\xf0\x9f\x87\xb8\xf0\x9f\x87\xab\xf0\x9f\x87\xb7", 1, 3), "0:4"); /* flags */
    CHECK_STR(snap("ab\r\ncd", 3, 4), "2:4");                                     /* CR LF */
    CHECK_STR(snap("e\xcc\x81t", 1, 1), "0:0");                                   /* empty moves back */
    CHECK_STR(snap("abc", -5, 99), "0:3");                                        /* clamped */

    /* whitespace trimming: whole whitespace clusters only */
    CHECK_STR(trim("  John  ", 0, 8), "2:6");
    CHECK_STR(trim("a\t\n b", 1, 5), "4:5");
    CHECK_STR(trim("x\xe3\x80\x80y\xe3\x80\x80", 1, 4), "2:3"); /* U+3000 at the edges */
    CHECK_STR(trim("\xe2\x80\x8d" "ab", 0, 3), "0:3");          /* a lone ZWJ is not whitespace */
    CHECK_STR(trim("a \xcc\x81" "b", 1, 4), "3:4");              /* a space with its mark is */
    CHECK_STR(trim("   ", 0, 3), "3:3");

    /* email, URL and phone spans shrink to the first strict match */
    const char *s1 = "Contact alice@hospital.org and";
    CHECK_STR(refine(s1, "private_email", 0, 30), "8:26");
    const char *s2 = "see https://x.org/a?q=1, later";
    CHECK_STR(refine(s2, "private_url", 0, 30), "4:23");
    CHECK_STR(refine("go www.example.com) now", "private_url", 0, 23), "3:18");
    const char *s3 = "call (555) 123-4567 now";
    CHECK_STR(refine(s3, "private_phone", 0, 23), "5:19");
    CHECK_STR(refine("ph: +1 555.123.4567", "PHONE_NUMBER", 0, 19), "4:19");
    /* no match: the span stays (trimmed) */
    CHECK_STR(refine(" no email here ", "private_email", 0, 15), "1:14");

    /* trailing " and" / " or" for other labels, Latin-only or Indic spans */
    CHECK_STR(refine("John Smith and", "private_person", 0, 14), "0:10");
    CHECK_STR(refine("John AND", "private_person", 0, 8), "0:4");
    CHECK_STR(refine("Ann or", "private_person", 0, 6), "0:3");
    CHECK_STR(refine("Portland", "private_address", 0, 8), "0:8");        /* not " and" */
    CHECK_STR(refine("\xe5\xbc\xa0\xe4\xbc\x9f and", "private_person", 0, 6), "0:6"); /* Han: kept */
    CHECK_STR(refine("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd and", "private_person", 0, 8), "0:8"); /* Cyrillic: kept */
    CHECK_STR(refine("\xe0\xa4\xb0\xe0\xa4\xbe\xe0\xa4\xae and", "private_person", 0, 7), "0:3"); /* Devanagari */

    /* CJK next to an email or URL: search the Latin run alone */
    CHECK_STR(refine("\xe9\x82\xae\xe7\xae\xb1" "alice@x.com", "private_email", 0, 13), "2:13");
    CHECK_STR(refine("\xe7\xbd\x91\xe5\x9d\x80https://a.cn/x\xe8\xa7\x81", "private_url", 0, 17), "2:16");
    /* neutral digits next to Han: a phone match with no Han inside counts */
    CHECK_STR(refine("\xe7\x94\xb5\xe8\xaf\x9d" "5551234567", "private_phone", 0, 12), "2:12");

    /* entities from decoded labels */
    {
        const char *const labels[] = {"O", "B-private_person", "I-private_person", "E-private_person",
                                      "S-private_person", "B-private_email", "I-private_email", "E-private_email",
                                      "S-private_email"};
        om_bioes_scheme s;
        CHECK(om_bioes_scheme_init(&s, labels, 9, &err) == OPENMED_OK);
        const char *text = "Dr John Smith, mail john@x.org now";
        /* tokens: "Dr" " John" " Smith" "," " mail" " john" "@" "x" ".org" " now" */
        int64_t off[10][2] = {{0, 2}, {2, 7}, {7, 13}, {13, 14}, {14, 19}, {19, 24}, {24, 25}, {25, 26}, {26, 30}, {30, 34}};
        int32_t lab[10] = {0, 1, 3, 0, 5, 6, 6, 6, 7, 0};
        double prob[10] = {0.9, 0.8, 0.6, 0.9, 0.5, 0.9, 0.9, 0.9, 0.9, 0.9};
        CHECK(om_cp_text_init(&t, text, strlen(text), &err) == OPENMED_OK);
        om_pf_entity *ents;
        int64_t n;
        CHECK(om_privacy_entities(&s, lab, prob, (const int64_t(*)[2])off, 10, &t, &ents, &n, &err) == OPENMED_OK);
        CHECK_INT(n, 2);
        if (n == 2) {
            CHECK_STR(s.span_names[ents[0].span], "private_person");
            CHECK_INT(ents[0].start, 3); CHECK_INT(ents[0].end, 13);
            CHECK_NEAR(ents[0].score, 0.7, 1e-12);
            CHECK_STR(s.span_names[ents[1].span], "private_email");
            CHECK_INT(ents[1].start, 20); CHECK_INT(ents[1].end, 30); /* " mail" dropped by refinement */
            CHECK_NEAR(ents[1].score, (0.5 + 0.9 * 4) / 5, 1e-12);
        }
        free(ents);
        /* a whitespace-only entity disappears */
        int32_t lab2[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        lab2[3] = 4;
        int64_t off2[10][2];
        memcpy(off2, off, sizeof off);
        off2[3][0] = 13, off2[3][1] = 14;
        CHECK(om_privacy_entities(&s, lab2, prob, (const int64_t(*)[2])off2, 10, &t, &ents, &n, &err) == OPENMED_OK);
        CHECK_INT(n, 1); /* "," is not whitespace */
        free(ents);
        const char *spaces = "a   b";
        om_cp_text t2;
        CHECK(om_cp_text_init(&t2, spaces, 5, &err) == OPENMED_OK);
        int64_t off3[3][2] = {{0, 1}, {1, 4}, {4, 5}};
        int32_t lab3[3] = {0, 4, 0};
        CHECK(om_privacy_entities(&s, lab3, prob, (const int64_t(*)[2])off3, 3, &t2, &ents, &n, &err) == OPENMED_OK);
        CHECK_INT(n, 0);
        free(ents);
        om_cp_text_free(&t2);
        om_cp_text_free(&t);
        om_bioes_scheme_free(&s);
    }
    /* garbage: random bytes and random spans never crash; valid UTF-8 always indexes, and every
     * refined span stays inside the text on cluster boundaries */
    {
        unsigned seed = 7u;
        int bad_utf8 = 0, in_bounds = 1;
        static const char *const pieces[] = {"a", " ", "\xc3\xa9", "\xe2\x80\x8d", "\xf0\x9f\x91\xa8", "@", ".",
                                             "\xe0\xa5\x8d", "\xe0\xa4\x95", "5", "\r\n", "\xe5\xbc\xa0", "\xff"};
        for (int trial = 0; trial < 400; trial++) {
            char buf[64];
            size_t len = 0;
            for (int k = 0; k < 12; k++) {
                seed = seed * 1103515245u + 12345u;
                const char *p = pieces[(seed >> 16) % 13];
                memcpy(buf + len, p, strlen(p));
                len += strlen(p);
            }
            if (om_cp_text_init(&t, buf, len, &err) != OPENMED_OK) {
                bad_utf8++;
                continue;
            }
            seed = seed * 1103515245u + 12345u;
            int64_t a = (int64_t)((seed >> 16) % 16) - 2, b = a + (int64_t)((seed >> 8) % 14);
            static const char *const labels[] = {"private_email", "private_url", "private_phone", "private_person"};
            CHECK(om_refine_privacy_span(&t, labels[trial % 4], &a, &b, &err) == OPENMED_OK);
            in_bounds &= 0 <= a && a <= b && b <= t.n && t.brk[a] && t.brk[b];
            om_cp_text_free(&t);
        }
        CHECK(bad_utf8 > 0 && bad_utf8 < 400);
        CHECK(in_bounds);
    }
    return check_finish("test_privacy_spans");
}
