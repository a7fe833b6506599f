/* test_deid_names.c: person names planted in every shape (form fields, "Last, First", table cells,
 * "RE:" lines, tab-separated headers, signatures, credentials, titles, "patient X", relatives,
 * "X is a 45-year-old", zero-width characters inside, listed names without a context), in mixed
 * case, lower case and capitals, de-identified without a model by every method: every character of
 * every planted name lies inside an entity and the unlisted names are gone from the output, while
 * ordinary words, diagnoses, drugs and eponyms survive. Most planted names are on no name list the
 * detector holds, so the context rules carry them. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "check.h"
#include "deid/deid.h"
#include "openmed.h"

/* A document as segments: text, or a planted name (NAME) that must vanish. */
typedef struct seg {
    int name;
    const char *text;
} seg;

#define T(s) {0, s}
#define N(s) {1, s}

static const seg doc[] = {
    T("Patient Name: "), N("Ade"), T(" "), N("Santoso"), T("\nDOB: 03/04/1950\n"),
    T("Patient: "), N("Kowalczyk"), T(", "), N("Grzegorz"), T("    MRN: 00482913\n"),
    T("| Field | Value |\n|---|---|\n| Patient | "), N("J\xc3\xbcri"), T(" "), N("Tamm"), T(" |\n\n"),
    T("RE: "), N("Vytautas"), T(" "), N("Kazlauskas"), T(" (DOB 03/04/1950)\n"),
    T("Patient\t"), N("Horvat"), T(", "), N("Marija"), T("\n"),
    T("Emergency contact: "), N("Daiga"), T(" "), N("Liepa"), T("\n\n"),
    T("HISTORY OF PRESENT ILLNESS\n\n"),
    N("Kipras"), T(" "), N("Povilonis"), T(" is a 45-year-old man with Crohn disease and Parkinson disease, "
                                          "seen for hip pain. A Foley catheter was placed. "),
    T("The patient, "), N("Budi"), T(", agrees with the plan. Patient "), N("Reet"), T(" understands the risks. "),
    T("I told "), N("Taavi"), T(" to call if worse. His wife, "), N("Meelis"), T(" "), N("Liiv"),
    T(", can be reached at home.\n\n"),
    T("Discussed with Dr. "), N("Saptono"), T(" of cardiology; Mr. "), N("Krievs"), T(" and Mrs. "), N("Javornik"),
    T(" came, with Ms. "), N("Hribar"), T(", Miss "), N("Likar"), T(" and Prof. "), N("Kokol"), T(".\n"),
    T("Mr. Grin\xe2\x80\x8dius"), /* a zero-width joiner inside the name: planted below as a whole */
    T(" was seen. "), N("Jennifer"), T(" brought the forms.\n\n"),
    T("She will bring her bill; we may mark the grant form. There was brown discharge, the white count is "
      "normal and we hope to improve. History of Hashimoto thyroiditis and Graves disease, stable on Synthroid. "
      "Apley and McMurray tests were negative. Continue Lasix 20 mg and metformin 500 mg. Bell palsy resolved.\n\n"),
    T("Vitals taken by "), N("Abeiku"), T(" "), N("Acheampong"), T(", RN.\n"),
    T("Electronically signed by: "), N("Agris"), T(" "), N("Kalnins"), T(", MD on 01/02/2020\n\n"),
    N("Tiit"), T(" "), N("Ploom"), T(", MD\nInternal Medicine\n"),
    T("\xe2\x80\x94 "), N("Kaja"), T(" "), N("Uustalu"), T("\n"),
};

/* Text that must survive (in the document's case). */
static const char *const kept[] = {
    "will bring her bill", "we may mark the grant form", "brown discharge", "white count", "hope to improve",
    "Crohn disease", "Parkinson disease", "Foley catheter", "Hashimoto thyroiditis", "Graves disease",
    "Synthroid", "Apley and McMurray tests", "Lasix", "metformin", "Bell palsy", "hip pain", "cardiology",
    "HISTORY OF PRESENT ILLNESS", "Internal Medicine"};

/* Names planted inside a segment (the joiner case): the view removes the joiner, the output must
 * keep no letter of the name around it. */
