/* test_bundled_models.c: the bundled models (models/disease-ner, models/pii) load, tokenize their
 * reference sentences to the ids training used, give the training framework's logits (torch, from
 * the float16 weights, stored by scripts/train next to each model) within 1e-4, and find real
 * entities: a disease in "The patient has cystic fibrosis.", and in a note exactly its four
 * identifiers (first and last name, record number, phone number). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/file.h"
#include "models/model.h"

/* Compares the model with one reference line {"text", "ids", "logits"}; returns max |diff|. */
static double check_reference(const openmed_model *m, const cJSON *ref, const char *name) {
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(ref, "text"));
    const cJSON *ids = cJSON_GetObjectItem(ref, "ids"), *logits = cJSON_GetObjectItem(ref, "logits");
    CHECK_MSG(text && cJSON_IsArray(ids) && cJSON_IsArray(logits), "%s: bad reference line", name);
    if (!text || !cJSON_IsArray(ids) || !cJSON_IsArray(logits)) return INFINITY;
    int n = cJSON_GetArraySize(ids), labels = openmed_model_num_labels(m);
    int32_t *tok = malloc((size_t)n * sizeof *tok);
    float *out = malloc((size_t)n * (size_t)labels * sizeof *out);
    int i = 0;
    for (const cJSON *v = ids->child; v; v = v->next) tok[i++] = (int32_t)v->valueint;

    /* Our tokenizer gives the ids training used. */
    openmed_encoding enc;
    openmed_encoding_init(&enc);
    openmed_error err;
    openmed_status s = openmed_tokenizer_encode(openmed_model_tokenizer(m), text, strlen(text), 1, &enc, &err);
    CHECK_MSG(s == OPENMED_OK, "%s: encode: %s", name, err.message);
    CHECK_MSG(s == OPENMED_OK && enc.count == (size_t)n, "%s: %zu tokens, reference %d", name, enc.count, n);
    for (size_t k = 0; s == OPENMED_OK && k < enc.count && k < (size_t)n; k++)
        CHECK_MSG(enc.ids[k] == tok[k], "%s: token %zu id %d, reference %d", name, k, enc.ids[k], tok[k]);
    openmed_encoding_free(&enc);

    int32_t cu[2] = {0, n};
    om_batch batch = {tok, cu, 1, n};
    double max_diff = 0;
    s = om_model_forward(m, NULL, &batch, out, NULL, &err);
    CHECK_MSG(s == OPENMED_OK, "%s: forward: %s", name, err.message);
    if (s == OPENMED_OK) {
        int r = 0, bad = 0;
        for (const cJSON *row = logits->child; row; row = row->next, r++) {
            int c = 0;
            for (const cJSON *v = row->child; v; v = v->next, c++) {
                if (r >= n || c >= labels) {
                    bad++;
                    continue;
                }
                double d = fabs(out[r * labels + c] - v->valuedouble);
                double tol = 1e-4 * (fabs(v->valuedouble) > 1 ? fabs(v->valuedouble) : 1);
                if (d > max_diff) max_diff = d;
                if (d > tol) bad++;
            }
            if (c != labels) bad++;
        }
        CHECK_MSG(r == n && bad == 0, "%s: \"%s\": %d logits off (max diff %g)", name, text, bad, max_diff);
    }
    free(tok);
    free(out);
    return max_diff;
}

static openmed_model *load_bundled(const char *folder) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/models/%s", OM_SOURCE_DIR, folder);
    openmed_model_options opt;
    openmed_model_options_init(&opt);
    opt.device = "cpu";
    openmed_model *m = NULL;
    openmed_error err;
    openmed_status s = openmed_model_load(dir, &opt, &m, &err);
    CHECK_MSG(s == OPENMED_OK, "%s: load: %s", folder, err.message);
    return s == OPENMED_OK ? m : NULL;
}

