/* test_reduced_agreement.c: entities found with int8 and bf16 compute against float32 on the golden
 * models and the bundled models: the same pipeline (simple aggregation) over the golden texts, and
 * for the bundled models also over ACI clinical notes. Agreement is the F1 of the reduced run's
 * entities against float32's, an entity counting when start, end and label are identical.
 *
 * Bounds (the worst model measured when this test was written, less a margin; each model must meet
 * them): int8 >= 0.90 on the golden models (tiny random-weight encoders whose labels sit on near
 * ties, the hard case), >= 0.95 on the bundled trained models; bf16 >= 0.95 and >= 0.97. And the
 * mean score change of the shared entities at most 0.03 (int8) / 0.015 (bf16); single entities can move
 * more where a token's B-/I- tag sits on a tie and the group's members change. Run one model with
 * `test_reduced_agreement NAME`. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/file.h"
#include "golden.h"
#include "openmed.h"

static const char *const golden_models[] = {
    "bert-uncased", "bert-cased", "distilbert-uncased", "electra-cased", "roberta", "xlm-roberta",
    "deberta-v3",   "deberta-v2-nobucket", "modernbert", "longformer",
};

typedef struct texts {
    const char **v;
    size_t n;
} texts;

static openmed_result *run(const char *dir, openmed_dtype dtype, const texts *t) {
    openmed_error err = {0};
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = "cpu";
    mo.dtype = dtype;
    mo.num_threads = 2;
    openmed_model *model = NULL;
    openmed_pipeline *p = NULL;
    openmed_result *res = NULL;
    openmed_pipeline_options po;
    openmed_pipeline_options_init(&po);
    po.aggregation = OPENMED_AGGREGATION_SIMPLE;
    openmed_status s = openmed_model_load(dir, &mo, &model, &err);
    if (s == OPENMED_OK) s = openmed_pipeline_create(model, &po, &p, &err);
    if (s == OPENMED_OK) s = openmed_pipeline_run(p, t->v, t->n, &res, &err);
    CHECK_MSG(s == OPENMED_OK, "%s (%s): %s", dir, openmed_dtype_name(dtype), err.message);
    openmed_pipeline_free(p);
    openmed_model_free(model);
    return s == OPENMED_OK ? res : NULL;
}

/* F1 of b's entities against a's (identical start, end, label); mean score change of shared ones. */
static double agreement(const openmed_result *a, const openmed_result *b, size_t n, double *score_gap, long *n_a) {
    long shared = 0, total_a = 0, total_b = 0;
    double gap_sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        total_a += (long)a[i].n_entities;
        total_b += (long)b[i].n_entities;
        for (size_t j = 0; j < a[i].n_entities; j++)
            for (size_t k = 0; k < b[i].n_entities; k++) {
                const openmed_entity *x = &a[i].entities[j], *y = &b[i].entities[k];
                if (x->start == y->start && x->end == y->end && !strcmp(x->label, y->label)) {
                    shared++;
                    gap_sum += fabs(x->score - y->score);
                    break;
                }
            }
    }
    *n_a = total_a;
    *score_gap = shared ? gap_sum / (double)shared : 0.0;
    return total_a + total_b ? 2.0 * (double)shared / (double)(total_a + total_b) : 1.0;
}

static void compare(const char *name, const char *dir, const texts *t, double int8_min, double bf16_min) {
    openmed_result *f32 = run(dir, OPENMED_DTYPE_FLOAT32, t);
    if (!f32) return;
    const openmed_dtype reduced[] = {OPENMED_DTYPE_INT8, OPENMED_DTYPE_BFLOAT16};
    for (int r = 0; r < 2; r++) {
        openmed_result *got = run(dir, reduced[r], t);
        if (!got) continue;
        double gap, min = r == 0 ? int8_min : bf16_min;
        long n_f32;
        double agree = agreement(f32, got, t->n, &gap, &n_f32);
        printf("%-20s %-8s %zu texts, %ld float32 entities: agreement %.4f, mean score change %.4f\n", name,
               openmed_dtype_name(reduced[r]), t->n, n_f32, agree, gap);
        CHECK_MSG(agree >= min, "%s %s: entity agreement %.4f below %.2f", name, openmed_dtype_name(reduced[r]), agree,
                  min);
        CHECK_MSG(gap <= (r == 0 ? 0.03 : 0.015), "%s %s: shared entities' scores moved by %.4f on average", name,
                  openmed_dtype_name(reduced[r]), gap);
        openmed_results_free(got, t->n);
    }
    openmed_results_free(f32, t->n);
}

static void golden(const char *name) {
    char dir[OPENMED_PATH_MAX];
    cJSON *g = golden_load(name, dir, sizeof dir);
    if (!g) return;
    const cJSON *list = cJSON_GetObjectItem(g, "texts");
    texts t = {calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(char *)), 0};
    for (const cJSON *it = list ? list->child : NULL; it; it = it->next)
        t.v[t.n++] = cJSON_GetStringValue(cJSON_GetObjectItem(it, "text"));
    compare(name, dir, &t, 0.90, 0.95);
    free(t.v);
    cJSON_Delete(g);
}

/* The bundled models over the golden texts and the ACI clinical notes (tests/fixtures/clinical). */
static void bundled(const char *which) {
    char dir[OPENMED_PATH_MAX], gdir[OPENMED_PATH_MAX], path[OPENMED_PATH_MAX + 64];
    openmed_error err = {0};
    if (openmed_bundled_model_path(which, dir, sizeof dir, &err) != OPENMED_OK) {
        CHECK_MSG(0, "bundled %s: %s", which, err.message);
        return;
    }
    cJSON *g = golden_load("bert-cased", gdir, sizeof gdir);
    if (!g) return;
    const cJSON *list = cJSON_GetObjectItem(g, "texts");
    char *notes = NULL;
    size_t size = 0;
    snprintf(path, sizeof path, "%s/clinical/aci_notes.jsonl", OM_FIXTURES);
    CHECK_MSG(om_read_file(path, 0, &notes, &size, &err) == OPENMED_OK, "%s", err.message);
    texts t = {calloc((size_t)cJSON_GetArraySize(list) + 64, sizeof(char *)), 0};
    cJSON *parsed[64];
    int n_parsed = 0;
    for (const cJSON *it = list ? list->child : NULL; it; it = it->next)
        t.v[t.n++] = cJSON_GetStringValue(cJSON_GetObjectItem(it, "text"));
    for (char *line = notes, *next; line && *line && n_parsed < 64; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (!*line) continue;
        cJSON *j = cJSON_Parse(line);
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(j, "text"));
        CHECK_MSG(text != NULL, "%s: a line without \"text\"", path);
        if (!text) {
            cJSON_Delete(j);
            continue;
        }
        parsed[n_parsed++] = j;
        t.v[t.n++] = text;
    }
    compare(which, dir, &t, 0.95, 0.97);
    for (int i = 0; i < n_parsed; i++) cJSON_Delete(parsed[i]);
    free(notes);
    free(t.v);
    cJSON_Delete(g);
}

int main(int argc, char **argv) {
    if (argc > 1) {
        if (!strcmp(argv[1], "disease") || !strcmp(argv[1], "pii")) bundled(argv[1]);
        else golden(argv[1]);
    } else {
        for (size_t i = 0; i < sizeof golden_models / sizeof golden_models[0]; i++) golden(golden_models[i]);
        bundled("disease");
        bundled("pii");
    }
    printf("%d checks, %d failed\n", check_count, check_failures);
    return check_failures ? 1 : 0;
}
