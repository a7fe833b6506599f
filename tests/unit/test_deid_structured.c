/* test_deid_structured.c: the structured-identifier detectors without a model: every kind (cards,
 * IBANs, IPs, URLs and domains, e-mail, phones of many countries, fax, SSNs, MRNs, account and plan
 * numbers, dates of birth, dates, street addresses of several languages, postal codes) planted in
 * several shapes and layouts (sentence, form field, table row, tab-separated, value on the next
 * line; normal, lower and upper case; full-width digits) leaves no 4-digit run and no distinctive
 * word behind with any method; addresses written over several lines (a unit alone on a line, a
 * blank line inside, a last line running on into a sentence) and military mail go whole, with the
 * places after a street on its line and both streets of a corner;
 * check digits are checked (Luhn, mod 97, octets); and the clinical numbers and words of a note
 * (doses, vitals, lab values, ages, years, durations, a Luhn-invalid number) stay. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "deid/deid.h"
#include "deid/validators.h"
#include "deid/view.h"
#include "leak_check.h"
#include "openmed.h"

static const char key[] = "structured test key";

typedef struct planted {
    const char *value;
    const char *word; /* a distinctive word of the value that must not survive (NULL: digits only) */
} planted;

typedef struct kind {
    const char *name;
    const char *label;    /* the field's label in forms and tables */
    const char *sentence; /* a sentence around the value: %s */
    planted values[28];
} kind;

