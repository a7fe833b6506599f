/* test_deid_nan.c: de-identification fails closed on a broken model. The bundled PII model is copied
 * into a temporary folder with NaN (then infinity) written over its classifier weights; the library
 * must return OPENMED_ERR_NUMERIC and no result, and `openmed pii deidentify` must exit non-zero
 * printing no text, never the input passed through. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli_run.h"
#include "deid/deid.h"
#include "openmed.h"

static const char *note = "Patient Zed Quorra (MRN 4829173) was seen by Dr. Ilsa Varnum on 03/14/2021.";

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)size + 1);
    if (b && fread(b, 1, (size_t)size, f) != (size_t)size) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) b[size] = 0;
    *n = (size_t)size;
    return b;
}

static int spit(const char *path, const char *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* Copy the bundled PII model to dir with every float16 of `tensor` set to `bits`. */
static int poisoned_copy(const char *dir, const char *tensor, uint16_t bits) {
    static const char *const files[] = {"config.json", "tokenizer.json", "tokenizer_config.json",
                                        "special_tokens_map.json"};
    char src[4096], dst[4096];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t n;
        snprintf(src, sizeof src, "%s/models/pii/%s", OM_SOURCE_DIR, files[i]);
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        char *b = slurp(src, &n);
        if (!b || !spit(dst, b, n)) {
            free(b);
            return 0;
        }
        free(b);
    }
    size_t n;
    snprintf(src, sizeof src, "%s/models/pii/model.safetensors", OM_SOURCE_DIR);
    char *st = slurp(src, &n);
    if (!st || n < 8) return 0;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | (unsigned char)st[i];
    char *header = strndup(st + 8, hlen);
    cJSON *h = cJSON_Parse(header);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(h, tensor);
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(t, "dtype");
    int ok = cJSON_IsArray(offs) && cJSON_IsString(dtype) && !strcmp(dtype->valuestring, "F16");
    if (ok) {
        size_t a = (size_t)cJSON_GetArrayItem(offs, 0)->valuedouble, b = (size_t)cJSON_GetArrayItem(offs, 1)->valuedouble;
        char *data = st + 8 + hlen;
        for (size_t i = a; i + 1 < b; i += 2) {
            data[i] = (char)(bits & 0xFF);
            data[i + 1] = (char)(bits >> 8);
        }
        snprintf(dst, sizeof dst, "%s/model.safetensors", dir);
        ok = spit(dst, st, n);
    }
    cJSON_Delete(h);
    free(header);
    free(st);
    return ok;
}

static void check_fails_closed(const char *dir, const char *what) {
    openmed_model *m = NULL;
    openmed_error err = {0};
    CHECK_MSG(openmed_model_load(dir, NULL, &m, &err) == OPENMED_OK, "%s", err.message);
    if (!m) return;
    for (int method = OPENMED_DEID_MASK; method <= OPENMED_DEID_FORMAT_PRESERVE; method++) {
        openmed_deid_options o;
        openmed_deid_options_init(&o);
        o.method = (openmed_deid_method)method;
        o.secret = (const unsigned char *)"k";
        o.secret_len = 1;
        openmed_deid_result *r = (openmed_deid_result *)&err; /* must become NULL */
        openmed_status st = openmed_deidentify(m, note, strlen(note), &o, &r, &err);
        CHECK_MSG(st == OPENMED_ERR_NUMERIC, "%s, %s: status %s", what, openmed_deid_method_name(o.method),
                  openmed_status_name(st));
        CHECK(r == NULL);
        CHECK_MSG(strstr(err.message, "non-finite") != NULL && strstr(err.message, "Quorra") == NULL, "%s", err.message);
    }
    openmed_deid_result *r = NULL;
    CHECK(openmed_pii_extract(m, note, strlen(note), NULL, &r, &err) == OPENMED_ERR_NUMERIC && r == NULL);
    openmed_model_free(m);

    /* the CLI: non-zero exit, nothing of the note on either stream */
    char args[2048];
    setenv("OPENMED_DEID_SECRET", "a test key", 1);
    snprintf(args, sizeof args, "pii deidentify --model %s --method replace --text '%s'", dir, note);
    int rc = run(args);
    CHECK_MSG(rc != 0, "%s: exit %d", what, rc);
    CHECK_MSG(strstr(out_buf, "Quorra") == NULL && strstr(out_buf, "4829173") == NULL &&
              strstr(out_buf, "deidentified_text") == NULL, "%s: %s", what, out_buf);
    CHECK_MSG(strstr(out_buf, "non-finite") != NULL, "%s", out_buf);
}

int main(void) {
    (void)write_file;
    char dir[] = "/tmp/openmed-nan-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    CHECK(poisoned_copy(dir, "classifier.weight", 0x7E00)); /* NaN */
    check_fails_closed(dir, "NaN classifier");
    CHECK(poisoned_copy(dir, "head.dense.weight", 0x7C00)); /* +infinity deeper in the network */
    check_fails_closed(dir, "infinite head");
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return check_finish("test_deid_nan");
}
