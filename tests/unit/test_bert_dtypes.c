/* test_bert_dtypes.c: F16 and BF16 checkpoints (converted once at load) and float32 checkpoints
 * whose data is unaligned in the file give the same logits as the float32 expansion of the same
 * values; all rewritten here from the bert-uncased fixture. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend/backend.h"
#include "check.h"
#include "core/half.h"
#include "io/safetensors.h"
#include "models/model.h"

#define SRC OM_FIXTURES "/hf/models/bert-uncased"

static char tmpdir[256];

static uint16_t f32_to_bf16(float f) { /* round to nearest even */
    uint32_t b;
    memcpy(&b, &f, 4);
    return (uint16_t)((b + 0x7FFF + ((b >> 16) & 1)) >> 16);
}
static uint16_t f32_to_f16(float f) { /* normal range only (the fixture's weights are small) */
    uint32_t b;
    memcpy(&b, &f, 4);
    uint32_t sign = (b >> 16) & 0x8000;
    int32_t e = (int32_t)((b >> 23) & 0xFF) - 127 + 15;
    uint32_t m = b & 0x7FFFFF;
    if (e <= 0) return (uint16_t)sign; /* flush tiny values to zero */
    uint32_t h = sign | ((uint32_t)e << 10) | (m >> 13);
    if ((m & 0x1FFF) > 0x1000 || ((m & 0x1FFF) == 0x1000 && (h & 1))) h++;
    return (uint16_t)h;
}
/* Rewrite the fixture: dtype "F16"/"BF16" stores rounded values, "F32" stores the f32 expansion of
 * `round_as` values ("F16", "BF16"); pad adds bytes to the header so the data is unaligned. */
static void write_variant(const char *dir, const char *dtype, const char *round_as, int pad) {
    om_safetensors *st = NULL;
    openmed_error err;
    om_safetensors_open(SRC, &st, &err);
    mkdir(dir, 0755);
    int half = strcmp(dtype, "F32") != 0;
    cJSON *h = cJSON_CreateObject();
    size_t offset = 0;
    for (size_t i = 0; i < om_safetensors_count(st); i++) {
        const om_st_tensor *t = om_safetensors_at(st, i);
        cJSON *e = cJSON_AddObjectToObject(h, t->name);
        cJSON_AddStringToObject(e, "dtype", dtype);
        cJSON *shape = cJSON_AddArrayToObject(e, "shape");
        for (int d = 0; d < t->ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->shape[d]));
        size_t bytes = t->nbytes / (half ? 2 : 1);
        cJSON *off = cJSON_AddArrayToObject(e, "data_offsets");
        cJSON_AddItemToArray(off, cJSON_CreateNumber((double)offset));
        cJSON_AddItemToArray(off, cJSON_CreateNumber((double)(offset + bytes)));
        offset += bytes;
    }
    char *header = cJSON_PrintUnformatted(h);
    size_t n = strlen(header) + (size_t)pad;
    char path[600];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    FILE *f = fopen(path, "wb");
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)((uint64_t)n >> (8 * i));
    fwrite(len, 1, 8, f);
    fwrite(header, 1, strlen(header), f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    for (size_t i = 0; i < om_safetensors_count(st); i++) {
        const om_st_tensor *t = om_safetensors_at(st, i);
        for (size_t k = 0; k < t->nbytes / 4; k++) {
            float v;
            memcpy(&v, (const char *)t->data + 4 * k, 4);
            uint16_t r = strcmp(round_as, "BF16") == 0 ? f32_to_bf16(v) : f32_to_f16(v);
            if (half) {
                fwrite(&r, 2, 1, f);
            } else {
                float back = strcmp(round_as, "BF16") == 0 ? om_bf16_to_f32(r) : om_f16_to_f32(r);
                fwrite(&back, 4, 1, f);
            }
        }
    }
    fclose(f);
    free(header);
    cJSON_Delete(h);
    om_safetensors_close(st);
    /* config.json as is */
    char cfg_src[600], buf[1 << 16];
    snprintf(cfg_src, sizeof cfg_src, "%s/config.json", SRC);
    f = fopen(cfg_src, "rb");
    size_t got = fread(buf, 1, sizeof buf, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/config.json", dir);
    f = fopen(path, "wb");
    fwrite(buf, 1, got, f);
    fclose(f);
}

static float *run(om_backend *be, const char *dir, const int32_t *ids, int n) {
    openmed_model *m = NULL;
    openmed_error err;
    openmed_status s = om_model_load_dir(dir, be, 0, 0, &m, &err);
    CHECK_MSG(s == OPENMED_OK, "%s: %s", dir, err.message);
    if (s != OPENMED_OK) return NULL;
    int32_t cu[2] = {0, n};
    om_batch b = {ids, cu, 1, n};
    float *logits = malloc(sizeof(float) * (size_t)n * (size_t)m->cfg.num_labels);
    CHECK_INT(om_model_forward(m, NULL, &b, logits, NULL, &err), OPENMED_OK);
    openmed_model_free(m);
    return logits;
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/om_test_bert_dtypes_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    om_backend *be = NULL;
    openmed_error err;
    if (om_backend_create("cpu", 1, &be, &err) != OPENMED_OK) return 1;
    int32_t ids[12] = {101, 7592, 2088, 1997, 6653, 2003, 4895, 2368, 1012, 2023, 2001, 102};
    const char *rounding[] = {"F16", "BF16"};
    for (int r = 0; r < 2; r++) {
        char half_dir[512], f32_dir[512];
        snprintf(half_dir, sizeof half_dir, "%s/%s", tmpdir, rounding[r]);
        snprintf(f32_dir, sizeof f32_dir, "%s/%s-as-f32-unaligned", tmpdir, rounding[r]);
        write_variant(half_dir, rounding[r], rounding[r], 0);
        write_variant(f32_dir, "F32", rounding[r], 3); /* 3 bytes of padding: unaligned float data */
        float *a = run(be, half_dir, ids, 12), *b = run(be, f32_dir, ids, 12), *orig = run(be, SRC, ids, 12);
        if (a && b && orig) {
            double worst = 0, drift = 0;
            for (int i = 0; i < 12 * 9; i++) {
                if (fabs(a[i] - b[i]) > worst) worst = fabs(a[i] - b[i]);
                if (fabs(a[i] - orig[i]) > drift) drift = fabs(a[i] - orig[i]);
            }
            CHECK_MSG(worst < 1e-5, "%s checkpoint vs its f32 expansion: %g", rounding[r], worst);
            CHECK_MSG(drift > 0, "%s rounding had no effect: the test would not see a wrong conversion", rounding[r]);
            printf("%s: max diff to f32 expansion %.2e, to the original weights %.2e\n", rounding[r], worst, drift);
        }
        free(a), free(b), free(orig);
    }
    om_backend_destroy(be);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_finish("test_bert_dtypes");
}