static const kind kinds[] = {
    {"card", "Card", "Copay was charged to card %s today.",
     {{"4111 1111 1111 1111", NULL}, {"5555-5555-5555-4444", NULL}, {"378282246310005", NULL},
      {"3782 822463 10005", NULL}, {"6011000990139424", NULL}, {"3530 1113 3330 0000", NULL},
      {"4000-0566-5566-5556", NULL}, {NULL, NULL}}},
    {"iban", "IBAN", "Refunds go to %s as agreed.",
     {{"DE89 3704 0044 0532 0130 00", NULL}, {"GB82WEST12345698765432", "WEST1234"}, {"FR14 2004 1010 0505 0001 3M02 606", NULL},
      {"NL91 ABNA 0417 1643 00", "ABNA"}, {"ES9121000418450200051332", NULL}, {"IT60 X054 2811 1010 0000 0123 456", NULL},
      {"PL61 1090 1014 0000 0712 1981 2874", NULL}, {"CH93 0076 2011 6238 5295 7", NULL}, {"BE68539007547034", NULL},
      {"NO93 8601 1117 947", NULL}, {"ES91 21000418 4502 00051332", NULL}, {NULL, NULL}}},
    {"ip", "IP", "The portal was accessed from %s yesterday.",
     {{"192.168.10.25", NULL}, {"10.0.0.1:8080", NULL}, {"172.16.254.1/24", NULL}, {"2001:db8:85a3::8a2e:370:7334", "8a2e"},
      {"fe80::1ff:fe23:4567:890a", "fe23"}, {"2001:0db8:0000:0000:0000:ff00:0042:8329", "ff00"},
      {"::ffff:192.0.2.128", "ffff"}, {"FE80::ABCD:1234", "ABCD"}, {NULL, NULL}}},
    {"url", "Portal", "Results are posted at %s for review.",
     {{"https://portal.mercy-health.org/patients/48213", "mercy"}, {"http://www.kliniken-berlin.de/", "kliniken"},
      {"www.example-clinic.com/portal?id=99182", "example-clinic"}, {"ftp://files.hospital-net.net/x", "hospital-net"},
      {"smithjones-care.org", "smithjones"}, {"dupontclinique.fr/", "dupontclinique"},
      {"records.stmarys.co.uk", "stmarys"}, {NULL, NULL}}},
    {"email", "E-mail", "Please write to %s with questions.",
     {{"maria.lopez@hospital-general.es", "lopez"}, {"ZOE.MULLERSON@KLINIK-NORD.DE", "mullerson"},
      {"j_doe+notes@sub.mail.example.co.uk", "j_doe"}, {"zo\xc3\xab.m\xc3\xbcller@gmx.de", "ller"}, {NULL, NULL}}},
    {"phone", "Phone", "She can be reached at %s after five.",
     {{"+33 (0)1 74 83 37 88", NULL}, {"+49 (0) 8259 791907", NULL}, {"(0808) 1570791", NULL}, {"0151 496 0232", NULL},
      {"+44 20 7946 0958", NULL}, {"08-232 86 01", NULL}, {"+46 (0)8 748 337 88", NULL}, {"+7 (860) 129-0404", NULL},
      {"+61 486 012 904", NULL}, {"+61.425.102.734", NULL}, {"(825)979-1907", NULL}, {"337.887.6232", NULL},
      {"+1-860-129-0404x79666", NULL}, {"001-972-510-2734", NULL}, {"0825 979 19 07", NULL},
      {"(06)82/597-9190", NULL}, {"070-8259-7919", NULL}, {"+55 (011) 7483 3788", NULL}, {"+420 601 234 567", NULL},
      {"698 259 791", NULL}, {"+39 82 5979190", NULL}, {"13474833788", NULL}, {"617-555-0142 ext. 600", NULL},
      {"(37) 788-063", NULL},
      {NULL, NULL}}},
    {"fax", "Fax", "Send the report by fax to %s today.",
     {{"617-555-0199", NULL}, {"+49 30 1234567", NULL}, {"(020) 7946 0958", NULL}, {NULL, NULL}}},
    {"ssn", "SSN", "Her social security number is %s on file.",
     {{"123-45-6789", NULL}, {"123456789", NULL}, {"123 45 6789", NULL}, {NULL, NULL}}},
    {"mrn", "MRN", "Medical record number %s was verified.",
     {{"00482913", NULL}, {"A1234567", NULL}, {"MR12345678", NULL}, {"652-390-0", NULL}, {"12-345-678", NULL},
      {"C7607193", NULL}, {NULL, NULL}}},
    {"account", "Account #", "Billing account # %s is current.",
     {{"00012345678", NULL}, {"987654321", NULL}, {"XJH123456789", NULL}, {"POL-2024-889123", NULL}, {NULL, NULL}}},
    {"member", "Member ID", "Member ID %s was checked.",
     {{"XJH123456789", NULL}, {"W123456789", NULL}, {"889123004", NULL}, {NULL, NULL}}},
    {"dob", "DOB", "Date of birth: %s per the chart.",
     {{"13/07/1970", NULL}, {"July 13, 1970", NULL}, {"13.07.1970", NULL}, {"1970-07-13", NULL}, {"13-Jul-1970", NULL},
      {"the 8th of April, 1953", NULL}, {"13 juillet 1970", "juillet"}, {"7/13/70", NULL}, {NULL, NULL}}},
    {"date", "Date", "She was last seen on %s in clinic.",
     {{"03/14/2021", NULL}, {"2021-03-14", NULL}, {"March 3, 2021", NULL}, {"3rd of March 2021", NULL},
      {"14.03.2021", NULL}, {"5-Mar-2020", NULL}, {"May 20, 1995", NULL}, {"Mar. 5 2020", NULL}, {"2021/03/14", NULL},
      {NULL, NULL}}},
    {"street", "Address", "The patient lives at %s with her family.",
     {{"742 Evergreen Terrace", "Evergreen"}, {"221B Baker Street", "Baker"}, {"12 Oak St. Apt 4B", "Oak"},
      {"5947 Bruce Ranch Suite 474", "Bruce"}, {"Hauptstra\xc3\x9f" "e 12", "Hauptstra"}, {"Goethestr. 5", "Goethestr"},
      {"Hans-J\xc3\xb6rg-Jungfer-Stra\xc3\x9f" "e 55", "Jungfer"}, {"12, rue de la Paix", "Paix"},
      {"Calle Mayor 5", "Mayor"}, {"Via Roma 12", "Roma"}, {"Rua das Flores, 123", "Flores"},
      {"ul. Kwiatowa 12/3", "Kwiatowa"}, {"Storgatan 8", "Storgatan"}, {"N\xc3\xb8rregade 12", "rregade"},
      {"Mannerheimintie 12", "Mannerheim"}, {"Kossuth utca 12.", "Kossuth"}, {"P.O. Box 1234", NULL},
      {"Jansstraat 12", "Jansstraat"}, {"\xd1\x83\xd0\xbb. \xd0\xa1\xd0\xb5\xd0\xbd\xd0\xbd\xd0\xb0\xd1\x8f, \xd0\xb4. 81",
                                        "\xd0\xa1\xd0\xb5\xd0\xbd\xd0\xbd"},
      {"1600 Pennsylvania Avenue", "Pennsylvania"}, {"Calzada Durango 372 Edif. 600 , Depto. 193", "Durango"},
      {NULL, NULL}}},
    {"postal", "Address", "The patient lives at %s since May.",
     {{"12 Oak Street, Boston, MA 02115", "Oak"}, {"12 Oak Street, Boston, MA 02115-1234", "Oak"},
      {"Hauptstra\xc3\x9f" "e 12, 10115 Berlin", "Hauptstra"}, {"10 Downing Street, London SW1A 2AA", "Downing"},
      {"290 Bremner Blvd, Toronto, ON M5V 3L9", "Bremner"}, {"Jansstraat 12, 1012 AB Amsterdam", "Jansstraat"},
      {"ul. Kwiatowa 12, 00-950 Warszawa", "Kwiatowa"}, {NULL, NULL}}},
    /* the places after a street on its line, a corner of two streets */
    {"place", "Address", "The patient lives at %s with her family.",
     {{"6400 12 Timms Drive Suite 215 Nungatta Australia", "Nungatta"}, {"0912 P.O. Box 287 Apt. 051, Tallinn, Estonia", "Tallinn"},
      {"12521 Belgr\xc3\xa1" "d rkp. 18. Apt. 417 Csipkerek Vas", "Csipkerek"},
      {"6108 Friedhofstrasse 33 Suite 979 BIBER Upper Austria", "Biber"},
      {"the corner of \xc3\x96stbygatan 14 and Sigurmundsson Greens", "Sigurmundsson"},
      {"the corner of Nieuwe Baan 473 St. and Inna Loop St.", "Inna"},
      {"Katrina and R\xc3\xba" "a do Paseo 46", "Katrina"}, {"Hanssenekra 14, 4212 Gulbrandsen", "Hanssenekra"},
      {"Viz\xc3\xb3vick\xc3\xa1 5, 547 52 Sedlice", "Sedlice"}, {"Pot za Brdom 2, 0332 Kostanjevica na Krki", "Brdom"},
      {"Renskebaan 329, 7612 TD, Kedichem", "Renskebaan"}, {"Canale Esposito 5, Fabbri calabro, 07532 Vibo Valentia (OT)", "Valentia"},
      {"Passarela Monteiro, 3, Unidas, 73202152 Jesus / MS", "Jesus"}, {NULL, NULL}}},
};

