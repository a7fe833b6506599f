/* detect_labelled.c: identifiers told by the label before them ("MRN:", "Medical record number",
 * "Acct #", "Member ID", "Policy", "Fax", "DOB", "ZIP code", "| SSN |", ...: any case, with ':',
 * '#', '|', "no.", "number" or "is" between), and identifier-shaped codes without a label: a run of
 * 7 digits or more that is not a measurement, letters glued to 6 digits or more ("MR12345678"). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "deid/detector.h"
#include "deid/month_names.h"
#include "deid/regex.h"

/* Between a label and its value: spaces, tabs, ':', '#', '=', '|', '.', '-', and the words "no",
 * "nr", "number", "num", "n°", "is", "was", "id"; group 1 catches a marker that makes the label
 * explicit (anything but spaces and "is"). */
#define SEP                                                                                                  \
    "(?:[ \\t]*+(?:([:#=|]|\\b(?:no|nr|num|number|n[°º]|id)\\b\\.?)|[.\\-–]|\\b(?:is|was)\\b))*+[ \\t]*+"

/* An identifier: letters and digits, single '-', '/' or '.' inside, then up to three more groups
 * of digits after single spaces ("943 476 5919"). */
#define ID_VALUE                                                                                                 \
    "([A-Za-z0-9](?:[A-Za-z0-9]|[-/.](?=[A-Za-z0-9]))*+(?:[ ](?=\\d)\\d++(?:[-/.]\\d++)*+(?![A-Za-z])){0,3})"

#define MONTHS "(?:" OM_MONTHS_OTHER "|" OM_MONTHS_EN ")"

/* A date in any of the usual shapes (numeric with any separators, day month year, month day year). */
#define DATE_VALUE                                                                                        \
    "((?:the\\s+)?\\d{1,2}(?:st|nd|rd|th)?\\.?(?:\\s+of)?[\\s./-]+(?:de\\s+)?" MONTHS "\\.?(?:[\\s.,/-]+de)?" \
    "[\\s.,/-]+\\d{2,4}|" MONTHS "\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{2,4}|"                              \
    "\\d{1,4}\\s?[./-]\\s?\\d{1,2}\\s?[./-]\\s?\\d{1,4}|\\d{8})(?![\\w])"

typedef struct labelled {
    const char *what;  /* for error messages */
    const char *label; /* the span's label */
    int ambiguous;     /* the label is an ordinary word too: a value needs a marker or 5 digits */
    int kind;          /* 0: an identifier, 1: a date, 2: a phone number, 3: a postal code */
    om_regex re;
} labelled;

