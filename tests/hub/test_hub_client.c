/* test_hub_client.c: the real hub client (libcurl) against a real HTTP hub on 127.0.0.1
 * (hub_server.py serving the golden model folders): the revision API, resolve redirects, ETag
 * and size checks, the cache layout, revisions, 401/403/404, a connection cut mid-file with
 * retries off (the next pull resumes with Range), a wrong checksum (rejected, cache left clean), tokens, offline mode,
 * reuse of a Hugging Face cache and the manifest pin with its integrity record. */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "hub/hub.h"
#include "hub/registry.h"
#include "hub_harness.h"
#include "openmed.h"

static hub_server hub;
static char tmp_root[256], cache[300], hf_cache[300];

static int files_equal(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb) same = 0;
        if (ca == EOF || cb == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

static int exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Files in <repo_dir>/blobs whose name contains `needle`. */
static int count_blobs(const char *repo_dir, const char *needle) {
    char path[600];
    snprintf(path, sizeof path, "%s/blobs", repo_dir);
    DIR *d = opendir(path);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && strstr(e->d_name, needle)) n++;
    closedir(d);
    return n;
}

static void config_for(openmed_config *cfg, const char *cache_dir) {
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->cache_dir, sizeof cfg->cache_dir, "%s", cache_dir);
}