static const openmed_deid_method methods[] = {OPENMED_DEID_MASK, OPENMED_DEID_REMOVE, OPENMED_DEID_REPLACE,
                                              OPENMED_DEID_HASH, OPENMED_DEID_FORMAT_PRESERVE};

enum { LAYOUT_SENTENCE, LAYOUT_FORM, LAYOUT_TABLE, LAYOUT_TSV, LAYOUT_NEXT_LINE, N_LAYOUTS };
enum { CASE_AS_IS, CASE_LOWER, CASE_UPPER, N_CASES };

/* The value with its ASCII digits as full-width digits (U+FF10..U+FF19) when `wide`. */
static void disguise(const char *v, int wide, char *out, size_t size) {
    size_t n = 0;
    for (const char *p = v; *p && n + 4 < size; p++) {
        if (wide && isdigit((unsigned char)*p)) {
            out[n++] = (char)0xEF;
            out[n++] = (char)0xBC;
            out[n++] = (char)(0x90 + (*p - '0'));
        } else {
            out[n++] = *p;
        }
    }
    out[n] = 0;
}

static void apply_case(char *s, int how) {
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < 0x80) *p = (char)(how == CASE_LOWER ? tolower((unsigned char)*p) : how == CASE_UPPER ? toupper((unsigned char)*p) : *p);
}

