/* test_hub_analyze.c: `openmed analyze --model <registry name>` downloads the model from a local
 * hub on 127.0.0.1 (hub_server.py; the test repos are registered through OPENMED_EXTRA_MODELS)
 * and gives the golden pipeline output; then, with the hub stopped and OPENMED_OFFLINE=1, the
 * same command gives the same output from the cache, and outputs name the model by the registry
 * name given. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "core/file.h"
#include "hub_harness.h"

static hub_server hub;
static char tmp[64] = "/tmp/om_hub_analyze_XXXXXX";

static int run(const char *env, const char *args, char *out, size_t size) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "env -u HF_TOKEN -u OPENMED_OFFLINE -u HF_HUB_OFFLINE -u OPENMED_CONFIG -u OPENMED_SKIP_MODEL_VERIFY "
             "OPENMED_EXTRA_MODELS=%s/registry.jsonl XDG_CONFIG_HOME=%s/none HF_HUB_CACHE=%s/hf %s "
             "%s/bin/openmed %s",
             hub.state, tmp, tmp, env, OM_BINARY_DIR, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, size - 1, p);
    out[n] = 0;
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The raw output (one JSON list per text) equals the golden "simple" pipeline output. */
static void check_against_golden(const char *out, const cJSON *golden) {
    cJSON *got = cJSON_Parse(out);
    CHECK_MSG(cJSON_IsArray(got), "not a JSON list: %.200s", out);
    CHECK_INT(cJSON_GetArraySize(got), cJSON_GetArraySize(golden));
    for (int i = 0; i < cJSON_GetArraySize(golden) && i < cJSON_GetArraySize(got); i++) {
        const cJSON *a = cJSON_GetArrayItem(got, i), *b = cJSON_GetArrayItem(golden, i);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "entity_group")),
                  cJSON_GetStringValue(cJSON_GetObjectItem(b, "entity_group")));
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "word")), cJSON_GetStringValue(cJSON_GetObjectItem(b, "word")));
        CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(a, "start")), cJSON_GetNumberValue(cJSON_GetObjectItem(b, "start")));
        CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(a, "end")), cJSON_GetNumberValue(cJSON_GetObjectItem(b, "end")));
        CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(a, "score")), cJSON_GetNumberValue(cJSON_GetObjectItem(b, "score")),
                   1e-4);
    }
    cJSON_Delete(got);
}

int main(void) {
    if (!mkdtemp(tmp) || hub_start(&hub) != 0) {
        fprintf(stderr, "test_hub_analyze: cannot set up (python3 and tests/hub/hub_server.py needed)\n");
        return 1;
    }
    char *golden_text = NULL;
    size_t golden_size = 0;
    openmed_error err;
    if (om_read_file(OM_FIXTURES "/hf/models/bert-cased/golden.json", 0, &golden_text, &golden_size, &err) != OPENMED_OK)
        return 1;
    cJSON *golden = cJSON_Parse(golden_text);
    free(golden_text);
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(golden, "texts"), 0);
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(first, "text"));
    const cJSON *simple = cJSON_GetObjectItem(cJSON_GetObjectItem(first, "pipelines"), "simple");
    CHECK(text && strchr(text, '\'') == NULL && cJSON_IsArray(simple));

    char cfg[160], args[1024], env[256];
    snprintf(cfg, sizeof cfg, "%s/config.toml", tmp);
    FILE *f = fopen(cfg, "w");
    if (f) {
        fprintf(f, "cache_dir = \"%s/cache\"\n", tmp);
        fclose(f);
    }
    snprintf(args, sizeof args, "analyze --model bert_cased --device cpu --raw --config-path %s '%s'", cfg, text ? text : "");
    static char online[1 << 16], offline[1 << 16];

    snprintf(env, sizeof env, "HF_ENDPOINT=%s", hub.endpoint);
    CHECK_INT(run(env, args, online, sizeof online), 0);
    check_against_golden(online, simple);
    CHECK(hub_count_requests(&hub, "GET /cdn/") >= 1);

    hub_stop(&hub); /* nothing listens any more: offline must not need it */
    CHECK_INT(run("OPENMED_OFFLINE=1 HF_ENDPOINT=http://127.0.0.1:9", args, offline, sizeof offline), 0);
    CHECK_STR(offline, online);
    /* model_name is the registry name given (never the cache path), in analyze, pii and bench */
    const char *named[][2] = {{"analyze --format json", "model_name"},
                              {"pii extract --json", "model"},
                              {"bench --json", "model"}};
    for (int k = 0; k < 3; k++) {
        snprintf(args, sizeof args, "%s --model bert_cased --device cpu --config-path %s '%s'", named[k][0], cfg,
                 text ? text : "");
        CHECK_MSG(run("OPENMED_OFFLINE=1 HF_ENDPOINT=http://127.0.0.1:9", args, offline, sizeof offline) == 0, "%s", args);
        cJSON *r = cJSON_Parse(offline);
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(r, named[k][1]));
        CHECK_MSG(name && !strcmp(name, "bert_cased"), "%s: %.300s", named[k][0], offline);
        cJSON_Delete(r);
    }
    /* a registry model that was never pulled fails offline and says how to fetch it */
    snprintf(args, sizeof args, "analyze --model roberta --device cpu --raw --config-path %s 'x' 2>&1", cfg);
    CHECK(run("OPENMED_OFFLINE=1 HF_ENDPOINT=http://127.0.0.1:9", args, offline, sizeof offline) != 0);
    CHECK_MSG(strstr(offline, "openmed models pull roberta") != NULL, "%s", offline);

    cJSON_Delete(golden);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", tmp, hub.state);
    if (system(cmd) != 0) fprintf(stderr, "could not clean %s\n", tmp);
    return check_finish("test_hub_analyze");
}