static void check_parity(const char *folder) {
    openmed_model *m = load_bundled(folder);
    if (!m) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/models/%s/reference_logits.jsonl", OM_SOURCE_DIR, folder);
    char *data;
    size_t size;
    openmed_error err;
    CHECK_MSG(om_read_file(path, 0, &data, &size, &err) == OPENMED_OK, "%s", err.message);
    int lines = 0;
    double worst = 0;
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *ref = cJSON_Parse(line);
        CHECK_MSG(ref != NULL, "%s: line %d is not JSON", path, lines + 1);
        if (!ref) continue;
        double d = check_reference(m, ref, folder);
        if (d > worst) worst = d;
        cJSON_Delete(ref);
        lines++;
    }
    free(data);
    CHECK_MSG(lines >= 3, "%s: only %d reference sentences", path, lines);
    printf("%s: %d sentences, max |logit diff| vs torch %.3g\n", folder, lines, worst);
    openmed_model_free(m);
}

/* The entities of one text with the default (simple) aggregation. */
static openmed_result *run_one(openmed_model *m, const char *text, openmed_pipeline **pipe) {
    openmed_error err;
    openmed_result *res = NULL;
    CHECK_MSG(openmed_pipeline_create(m, NULL, pipe, &err) == OPENMED_OK, "%s", err.message);
    if (!*pipe) return NULL;
    CHECK_MSG(openmed_pipeline_run(*pipe, &text, 1, &res, &err) == OPENMED_OK, "%s", err.message);
    return res;
}

static int has_entity(const openmed_result *r, const char *label, int64_t start, int64_t end) {
    for (size_t i = 0; r && i < r->n_entities; i++)
        if (!strcmp(r->entities[i].label, label) && r->entities[i].start == start && r->entities[i].end == end)
            return 1;
    return 0;
}

static void check_disease_finds(void) {
    openmed_model *m = load_bundled("disease-ner");
    if (!m) return;
    openmed_pipeline *pipe = NULL;
    const char *text = "The patient has cystic fibrosis.";
    openmed_result *r = run_one(m, text, &pipe);
    CHECK_MSG(has_entity(r, "DISEASE", 16, 31), "no DISEASE 'cystic fibrosis' [16, 31) in \"%s\"", text);
    CHECK_MSG(r && r->n_entities == 1, "%zu entities in \"%s\", expected 1", r ? r->n_entities : 0, text);
    for (size_t i = 0; r && i < r->n_entities; i++)
        printf("  %s [%lld, %lld) %s %.3f\n", r->entities[i].label, (long long)r->entities[i].start,
               (long long)r->entities[i].end, r->entities[i].word, r->entities[i].score);
    if (r) openmed_results_free(r, 1);
    openmed_pipeline_free(pipe);
    openmed_model_free(m);
}

static void check_pii_finds(void) {
    openmed_model *m = load_bundled("pii");
    if (!m) return;
    openmed_pipeline *pipe = NULL;
    const char *text = "Patient: Maria Lopez\nMRN: 4829173\nPhone: (617) 555-0192\n";
    openmed_result *r = run_one(m, text, &pipe);
    CHECK_MSG(has_entity(r, "FIRST_NAME", 9, 14), "no FIRST_NAME 'Maria' [9, 14)");
    CHECK_MSG(has_entity(r, "LAST_NAME", 15, 20), "no LAST_NAME 'Lopez' [15, 20)");
    CHECK_MSG(has_entity(r, "ID_NUM", 26, 33), "no ID_NUM '4829173' [26, 33)");
    CHECK_MSG(has_entity(r, "PHONE", 41, 55), "no PHONE '(617) 555-0192' [41, 55)");
    CHECK_MSG(r && r->n_entities == 4, "%zu entities, expected exactly the 4 identifiers", r ? r->n_entities : 0);
    for (size_t i = 0; r && i < r->n_entities; i++)
        printf("  %s [%lld, %lld) %.3f\n", r->entities[i].label, (long long)r->entities[i].start,
               (long long)r->entities[i].end, r->entities[i].score);
    if (r) openmed_results_free(r, 1);
    openmed_pipeline_free(pipe);
    openmed_model_free(m);
}

int main(void) {
    check_parity("disease-ner");
    check_parity("pii");
    check_disease_finds();
    check_pii_finds();
    return check_finish("test_bundled_models");
}