/* One document: a clinical line, then every value of the kind in the layout, then another line. */
static size_t build(const kind *k, int layout, int how, int wide, char *doc, size_t size) {
    size_t n = (size_t)snprintf(doc, size, "Follow-up visit for knee pain; metformin 500 mg twice daily.\n");
    if (layout == LAYOUT_TABLE) n += (size_t)snprintf(doc + n, size - n, "| Field | Value |\n|---|---|\n");
    for (const planted *p = k->values; p->value && n < size; p++) {
        char v[256];
        disguise(p->value, wide, v, sizeof v);
        switch (layout) {
        case LAYOUT_SENTENCE: {
            char line[512];
            snprintf(line, sizeof line, k->sentence, v);
            n += (size_t)snprintf(doc + n, size - n, "%s\n", line);
            break;
        }
        case LAYOUT_FORM: n += (size_t)snprintf(doc + n, size - n, "%s: %s\n", k->label, v); break;
        case LAYOUT_TABLE: n += (size_t)snprintf(doc + n, size - n, "| %s | %s |\n", k->label, v); break;
        case LAYOUT_TSV: n += (size_t)snprintf(doc + n, size - n, "%s\t%s\n", k->label, v); break;
        default: n += (size_t)snprintf(doc + n, size - n, "%s:\n%s\n\n", k->label, v); break;
        }
    }
    n += (size_t)snprintf(doc + n, size - n, "BP 120/80, HR 72. Return in 3 weeks.\n");
    if (how != CASE_AS_IS) apply_case(doc, how);
    return n;
}

/* `word` (any case) in `s` with no letter or digit right before or after it. */
static int has_word(const char *s, const char *word) {
    size_t n = strlen(word);
    for (const char *p = s; (p = strcasestr(p, word)) != NULL; p++) {
        int before = p > s && (isalnum((unsigned char)p[-1]) || (unsigned char)p[-1] >= 0x80);
        int after = isalnum((unsigned char)p[n]) || (unsigned char)p[n] >= 0x80;
        if (!before && !after) return 1;
    }
    return 0;
}

static openmed_deid_result *run(const char *text, openmed_deid_method m, openmed_error *err) {
    openmed_deid_options o;
    openmed_deid_options_init(&o);
    o.method = m;
    o.secret = (const unsigned char *)key;
    o.secret_len = strlen(key);
    openmed_deid_result *r = NULL;
    static const openmed_entity none[1];
    openmed_status st = om_deid_from_entities(text, strlen(text), none, 0, &o, 1, &r, err);
    CHECK_MSG(st == OPENMED_OK, "%s", err->message);
    return r;
}

/* The layout's own words survive (the detectors take values, not labels and frames). */
static void check_frame(const char *what, const char *out) {
    CHECK_MSG(strcasestr(out, "metformin 500 mg twice daily") != NULL, "%s: the dose line lost:\n%s", what, out);
    CHECK_MSG(strcasestr(out, "BP 120/80, HR 72. Return in 3 weeks.") != NULL, "%s: the vitals line lost:\n%s", what, out);
}

static void test_planted(void) {
    static const char *const layout_names[] = {"sentence", "form", "table", "tsv", "next line"};
    static const char *const case_names[] = {"as is", "lower", "upper"};
    char doc[8192];
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (int layout = 0; layout < N_LAYOUTS; layout++)
            for (int how = 0; how < N_CASES; how++)
                for (int wide = 0; wide <= 1; wide++) {
                    build(&kinds[k], layout, how, wide, doc, sizeof doc);
                    for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
                        openmed_error err = {0};
                        openmed_deid_result *r = run(doc, methods[m], &err);
                        if (!r) continue;
                        char what[160];
                        snprintf(what, sizeof what, "%s, %s, %s%s, %s", kinds[k].name, layout_names[layout],
                                 case_names[how], wide ? ", full-width" : "", openmed_deid_method_name(methods[m]));
                        om_deid_view folded; /* what a reader sees after folding the full-width digits */
                        if (om_deid_view_init(&folded, r->deidentified_text, r->deidentified_len, &err) != OPENMED_OK) {
                            CHECK_MSG(0, "%s: %s", what, err.message);
                            openmed_deid_result_free(r);
                            continue;
                        }
                        for (const planted *p = kinds[k].values; p->value; p++) {
                            char w[512];
                            snprintf(w, sizeof w, "%s [%s]", what, p->value);
                            check_no_digit_leak(w, folded.text, p->value);
                            if (p->word)
                                CHECK_MSG(!has_word(folded.text, p->word), "%s: '%s' survives in:\n%s", w, p->word,
                                          r->deidentified_text);
                        }
                        check_frame(what, folded.text);
                        om_deid_view_free(&folded);
                        openmed_deid_result_free(r);
                    }
                }
}

/* ---------------------------------------------------------------- validators */

