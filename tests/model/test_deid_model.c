/* test_deid_model.c: openmed_pii_extract and openmed_deidentify with the bundled PII model: no
 * planted value (names the model finds, phone, e-mail, SSN, MRN, dates, URL) survives any method,
 * also past the first window of a long note; offsets slice the original; replace is deterministic;
 * many texts in one model pass give the one-text results. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "leak_check.h"
#include "models/bundled.h"
#include "openmed.h"
#include "pipeline/text_index.h"

static const char *const planted[] = {
    "(617) 555-0142", "john.smith@example.com", "123-45-6789", "MRN: 00482913",
    "https://portal.mercyhealth.org/records/88231", "415.555.0199",
    "03/14/1962", "March 3, 2021", "2020-11-05"}; /* dates last: shift_dates may keep their years */
static const size_t n_values = 6;
/* a fixed key: with a random one a surrogate can by chance hold another planted value's digits */
static const char secret[] = "model test key";

static const char *note =
    "Patient John Smith (DOB 03/14/1962), MRN: 00482913, was seen by Dr. Emily Carter on March 3, 2021. "
    "Call (617) 555-0142 or email john.smith@example.com. SSN 123-45-6789. "
    "Records: https://portal.mercyhealth.org/records/88231 ; his daughter Maria Lopez (415.555.0199) "
    "visited on 2020-11-05. Assessment: type 2 diabetes, metformin 500 mg twice daily.\n";

/* Is `word` in `text` as a whole word? */
static int has_word(const char *text, const char *word) {
    size_t n = strlen(word);
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
        int left = p == text || !isalnum((unsigned char)p[-1]), right = !isalnum((unsigned char)p[n]);
        if (left && right) return 1;
    }
    return 0;
}

/* Every entity's offsets slice its text out of the original. */
static void check_offsets(const char *text, const openmed_deid_result *r) {
    om_text_index ix;
    openmed_error err = {0};
    CHECK(om_text_index_init(&ix, text, strlen(text), "text", &err) == OPENMED_OK);
    for (size_t i = 0; i < r->n_entities; i++) {
        size_t b0, bl;
        om_text_slice(&ix, r->entities[i].start, r->entities[i].end, &b0, &bl);
        CHECK(strlen(r->entities[i].text) == bl && !memcmp(text + b0, r->entities[i].text, bl));
        if (i) CHECK(r->entities[i - 1].end <= r->entities[i].start);
    }
    om_text_index_free(&ix);
}

static int always_stop(void *ctx) { return 1; }

