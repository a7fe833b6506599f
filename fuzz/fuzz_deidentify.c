/* fuzz_deidentify.c: text -> tokens -> entities -> de-identified text on the bundled PII model
 * (models/pii, a small ModernBERT), for hostile text. The first input byte picks the method, the
 * switches (mapping, sweep) and the stage after tokenizing (de-identify, PII extraction or the
 * plain pipeline), the second the confidence threshold; the rest (up to 1 KiB) is the text.
 * Checked: tokens stay inside the text; entities are in bounds, in order, disjoint and equal to
 * the text they cover; the de-identified text is exactly the text with every entity replaced by
 * its redacted_text; an error is a proper record and returns no text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "openmed.h"

#define MAX_TEXT 1024

static openmed_model *model;
static openmed_pipeline *pipeline;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    openmed_model_options o;
    openmed_model_options_init(&o);
    o.device = "cpu";
    o.num_threads = 1;
    openmed_error err;
    if (openmed_model_load(OM_SOURCE_DIR "/models/pii", &o, &model, &err) ||
        openmed_pipeline_create(model, NULL, &pipeline, &err)) {
        fprintf(stderr, "fuzz_deidentify: %s\n", err.message);
        abort();
    }
    return 0;
}

/* Byte offset of code point `cp` in s (n bytes), or n when past the end. */
static size_t byte_at(const char *s, size_t n, int64_t cp) {
    size_t b = 0;
    for (int64_t c = 0; b < n; b++) {
        if (((unsigned char)s[b] & 0xC0) != 0x80) {
            if (c == cp) return b;
            c++;
        }
    }
    return n;
}

static size_t code_points(const char *s, size_t n) {
    size_t c = 0;
    for (size_t b = 0; b < n; b++) c += ((unsigned char)s[b] & 0xC0) != 0x80;
    return c;
}

static void check_result(const char *text, size_t len, const openmed_deid_result *r, int redacted) {
    size_t cps = code_points(text, len);
    int64_t prev_end = 0;
    size_t at = 0, out_at = 0;
    for (size_t i = 0; i < r->n_entities; i++) {
        const openmed_pii_entity *e = &r->entities[i];
        FUZZ_ASSERT(e->start >= prev_end && e->start < e->end && (size_t)e->end <= cps,
                    "entity %zu [%lld, %lld) out of order or out of bounds (%zu code points)", i,
                    (long long)e->start, (long long)e->end, cps);
        prev_end = e->end;
        size_t b0 = byte_at(text, len, e->start), b1 = byte_at(text, len, e->end);
        FUZZ_ASSERT(e->text && strlen(e->text) == b1 - b0 && !memcmp(e->text, text + b0, b1 - b0),
                    "entity %zu text differs from the text it covers", i);
        FUZZ_ASSERT(e->label && e->label[0] && e->source, "entity %zu has no label or source", i);
        if (!redacted) continue;
        FUZZ_ASSERT(e->redacted_text, "entity %zu has no replacement", i);
        size_t keep = b0 - at, rl = strlen(e->redacted_text);
        FUZZ_ASSERT(out_at + keep + rl <= r->deidentified_len &&
                        !memcmp(r->deidentified_text + out_at, text + at, keep) &&
                        !memcmp(r->deidentified_text + out_at + keep, e->redacted_text, rl),
                    "the de-identified text is not the text with entity %zu replaced", i);
        out_at += keep + rl;
        at = b1;
    }
    if (redacted) {
        FUZZ_ASSERT(r->deidentified_text && strlen(r->deidentified_text) == r->deidentified_len,
                    "de-identified text length");
        FUZZ_ASSERT(r->deidentified_len - out_at == len - at &&
                        !memcmp(r->deidentified_text + out_at, text + at, len - at),
                    "the de-identified text's tail differs from the text's");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t len = size - 2 > MAX_TEXT ? MAX_TEXT : size - 2;
    char *text = malloc(len + 1);
    if (!text) return 0;
    memcpy(text, data + 2, len);
    text[len] = 0;
    openmed_error err;
    memset(&err, 0, sizeof err);

    /* text -> tokens */
    openmed_encoding enc;
    openmed_encoding_init(&enc);
    openmed_status s = openmed_tokenizer_encode(openmed_model_tokenizer(model), text, len, 1, &enc, &err);
    FUZZ_CHECK_ERROR(s, err);
    size_t cps = code_points(text, len);
    for (size_t i = 0; s == OPENMED_OK && i < enc.count; i++)
        FUZZ_ASSERT(enc.offsets[2 * i] <= enc.offsets[2 * i + 1] && enc.offsets[2 * i + 1] <= cps,
                    "token %zu outside the text", i);
    openmed_encoding_free(&enc);

    int stage = (data[0] >> 5) % 3;
    if (stage == 2) { /* tokens -> entities (a text with a NUL byte is cut there, as a C string) */
        openmed_result *results = NULL;
        const char *texts[1] = {text};
        openmed_status ps = openmed_pipeline_run(pipeline, texts, 1, &results, &err);
        FUZZ_CHECK_ERROR(ps, err);
        if (ps == OPENMED_OK) {
            size_t ccps = code_points(text, strlen(text));
            for (size_t i = 0; i < results[0].n_entities; i++) {
                const openmed_entity *e = &results[0].entities[i];
                FUZZ_ASSERT(e->start >= 0 && e->start <= e->end && (size_t)e->end <= ccps, "entity outside the text");
                FUZZ_ASSERT(e->label && e->word, "entity without label or word");
            }
            openmed_results_free(results, 1);
        }
        free(text);
        return 0;
    }

    /* entities -> de-identified text */
    openmed_deid_options o;
    openmed_deid_options_init(&o);
    o.method = (openmed_deid_method)(data[0] % 5);
    o.keep_mapping = (data[0] >> 3) & 1;
    o.safety_sweep = !((data[0] >> 4) & 1);
    o.confidence_threshold = (float)data[1] / 255.0f;
    if (o.method == OPENMED_DEID_SHIFT_DATES) o.date_shift_seed = "fuzz";
    openmed_deid_result *r = NULL;
    int redact = stage == 0;
    s = redact ? openmed_deidentify(model, text, len, &o, &r, &err) : openmed_pii_extract(model, text, len, &o, &r, &err);
    FUZZ_CHECK_ERROR(s, err);
    if (s == OPENMED_OK) {
        check_result(text, len, r, redact);
        openmed_deid_result_free(r);
    } else {
        FUZZ_ASSERT(r == NULL, "a failed de-identification returned a result");
    }
    free(text);
    return 0;
}
