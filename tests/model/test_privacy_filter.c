/* test_privacy_filter.c: the openai_privacy_filter family equals Hugging Face on the golden model:
 * logits of every text and hidden states of the first three within tolerance, the BIOES Viterbi
 * labels of every text, a packed batch equal to one text at a time; a bf16 copy of the checkpoint
 * (written by this test) runs in place and gives the same labels; broken checkpoints fail clearly. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "check.h"
#include "golden.h"
#include "core/file.h"
#include "io/safetensors.h"
#include "models/model.h"
#include "privacy/viterbi.h"

#define GOLDEN_DIR OM_FIXTURES "/hf/models/privacy-filter"

static float *forward(const openmed_model *m, const int32_t *ids, int n, float *hidden) {
    float *logits = malloc((size_t)n * m->cfg.num_labels * sizeof(float));
    int32_t cu[2] = {0, n};
    om_batch b = {ids, cu, 1, n};
    openmed_error err;
    if (om_model_forward(m, NULL, &b, logits, hidden, &err) != OPENMED_OK) {
        fprintf(stderr, "forward: %s\n", err.message);
        free(logits);
        return NULL;
    }
    return logits;
}

/* Viterbi labels (zero biases) of one text's logits. */
static void viterbi(const om_bioes_scheme *s, const float *logits, int n, int32_t *labels) {
    double *lp = malloc((size_t)n * s->n_labels * sizeof(double));
    openmed_error err;
    om_log_softmax_rows(logits, n, s->n_labels, lp);
    CHECK(om_viterbi_decode(s, NULL, lp, n, labels, &err) == OPENMED_OK);
    free(lp);
}

/* ------------------------------------------------------------------ checkpoint writer */

static uint16_t to_bf16(float f) { /* round to nearest even */
    uint32_t bits;
    memcpy(&bits, &f, 4);
    bits += 0x7FFF + ((bits >> 16) & 1);
    return (uint16_t)(bits >> 16);
}

/* Copy the golden checkpoint to dir/model.safetensors with every value rounded to bf16, stored as
 * BF16 (bf16 = 1) or as the same values in F32; tensor `skip` (or none) is left out. */
static int write_checkpoint(const char *dir, const char *skip, int bf16) {
    om_safetensors *st;
    openmed_error err;
    if (om_safetensors_open(GOLDEN_DIR, &st, &err) != OPENMED_OK) return 0;
    cJSON *header = cJSON_CreateObject();
    size_t offset = 0, n = om_safetensors_count(st);
    for (size_t i = 0; i < n; i++) {
        const om_st_tensor *t = om_safetensors_at(st, i);
        if (skip && strcmp(t->name, skip) == 0) continue;
        cJSON *e = cJSON_AddObjectToObject(header, t->name);
        cJSON_AddStringToObject(e, "dtype", bf16 ? "BF16" : "F32");
        cJSON *shape = cJSON_AddArrayToObject(e, "shape");
        for (int d = 0; d < t->ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->shape[d]));
        cJSON *offs = cJSON_AddArrayToObject(e, "data_offsets");
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)offset));
        offset += bf16 ? t->nbytes / 2 : t->nbytes;
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)offset));
    }
    char *text = cJSON_PrintUnformatted(header);
    size_t hlen = strlen(text), padded = (hlen + 7) / 8 * 8;
    char path[1024];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    FILE *f = fopen(path, "wb");
    int ok = f != NULL;
    if (ok) {
        uint64_t len = padded;
        fwrite(&len, 8, 1, f);
        fwrite(text, 1, hlen, f);
        for (size_t i = hlen; i < padded; i++) fputc(' ', f);
        for (size_t i = 0; i < n; i++) {
            const om_st_tensor *t = om_safetensors_at(st, i);
            if (skip && strcmp(t->name, skip) == 0) continue;
            for (size_t k = 0; k < t->nbytes / 4; k++) {
                float v;
                memcpy(&v, (const char *)t->data + 4 * k, 4);
                uint16_t h = to_bf16(v);
                if (bf16) {
                    fwrite(&h, 2, 1, f);
                } else {
                    uint32_t bits = (uint32_t)h << 16;
                    fwrite(&bits, 4, 1, f);
                }
            }
        }
        ok = fclose(f) == 0;
    }
    free(text);
    cJSON_Delete(header);
    om_safetensors_close(st);
    return ok;
}

static int copy_config(const char *dir, const char *from, const char *to) {
    char *text = NULL;
    size_t n = 0;
    if (om_read_file(GOLDEN_DIR "/config.json", 0, &text, &n, NULL) != OPENMED_OK) return 0;
    char path[1024];
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "wb");
    if (!f) return free(text), 0;
    char *hit = from ? strstr(text, from) : NULL;
    if (hit) {
        fwrite(text, 1, (size_t)(hit - text), f);
        fputs(to, f);
        fputs(hit + strlen(from), f);
    } else {
        fputs(text, f);
    }
    free(text);
    return fclose(f) == 0;
}

static void remove_dir(const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/config.json", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    unlink(path);
    rmdir(dir);
}

