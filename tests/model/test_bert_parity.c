/* test_bert_parity.c: BERT-family forward passes equal Hugging Face's: first-window logits of every
 * golden text, all hidden states of the first three, and a packed batch equal to one at a time. */
#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "check.h"
#include "golden.h"
#include "models/model.h"

static void check_model(om_backend *be, const char *name) {
    char dir[1024];
    cJSON *golden = golden_load(name, dir, sizeof dir);
    if (!golden) return;
    openmed_model *m = NULL;
    openmed_error err;
    openmed_status s = om_model_load_dir(dir, be, 0, 0, &m, &err);
    CHECK_MSG(s == OPENMED_OK, "%s: load failed: %s", name, err.message);
    if (s != OPENMED_OK) {
        cJSON_Delete(golden);
        return;
    }
    int64_t H = m->cfg.hidden_size, labels = m->cfg.num_labels, layers = m->cfg.num_layers;
    const cJSON *texts = cJSON_GetObjectItem(golden, "texts");
    int n_texts = cJSON_GetArraySize(texts), t_index = 0, hidden_checked = 0;
    double max_logit = 0, max_hidden = 0;
    /* Packed batch of the first 8 windows. */
    int32_t *packed = NULL, cu[9] = {0};
    int n_packed = 0, total = 0;
    for (const cJSON *t = texts->child; t; t = t->next, t_index++) {
        int n;
        int32_t *ids = golden_ids(cJSON_GetObjectItem(t, "window_ids"), &n);
        int32_t cu1[2] = {0, n};
        om_batch b = {ids, cu1, 1, n};
        float *logits = malloc((size_t)(n ? n : 1) * (size_t)labels * sizeof(float));
        const cJSON *hs = cJSON_GetObjectItem(t, "hidden_states");
        float *hidden = hs ? malloc((size_t)(n ? n : 1) * (size_t)H * (size_t)(layers + 1) * sizeof(float)) : NULL;
        s = om_model_forward(m, NULL, &b, logits, hidden, &err);
        CHECK_MSG(s == OPENMED_OK, "%s text %d: forward failed: %s", name, t_index, err.message);
        if (s == OPENMED_OK) {
            int bad = golden_compare_matrix(logits, cJSON_GetObjectItem(t, "logits"), n, labels, 1e-4, &max_logit);
            CHECK_MSG(bad == 0, "%s text %d: %d logits differ", name, t_index, bad);
            if (hs) {
                CHECK_INT(cJSON_GetArraySize(hs), layers + 1);
                int l = 0;
                for (const cJSON *block = hs->child; block && l <= layers; block = block->next, l++) {
                    bad = golden_compare_matrix(hidden + (size_t)l * (size_t)n * (size_t)H, block, n, H, 1e-4, &max_hidden);
                    CHECK_MSG(bad == 0, "%s text %d hidden state %d: %d values differ", name, t_index, l, bad);
                }
                hidden_checked++;
            }
        }
        if (n_packed < 8 && n > 0) {
            packed = realloc(packed, (size_t)(total + n) * sizeof *packed);
            memcpy(packed + total, ids, (size_t)n * sizeof *ids);
            total += n;
            cu[++n_packed] = total;
        }
        free(ids);
        free(logits);
        free(hidden);
    }
    CHECK_INT(hidden_checked, 3);
    CHECK(n_texts > 8);
    /* The packed batch equals the windows one at a time (and so the goldens). */
    om_batch pb = {packed, cu, n_packed, total};
    float *plogits = malloc((size_t)total * (size_t)labels * sizeof(float));
    s = om_model_forward(m, NULL, &pb, plogits, NULL, &err);
    CHECK_MSG(s == OPENMED_OK, "%s packed: %s", name, err.message);
    int w = 0;
    double max_packed = 0;
    for (const cJSON *t = texts->child; t && w < n_packed; t = t->next) {
        int n = cJSON_GetArraySize(cJSON_GetObjectItem(t, "window_ids"));
        if (n == 0) continue;
        int bad = golden_compare_matrix(plogits + (size_t)cu[w] * (size_t)labels, cJSON_GetObjectItem(t, "logits"), n,
                                        labels, 1e-4, &max_packed);
        CHECK_MSG(bad == 0, "%s packed window %d: %d logits differ", name, w, bad);
        w++;
    }
    /* errors on the tolerance's scale: |diff|, relative above 1 */
    printf("%s: %d texts, max logit error %.2e, max hidden error %.2e, packed %d windows max error %.2e\n", name,
           n_texts, max_logit, max_hidden, n_packed, max_packed);
    free(plogits);
    free(packed);
    openmed_model_free(m);
    cJSON_Delete(golden);
}

/* Two threads share one model, each with its own workspace (grown as longer windows come): each
 * result equals the sequential one. */
typedef struct worker {
    const openmed_model *m;
    int32_t *ids[6];
    int n[6];
    float *want[6];
    int bad;
} worker;

static void *run_worker(void *p) {
    worker *w = p;
    openmed_error err;
    om_workspace ws;
    om_workspace_init(&ws);
    for (int rep = 0; rep < 10; rep++)
        for (int i = 0; i < 6; i++) {
            int k = (i + rep) % 6;
            int32_t cu[2] = {0, w->n[k]};
            om_batch b = {w->ids[k], cu, 1, w->n[k]};
            float *got = malloc((size_t)w->n[k] * 9 * sizeof(float));
            if (om_model_forward(w->m, &ws, &b, got, NULL, &err) != OPENMED_OK) w->bad++;
            else
                for (int j = 0; j < w->n[k] * 9; j++)
                    if (fabs(got[j] - w->want[k][j]) > 1e-6) {
                        w->bad++;
                        break;
                    }
            free(got);
        }
    om_workspace_release(&ws);
    return NULL;
}

static void check_shared_model(om_backend *be) {
    openmed_model *m = NULL;
    openmed_error err;
    if (om_model_load_dir(OM_FIXTURES "/hf/models/bert-uncased", be, 0, 0, &m, &err) != OPENMED_OK) {
        CHECK_MSG(0, "%s", err.message);
        return;
    }
    worker w[2];
    memset(w, 0, sizeof w);
    for (int i = 0; i < 6; i++) { /* windows of different lengths, so each workspace grows */
        int n = 3 + 25 * i;
        w[0].n[i] = n;
        w[0].ids[i] = malloc((size_t)n * sizeof(int32_t));
        for (int t = 0; t < n; t++) w[0].ids[i][t] = 1000 + (t * 37 + i) % 20000;
        w[0].want[i] = malloc((size_t)n * 9 * sizeof(float));
        int32_t cu[2] = {0, n};
        om_batch b = {w[0].ids[i], cu, 1, n};
        CHECK_INT(om_model_forward(m, NULL, &b, w[0].want[i], NULL, &err), OPENMED_OK);
    }
    w[0].m = m;
    w[1] = w[0];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, run_worker, &w[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    CHECK_INT(w[0].bad + w[1].bad, 0);
    for (int i = 0; i < 6; i++) free(w[0].ids[i]), free(w[0].want[i]);
    openmed_model_free(m);
}

int main(void) {
    om_backend *be = NULL;
    openmed_error err;
    CHECK_INT(om_backend_create("cpu", 2, &be, &err), OPENMED_OK);
    if (!be) return check_finish("test_bert_parity");
    const char *models[] = {"bert-uncased", "bert-cased", "distilbert-uncased", "electra-cased", "roberta",
                            "xlm-roberta"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) check_model(be, models[i]);
    check_shared_model(be);
    om_backend_destroy(be);
    return check_finish("test_bert_parity");
}
