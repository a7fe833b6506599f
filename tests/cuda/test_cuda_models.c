/* test_cuda_models.c: every golden model on cuda against cpu: first-window logits within 1e-4 and
 * the same labels, a packed batch of all windows equal to one at a time, and the same entities
 * from the pipeline; then float16 and bfloat16 compute, where a label may differ from the golden
 * only when the golden's top-2 gap is within that token's observed logit error (counted, printed).
 * Exits 77 (skipped) when no CUDA device is present; OM_TEST_CUDA_AS_CPU=1 runs it with the cpu
 * backend behind fake device pointers in the cuda seat (float32 part only; see fake_device.h): a
 * self-check of the test and of the models' host/device discipline, not of cuda. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "check.h"
#include "fake_device.h"
#include "golden.h"
#include "models/model.h"

static int argmax(const float *v, int n) {
    int b = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[b]) b = i;
    return b;
}

typedef struct windows {
    int n;
    int32_t *ids;     /* all first windows back to back */
    int32_t *cu;      /* [n + 1] */
    const char **texts;
} windows;

static void windows_of(const cJSON *golden, windows *w) {
    const cJSON *texts = cJSON_GetObjectItem(golden, "texts");
    w->n = cJSON_GetArraySize(texts);
    w->cu = calloc((size_t)w->n + 1, sizeof(int32_t));
    w->texts = calloc((size_t)w->n + 1, sizeof(char *));
    int i = 0, total = 0;
    for (const cJSON *t = texts->child; t; t = t->next, i++) {
        total += cJSON_GetArraySize(cJSON_GetObjectItem(t, "window_ids"));
        w->cu[i + 1] = total;
        w->texts[i] = cJSON_GetObjectItem(t, "text")->valuestring;
    }
    w->ids = malloc((size_t)(total ? total : 1) * sizeof(int32_t));
    int k = 0;
    for (const cJSON *t = texts->child; t; t = t->next)
        for (const cJSON *v = cJSON_GetObjectItem(t, "window_ids")->child; v; v = v->next) w->ids[k++] = v->valueint;
}

static void windows_free(windows *w) {
    free(w->ids), free(w->cu), free(w->texts);
}

/* Logits of each window alone ([total, labels]). */
static float *forward_each(const openmed_model *m, const windows *w, int labels) {
    float *out = malloc((size_t)(w->cu[w->n] ? w->cu[w->n] : 1) * (size_t)labels * sizeof(float));
    for (int i = 0; i < w->n; i++) {
        int32_t cu[2] = {0, w->cu[i + 1] - w->cu[i]};
        om_batch b = {w->ids + w->cu[i], cu, 1, cu[1]};
        openmed_error err;
        openmed_status s = om_model_forward(m, NULL, &b, out + (int64_t)w->cu[i] * labels, NULL, &err);
        CHECK_MSG(s == OPENMED_OK, "forward on %s: %s", m->be->name, err.message);
    }
    return out;
}

static void compare_entities(const char *name, const openmed_result *a, const openmed_result *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        CHECK_MSG(a[i].n_entities == b[i].n_entities, "%s text %zu: %zu entities on cuda, %zu on cpu", name, i,
                  a[i].n_entities, b[i].n_entities);
        size_t m = a[i].n_entities < b[i].n_entities ? a[i].n_entities : b[i].n_entities;
        for (size_t e = 0; e < m; e++) {
            const openmed_entity *x = &a[i].entities[e], *y = &b[i].entities[e];
            CHECK_MSG(strcmp(x->label, y->label) == 0 && strcmp(x->word, y->word) == 0 && x->start == y->start &&
                          x->end == y->end && fabsf(x->score - y->score) <= 1e-4f,
                      "%s text %zu entity %zu: cuda %s [%lld, %lld) %.6f vs cpu %s [%lld, %lld) %.6f", name, i, e,
                      x->label, (long long)x->start, (long long)x->end, x->score, y->label, (long long)y->start,
                      (long long)y->end, y->score);
        }
    }
}

static int total_excused[3], total_tokens[3];
static int self_check; /* OM_TEST_CUDA_AS_CPU=1: the cpu behind fake device pointers (fake_device.h) in the cuda seat, a self-check of this test */