/* ------------------------------------------------------------------ tests */

int main(void) {
    om_backend *be;
    openmed_error err;
    if (om_backend_create("cpu", 0, &be, &err) != OPENMED_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    cJSON *golden = golden_read_json(GOLDEN_DIR "/golden.json");
    CHECK(golden != NULL);
    openmed_model *m = NULL;
    openmed_status s = om_model_load_dir(GOLDEN_DIR, be, 0, 0, &m, &err);
    CHECK_MSG(s == OPENMED_OK, "load: %s", err.message);
    if (!golden || s != OPENMED_OK) return check_finish("test_privacy_filter");
    const int L = m->cfg.num_labels, H = m->cfg.hidden_size, layers = m->cfg.num_layers;
    CHECK_INT(openmed_model_default_decoder(m), OPENMED_DECODER_VITERBI);
    om_bioes_scheme scheme;
    CHECK(om_bioes_scheme_init(&scheme, (const char *const *)m->cfg.id2label, L, &err) == OPENMED_OK);

    const cJSON *texts = cJSON_GetObjectItem(golden, "texts");
    int n_texts = cJSON_GetArraySize(texts), bad_logits = 0, bad_hidden = 0, bad_labels = 0, hidden_checked = 0;
    double max_logit = 0, max_hidden = 0;
    float **all_logits = calloc((size_t)n_texts, sizeof *all_logits);
    int i = 0;
    for (const cJSON *t = texts->child; t; t = t->next, i++) {
        int n;
        int32_t *ids = golden_ids(cJSON_GetObjectItem(t, "window_ids"), &n);
        const cJSON *hs = cJSON_GetObjectItem(t, "hidden_states");
        float *hidden = hs ? malloc((size_t)(layers + 1) * n * H * sizeof(float)) : NULL;
        float *logits = forward(m, ids, n, hidden);
        CHECK_MSG(logits != NULL, "text %d", i);
        if (!logits) continue;
        bad_logits += golden_compare_matrix(logits, cJSON_GetObjectItem(t, "logits"), n, L, 1e-4, &max_logit);
        if (hs) {
            int l = 0;
            for (const cJSON *layer = hs->child; layer; layer = layer->next, l++)
                bad_hidden += l > layers ? 1 : golden_compare_matrix(hidden + (size_t)l * n * H, layer, n, H, 1e-4, &max_hidden);
            CHECK_INT(l, layers + 1);
            hidden_checked++;
        }
        int32_t *labels = malloc((size_t)n * sizeof *labels);
        viterbi(&scheme, logits, n, labels);
        const cJSON *want = cJSON_GetObjectItem(t, "viterbi_labels");
        CHECK_INT(cJSON_GetArraySize(want), n);
        int k = 0;
        for (const cJSON *v = want ? want->child : NULL; v && k < n; v = v->next, k++)
            if (strcmp(m->cfg.id2label[labels[k]], v->valuestring) != 0) bad_labels++;
        all_logits[i] = logits;
        free(labels), free(hidden), free(ids);
    }
    printf("privacy filter: %d texts, max logit diff %.3g, max hidden diff %.3g (%d texts)\n", n_texts, max_logit,
           max_hidden, hidden_checked);
    CHECK_INT(bad_logits, 0);
    CHECK_INT(bad_hidden, 0);
    CHECK_INT(hidden_checked, 3);
    CHECK_INT(bad_labels, 0);

    /* a packed batch of the first 8 texts equals one text at a time */
    {
        int32_t cu[9] = {0}, *packed = NULL;
        int total = 0;
        const cJSON *t = texts->child;
        for (int q = 0; q < 8 && t; q++, t = t->next) {
            int n;
            int32_t *ids = golden_ids(cJSON_GetObjectItem(t, "window_ids"), &n);
            packed = realloc(packed, (size_t)(total + n) * sizeof *packed);
            memcpy(packed + total, ids, (size_t)n * sizeof *ids);
            total += n;
            cu[q + 1] = total;
            free(ids);
        }
        float *logits = malloc((size_t)total * L * sizeof(float));
        om_batch b = {packed, cu, 8, total};
        CHECK(om_model_forward(m, NULL, &b, logits, NULL, &err) == OPENMED_OK);
        double worst = 0;
        for (int q = 0; q < 8; q++)
            for (int64_t j = 0; j < (int64_t)(cu[q + 1] - cu[q]) * L; j++) {
                double want = all_logits[q][j], d = fabs(logits[(int64_t)cu[q] * L + j] - want);
                if (fabs(want) > 1) d /= fabs(want);
                if (d > worst) worst = d;
            }
        CHECK_MSG(worst < 1e-4, "packed vs single: %g", worst);
        free(logits), free(packed);
    }

    /* a bf16 checkpoint written here runs with its weights kept bf16 and gives the same logits and
     * labels as the same values stored as f32; bf16 rounding of the weights moves some tokens'
     * expert routing, so most (not all) labels also equal the f32 golden's */
    char dir[] = "/tmp/om_pf_bf16_XXXXXX", dir32[] = "/tmp/om_pf_f32_XXXXXX";
    CHECK(mkdtemp(dir) != NULL && mkdtemp(dir32) != NULL);
    CHECK(copy_config(dir, NULL, NULL) && write_checkpoint(dir, NULL, 1));
    CHECK(copy_config(dir32, NULL, NULL) && write_checkpoint(dir32, NULL, 0));
    openmed_model *mb = NULL, *m32 = NULL;
    s = om_model_load_dir(dir, be, 0, 0, &mb, &err);
    CHECK_MSG(s == OPENMED_OK, "bf16 load: %s", err.message);
    if (s == OPENMED_OK) s = om_model_load_dir(dir32, be, 0, 0, &m32, &err);
    CHECK_MSG(s == OPENMED_OK, "f32 copy load: %s", err.message);
    if (s == OPENMED_OK) {
        int same = 0, same_golden = 0, total = 0;
        double worst = 0;
        for (const cJSON *t = texts->child; t; t = t->next) {
            int n;
            int32_t *ids = golden_ids(cJSON_GetObjectItem(t, "window_ids"), &n);
            float *logits = forward(mb, ids, n, NULL), *ref = forward(m32, ids, n, NULL);
            CHECK(logits && ref);
            if (logits && ref) {
                int32_t *labels = malloc((size_t)n * sizeof *labels), *ref_labels = malloc((size_t)n * sizeof *labels);
                viterbi(&scheme, logits, n, labels);
                viterbi(&scheme, ref, n, ref_labels);
                const cJSON *v = cJSON_GetObjectItem(t, "viterbi_labels")->child;
                for (int k = 0; k < n; k++, v = v ? v->next : NULL) {
                    same += labels[k] == ref_labels[k];
                    same_golden += v && strcmp(mb->cfg.id2label[labels[k]], v->valuestring) == 0;
                    total++;
                }
                for (int64_t j = 0; j < (int64_t)n * L; j++) {
                    double d = fabs(logits[j] - ref[j]) / (fabs(ref[j]) > 1 ? fabs(ref[j]) : 1);
                    if (d > worst) worst = d;
                }
                free(labels), free(ref_labels);
            }
            free(logits), free(ref), free(ids);
        }
        printf("bf16 checkpoint: logits within %.3g of its f32 expansion, %d/%d labels equal, %d/%d equal the "
               "f32 golden\n", worst, same, total, same_golden, total);
        CHECK_MSG(worst < 1e-5, "bf16 in place vs f32: %g", worst);
        CHECK_INT(same, total);
        CHECK_MSG(same_golden * 100 >= total * 95, "%d/%d", same_golden, total);
    }
    openmed_model_free(mb);
    openmed_model_free(m32);
    remove_dir(dir32);
    remove_dir(dir);

    /* broken checkpoints fail with the tensor or key named, and load nothing */
    CHECK(mkdtemp(strcpy(dir, "/tmp/om_pf_bad_XXXXXX")) != NULL);
    CHECK(copy_config(dir, NULL, NULL) && write_checkpoint(dir, "model.layers.1.self_attn.sinks", 1));
    mb = NULL;
    CHECK(om_model_load_dir(dir, be, 0, 0, &mb, &err) == OPENMED_ERR_FORMAT && mb == NULL);
    CHECK_MSG(strstr(err.message, "model.layers.1.self_attn.sinks") != NULL, "%s", err.message);
    CHECK(copy_config(dir, "\"num_local_experts\": 8", "\"num_local_experts\": 4") && write_checkpoint(dir, NULL, 1));
    CHECK(om_model_load_dir(dir, be, 0, 0, &mb, &err) == OPENMED_ERR_FORMAT && mb == NULL);
    CHECK_MSG(strstr(err.message, "mlp.router.weight") != NULL, "%s", err.message);
    CHECK(copy_config(dir, "\"rope_type\": \"yarn\"", "\"rope_type\": \"longrope\""));
    CHECK(om_model_load_dir(dir, be, 0, 0, &mb, &err) == OPENMED_ERR_UNSUPPORTED && mb == NULL);
    CHECK_MSG(strstr(err.message, "longrope") != NULL, "%s", err.message);
    CHECK(copy_config(dir, "\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3"));
    CHECK(om_model_load_dir(dir, be, 0, 0, &mb, &err) == OPENMED_ERR_CONFIG && mb == NULL);
    CHECK(copy_config(dir, "\"sliding_window\": 8", "\"sliding_window\": \"wide\""));
    CHECK(om_model_load_dir(dir, be, 0, 0, &mb, &err) == OPENMED_ERR_CONFIG && mb == NULL);
    CHECK_MSG(strstr(err.message, "sliding_window") != NULL, "%s", err.message);
    remove_dir(dir);

    for (int q = 0; q < n_texts; q++) free(all_logits[q]);
    free(all_logits);
    om_bioes_scheme_free(&scheme);
    openmed_model_free(m);
    cJSON_Delete(golden);
    om_backend_destroy(be);
    return check_finish("test_privacy_filter");
}