static const char *const joined_name = "Grin\xe2\x80\x8dius";

enum { CASE_AS_IS, CASE_LOWER, CASE_UPPER };

/* `s` with every code point mapped to lower or upper case (same length for these texts, checked). */
static char *recase(const char *s, int mode) {
    size_t n = strlen(s);
    char *out = malloc(n * 2 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);
        if (k <= 0) break;
        utf8proc_int32_t m = mode == CASE_LOWER ? utf8proc_tolower(c) : mode == CASE_UPPER ? utf8proc_toupper(c) : c;
        o += (size_t)utf8proc_encode_char(m, (utf8proc_uint8_t *)out + o);
        i += (size_t)k;
    }
    out[o] = 0;
    return out;
}

static int64_t code_points(const char *s, size_t bytes) {
    int64_t n = 0;
    for (size_t i = 0; i < bytes; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Is every code point of [c0, c1) inside some entity? */
static int covered(const openmed_deid_result *r, int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++) {
        int in = 0;
        for (size_t i = 0; i < r->n_entities && !in; i++) in = r->entities[i].start <= c && c < r->entities[i].end;
        if (!in) return 0;
    }
    return 1;
}

/* Does `word` occur in `text` as a whole word, ignoring ASCII case? */
static int has_word(const char *text, const char *word) {
    size_t n = strlen(word);
    for (const char *p = text; (p = strcasestr(p, word)) != NULL; p++) {
        int before = p > text && ((unsigned char)p[-1] >= 0x80 || isalnum((unsigned char)p[-1]));
        int after = (unsigned char)p[n] >= 0x80 || isalnum((unsigned char)p[n]);
        if (!before && !after) return 1;
    }
    return 0;
}

static const char secret[] = "test secret: names";

static void run_case(int mode, openmed_deid_method method) {
    size_t nseg = sizeof doc / sizeof doc[0];
    char *parts[sizeof doc / sizeof doc[0]];
    size_t len = 0;
    for (size_t i = 0; i < nseg; i++) {
        parts[i] = recase(doc[i].text, mode);
        len += strlen(parts[i]);
    }
    char *text = malloc(len + 1);
    size_t at = 0;
    for (size_t i = 0; i < nseg; i++) {
        memcpy(text + at, parts[i], strlen(parts[i]));
        at += strlen(parts[i]);
    }
    text[at] = 0;

    openmed_deid_options o;
    openmed_deid_options_init(&o);
    o.method = method;
    o.secret = (const unsigned char *)secret;
    o.secret_len = strlen(secret);
    openmed_deid_result *r = NULL;
    openmed_error err = {0};
    const char *what = openmed_deid_method_name(method);
    const char *case_name = mode == CASE_LOWER ? "lower" : mode == CASE_UPPER ? "upper" : "as written";
    CHECK_MSG(om_deid_from_entities(text, len, NULL, 0, &o, 1, &r, &err) == OPENMED_OK, "%s", err.message);
    if (r) {
        const char *out = r->deidentified_text;
        size_t b = 0;
        for (size_t i = 0; i < nseg; i++) {
            size_t n = strlen(parts[i]);
            if (doc[i].name) {
                int64_t c0 = code_points(text, b), c1 = code_points(text, b + n);
                CHECK_MSG(covered(r, c0, c1), "%s, %s: planted name '%s' is not redacted whole", what, case_name,
                          parts[i]);
                /* names off the surrogate list cannot come back as a surrogate: none may be left */
                if (strcmp(doc[i].text, "Jennifer") && strcmp(doc[i].text, "Marija") && strcmp(doc[i].text, "Grzegorz"))
                    CHECK_MSG(!has_word(out, parts[i]), "%s, %s: planted name '%s' is in the output:\n%s", what,
                              case_name, parts[i], out);
            }
            b += n;
        }
        char *joined = recase(joined_name, mode);
        const char *p = strstr(text, joined);
        CHECK(p != NULL);
        if (p) {
            int64_t c0 = code_points(text, (size_t)(p - text));
            CHECK_MSG(covered(r, c0, c0 + code_points(joined, strlen(joined))), "%s, %s: the joined name leaks", what,
                      case_name);
        }
        CHECK_MSG(!strcasestr(out, "grin") && !strcasestr(out, "ius was"), "%s, %s: %s", what, case_name, out);
        free(joined);
        for (size_t k = 0; k < sizeof kept / sizeof kept[0]; k++) {
            char *want = recase(kept[k], mode);
            CHECK_MSG(strstr(out, want) != NULL, "%s, %s: '%s' was not kept:\n%s", what, case_name, want, out);
            free(want);
        }
    }
    openmed_deid_result_free(r);
    for (size_t i = 0; i < nseg; i++) free(parts[i]);
    free(text);
}

/* A name on no list in running text without a context is the model's to find; the detector does not
 * take capitalised words wholesale. */
static void test_no_context_no_name(void) {
    const char *t = "Tylenol helps. Ultrasound was normal. Cardiology will follow. Ferrous sulfate daily.";
    openmed_deid_options o;
    openmed_deid_options_init(&o);
    openmed_deid_result *r = NULL;
    openmed_error err = {0};
    CHECK(om_deid_from_entities(t, strlen(t), NULL, 0, &o, 1, &r, &err) == OPENMED_OK);
    if (r) {
        CHECK_STR(r->deidentified_text, t);
        CHECK_INT(r->n_entities, 0);
    }
    openmed_deid_result_free(r);
}

/* Possessives stay outside the name; one person written twice keeps one label. */
static void test_possessive_and_repeats(void) {
    const char *t = "Dr. Kokol's note. mr. kokol agreed. KOKOL, MD";
    openmed_deid_options o;
    openmed_deid_options_init(&o);
    openmed_deid_result *r = NULL;
    openmed_error err = {0};
    CHECK(om_deid_from_entities(t, strlen(t), NULL, 0, &o, 1, &r, &err) == OPENMED_OK);
    if (r) CHECK_STR(r->deidentified_text, "Dr. [PERSON]'s note. mr. [PERSON] agreed. [PERSON], MD");
    openmed_deid_result_free(r);
}

/* Shapes written for this test, not drawn from a benchmark: middle initials, "J. Smith" and
 * "Smith J", "my name is", a question and its answer, particles between names, apostrophes and
 * hyphens, a soft hyphen or zero-width joiner inside a family name, a name in capitals in a
 * header table of a mixed-case note, a lower-case note, names against punctuation and line ends,
 * a nickname in quotes; and clinical phrases with a capital letter between capitalised words
 * that stay. Each is checked whole in the mask output. */
static void test_shapes(void) {
    static const struct { const char *text, *want; } cases[] = {
        {"Letter from Keira E. Forster and Leena O Sasi; Jildau S. Bouts agreed.",
         "Letter from [PERSON] and [PERSON]; [PERSON] agreed."},
        {"Hepatitis B Vaccine given. Vitamin D Deficiency, Factor V Leiden, Group A Strep, Grade C Murmur.",
         "Hepatitis B Vaccine given. Vitamin D Deficiency, Factor V Leiden, Group A Strep, Grade C Murmur."},
        {"Reviewed by J. Kalnins. Seen by Dr. Ozols J. today.", "Reviewed by [PERSON]. Seen by Dr. [PERSON]. today."},
        {"My name is Aantje Mourik but everyone calls me Aantje. What's your last name? Matthiasson",
         "My name is [PERSON] but everyone calls me [PERSON]. What's your last name? [PERSON]"},
        {"patient ilze k. ozolina came with her husband, reet s. tamm. she is known as liepa to friends.",
         "patient [PERSON] came with her husband, [PERSON]. she is known as [PERSON] to friends."},
        {"Contact: Maika van de Noort\nDr. O'Neil-Ryan and Mrs. Smith-Jones agreed (Dr. Saptono).\n",
         "Contact: [PERSON]\nDr. [PERSON] and Mrs. [PERSON] agreed (Dr. [PERSON]).\n"},
        {"Patient Name: Kaz\xc2\xadlauskas\nRE: Povi\xe2\x80\x8dlonis, Kipras\n",
         "Patient Name: [PERSON]\nRE: [PERSON]\n"},
        {"| Field | Value |\n|---|---|\n| PATIENT | VYTAUTAS KAZLAUSKAS |\n| MRN | 00482913 |\n\nSeen for knee pain.",
         "| Field | Value |\n|---|---|\n| PATIENT | [PERSON] |\n| MRN | [MEDICAL_RECORD_NUMBER] |\n\nSeen for knee pain."},
        {"Patient Kipras \"Kip\" Povilonis was seen.", "Patient [PERSON] \"[PERSON]\" [PERSON] was seen."},
        /* a word before a dose is a drug ("patient ultram 50 mg"), the name after it is not */
        {"i gave the patient ultram 50 mg daily. patient kipras povilonis came.",
         "i gave the patient ultram 50 mg daily. patient [PERSON] came."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        openmed_deid_options o;
        openmed_deid_options_init(&o);
        openmed_deid_result *r = NULL;
        openmed_error err = {0};
        CHECK(om_deid_from_entities(cases[i].text, strlen(cases[i].text), NULL, 0, &o, 1, &r, &err) == OPENMED_OK);
        if (r) CHECK_STR(r->deidentified_text, cases[i].want);
        openmed_deid_result_free(r);
    }
}

/* Names without a title or a form: listed names after "to", "with", "from" (places there kept), in a
 * lower-case note and with diacritics; speakers of a dialogue; names before what people do; names
 * beside names; a line that is only a name; a hyphenated name the model finds half of. And words
 * that are names too but here are clinical abbreviations, rare words or ordinary words, which stay. */
static void test_lone_names(void) {
    static const struct { const char *text, *want; } cases[] = {
        {"The scan was sent to Adamczyk and discussed with Edyta.",
         "The scan was sent to [PERSON] and discussed with [PERSON]."},
        {"results went from adamcov\xc3\xa1 to aleksi\xc4\x87 yesterday and acquaviva agreed.",
         "results went from [PERSON] to [PERSON] yesterday and [PERSON] agreed."},
        {"She moved to Jackson in June and now lives near Florence.",
         "She moved to Jackson in June and now lives near Florence."},
        {"Nicole: Are you ready?\nQuorvath: Yes, I am.\nNicole: Then we go.\n",
         "[PERSON]: Are you ready?\n[PERSON]: Yes, I am.\n[PERSON]: Then we go.\n"},
        {"Tarvolen lives on the third floor. Brevanik had given his keys to the nurse.",
         "[PERSON] lives on the third floor. [PERSON] had given his keys to the nurse."},
        {"Quellmark and Garcia were there.", "[PERSON] and [PERSON] were there."},
        {"Kind regards,\n\nMirelda Quostanza\nLabor relations director\n",
         "Kind regards,\n\n[PERSON]\nLabor relations director\n"},
        {"They invited five: Quorvath, Edyta, Adamczyk, Acquaviva and Brevanik.",
         "They invited five: [PERSON] and [PERSON]."}, /* names joined by commas are one span ("Smith, John") */
        {"they invited quorvath, edyta, adamczyk, acquaviva or brevanik.",
         "they invited [PERSON] or [PERSON]."},
        {"The film was made by Quorvath Brevanik last year. The case went to social worker Tarvolen.",
         "The film was made by [PERSON] last year. The case went to social worker [PERSON]."},
        {"Quorvath: Where were you?\nBrevanik: At home, sadly.\n", "[PERSON]: Where were you?\n[PERSON]: At home, sadly.\n"},
        {"Resp: Clear.\nPulm: Clear bilaterally.\nDerm: No rash.\nMeds: None.\n",
         "Resp: Clear.\nPulm: Clear bilaterally.\nDerm: No rash.\nMeds: None.\n"},
        /* a script without case: names in every context, one-character family names beside them */
        {"Seen with \xe7\x91\x9c \xe5\x80\xaa. Follow up with Dr. \xe6\xa1\x82\xe8\x8a\x9d \xe6\xb5\xb7 in two weeks.",
         "Seen with [PERSON]. Follow up with Dr. [PERSON] in two weeks."},
        /* a lower-case or all-capitals note: a listed first and family name though common words */
        {"transcribed by chelsea smith today. discussed with dr. richard miller. dr. smith will call.\n\njohn cordova, np\n",
         "transcribed by [PERSON] today. discussed with dr. [PERSON]. dr. [PERSON] will call.\n\n[PERSON], np\n"},
        {"The family lives in Dallas, Georgia. the family lives in dallas, georgia.",
         "The family lives in Dallas, Georgia. the family lives in dallas, georgia."},
        {"differential includes gerd; s/p orif; ros negative; lobar pneumonia; the vena cava and dura mater "
         "are normal, and vice versa.",
         "differential includes gerd; s/p orif; ros negative; lobar pneumonia; the vena cava and dura mater "
         "are normal, and vice versa."},
        {"Lobar pneumonia on the left. Vena cava normal. We will mark the grant; hope and joy may follow. Bill paid.\n"
         "Assessment: stable.\nPlan: follow up.\nBrother: 9 years old. Dorsal angulation. Works as a programmer.",
         "Lobar pneumonia on the left. Vena cava normal. We will mark the grant; hope and joy may follow. Bill paid.\n"
         "Assessment: stable.\nPlan: follow up.\nBrother: 9 years old. Dorsal angulation. Works as a programmer."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        openmed_deid_options o;
        openmed_deid_options_init(&o);
        openmed_deid_result *r = NULL;
        openmed_error err = {0};
        CHECK(om_deid_from_entities(cases[i].text, strlen(cases[i].text), NULL, 0, &o, 1, &r, &err) == OPENMED_OK);
        if (r) CHECK_STR(r->deidentified_text, cases[i].want);
        openmed_deid_result_free(r);
    }
    /* the model's LAST_NAME covers "Wilhelm" of "Hans-Wilhelm": the whole word goes */
    const char *t = "Transcribed by Hans-Wilhelm Kroker today.";
    int64_t start = (int64_t)(strstr(t, "Wilhelm") - t);
    openmed_entity e = {"LAST_NAME", "Wilhelm", 0.9f, start, start + 7, -1};
    openmed_deid_options o;
    openmed_deid_options_init(&o);
    openmed_deid_result *r = NULL;
    openmed_error err = {0};
    CHECK(om_deid_from_entities(t, strlen(t), &e, 1, &o, 1, &r, &err) == OPENMED_OK);
    if (r) CHECK_MSG(!strstr(r->deidentified_text, "Hans") && !strstr(r->deidentified_text, "Kroker"), "%s",
                     r->deidentified_text);
    openmed_deid_result_free(r);
    /* but a model's misread half of an ordinary hyphenated word takes no more than that half */
    const char *u = "Constitutional\nWell-nourished female.";
    openmed_entity e2 = {"PERSON", "Well", 0.9f, 15, 19, -1};
    r = NULL;
    CHECK(om_deid_from_entities(u, strlen(u), &e2, 1, &o, 1, &r, &err) == OPENMED_OK);
    if (r) CHECK_STR(r->deidentified_text, "Constitutional\n[PERSON]-nourished female.");
    openmed_deid_result_free(r);
}

/* Names that only the words around them give away, written for this test: "the X family", "X's
 * address", a person spoken to ("X, can you ...", "Remember me, X?", "Dear X"), "gave X his ...",
 * "X is very ...", a particle before a family name that is an English word, the name line that opens a
 * block in any case (a middle initial inside), and a name line above a line that starts with an
 * eponym's head noun ("Scale Unlimited"). Beside them, the same shapes holding ordinary words, drugs
 * and eponyms stay. */
static void test_cued_names(void) {
    static const struct { const char *text, *want; } cases[] = {
        {"Unlike the Quorvath novel, the Brevanik family moved.",
         "Unlike the [PERSON] novel, the [PERSON] family moved."},
        {"Unlike the Victorian novel, the Italian family and the Foley catheter stayed.",
         "Unlike the Victorian novel, the Italian family and the Foley catheter stayed."},
        {"As promised, here's Tarvolen's address and Quellmark's wife.",
         "As promised, here's [PERSON]'s address and [PERSON]'s wife."},
        {"Crohn's disease; the patient's address and the doctor's phone number were checked.",
         "Crohn's disease; the patient's address and the doctor's phone number were checked."},
        {"Quorvath, can I please speak to your boss? Remember me, Brevanik? Dear Tarvolen, thanks.",
         "[PERSON], can I please speak to your boss? Remember me, [PERSON]? Dear [PERSON], thanks."},
        {"Nausea, can recur. Anything else, Doctor? Is it stable, okay?",
         "Nausea, can recur. Anything else, Doctor? Is it stable, okay?"},
        {"Quellmark had given Tarvolen his address. The nurse gave insulin her way.",
         "[PERSON] had given [PERSON] his address. The nurse gave insulin her way."},
        {"Tarvolen is very reliable. Mucosa is very friable. Pain was always worse at night.",
         "[PERSON] is very reliable. Mucosa is very friable. Pain was always worse at night."},
        {"Yesterday Willemine ten Pas will be talking at the meeting.",
         "Yesterday [PERSON] will be talking at the meeting."},
        {"andrejka brevanik\nstillwater supercomputing inc\n", "[PERSON]\nstillwater supercomputing inc\n"},
        {"Notes\n\nleidy t quorvath\nlabor relations director\n", "Notes\n\n[PERSON]\nlabor relations director\n"},
        {"Quorvath Tarvolen\nScale Unlimited\nSeen today.", "[PERSON]\nScale Unlimited\nSeen today."},
        {"chest pain\nresolved today\n\nfollow up\nin two weeks\n",
         "chest pain\nresolved today\n\nfollow up\nin two weeks\n"},
        /* the one spoken to after a name: "said X to Y", "X shouted at Y"; a listed place is kept */
        {"\"Not again!\" said Quellmark to Tarvolen. Brevanik shouted at Quorvath: \"Stop!\" Mr. Kokol went to Boston.",
         "\"Not again!\" said [PERSON] to [PERSON]. [PERSON] shouted at [PERSON]: \"Stop!\" Mr. [PERSON] went to "
         "Boston."},
        /* a dialogue's speaker whose name is also a place's ("Kalan", on the place list) */
        {"Kalan: What a wife.\nNicole: Remember me?\n", "[PERSON]: What a wife.\n[PERSON]: Remember me?\n"},
        /* "a X concert", a role before a name, "maiden name X", "X as guardian" */
        {"Have you been to a Quorvath concert? Producer Tarvolen explained. Her maiden name Brevanik. "
         "We need to add Quellmark as guardian.",
         "Have you been to a [PERSON] concert? Producer [PERSON] explained. Her maiden name [PERSON]. "
         "We need to add [PERSON] as guardian."},
        {"Have you been to a Japanese concert? The tumor board is the Italian show.",
         "Have you been to a Japanese concert? The tumor board is the Italian show."},
        /* a family name after a particle though an English word; a listed name that is one, spoken to */
        {"My grandfather was called Willemine ten Pas, and Quellmark had given Grace his address. Grace, can "
         "you call?",
         "My grandfather was called [PERSON], and [PERSON] had given [PERSON] his address. [PERSON], can "
         "you call?"},
        {"The nurse gave Tylenol to him and had given Insulin her way. Great, can you call? Sure, please sit.",
         "The nurse gave Tylenol to him and had given Insulin her way. Great, can you call? Sure, please sit."},
        /* one unlisted word over a job title opens a block; a medication list's item does not */
        {"Hello there, how are you.\n\nQuorvath\nLeasing consultant\n",
         "Hello there, how are you.\n\n[PERSON]\nLeasing consultant\n"},
        /* listed names that are English words, in a role, a dialogue, spoken to, before "family" */
        {"I want to add Rose Garden as a beneficiary. I want to add Insulin as needed.",
         "I want to add [PERSON] as a beneficiary. I want to add Insulin as needed."},
        {"Moss: What a wife.\nNicole: Remember me, Graves?\n",
         "[PERSON]: What a wife.\n[PERSON]: Remember me, [PERSON]?\n"},
        {"Unlike the Arena novel, the Brown family came; the White House and the Green Room stayed.",
         "Unlike the [PERSON] novel, the [PERSON] family came; the White House and the Green Room stayed."},
        {"I'm Quorvath, originally from here. I'm Hispanic and I'm Diabetic.",
         "I'm [PERSON], originally from here. I'm Hispanic and I'm Diabetic."},
        /* a listed first and family name that are English words, opening a card over a title or a
           street; a note's headings stay */
        {"Dear team, please find my card below as you asked.\n\nJustice Good\nLeasing consultant at the firm\n",
         "Dear team, please find my card below as you asked.\n\n[PERSON]\nLeasing consultant at the firm\n"},
        {"Seen today for pain in the knee.\n\nChief Complaint\nKnee pain for 3 weeks.\n\nFamily History\nMother "
         "with diabetes.\n",
         "Seen today for pain in the knee.\n\nChief Complaint\nKnee pain for 3 weeks.\n\nFamily History\nMother "
         "with diabetes.\n"},
        /* a lower-case text: two unlisted words after "with", no drug term among them */
        {"follow up with liepa sakalauskas in a couple of months. started with lisinopril hctz today. seen by gi "
         "clinic.",
         "follow up with [PERSON] in a couple of months. started with lisinopril hctz today. seen by gi "
         "clinic."},
        {"As you asked, my card:\n> \n> quorvath tarvolen\n> leasing consultant\n",
         "As you asked, my card:\n> \n> [PERSON]\n> leasing consultant\n"},
        {"Seen today for her pressure.\n\nCURRENT MEDICATIONS:\n\nMiraLax\nTake as needed daily\n\nPLAN\n\nRest.",
         "Seen today for her pressure.\n\nCURRENT MEDICATIONS:\n\nMiraLax\nTake as needed daily\n\nPLAN\n\nRest."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        openmed_deid_options o;
        openmed_deid_options_init(&o);
        openmed_deid_result *r = NULL;
        openmed_error err = {0};
        CHECK(om_deid_from_entities(cases[i].text, strlen(cases[i].text), NULL, 0, &o, 1, &r, &err) == OPENMED_OK);
        if (r) CHECK_STR(r->deidentified_text, cases[i].want);
        openmed_deid_result_free(r);
    }
}

/* Clinical-term protection of a model's entities: a word before an eponym's head noun is no name
 * ("Phalen test", "Hashimoto thyroiditis"), nor a term taken for an e-mail without '@'; after a title
 * it is a person ("Mr. Bell's disease"). */
static void test_eponyms(void) {
    const char *t = "Tinel sign and Phalen test positive. History of Hashimoto thyroiditis; parkinson disease "
                    "ruled out. Mr. Bell's disease progressed.";
    struct { const char *label, *value; } model[] = {
        {"LAST_NAME", "Phalen"}, {"LAST_NAME", "Hashimoto"}, {"EMAIL", "parkinson"}, {"LAST_NAME", "Bell"}};
    openmed_entity e[4];
    for (size_t i = 0; i < 4; i++) {
        int64_t start = (int64_t)(strstr(t, model[i].value) - t); /* ASCII: bytes are code points */
        e[i] = (openmed_entity){model[i].label, model[i].value, 0.9f, start, start + (int64_t)strlen(model[i].value), -1};
    }
    openmed_deid_options o;
    openmed_deid_options_init(&o);
    openmed_deid_result *r = NULL;
    openmed_error err = {0};
    CHECK(om_deid_from_entities(t, strlen(t), e, 4, &o, 1, &r, &err) == OPENMED_OK);
    if (r)
        CHECK_STR(r->deidentified_text, "Tinel sign and Phalen test positive. History of Hashimoto thyroiditis; parkinson "
                                        "disease ruled out. Mr. [LAST_NAME]'s disease progressed.");
    openmed_deid_result_free(r);
}

int main(void) {
    static const openmed_deid_method methods[] = {OPENMED_DEID_MASK, OPENMED_DEID_REMOVE, OPENMED_DEID_REPLACE,
                                                  OPENMED_DEID_HASH, OPENMED_DEID_FORMAT_PRESERVE};
    for (int mode = CASE_AS_IS; mode <= CASE_UPPER; mode++)
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) run_case(mode, methods[m]);
    test_no_context_no_name();
    test_possessive_and_repeats();
    test_shapes();
    test_lone_names();
    test_cued_names();
    test_eponyms();
    return check_finish("test_deid_names");
}
