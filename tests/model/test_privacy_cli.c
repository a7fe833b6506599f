/* test_privacy_cli.c: `openmed analyze` on a privacy-filter model folder, the real binary:
 * Viterbi by default (BIOES span groups), `--raw --aggregation-strategy none` = the golden Viterbi
 * labels per token in HF's shape, `--decoder argmax` = the golden HF simple pipeline, bad decoders
 * refused. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"
#include "core/file.h"

#define MODEL_DIR OM_FIXTURES "/hf/models/privacy-filter"

/* Run `openmed analyze --model MODEL_DIR ARGS 'TEXT'`; returns the parsed stdout (or NULL), *rc the exit status. */
static cJSON *analyze(const char *args, const char *text, int *rc) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "OPENMED_OFFLINE=1 %s/bin/openmed analyze --model %s --device cpu %s '%s' 2>/dev/null",
             OM_BINARY_DIR, MODEL_DIR, args, text);
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    *rc = pclose(p);
    return cJSON_Parse(buf);
}

int main(void) {
    cJSON *golden = golden_read_json(MODEL_DIR "/golden.json");
    CHECK(golden != NULL);
    if (!golden) return check_finish("test_privacy_cli");
    const cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(golden, "texts"), 2); /* no quote characters */
    const char *text = cJSON_GetObjectItem(t, "text")->valuestring;
    int rc;

    /* none: every non-O Viterbi label, with its token index */
    cJSON *none = analyze("--raw --aggregation-strategy none", text, &rc);
    CHECK_INT(rc, 0);
    CHECK(cJSON_IsArray(none));
    const cJSON *labels = cJSON_GetObjectItem(t, "viterbi_labels");
    const cJSON *e = none ? none->child : NULL;
    int k = 0, bad = 0;
    for (const cJSON *l = labels->child; l; l = l->next, k++) {
        if (!strcmp(l->valuestring, "O")) continue;
        if (!e || strcmp(cJSON_GetObjectItem(e, "entity")->valuestring, l->valuestring) ||
            cJSON_GetObjectItem(e, "index")->valueint != k)
            bad++;
        e = e ? e->next : NULL;
    }
    CHECK_INT(bad, 0);
    CHECK(e == NULL);
    cJSON_Delete(none);

    /* default (viterbi): category groups, no BIOES prefixes */
    cJSON *spans = analyze("--raw", text, &rc);
    CHECK_INT(rc, 0);
    CHECK(cJSON_GetArraySize(spans) > 0);
    for (const cJSON *x = spans ? spans->child : NULL; x; x = x->next) {
        const char *group = cJSON_GetObjectItem(x, "entity_group")->valuestring;
        CHECK_MSG(!strncmp(group, "private_", 8), "%s", group);
    }
    cJSON_Delete(spans);

    /* argmax: Hugging Face's simple pipeline exactly */
    cJSON *simple = analyze("--raw --decoder argmax", text, &rc);
    CHECK_INT(rc, 0);
    const cJSON *want = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "pipelines"), "simple");
    CHECK_INT(cJSON_GetArraySize(simple), cJSON_GetArraySize(want));
    const cJSON *x = simple ? simple->child : NULL;
    for (const cJSON *w = want->child; w && x; w = w->next, x = x->next) {
        CHECK_STR(cJSON_GetObjectItem(x, "entity_group")->valuestring, cJSON_GetObjectItem(w, "entity_group")->valuestring);
        CHECK_STR(cJSON_GetObjectItem(x, "word")->valuestring, cJSON_GetObjectItem(w, "word")->valuestring);
        CHECK_INT(cJSON_GetObjectItem(x, "start")->valueint, cJSON_GetObjectItem(w, "start")->valueint);
        CHECK_INT(cJSON_GetObjectItem(x, "end")->valueint, cJSON_GetObjectItem(w, "end")->valueint);
    }
    cJSON_Delete(simple);

    cJSON *badrun = analyze("--decoder beam", text, &rc);
    CHECK(rc != 0);
    cJSON_Delete(badrun);
    cJSON_Delete(golden);
    return check_finish("test_privacy_cli");
}