static void inject_cut(const char *repo, const char *file) {
    char url[512];
    snprintf(url, sizeof url, "%s/_fault?repo=%s&file=%s", hub.endpoint, repo, file);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    CHECK_INT(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
}

typedef struct progress_log {
    int calls, completed;
} progress_log;

static void on_progress(const char *file, uint64_t done, uint64_t total, void *user) {
    progress_log *p = user;
    p->calls++;
    if (total && done == total) p->completed++;
}

static const char *runtime_files[] = {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"};

static void test_pull(void) {
    openmed_config cfg;
    config_for(&cfg, cache);
    openmed_error err;
    char dir[OPENMED_PATH_MAX];
    progress_log p = {0};
    openmed_status st = openmed_model_fetch("OpenMedTest/bert-uncased", NULL, &cfg, on_progress, &p, dir, sizeof dir, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    char repo_dir[600];
    snprintf(repo_dir, sizeof repo_dir, "%s/models--OpenMedTest--bert-uncased", cache);
    CHECK(strncmp(dir, repo_dir, strlen(repo_dir)) == 0);
    CHECK(strstr(dir, "/snapshots/") != NULL);
    for (size_t i = 0; i < 4; i++) {
        char got[OPENMED_PATH_MAX + 256], want[1024];
        snprintf(got, sizeof got, "%s/%s", dir, runtime_files[i]);
        snprintf(want, sizeof want, "%s/hf/models/bert-uncased/%s", OM_FIXTURES, runtime_files[i]);
        CHECK_MSG(files_equal(got, want), "%s differs", runtime_files[i]);
        struct stat st_link;
        CHECK(lstat(got, &st_link) == 0 && S_ISLNK(st_link.st_mode));
        char target[512] = "";
        ssize_t n = readlink(got, target, sizeof target - 1);
        if (n > 0) target[n] = 0;
        CHECK_MSG(strncmp(target, "../../blobs/", 12) == 0, "%s -> %s", runtime_files[i], target);
    }
    CHECK(p.completed >= 4);
    /* never fetched: pickle weights, goldens, README */
    char path[OPENMED_PATH_MAX + 256];
    const char *skipped[] = {"pytorch_model.bin", "golden.json", "README.md"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, skipped[i]);
        CHECK(!exists(path));
        CHECK_INT(hub_count_requests(&hub, skipped[i]), 0);
    }
    /* refs/main holds the commit the snapshot is named after */
    snprintf(path, sizeof path, "%s/refs/main", repo_dir);
    FILE *f = fopen(path, "r");
    char commit[64] = "";
    if (f) {
        if (!fgets(commit, sizeof commit, f)) commit[0] = 0;
        fclose(f);
    }
    CHECK_INT(strlen(commit), 40);
    CHECK(strstr(dir, commit) != NULL);
    /* LFS files came through the redirect to the file store; regular ones straight from resolve */
    CHECK(hub_count_requests(&hub, "GET /cdn/") >= 2);
    CHECK(hub_count_requests(&hub, "HEAD /OpenMedTest/bert-uncased/resolve/") >= 4);
    CHECK_INT(count_blobs(repo_dir, ".incomplete"), 0);

    /* a second pull downloads nothing */
    int cdn_before = hub_count_requests(&hub, "/cdn/"), resolve_before = hub_count_requests(&hub, "/resolve/");
    char again[OPENMED_PATH_MAX];
    CHECK_INT(openmed_model_fetch("OpenMedTest/bert-uncased", NULL, &cfg, NULL, NULL, again, sizeof again, &err), OPENMED_OK);
    CHECK_STR(again, dir);
    CHECK_INT(hub_count_requests(&hub, "/cdn/"), cdn_before);
    CHECK_INT(hub_count_requests(&hub, "/resolve/"), resolve_before);

    /* tag and commit revisions name the same snapshot; refs/v1 is recorded */
    CHECK_INT(openmed_model_fetch("OpenMedTest/bert-uncased", "v1", &cfg, NULL, NULL, again, sizeof again, &err), OPENMED_OK);
    CHECK_STR(again, dir);
    snprintf(path, sizeof path, "%s/refs/v1", repo_dir);
    CHECK(exists(path));
    CHECK_INT(openmed_model_fetch("OpenMedTest/bert-uncased", commit, &cfg, NULL, NULL, again, sizeof again, &err), OPENMED_OK);
    CHECK_STR(again, dir);
    CHECK_INT(hub_count_requests(&hub, "/cdn/"), cdn_before);
}

static void test_errors(void) {
    openmed_config cfg;
    config_for(&cfg, cache);
    openmed_error err;
    char dir[OPENMED_PATH_MAX];
    CHECK_INT(openmed_model_fetch("OpenMedTest/bert-uncased", "no-such-branch", &cfg, NULL, NULL, dir, sizeof dir, &err),
              OPENMED_ERR_NOT_FOUND);
    CHECK_MSG(strstr(err.message, "revision 'no-such-branch'") != NULL, "%s", err.message);
    CHECK_INT(openmed_model_fetch("OpenMedTest/no-such-repo", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err),
              OPENMED_ERR_NOT_FOUND);
    CHECK_MSG(strstr(err.message, "repository OpenMedTest/no-such-repo not found") != NULL, "%s", err.message);
    CHECK_INT(openmed_model_fetch("OpenMedTest/missing-file", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err),
              OPENMED_ERR_NOT_FOUND);
    CHECK_MSG(strstr(err.message, "file 'vocab.txt' not found") != NULL, "%s", err.message);
    CHECK_INT(openmed_model_fetch("OpenMedTest/pickle-only", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err),
              OPENMED_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(err.message, "pickle") != NULL, "%s", err.message);
    CHECK_INT(hub_count_requests(&hub, "pytorch_model.bin"), 0);

    /* gated: no token -> 401, a wrong token -> 403, the right one (HF_TOKEN) -> ok */
    CHECK_INT(openmed_model_fetch("OpenMedTest/gated-bert", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err),
              OPENMED_ERR_AUTH);
    CHECK_MSG(strstr(err.message, "gated") && strstr(err.message, "no token was sent") && strstr(err.message, "HF_TOKEN"),
              "%s", err.message);
    snprintf(cfg.hf_token, sizeof cfg.hf_token, "hf_wrong");
    CHECK_INT(openmed_model_fetch("OpenMedTest/gated-bert", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err),
              OPENMED_ERR_AUTH);
    CHECK_MSG(strstr(err.message, "HTTP 403") && strstr(err.message, "no access"), "%s", err.message);
    cfg.hf_token[0] = 0;
    setenv("HF_TOKEN", "hf_test_token", 1);
    openmed_status st = openmed_model_fetch("OpenMedTest/gated-bert", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    unsetenv("HF_TOKEN");
    char path[OPENMED_PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    CHECK(files_equal(path, OM_FIXTURES "/hf/models/bert-uncased/model.safetensors"));

    /* network down: nobody listens on the endpoint (no retries: a refused connection is retried) */
    setenv("OPENMED_HUB_RETRIES", "0", 1);
    setenv("HF_ENDPOINT", "http://127.0.0.1:9", 1);
    CHECK_INT(openmed_model_fetch("OpenMedTest/distilbert-uncased", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err),
              OPENMED_ERR_NETWORK);
    CHECK_MSG(strstr(err.message, "cannot reach") != NULL, "%s", err.message);
    setenv("HF_ENDPOINT", hub.endpoint, 1);
    unsetenv("OPENMED_HUB_RETRIES");
}

/* With retries off, a cut download fails, keeps its part and the next call resumes it (with
 * retries on, the same call resumes: test_hub_hostile). */
static void test_resume(void) {
    openmed_config cfg;
    config_for(&cfg, cache);
    openmed_error err;
    char dir[OPENMED_PATH_MAX], repo_dir[600], path[OPENMED_PATH_MAX + 256];
    snprintf(repo_dir, sizeof repo_dir, "%s/models--OpenMedTest--roberta", cache);
    inject_cut("roberta", "model.safetensors");
    setenv("OPENMED_HUB_RETRIES", "0", 1);
    CHECK_INT(openmed_model_fetch("OpenMedTest/roberta", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err),
              OPENMED_ERR_NETWORK);
    unsetenv("OPENMED_HUB_RETRIES");
    CHECK_MSG(strstr(err.message, "interrupted") && strstr(err.message, "resumes"), "%s", err.message);
    CHECK_INT(count_blobs(repo_dir, ".incomplete"), 1); /* the partial file stays for the next run */
    /* nothing half-written is visible in a snapshot */
    char snapshots[700];
    snprintf(snapshots, sizeof snapshots, "%s/snapshots", repo_dir);
    DIR *d = opendir(snapshots);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s/model.safetensors", snapshots, e->d_name);
        CHECK(!exists(path));
    }
    if (d) closedir(d);
    CHECK_INT(hub_count_requests(&hub, "bytes="), 0);
    openmed_status st = openmed_model_fetch("OpenMedTest/roberta", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    CHECK_INT(hub_count_requests(&hub, "file=model.safetensors bytes="), 1); /* resumed with a Range request */
    CHECK_INT(count_blobs(repo_dir, ".incomplete"), 0);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    CHECK(files_equal(path, OM_FIXTURES "/hf/models/roberta/model.safetensors"));
}

static void test_corrupt(void) {
    openmed_config cfg;
    config_for(&cfg, cache);
    openmed_error err;
    char dir[OPENMED_PATH_MAX], repo_dir[600];
    snprintf(repo_dir, sizeof repo_dir, "%s/models--OpenMedTest--corrupt-roberta", cache);
    for (int round = 0; round < 2; round++) {
        CHECK_INT(openmed_model_fetch("OpenMedTest/corrupt-roberta", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err),
                  OPENMED_ERR_INTEGRITY);
        CHECK_MSG(strstr(err.message, "model.safetensors: sha256 mismatch") != NULL, "%s", err.message);
        CHECK_INT(count_blobs(repo_dir, ".incomplete"), 0);
    }
    /* only the files that verified are in blobs: config.json and the two tokenizer files */
    char blobs[700];
    snprintf(blobs, sizeof blobs, "%s/blobs", repo_dir);
    int n = 0;
    DIR *d = opendir(blobs);
    struct dirent *e;
    while (d && (e = readdir(d))) n += e->d_name[0] != '.';
    if (d) closedir(d);
    CHECK(n <= 3);
}

/* Garbage from the revision API is a clear format error, never a crash. */
static void test_garbage(void) {
    openmed_config cfg;
    config_for(&cfg, cache);
    openmed_error err;
    char dir[OPENMED_PATH_MAX];
    CHECK_INT(openmed_model_fetch("OpenMedTest/bad-json", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err),
              OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "/api/models/OpenMedTest/bad-json/revision/main") != NULL, "%s", err.message);
    CHECK_INT(openmed_model_fetch("OpenMedTest/bad-sha", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err),
              OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "'sha'") != NULL, "%s", err.message);
}

/* A write that fails (here: a file size limit standing in for a full disk) is an I/O error naming
 * the file; the part already written is removed (test_disk_full does a real ENOSPC), and the
 * next pull fetches it whole. */
static void test_write_failure(void) {
    openmed_config cfg;
    config_for(&cfg, cache);
    openmed_error err;
    char dir[OPENMED_PATH_MAX], repo_dir[600], path[OPENMED_PATH_MAX + 256];
    snprintf(repo_dir, sizeof repo_dir, "%s/models--OpenMedTest--electra-cased", cache);
    struct rlimit old, small;
    CHECK_INT(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 1 << 20; /* model.safetensors is 2.9 MB */
    signal(SIGXFSZ, SIG_IGN);
    CHECK_INT(setrlimit(RLIMIT_FSIZE, &small), 0);
    openmed_status st = openmed_model_fetch("OpenMedTest/electra-cased", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err);
    CHECK_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
    CHECK_INT(st, OPENMED_ERR_IO);
    CHECK_MSG(strstr(err.message, "writing ") && strstr(err.message, ".incomplete") &&
                  strstr(err.message, "disk full") && strstr(err.message, "partial file was removed"),
              "%s", err.message);
    CHECK_INT(count_blobs(repo_dir, ".incomplete"), 0);
    st = openmed_model_fetch("OpenMedTest/electra-cased", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    CHECK_INT(count_blobs(repo_dir, ".incomplete"), 0);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    CHECK(files_equal(path, OM_FIXTURES "/hf/models/electra-cased/model.safetensors"));
}

/* Shards and their index are fetched, files in subfolders linked at the right depth, pickle and
 * ONNX weights left alone; a revision with '/' (refs/pr/1) gets its ref file. */
static void test_sharded(void) {
    openmed_config cfg;
    config_for(&cfg, cache);
    openmed_error err;
    char dir[OPENMED_PATH_MAX], path[OPENMED_PATH_MAX + 256], repo_dir[600];
    openmed_status st = openmed_model_fetch("OpenMedTest/sharded", "refs/pr/1", &cfg, NULL, NULL, dir, sizeof dir, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    const char *present[] = {"config.json", "tokenizer.json", "model-00001-of-00002.safetensors",
                             "model-00002-of-00002.safetensors", "model.safetensors.index.json", "onnx/tokenizer.json"};
    for (int i = 0; i < 6; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, present[i]);
        struct stat sb;
        CHECK_MSG(stat(path, &sb) == 0 && S_ISREG(sb.st_mode), "%s missing", present[i]);
    }
    snprintf(path, sizeof path, "%s/onnx/tokenizer.json", dir);
    char target[512] = "";
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n > 0) target[n] = 0;
    CHECK_MSG(strncmp(target, "../../../blobs/", 15) == 0, "%s", target);
    CHECK(files_equal(path, OM_FIXTURES "/hf/models/bert-uncased/tokenizer.json"));
    snprintf(path, sizeof path, "%s/onnx/model.onnx", dir);
    CHECK(!exists(path));
    snprintf(path, sizeof path, "%s/training_args.bin", dir);
    CHECK(!exists(path));
    CHECK_INT(hub_count_requests(&hub, "training_args.bin"), 0);
    snprintf(repo_dir, sizeof repo_dir, "%s/models--OpenMedTest--sharded", cache);
    snprintf(path, sizeof path, "%s/refs/refs/pr/1", repo_dir);
    CHECK(exists(path));
    CHECK(hub_count_requests(&hub, "/revision/refs%2Fpr%2F1") >= 1);
}

/* Two processes pulling the same model into the same cache at once both succeed. */
static void test_concurrent(void) {
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            openmed_config cfg;
            config_for(&cfg, cache);
            openmed_error err;
            char dir[OPENMED_PATH_MAX], path[OPENMED_PATH_MAX + 64];
            if (openmed_model_fetch("OpenMedTest/xlm-roberta", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err)) {
                fprintf(stderr, "child %d: %s\n", k, err.message);
                _exit(1);
            }
            snprintf(path, sizeof path, "%s/model.safetensors", dir);
            _exit(files_equal(path, OM_FIXTURES "/hf/models/xlm-roberta/model.safetensors") ? 0 : 2);
        }
    }
    for (int k = 0; k < 2; k++) {
        int status = -1;
        waitpid(kids[k], &status, 0);
        CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d status %d", k, status);
    }
    char repo_dir[600];
    snprintf(repo_dir, sizeof repo_dir, "%s/models--OpenMedTest--xlm-roberta", cache);
    CHECK_INT(count_blobs(repo_dir, ".incomplete"), 0);
}

static void test_offline_and_reuse(void) {
    openmed_config cfg;
    config_for(&cfg, cache);
    openmed_error err;
    char online[OPENMED_PATH_MAX], dir[OPENMED_PATH_MAX];
    CHECK_INT(openmed_model_fetch("OpenMedTest/bert-uncased", NULL, &cfg, NULL, NULL, online, sizeof online, &err), OPENMED_OK);
    int before = hub_count_requests(&hub, NULL);
    setenv("HF_HUB_OFFLINE", "1", 1);
    CHECK_INT(openmed_model_fetch("OpenMedTest/bert-uncased", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err), OPENMED_OK);
    CHECK_STR(dir, online);
    CHECK_INT(openmed_model_fetch("OpenMedTest/distilbert-uncased", NULL, &cfg, NULL, NULL, dir, sizeof dir, &err),
              OPENMED_ERR_NOT_FOUND);
    CHECK_MSG(strstr(err.message, "models--OpenMedTest--distilbert-uncased") &&
                  strstr(err.message, "openmed models pull OpenMedTest/distilbert-uncased"),
              "%s", err.message);
    /* a Hugging Face cache elsewhere is reused: our own cache is empty here */
    char other[400];
    snprintf(other, sizeof other, "%s/other", tmp_root);
    openmed_config cfg2;
    config_for(&cfg2, other);
    setenv("HF_HUB_CACHE", cache, 1);
    CHECK_INT(openmed_model_fetch("OpenMedTest/bert-uncased", NULL, &cfg2, NULL, NULL, dir, sizeof dir, &err), OPENMED_OK);
    CHECK_STR(dir, online);
    CHECK_INT(hub_count_requests(&hub, NULL), before); /* offline touched nothing */
    unsetenv("HF_HUB_OFFLINE");
    /* online, a complete snapshot in the HF cache is reused without downloading */
    int cdn = hub_count_requests(&hub, "/cdn/");
    CHECK_INT(openmed_model_fetch("OpenMedTest/bert-uncased", NULL, &cfg2, NULL, NULL, dir, sizeof dir, &err), OPENMED_OK);
    CHECK_STR(dir, online);
    CHECK_INT(hub_count_requests(&hub, "/cdn/"), cdn);
    setenv("HF_HUB_CACHE", hf_cache, 1);
}

static void test_pin(void) {
    char extra[400];
    snprintf(extra, sizeof extra, "%s/registry.jsonl", hub.state);
    setenv("OPENMED_EXTRA_MODELS", extra, 1);
    om_registry_reset();
    openmed_config cfg;
    config_for(&cfg, cache);
    openmed_error err;
    char dir[OPENMED_PATH_MAX], again[OPENMED_PATH_MAX];
    openmed_model_info info;
    CHECK_INT(openmed_registry_find("bert_cased", &info, &err), OPENMED_OK);
    CHECK_STR(info.repo_id, "OpenMedTest/bert-cased");
    openmed_status st = om_hub_resolve_model("bert_cased", &cfg, dir, sizeof dir, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    char path[OPENMED_PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    CHECK(files_equal(path, OM_FIXTURES "/hf/models/bert-cased/model.safetensors"));
    /* the integrity record exists, and offline loads go through it */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls %s/integrity/*/*.json >/dev/null 2>&1", cache);
    CHECK_INT(system(cmd), 0);
    int before = hub_count_requests(&hub, NULL);
    setenv("OPENMED_OFFLINE", "1", 1);
    CHECK_INT(om_hub_resolve_model("bert_cased", &cfg, again, sizeof again, &err), OPENMED_OK);
    CHECK_STR(again, dir);
    CHECK_INT(hub_count_requests(&hub, NULL), before);
    /* a cached file changed behind our back fails the record's check */
    char blob[1024];
    ssize_t n = readlink(path, blob, sizeof blob - 1);
    CHECK(n > 0);
    if (n > 0) {
        blob[n] = 0;
        char real[OPENMED_PATH_MAX + 1200];
        snprintf(real, sizeof real, "%s/%s", dir, blob);
        FILE *f = fopen(real, "r+b");
        CHECK(f != NULL);
        if (f) {
            fseek(f, 200, SEEK_SET);
            fputc(0x5A, f);
            fclose(f);
        }
        CHECK_INT(om_hub_resolve_model("bert_cased", &cfg, again, sizeof again, &err), OPENMED_ERR_INTEGRITY);
        CHECK_MSG(strstr(err.message, "does not match its recorded sha256") != NULL, "%s", err.message);
    }
    unsetenv("OPENMED_OFFLINE");
    /* a damaged integrity record is a format error naming it */
    char pattern[600];
    snprintf(pattern, sizeof pattern, "%s/integrity/*/*.json", cache);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) == 0) {
        FILE *f = fopen(g.gl_pathv[0], "w");
        if (f) {
            fputs("{\"schema_version\": 7, \"artifacts\": \"", f);
            fclose(f);
        }
        setenv("OPENMED_OFFLINE", "1", 1);
        CHECK_INT(om_hub_resolve_model("bert_cased", &cfg, again, sizeof again, &err), OPENMED_ERR_FORMAT);
        CHECK_MSG(strstr(err.message, "integrity record") != NULL, "%s", err.message);
        unsetenv("OPENMED_OFFLINE");
        globfree(&g);
    } else {
        CHECK(0);
    }
    /* online, the damaged cache heals: files re-verified or fetched again, the record rewritten */
    openmed_status healed = om_hub_resolve_model("bert_cased", &cfg, again, sizeof again, &err);
    CHECK_MSG(healed == OPENMED_OK, "%s", err.message);
    CHECK_STR(again, dir);
    CHECK(files_equal(path, OM_FIXTURES "/hf/models/bert-cased/model.safetensors"));
    setenv("OPENMED_OFFLINE", "1", 1);
    CHECK_INT(om_hub_resolve_model("bert_cased", &cfg, again, sizeof again, &err), OPENMED_OK);
    unsetenv("OPENMED_OFFLINE");
    /* the hub moved on: the manifest's pin no longer matches */
    CHECK_INT(om_hub_resolve_model("stale_bert", &cfg, dir, sizeof dir, &err), OPENMED_ERR_INTEGRITY);
    CHECK_MSG(strstr(err.message, "does not match the current repository revision") != NULL, "%s", err.message);
    /* an explicit revision or OPENMED_SKIP_MODEL_VERIFY bypasses the pin */
    CHECK_INT(openmed_model_fetch("stale_bert", "main", &cfg, NULL, NULL, dir, sizeof dir, &err), OPENMED_OK);
    setenv("OPENMED_SKIP_MODEL_VERIFY", "1", 1);
    CHECK_INT(om_hub_resolve_model("stale_bert", &cfg, dir, sizeof dir, &err), OPENMED_OK);
    unsetenv("OPENMED_SKIP_MODEL_VERIFY");
    unsetenv("OPENMED_EXTRA_MODELS");
    om_registry_reset();
}

int main(void) {
    if (hub_start(&hub) != 0) {
        fprintf(stderr, "test_hub_client: cannot start tests/hub/hub_server.py (python3)\n");
        return 1;
    }
    snprintf(tmp_root, sizeof tmp_root, "/tmp/om_hub_client_XXXXXX");
    if (!mkdtemp(tmp_root)) return 1;
    snprintf(cache, sizeof cache, "%s/cache", tmp_root);
    snprintf(hf_cache, sizeof hf_cache, "%s/hf", tmp_root);
    setenv("HF_ENDPOINT", hub.endpoint, 1);
    setenv("HF_HUB_CACHE", hf_cache, 1);
    unsetenv("HF_TOKEN");
    unsetenv("HF_HUB_OFFLINE");
    unsetenv("OPENMED_OFFLINE");
    unsetenv("OPENMED_SKIP_MODEL_VERIFY");
    unsetenv("OPENMED_EXTRA_MODELS");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_pull();
    test_errors();
    test_resume();
    test_corrupt();
    test_garbage();
    test_sharded();
    test_concurrent();
    test_write_failure();
    test_offline_and_reuse();
    test_pin();
    hub_stop(&hub);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", tmp_root, hub.state);
    if (system(cmd) != 0) fprintf(stderr, "could not clean %s\n", tmp_root);
    return check_finish("test_hub_client");
}