static void test_validators(void) {
    CHECK(om_valid_card("4111 1111 1111 1111", 19));
    CHECK(!om_valid_card("4111 1111 1111 1112", 19));
    CHECK(!om_valid_card("411111111111", 12));              /* 12 digits: too short */
    CHECK(!om_valid_card("41111111111111111111", 20));      /* 20 digits: too long */
    CHECK(om_valid_iban("DE89 3704 0044 0532 0130 00", 27));
    CHECK(om_valid_iban("gb82west12345698765432", 22));     /* any case */
    CHECK(!om_valid_iban("DE89 3704 0044 0532 0130 01", 27)); /* check digits */
    CHECK(!om_valid_iban("DE89 3704 0044 0532 0130", 24));  /* Germany's length is 22 */
    CHECK(!om_valid_iban("XX89370400440532013000", 22));    /* no such country */
    CHECK_INT(om_iban_length("no"), 15);
    CHECK(om_valid_ipv4("192.168.0.1", 11));
    CHECK(!om_valid_ipv4("192.168.0.256", 13));
    CHECK(!om_valid_ipv4("1.2.3", 5));
    CHECK(om_valid_ipv6("::1", 3));
    CHECK(om_valid_ipv6("2001:db8::ff00:42:8329", 22));
    CHECK(!om_valid_ipv6("10:30:45", 8));
    CHECK(!om_valid_ipv6("2001:db8::g1", 12));
    int generic = -1;
    CHECK(om_valid_tld("COM", 3, &generic) && generic == 1);
    CHECK(om_valid_tld("de", 2, &generic) && generic == 0);
    CHECK(!om_valid_tld("pdf", 3, &generic));
    CHECK(!om_valid_tld("xq", 2, &generic));
}

/* ---------------------------------------------------------------- what must stay */

static void test_negatives(void) {
    /* every phrase must come out whole (each is checked in the mask output, in three cases) */
    static const char *const keep[] = {
        "BP 120/80 mmHg", "HR 72 bpm", "temp 98.6 F", "SpO2 98%", "metformin 500 mg twice daily",
        "lisinopril 10 mg", "A1c 7.2 %", "LDL 130 mg/dL", "sodium 140 mmol/L", "potassium 4.1",
        "creatinine 1.2 mg/dL", "WBC 12.5", "platelets 250 x10^9/L", "viral load 1500000 copies/mL",
        "a 45-year-old man", "age 67", "in 2019", "for 3 weeks", "2 to 3 times a day", "6 minute walk test",
        "walked 2 blocks down the road", "2 head CT scans", "during 5 days", "ratio 1/2", "version 10.2",
        "readings 4111 1111 1111 1112 (invalid check digit)", "ICD E11.9", "on account of 2 falls",
        "lives at home with his wife", "moved to Boston in 2010", "sent via the portal", "policy 2 visitors",
        "et al., 2019", "Hgb 13.2 g/dL, Hct 39.5 %", "2-3 cm lesion", "L4-L5 disc", "1,200 mL", "10:30 am",
        "C5-C6", "follow up in 2 to 4 weeks", "take 1 tablet by mouth every 8 hours", "score 12/15",
        "NYHA class II", "grade 3 of 4", "3 of 5 days", "BMI 31.2", "in Lantus 1000 units",
        "seen in Boston 2019", "at the corner of the mouth and nose", "corner of mouth and lips",
        "pain in Room 12 today", "lesion at L4 and L5", "Lasix 40, 2019 Jan", "metformin 500, 1000 mg at night",
        "Chief Complaint",
        /* after "arrived at", "return to", "sent to": places in a hospital, times, steps */
        "Return to Clinic 3 in 2 weeks", "Sent to Ward 7 today", "arrived at 10 am", "Return to work 3 days",
        "delivered to Room 4", "arrived at Gate 12 on time", "sent to Bed 12 at noon",
        "the address of her sister is unknown", "sent the address to Radiology 3 times", "address changed to Room 5"};
    char doc[4096];
    size_t n = 0;
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) n += (size_t)snprintf(doc + n, sizeof doc - n, "%s. ", keep[i]);
    for (int how = 0; how < N_CASES; how++) {
        char text[4096];
        snprintf(text, sizeof text, "%s", doc);
        if (how != CASE_AS_IS) apply_case(text, how);
        openmed_error err = {0};
        openmed_deid_result *r = run(text, OPENMED_DEID_MASK, &err);
        if (!r) continue;
        for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
            char phrase[256];
            snprintf(phrase, sizeof phrase, "%s", keep[i]);
            if (how != CASE_AS_IS) apply_case(phrase, how);
            CHECK_MSG(strstr(r->deidentified_text, phrase) != NULL, "'%s' (%s) was redacted:\n%s", phrase,
                      how == CASE_LOWER ? "lower" : how == CASE_UPPER ? "upper" : "as is", r->deidentified_text);
        }
        openmed_deid_result_free(r);
    }
}