int main(void) {
    char dir[OPENMED_PATH_MAX];
    CHECK_MSG(om_bundled_model_dir("pii", dir, sizeof dir) != NULL, "no bundled PII model (models/pii)");
    openmed_model *model = NULL;
    openmed_error err = {0};
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = "cpu";
    CHECK_MSG(openmed_model_load(dir, &mo, &model, &err) == OPENMED_OK, "%s", err.message);
    if (!model) return check_finish("test_deid_model");

    /* extract: the sweep's values are all there; which names the model finds is its business */
    openmed_deid_result *found = NULL;
    CHECK(openmed_pii_extract(model, note, strlen(note), NULL, &found, &err) == OPENMED_OK);
    const char *names[16];
    size_t n_names = 0;
    if (found) {
        check_offsets(note, found);
        for (size_t p = 0; p < sizeof planted / sizeof planted[0]; p++) {
            int covered = 0;
            for (size_t i = 0; i < found->n_entities; i++) covered |= strstr(found->entities[i].text, planted[p]) != NULL;
            CHECK_MSG(covered, "planted value %zu is not covered by an entity", p);
        }
        for (size_t i = 0; i < found->n_entities && n_names < 16; i++) {
            const openmed_pii_entity *e = &found->entities[i];
            CHECK(e->redacted_text == NULL);
            CHECK(e->confidence >= 0.5f);
            if (strstr(e->label, "NAME") && e->confidence >= 0.7f && strlen(e->text) >= 3) names[n_names++] = e->text;
        }
        CHECK(found->deidentified_text == NULL);
        /* the clear case: "Patient John Smith" */
        int john_or_smith = 0;
        for (size_t i = 0; i < n_names; i++) john_or_smith |= !strcmp(names[i], "John") || !strcmp(names[i], "Smith");
        CHECK_MSG(john_or_smith, "the model finds neither John nor Smith in 'Patient John Smith'");
    }
    printf("model names above 0.7: %zu\n", n_names);

    /* a long note: five copies, far beyond one 256-token window */
    size_t one = strlen(note);
    char *longer = malloc(one * 5 + 1);
    for (int k = 0; k < 5; k++) memcpy(longer + k * one, note, one);
    longer[one * 5] = 0;

    for (int m = OPENMED_DEID_MASK; m <= OPENMED_DEID_SHIFT_DATES; m++) {
        for (int mapping = 0; mapping <= 1; mapping++) {
            for (int which = 0; which < 2; which++) {
                const char *text = which ? longer : note;
                openmed_deid_options o;
                openmed_deid_options_init(&o);
                o.method = (openmed_deid_method)m;
                o.keep_mapping = mapping;
                o.secret = (const unsigned char *)secret;
                o.secret_len = strlen(secret);
                openmed_deid_result *r = NULL;
                CHECK_MSG(openmed_deidentify(model, text, strlen(text), &o, &r, &err) == OPENMED_OK, "%s", err.message);
                if (!r) continue;
                const char *out = r->deidentified_text;
                for (size_t p = 0; p < sizeof planted / sizeof planted[0]; p++) {
                    CHECK_MSG(strstr(out, planted[p]) == NULL, "planted value %zu leaks (%s)", p,
                              openmed_deid_method_name(o.method));
                    if (!(m == OPENMED_DEID_SHIFT_DATES && p >= n_values)) check_no_digit_leak("model", out, planted[p]);
                }
                CHECK(strstr(out, "mercyhealth") == NULL && strstr(out, "john.smith") == NULL);
                for (size_t i = 0; i < n_names; i++)
                    CHECK_MSG(!has_word(out, names[i]), "a detected name leaks with %s", openmed_deid_method_name(o.method));
                CHECK(strstr(out, "metformin 500 mg twice daily") != NULL);
                check_offsets(text, r);
                CHECK(mapping ? r->n_mapping > 0 : r->n_mapping == 0);
                if (which) { /* every copy is redacted alike */
                    size_t per = 0;
                    for (size_t i = 0; i < r->n_entities; i++) per += r->entities[i].start < (int64_t)one;
                    CHECK_MSG(r->n_entities >= per * 5 - 5, "%zu entities in 5 copies, %zu in the first", r->n_entities, per);
                }
                if (m == OPENMED_DEID_REPLACE && !which) { /* deterministic */
                    openmed_deid_result *again = NULL;
                    CHECK(openmed_deidentify(model, text, strlen(text), &o, &again, &err) == OPENMED_OK);
                    if (again) CHECK_STR(again->deidentified_text, out);
                    openmed_deid_result_free(again);
                }
                openmed_deid_result_free(r);
            }
        }
    }
    free(longer);
    openmed_deid_result_free(found);

    /* Many texts in one model pass: each result equals the one-text call with the same options; an
     * item with a NUL fails alone; a cancelled pass fails every item that reached the model. */
    {
        const char *texts[] = {note, "Call (617) 555-0142 today.", "Jane\0Doe", "Seen by Dr. Emily Carter."};
        size_t lens[] = {strlen(note), 26, 8, 25};
        openmed_deid_options hash;
        openmed_deid_options_init(&hash);
        hash.method = OPENMED_DEID_HASH;
        hash.keep_mapping = 1;
        const openmed_deid_options *opts[] = {NULL, &hash, NULL, NULL};
        openmed_pii_item items[4];
        memset(items, 0, sizeof items);
        for (int i = 0; i < 4; i++) items[i] = (openmed_pii_item){.text = texts[i], .len = lens[i], .options = opts[i],
                                                                  .deidentify = i != 3};
        openmed_pipeline *pipe = NULL;
        CHECK(openmed_pii_pipeline_create(model, 16, &pipe, &err) == OPENMED_OK);
        CHECK(openmed_pii_run_batch(pipe, items, 4, &err) == OPENMED_OK);
        CHECK(items[2].status == OPENMED_ERR_INVALID_ARGUMENT && strstr(items[2].error.message, "NUL") != NULL);
        for (int i = 0; i < 4; i++) {
            if (i == 2) continue;
            CHECK_MSG(items[i].status == OPENMED_OK, "item %d: %s", i, items[i].error.message);
            openmed_deid_result *alone = NULL;
            CHECK(((i != 3) ? openmed_deidentify : openmed_pii_extract)(model, texts[i], lens[i], opts[i], &alone, &err) ==
                  OPENMED_OK);
            if (!alone || !items[i].result) continue;
            const openmed_deid_result *b = items[i].result;
            CHECK_INT(b->n_entities, alone->n_entities);
            for (size_t k = 0; k < b->n_entities && k < alone->n_entities; k++) {
                CHECK_STR(b->entities[k].label, alone->entities[k].label);
                CHECK(b->entities[k].start == alone->entities[k].start && b->entities[k].end == alone->entities[k].end);
                CHECK(b->entities[k].confidence == alone->entities[k].confidence);
            }
            if (i != 3) CHECK_STR(b->deidentified_text, alone->deidentified_text);
            else CHECK(b->deidentified_text == NULL);
            openmed_deid_result_free(alone);
        }
        for (int i = 0; i < 4; i++) openmed_deid_result_free(items[i].result);
        openmed_pipeline_set_cancel(pipe, always_stop, NULL);
        CHECK(openmed_pii_run_batch(pipe, items, 4, &err) == OPENMED_ERR_CANCELLED);
        for (int i = 0; i < 4; i++) {
            CHECK(items[i].result == NULL);
            CHECK(items[i].status == (i == 2 ? OPENMED_ERR_INVALID_ARGUMENT : OPENMED_ERR_CANCELLED));
        }
        openmed_pipeline_free(pipe);
        /* no model: the sweep alone, batched the same way */
        items[1].options = NULL;
        CHECK(openmed_pii_run_batch(NULL, items + 1, 1, &err) == OPENMED_OK);
        CHECK(items[1].status == OPENMED_OK && items[1].result && items[1].result->n_entities == 1);
        openmed_deid_result_free(items[1].result);
    }

    /* bad input still fails clearly with a model */
    openmed_deid_result *r = NULL;
    CHECK(openmed_deidentify(model, "Jos\xC3 Smith", 10, NULL, &r, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "invalid UTF-8 at byte 3") != NULL && strstr(err.message, "Smith") == NULL);
    openmed_model_free(model);
    return check_finish("test_deid_model");
}
