/* test_hub_cli.c: `openmed models list|info|pull` run as the real binary, pulling from a local
 * hub on 127.0.0.1 (hub_server.py), with JSON output checked field by field. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check.h"
#include "hub_harness.h"

static hub_server hub;
static char tmp[64] = "/tmp/om_hub_cli_XXXXXX";

/* Run `openmed <args>` with extra environment; returns the exit code, stdout in out. */
static int run(const char *env, const char *args, char *out, size_t size) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "env -u HF_TOKEN -u OPENMED_OFFLINE -u HF_HUB_OFFLINE -u OPENMED_CONFIG -u OPENMED_EXTRA_MODELS "
             "XDG_CONFIG_HOME=%s HF_HUB_CACHE=%s/hf %s %s/bin/openmed %s 2>%s/stderr",
             tmp, tmp, env, OM_BINARY_DIR, args, tmp);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, size - 1, p);
    out[n] = 0;
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void read_stderr(char *out, size_t size) {
    char path[128];
    snprintf(path, sizeof path, "%s/stderr", tmp);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(out, 1, size - 1, f) : 0;
    out[n] = 0;
    if (f) fclose(f);
}

int main(void) {
    if (!mkdtemp(tmp) || hub_start(&hub) != 0) {
        fprintf(stderr, "test_hub_cli: cannot set up (python3 and tests/hub/hub_server.py needed)\n");
        return 1;
    }
    static char out[1 << 20], err[8192];

    /* list: filters apply, JSON is a list of registry entries */
    CHECK_INT(run("", "models list --category disease --language en --json", out, sizeof out), 0);
    cJSON *list = cJSON_Parse(out);
    CHECK(cJSON_IsArray(list) && cJSON_GetArraySize(list) > 10);
    int found = 0, wrong = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, list) {
        const char *cat = cJSON_GetStringValue(cJSON_GetObjectItem(item, "category"));
        if (!cat || strcmp(cat, "Disease") != 0) wrong++;
        const char *key = cJSON_GetStringValue(cJSON_GetObjectItem(item, "key"));
        if (key && !strcmp(key, "disease_detection_tinymed_135m")) found = 1;
    }
    CHECK(found);
    CHECK_INT(wrong, 0);
    cJSON_Delete(list);
    CHECK_INT(run("", "models list --family PII --language de", out, sizeof out), 0);
    CHECK(strstr(out, "pii_de_superclinical_small_44m") != NULL);
    CHECK(strstr(out, "disease_detection") == NULL);

    /* info by legacy alias */
    CHECK_INT(run("", "models info disease_detection_tiny --json", out, sizeof out), 0);
    cJSON *info = cJSON_Parse(out);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(info, "repo_id")), "OpenMed/OpenMed-NER-DiseaseDetect-TinyMed-135M");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(info, "category")), "Disease");
    cJSON_Delete(info);
    CHECK_INT(run("", "models info no_such_model_here", out, sizeof out), 1);
    read_stderr(err, sizeof err);
    CHECK(strstr(err, "OpenMed/no_such_model_here") != NULL);
    CHECK_INT(run("", "models frobnicate", out, sizeof out), 2);
    CHECK_INT(run("", "models pull", out, sizeof out), 2);

    /* pull from the local hub into the configured cache */
    char env[1024], cfgdir[128], cfgfile[160];
    snprintf(cfgdir, sizeof cfgdir, "%s/openmed", tmp);
    snprintf(cfgfile, sizeof cfgfile, "%s/config.toml", cfgdir);
    snprintf(env, sizeof env, "mkdir -p %s && printf 'cache_dir = \"%s/cache\"\\n' > %s", cfgdir, tmp, cfgfile);
    CHECK_INT(system(env), 0);
    snprintf(env, sizeof env, "HF_ENDPOINT=%s", hub.endpoint);
    CHECK_INT(run(env, "models pull OpenMedTest/distilbert-uncased --revision v1 --json", out, sizeof out), 0);
    cJSON *pulled = cJSON_Parse(out);
    const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(pulled, "path"));
    CHECK(path && strstr(path, "/cache/models--OpenMedTest--distilbert-uncased/snapshots/") != NULL);
    char file[4200];
    snprintf(file, sizeof file, "%s/model.safetensors", path ? path : "");
    FILE *f = fopen(file, "rb");
    CHECK(f != NULL);
    if (f) fclose(f);
    cJSON_Delete(pulled);
    /* a cut transfer is resumed within the same command */
    char fault[512];
    snprintf(fault, sizeof fault, "%s/_fault?repo=roberta&file=model.safetensors", hub.endpoint);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, fault);
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    CHECK_INT(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    CHECK_INT(run(env, "models pull OpenMedTest/roberta --json", out, sizeof out), 0);
    read_stderr(err, sizeof err);
    CHECK_MSG(strstr(err, "model.safetensors of OpenMedTest/roberta") && strstr(err, "resuming (attempt 2)"), "%s",
              err);
    CHECK_INT(hub_count_requests(&hub, "file=model.safetensors bytes="), 1);
    CHECK_INT(run(env, "models pull OpenMedTest/roberta --retries x", out, sizeof out), 2);
    /* progress: piped, no bar; on a terminal (script(1)'s pseudo-terminal) each file's line has its
     * size, a rate and the time it took */
    CHECK_INT(run(env, "models pull OpenMedTest/bert-cased", out, sizeof out), 0);
    read_stderr(err, sizeof err);
    CHECK_MSG(strstr(err, "pulling OpenMedTest/bert-cased") && !strchr(err, '\r') && !strstr(err, "/s"), "%s", err);
    if (system("script -qec true /dev/null > /dev/null 2>&1") == 0) {
        char cmd[4096], log[128];
        snprintf(log, sizeof log, "%s/pull-tty.log", tmp);
        snprintf(cmd, sizeof cmd,
                 "script -qec 'env -u HF_TOKEN -u OPENMED_OFFLINE -u HF_HUB_OFFLINE -u OPENMED_CONFIG "
                 "XDG_CONFIG_HOME=%s HF_HUB_CACHE=%s/hf %s %s/bin/openmed models pull OpenMedTest/sharded > /dev/null' "
                 "%s > /dev/null",
                 tmp, tmp, env, OM_BINARY_DIR, log);
        CHECK_INT(system(cmd), 0);
        FILE *lf = fopen(log, "rb");
        static char tty[1 << 16];
        size_t n = lf ? fread(tty, 1, sizeof tty - 1, lf) : 0;
        tty[n] = 0;
        if (lf) fclose(lf);
        CHECK_MSG(strstr(tty, "config.json") && strstr(tty, "100.0%") && strstr(tty, "B/s  in 0:") &&
                  !strstr(tty, " 0.0 kB/s"), "%s", tty);
        /* --quiet: no bar, even on a terminal (another cache, so the files are fetched again) */
        char cfg2[160];
        snprintf(cfg2, sizeof cfg2, "%s/quiet.toml", tmp);
        FILE *cf = fopen(cfg2, "w");
        if (cf) fprintf(cf, "cache_dir = \"%s/cache2\"\n", tmp), fclose(cf);
        snprintf(cmd, sizeof cmd,
                 "script -qec 'env -u HF_TOKEN -u OPENMED_OFFLINE -u HF_HUB_OFFLINE -u OPENMED_CONFIG "
                 "HF_HUB_CACHE=%s/hf2 %s %s/bin/openmed models pull --quiet --config-path %s OpenMedTest/sharded "
                 "> /dev/null' %s > /dev/null",
                 tmp, env, OM_BINARY_DIR, cfg2, log);
        CHECK_INT(system(cmd), 0);
        lf = fopen(log, "rb");
        n = lf ? fread(tty, 1, sizeof tty - 1, lf) : 0;
        tty[n] = 0;
        if (lf) fclose(lf);
        CHECK_MSG(strstr(tty, "pulling OpenMedTest/sharded") && !strstr(tty, "config.json") && !strstr(tty, "B/s"), "%s",
                  tty);
        snprintf(cmd, sizeof cmd, "%s/cache2/models--OpenMedTest--sharded", tmp);
        struct stat sb;
        CHECK_MSG(stat(cmd, &sb) == 0, "not pulled into %s", cmd);
    }
    /* errors reach the user as one clear line and exit 1 */
    CHECK_INT(run(env, "models pull OpenMedTest/gated-bert", out, sizeof out), 1);
    read_stderr(err, sizeof err);
    CHECK_MSG(strstr(err, "openmed: OpenMedTest/gated-bert is gated") != NULL, "%s", err);
    /* offline: the pulled model is found without the hub, a missing one names the pull command */
    hub_stop(&hub);
    CHECK_INT(run("OPENMED_OFFLINE=1", "models pull OpenMedTest/distilbert-uncased --revision v1", out, sizeof out), 0);
    CHECK(strstr(out, "models--OpenMedTest--distilbert-uncased") != NULL);
    CHECK_INT(run("OPENMED_OFFLINE=1", "models pull OpenMedTest/xlm-roberta", out, sizeof out), 1);
    read_stderr(err, sizeof err);
    CHECK_MSG(strstr(err, "openmed models pull OpenMedTest/xlm-roberta") != NULL, "%s", err);

    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", tmp, hub.state);
    if (system(cmd) != 0) fprintf(stderr, "could not clean %s\n", tmp);
    return check_finish("test_hub_cli");
}