/* ---------------------------------------------------------------- labels and spans */

static void test_labels(void) {
    /* the detectors name what they find; labels and frames stay outside the spans */
    static const struct { const char *text, *value, *label; } want[] = {
        {"Card 4111-1111-1111-1111 on file.", "4111-1111-1111-1111", "CREDIT_CARD"},
        {"IBAN DE89 3704 0044 0532 0130 00.", "DE89 3704 0044 0532 0130 00", "IBAN"},
        {"From 192.168.10.25.", "192.168.10.25", "IP_ADDRESS"},
        {"See www.example.org/a.", "www.example.org/a", "URL"},
        {"(see https://x.example.org/path)", "https://x.example.org/path", "URL"},
        {"Tel. +44 20 7946 0958.", "+44 20 7946 0958", "PHONE"},
        {"Fax: 617-555-0199.", "617-555-0199", "FAX"},
        {"MRN: C7607193.", "C7607193", "MEDICAL_RECORD_NUMBER"},
        {"Acct #: 00012345678.", "00012345678", "ACCOUNT_NUMBER"},
        {"DOB: 13 juillet 1970.", "13 juillet 1970", "DATE"}, /* the sweep's date wins the label */
        {"ZIP: 02115.", "02115", "ZIPCODE"},
        {"Lives at 742 Evergreen Terrace, Springfield, IL 62704.", "742 Evergreen Terrace", "STREET_ADDRESS"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        openmed_deid_options o;
        openmed_deid_options_init(&o);
        openmed_deid_result *r = NULL;
        openmed_error err = {0};
        static const openmed_entity none[1];
        CHECK(om_deid_from_entities(want[i].text, strlen(want[i].text), none, 0, &o, 0, &r, &err) == OPENMED_OK);
        int found = 0;
        for (size_t k = 0; r && k < r->n_entities; k++)
            found |= !strcmp(r->entities[k].text, want[i].value) && !strcmp(r->entities[k].label, want[i].label);
        CHECK_MSG(found, "'%s': no %s entity '%s'", want[i].text, want[i].label, want[i].value);
        openmed_deid_result_free(r);
    }
    /* without the sweep the structured detectors are off too */
    openmed_deid_options o;
    openmed_deid_options_init(&o);
    o.safety_sweep = 0;
    o.n_deny_list = 1;
    const char *deny[] = {"nothing-here"};
    o.deny_list = deny;
    openmed_deid_result *r = NULL;
    openmed_error err = {0};
    static const openmed_entity none[1];
    const char *t = "Card 4111-1111-1111-1111, IBAN DE89 3704 0044 0532 0130 00, 192.168.10.25.";
    CHECK(om_deid_from_entities(t, strlen(t), none, 0, &o, 0, &r, &err) == OPENMED_OK);
    if (r) CHECK_INT(r->n_entities, 0);
    openmed_deid_result_free(r);
}

/* ---------------------------------------------------------------- address blocks */

static void test_address_blocks(void) {
    /* an address written over several lines: every line of it goes; a heading or a sentence below a
       street stays */
    static const struct { const char *text, *want; } cases[] = {
        {"Sent to:\n971 Kesk Street\n Suite 343\n P\xc3\xa4rnu\n Estonia\n\nKnee pain.",
         "Sent to:\n[STREET_ADDRESS]\n [STREET_ADDRESS]\n [CITY]\n [CITY]\n\nKnee pain."},
        {"6750 Koskikatu 25 Apt. 864\nArtilleros\n, CO\n Uruguay 64677\nSeen for knee pain.",
         "[STREET_ADDRESS]\n[CITY]\n, [STATE]\n [CITY] [ZIPCODE]\nSeen for knee pain."},
        {"Write to PSC 1437, Box 3833\nAPO AA 66791 or USS Mahler\nFPO AA 70489.",
         "Write to [STREET_ADDRESS]\n[STREET_ADDRESS] or [STREET_ADDRESS]."},
        {"Lives at 12 Oak Street\nHISTORY OF PRESENT ILLNESS\n\nKnee pain.",
         "Lives at [STREET_ADDRESS]\nHISTORY OF PRESENT ILLNESS\n\nKnee pain."},
        {"Address: 12 Oak Street\nChief Complaint\nKnee pain for 3 weeks.",
         "Address: [STREET_ADDRESS]\nChief Complaint\nKnee pain for 3 weeks."},
        /* a unit alone on its line: the street above it (after the sentence's words), the block below */
        {"Please update the billing address with Serenade Opus 420 Gairbekov Rapids\n Apt. 576\n Voormezele\n "
         "Belgium 92060 for this card.",
         "Please update the billing address with [STREET_ADDRESS]\n [STREET_ADDRESS]\n [CITY]\n [CITY] for this card."},
        {"Lina Artemova\n> 2224 Trenerys gate 232\n> Apt. 342\n> TRONDHEIM\n> Norway 64389\n\nKnee pain.",
         "[PERSON]\n> [STREET_ADDRESS]\n> [STREET_ADDRESS]\n> [CITY]\n> [CITY] [ZIPCODE]\n\nKnee pain."},
        /* a blank line inside the block, before its postal line */
        {"7167 Postbox 53\n Apt. 631\n Narsarsuaq\n\n Greenlander 60864\n\nKnee pain.",
         "[STREET_ADDRESS]\n [STREET_ADDRESS]\n [CITY]\n\n [CITY] [ZIPCODE]\n\nKnee pain."},
        /* the block's last line runs on into a sentence */
        {"Take me to 124 67 Devon Street West\n Suite 240\n West Brook\n New Zealand. Please call me.",
         "Take me to [STREET_ADDRESS]\n [STREET_ADDRESS]\n [CITY]\n [CITY]. Please call me."},
        /* the state between a city and its postal code */
        {"Meet at 25615 Tawastintie 72 Apt. 004\nKNIVSTA, nan 18237 after the concert.",
         "Meet at [STREET_ADDRESS]\n[CITY], [STATE] [ZIPCODE] after the concert."},
        /* a street then a postal code and its place on the next line; a block of a flat, a street name
           in lower case, a town and a postcode */
        {"Iva Hini\xc4\x87\n\nZavojna 37\n58471 Split\n\nDear Sir,",
         "[PERSON]\n\n[STREET_ADDRESS]\n[ZIPCODE] [CITY]\n\nDear Sir,"},
        {"Address:\nFlat 9\nAntony ports\nPort Sandrafort\nDG9 1XL\n\nThanks.",
         "Address:\n[STREET_ADDRESS]\n[CITY]\n[CITY]\n[ZIPCODE]\n\nThanks."},
        /* a place and its postal code in a sentence, a year after a place stays */
        /* a street known only by where a thing arrives, returns or is sent, and "the address of X is" */
        {"The letter arrived at Nieuwe Baan 473 last night. Please return to Luddingsbo Mekanikusv 11 in case of "
         "an issue. The address of the shop is Jagerij 64\nKnee pain.",
         "The letter arrived at [STREET_ADDRESS] last night. Please return to [STREET_ADDRESS] in case of "
         "an issue. The address of the shop is [STREET_ADDRESS]\nKnee pain."},
        {"Can you update the address linked to my credit card to Luddingsbo Mekanikusv 11? Or to Postbox 53.",
         "Can you update the address linked to my credit card to [STREET_ADDRESS]? Or to [STREET_ADDRESS]."},
        {"Looking to support Factset in Bjert 6091 in its mission, in \xc3\x96VERTURINGEN 840 24 too, "
         "not in Boston 2019.",
         "Looking to support Factset in [CITY] [ZIPCODE] in its mission, in [CITY] [ZIPCODE] too, not in Boston 2019."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        openmed_deid_options o;
        openmed_deid_options_init(&o);
        openmed_deid_result *r = NULL;
        openmed_error err = {0};
        static const openmed_entity none[1];
        CHECK(om_deid_from_entities(cases[i].text, strlen(cases[i].text), none, 0, &o, 1, &r, &err) == OPENMED_OK);
        if (r) CHECK_STR(r->deidentified_text, cases[i].want);
        openmed_deid_result_free(r);
    }
}

int main(void) {
    test_validators();
    test_labels();
    test_negatives();
    test_planted();
    test_address_blocks();
    return check_finish("test_deid_structured");
}