static void check_model(om_backend *cpu, om_backend *gpu, const char *name) {
    char dir[1024];
    cJSON *golden = golden_load(name, dir, sizeof dir);
    if (!golden) return;
    openmed_model *mc = NULL, *mg = NULL;
    openmed_error err;
    openmed_status s = om_model_load_dir(dir, cpu, 0, 1, &mc, &err);
    CHECK_MSG(s == OPENMED_OK, "%s on cpu: %s", name, err.message);
    if (s == OPENMED_OK) {
        s = om_model_load_dir(dir, gpu, 0, 1, &mg, &err);
        CHECK_MSG(s == OPENMED_OK, "%s on %s: %s", name, gpu->name, err.message);
    }
    if (s != OPENMED_OK) {
        openmed_model_free(mc);
        cJSON_Delete(golden);
        return;
    }
    const int labels = mc->cfg.num_labels;
    windows w;
    windows_of(golden, &w);
    const int64_t T = w.cu[w.n];

    /* float32: cuda vs cpu, window by window, then all windows in one packed batch. */
    float *lc = forward_each(mc, &w, labels), *lg = forward_each(mg, &w, labels);
    int bad = 0, flips = 0;
    double worst = 0;
    for (int64_t i = 0; i < T * labels; i++) {
        double d = fabs(lg[i] - lc[i]);
        if (d > worst) worst = d;
        bad += !golden_close(lg[i], lc[i], 1e-4);
    }
    for (int64_t t = 0; t < T; t++) flips += argmax(lg + t * labels, labels) != argmax(lc + t * labels, labels);
    CHECK_MSG(bad == 0, "%s: %d of %lld cuda logits differ from cpu beyond 1e-4 (max %.3g)", name, bad,
              (long long)(T * labels), worst);
    CHECK_MSG(flips == 0, "%s: %d labels differ between cuda and cpu", name, flips);
    float *packed = malloc((size_t)(T ? T : 1) * (size_t)labels * sizeof(float));
    om_batch b = {w.ids, w.cu, w.n, T};
    s = om_model_forward(mg, NULL, &b, packed, NULL, &err);
    CHECK_MSG(s == OPENMED_OK, "%s packed forward on cuda: %s", name, err.message);
    int bad_packed = 0;
    for (int64_t i = 0; s == OPENMED_OK && i < T * labels; i++) bad_packed += !golden_close(packed[i], lc[i], 1e-4);
    CHECK_MSG(bad_packed == 0, "%s: %d logits of the packed cuda batch differ from cpu", name, bad_packed);
    printf("%-22s float32: %lld tokens, max |cuda - cpu| logit %.3g, label flips %d\n", name, (long long)T, worst, flips);

    /* Entities through the pipeline, same options on both. */
    openmed_pipeline *pc = NULL, *pg = NULL;
    openmed_pipeline_options po;
    openmed_pipeline_options_init(&po);
    po.batch_size = 4;
    po.long_text = OPENMED_LONG_TEXT_HF; /* compared with transformers' goldens */
    if (openmed_pipeline_create(mc, &po, &pc, &err) == OPENMED_OK && openmed_pipeline_create(mg, &po, &pg, &err) == OPENMED_OK) {
        openmed_result *rc = NULL, *rg = NULL;
        s = openmed_pipeline_run(pc, w.texts, (size_t)w.n, &rc, &err);
        CHECK_MSG(s == OPENMED_OK, "%s pipeline on cpu: %s", name, err.message);
        openmed_status s2 = openmed_pipeline_run(pg, w.texts, (size_t)w.n, &rg, &err);
        CHECK_MSG(s2 == OPENMED_OK, "%s pipeline on cuda: %s", name, err.message);
        if (s == OPENMED_OK && s2 == OPENMED_OK) compare_entities(name, rg, rc, (size_t)w.n);
        if (rc) openmed_results_free(rc, (size_t)w.n);
        if (rg) openmed_results_free(rg, (size_t)w.n);
    } else {
        CHECK_MSG(0, "%s: pipeline_create: %s", name, err.message);
    }
    openmed_pipeline_free(pc);
    openmed_pipeline_free(pg);
    openmed_model_free(mg);

    /* float16 / bfloat16 compute: labels against the golden's. */
    const cJSON *texts = cJSON_GetObjectItem(golden, "texts");
    for (int p = 1; p <= 2 && !self_check; p++) {
        om_dtype dt = p == 1 ? OM_F16 : OM_BF16;
        CHECK_INT(gpu->set_precision(gpu, dt, &err), OPENMED_OK);
        openmed_model *mh = NULL;
        s = om_model_load_dir(dir, gpu, 0, 0, &mh, &err);
        CHECK_MSG(s == OPENMED_OK, "%s in %s: %s", name, p == 1 ? "f16" : "bf16", err.message);
        if (s == OPENMED_OK) {
            float *lh = forward_each(mh, &w, labels);
            int excused = 0, unexcused = 0, tok = 0;
            double max_err = 0;
            for (const cJSON *t = texts->child; t; t = t->next)
                for (const cJSON *row = cJSON_GetObjectItem(t, "logits")->child; row; row = row->next, tok++) {
                    float gold[OM_MAX_LABELS];
                    int c = 0;
                    for (const cJSON *v = row->child; v && c < OM_MAX_LABELS; v = v->next) gold[c++] = (float)v->valuedouble;
                    const float *mine = lh + (int64_t)tok * labels;
                    double e = 0;
                    for (int j = 0; j < labels; j++) e = fmax(e, fabs(mine[j] - gold[j]));
                    max_err = fmax(max_err, e);
                    int gb = argmax(gold, labels), mb = argmax(mine, labels);
                    if (gb == mb) continue;
                    float second = -INFINITY; /* golden top-2 gap */
                    for (int j = 0; j < labels; j++)
                        if (j != gb && gold[j] > second) second = gold[j];
                    if (gold[gb] - second <= 2 * e) excused++;
                    else unexcused++;
                }
            CHECK_MSG(unexcused == 0, "%s %s: %d labels differ from the golden beyond the precision", name,
                      p == 1 ? "f16" : "bf16", unexcused);
            printf("%-22s %s: max |logit - golden| %.3g, %d label flips within the precision\n", name,
                   p == 1 ? "float16" : "bfloat16", max_err, excused);
            total_excused[p] += excused;
            total_tokens[p] += tok;
            free(lh);
            openmed_model_free(mh);
        }
    }
    if (!self_check) CHECK_INT(gpu->set_precision(gpu, OM_F32, &err), OPENMED_OK);
    free(lc), free(lg), free(packed);
    windows_free(&w);
    openmed_model_free(mc);
    cJSON_Delete(golden);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void) {
    openmed_error err;
    om_backend *gpu = NULL, *cpu = NULL;
    int seat = om_fake_device_seat(&gpu, 0, &self_check);
    if (seat) return seat;
    if (!self_check) CHECK(gpu->set_precision != NULL);
    CHECK_INT(om_backend_create("cpu", 0, &cpu, &err), OPENMED_OK);
    char root[1024];
    snprintf(root, sizeof root, "%s/hf/models", OM_FIXTURES);
    DIR *d = opendir(root);
    CHECK(d != NULL);
    char *names[64];
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) && n < 64;)
        if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
    if (d) closedir(d);
    qsort(names, (size_t)n, sizeof names[0], by_name);
    CHECK(n >= 11);
    for (int i = 0; i < n; i++) {
        /* the self-check needs one model per family kind to exercise the harness (all of them with
         * OM_TEST_CUDA_ALL_MODELS set) */
        if (self_check && !getenv("OM_TEST_CUDA_ALL_MODELS") && strcmp(names[i], "bert-uncased") && strcmp(names[i], "deberta-v3") &&
            strcmp(names[i], "modernbert") && strcmp(names[i], "privacy-filter")) {
            free(names[i]);
            continue;
        }
        check_model(cpu, gpu, names[i]);
        free(names[i]);
    }
    printf("label flips within the precision: float16 %d of %d tokens, bfloat16 %d of %d tokens\n", total_excused[1],
           total_tokens[1], total_excused[2], total_tokens[2]);
    om_backend_destroy(gpu);
    om_backend_destroy(cpu);
    return check_finish("test_cuda_models");
}