#define LBL(words) "(?<![\\w])(?:" words ")(?![\\w])" SEP
static labelled rules[] = {
    {"MRN label", "MEDICAL_RECORD_NUMBER", 0, 0,
     {LBL("mrn|mr\\s?#|mr\\s?no|med(?:ical)?\\.?\\s+rec(?:ord)?s?(?:\\s+(?:number|no|#))?|chart\\s*(?:number|no|#)|"
          "record\\s*(?:number|no|#)|patient\\s+(?:id|number|no)|pt\\.?\\s+id|hospital\\s+(?:number|no|id)|"
          "unit\\s+(?:number|no)|nhs\\s+(?:number|no)|health\\s+record\\s+(?:number|no)|case\\s+(?:number|no|#|id)|"
          "encounter\\s+(?:number|no|#|id)|visit\\s+(?:number|no|#|id)|accession\\s+(?:number|no|#)|"
          "specimen\\s+(?:number|no|#|id)|fin|csn|har") ID_VALUE,
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
    {"chart label", "MEDICAL_RECORD_NUMBER", 1, 0, {LBL("chart") ID_VALUE, PCRE2_CASELESS | PCRE2_UCP, NULL}},
    {"account label", "ACCOUNT_NUMBER", 1, 0,
     {LBL("acct|acc|account|a/c|bank\\s+account|billing\\s+(?:number|no|#|id)|invoice\\s+(?:number|no|#)|"
          "routing\\s+(?:number|no|#)|sort\\s+code|bic|swift|konto(?:nummer)?|compte|cuenta|conto") ID_VALUE,
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
    {"health plan label", "HEALTH_PLAN_NUMBER", 1, 0,
     {LBL("member(?:ship)?|subscriber|beneficiary|insurance|insured|policy|plan|group|medicare|medicaid|"
          "health\\s+plan|payer|payor|insurance\\s+card|coverage") ID_VALUE,
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
    {"licence label", "LICENSE_NUMBER", 1, 0,
     {LBL("licen[cs]e|dl|driver'?s?\\s+licen[cs]e|passport|dea|npi|certificate|permit|registration") ID_VALUE,
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
    {"SSN label", "SSN", 0, 0,
     {LBL("ssn|ss#|social\\s+security(?:\\s+(?:number|no|#))?|social\\s+insurance\\s+(?:number|no)|sin|"
          "national\\s+insurance\\s+(?:number|no)|ni\\s+(?:number|no)|tax\\s+id|tin|ein|itin") ID_VALUE,
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
    {"ID label", "ID_NUM", 1, 0,
     {LBL("id|identifier|ref(?:erence)?|claim|serial|vin|badge|employee\\s+id|imei|device\\s+id|udi|"
          "ticket|confirmation|order|booking|tracking") ID_VALUE,
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
    {"DOB label", "DATE_OF_BIRTH", 0, 1,
     {LBL("dob|d\\.o\\.b\\.?|date\\s+of\\s+birth|birth\\s*date|birthday|born(?:\\s+on)?|b\\.|geb(?:oren|\\.)?(?:\\s+am)?|"
          "geburtsdatum|n[ée]e?\\s+le|date\\s+de\\s+naissance|fecha\\s+de\\s+nacimiento|nacid[oa]\\s+el|"
          "data\\s+di\\s+nascita|nato\\s+il|nata\\s+il|data\\s+de\\s+nascimento|geboortedatum|f[öo]delsedatum|"
          "f[øo]dselsdato|syntym[äa]aika|data\\s+urodzenia|datum\\s+narozen[íi]") DATE_VALUE,
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
    {"fax label", "FAX", 0, 2,
     {LBL("fax|telefax|facsimile|fax\\s+number") "(\\+?\\(?\\d[\\d ()./-]{5,24}\\d)", PCRE2_CASELESS | PCRE2_UCP,
      NULL}},
    {"ZIP label", "ZIPCODE", 0, 3,
     {LBL("zip(?:\\s*code)?|postal\\s*code|post\\s*code|postcode|plz|cep|code\\s+postal|c[oó]digo\\s+postal|"
          "postnummer|postinumero|kod\\s+pocztowy|irányítószám|psč|indeks") "([A-Za-z]{0,2}-?\\d[A-Za-z0-9]{1,6}"
          "(?:[ -][A-Za-z0-9]{2,4})?)(?![\\w])",
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
};

typedef struct hit_ctx {
    const labelled *rule;
    om_span_list *out;
} hit_ctx;

static int is_year(const char *s, size_t n) {
    return n == 4 && (!strncmp(s, "19", 2) || !strncmp(s, "20", 2)) && isdigit((unsigned char)s[2]) &&
           isdigit((unsigned char)s[3]);
}

static openmed_status rule_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    (void)n;
    hit_ctx *h = ctx;
    size_t vg = m->n_groups - 1; /* the value is the last group */
    size_t v0 = m->groups[2 * vg], v1 = m->groups[2 * vg + 1];
    if (v0 == PCRE2_UNSET || v1 <= v0) return OPENMED_OK;
    int marker = m->groups[2] != PCRE2_UNSET && vg > 1;
    size_t digits = 0, alnum = 0;
    for (size_t i = v0; i < v1; i++) {
        digits += isdigit((unsigned char)t[i]) != 0;
        alnum += isalnum((unsigned char)t[i]) != 0;
    }
    switch (h->rule->kind) {
    case 0:
        if (digits < 2 || alnum < 4 || is_year(t + v0, v1 - v0)) return OPENMED_OK;
        if (h->rule->ambiguous && !marker && digits < 5) return OPENMED_OK;
        break;
    case 2:
        if (digits < 7) return OPENMED_OK;
        while (v1 > v0 && !isdigit((unsigned char)t[v1 - 1])) v1--;
        break;
    case 3:
        if (digits < 3) return OPENMED_OK;
        break;
    default:
        break;
    }
    return om_detect_push(h->out, v0, v1, h->rule->label, 0.95f, err);
}

/* ---------------------------------------------------------------- codes without a label */

/* 7 digits or more not glued to a word, a decimal point or a thousands separator; or 1 to 3
 * letters and 6 digits or more */
static om_regex code_re = {"(?<![\\w.,/:+-])(?:\\d{7,}|[A-Za-z]{1,3}-?\\d{6,})(?![\\w]|[.,]\\d)", PCRE2_UCP, NULL};

/* units and words after which a long number is a quantity ("1500000 copies/mL") */
static const char *const units[] = {"copies", "copy", "cells", "cell", "iu", "u", "units", "mg", "mcg", "ug", "g", "kg",
                                    "ml", "l", "dl", "mmol", "mol", "pg", "ng", "cfu", "/", "per", "%", "x", "dollars",
                                    "usd", "eur", "steps", "calories", "kcal", "people", "patients", "cases"};

static openmed_status code_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    size_t k = m->end;
    while (k < n && t[k] == ' ') k++;
    size_t w = k;
    while (w < n && (isalpha((unsigned char)t[w]) || (w == k && strchr("/%", t[w])))) w++;
    for (size_t u = 0; u < sizeof units / sizeof units[0] && w > k; u++)
        if (strlen(units[u]) == w - k && !strncasecmp(t + k, units[u], w - k)) return OPENMED_OK;
    if (m->start > 0 && t[m->start - 1] == '$') return OPENMED_OK;
    return om_detect_push(ctx, m->start, m->end, "ID_NUM", 0.9f, err);
}

openmed_status om_detect_labelled(const om_detect_input *in, om_span_list *out, openmed_error *err) {
    if (!in->options->safety_sweep) return OPENMED_OK;
    const char *t = in->view->text;
    size_t n = in->view->len;
    openmed_status st = OPENMED_OK;
    for (size_t r = 0; r < sizeof rules / sizeof rules[0] && st == OPENMED_OK; r++) {
        hit_ctx h = {&rules[r], out};
        st = om_regex_each(&rules[r].re, rules[r].what, t, n, rule_hit, &h, err);
    }
    if (st == OPENMED_OK) st = om_regex_each(&code_re, "identifier code", t, n, code_hit, out, err);
    return st;
}
