/* test_hub_hostile.c: the hub client against hubs that misbehave (tests/hub/hub_server.py with
 * faults armed): the token never reaches another origin (a port whose number merely starts like
 * the endpoint's, a redirect chain that leaves and comes back); redirects to file:// and
 * gopher:// are refused; an endless or oversized answer stops at the advertised size as an
 * integrity error; a one-byte drip and a silent HEAD hit the HF_HUB_*_TIMEOUT limits; busy
 * answers and cut connections are retried and resumed inside one call, on the on-demand load
 * path too, with the progress going on where it stopped. */
#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "hub/digest.h"
#include "hub/http.h"
#include "hub_harness.h"
#include "openmed.h"

static hub_server hub, other; /* the endpoint, and another origin whose port starts like its port */
static char tmp_root[256], cache[300];

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void config_for(openmed_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->cache_dir, sizeof cfg->cache_dir, "%s", cache);
}

static openmed_status fetch(const char *repo, char *dir, size_t size, openmed_error *err) {
    openmed_config cfg;
    config_for(&cfg);
    memset(err, 0, sizeof *err);
    return openmed_model_fetch(repo, NULL, &cfg, NULL, NULL, dir, size, err);
}

/* Files in the repo's blobs folder whose name contains needle. */
static int count_blobs(const char *repo, const char *needle) {
    char path[700];
    snprintf(path, sizeof path, "%s/models--OpenMedTest--%s/blobs", cache, repo);
    DIR *d = opendir(path);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && strstr(e->d_name, needle)) n++;
    closedir(d);
    return n;
}

/* Largest .incomplete file of the repo (bytes), -1 when none. */
static long incomplete_size(const char *repo) {
    char path[700];
    snprintf(path, sizeof path, "%s/models--OpenMedTest--%s/blobs", cache, repo);
    DIR *d = opendir(path);
    if (!d) return -1;
    long best = -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".incomplete")) continue;
        char file[1000];
        struct stat st;
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        if (stat(file, &st) == 0 && st.st_size > best) best = (long)st.st_size;
    }
    closedir(d);
    return best;
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The file store URL of a fixture file on server h (what hub_server.py redirects LFS files to). */
static void cdn_url(const hub_server *h, const char *repo, const char *file, char *out, size_t size) {
    char path[600];
    snprintf(path, sizeof path, "%s/hf/models/%s/%s", OM_FIXTURES, repo, file);
    om_file_digest dg;
    openmed_error err;
    if (om_digest_file(path, &dg, &err) != OPENMED_OK) dg.sha256[0] = 0;
    snprintf(out, size, "%s/cdn/%s?repo=%s&file=%s", h->endpoint, dg.sha256, repo, file);
}

/* A fault query with a URL-encoded target. */
static void arm(const hub_server *h, const char *repo, const char *file, const char *kind, int times,
                const char *target) {
    char *enc = curl_easy_escape(NULL, target ? target : "", 0);
    char q[3000];
    snprintf(q, sizeof q, "repo=%s&file=%s&kind=%s&times=%d&target=%s", repo, file, kind, times, enc ? enc : "");
    curl_free(enc);
    CHECK_INT(hub_fault(h, q), 0);
}

static void test_origins(void) {
    struct {
        const char *a, *b;
        int same;
    } cases[] = {
        {"http://127.0.0.1:4711", "http://127.0.0.1:47110/api/models/x", 0},
        {"https://huggingface.co", "https://huggingface.co.evil/x", 0},
        {"https://huggingface.co", "https://huggingface.co@evil.example/x", 0},
        {"https://huggingface.co", "https://evil.example/?https://huggingface.co/", 0},
        {"https://huggingface.co", "http://huggingface.co/x", 0},
        {"https://huggingface.co", "https://huggingface.co:8443/x", 0},
        {"https://huggingface.co", "https://HuggingFace.CO:443/api/models", 1},
        {"http://127.0.0.1:4711", "http://127.0.0.1:4711/cdn/abc?x=1", 1},
        {"http://hub.local", "http://hub.local:80/x", 1},
        {"http://[::1]:8080", "http://[::1]:8080/x", 1},
        {"http://[::1]:8080", "http://[::1]:808/x", 0},
        {"https://huggingface.co", "file:///etc/passwd", 0},
        {"https://huggingface.co", "not a url", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_MSG(om_http_same_origin(cases[i].a, cases[i].b) == cases[i].same, "%s vs %s", cases[i].a, cases[i].b);
}

/* The token goes to the endpoint, never to another port, even one whose number starts alike. */
static void test_token_other_port(void) {
    CHECK_MSG(strncmp(other.endpoint, hub.endpoint, strlen(hub.endpoint)) == 0, "%s is not a look-alike of %s",
              other.endpoint, hub.endpoint);
    char target[1024], dir[OPENMED_PATH_MAX];
    cdn_url(&other, "bert-uncased", "model.safetensors", target, sizeof target);
    arm(&hub, "bert-uncased", "model.safetensors", "redirect", 5, target);
    openmed_error err;
    openmed_status st = fetch("OpenMedTest/bert-uncased", dir, sizeof dir, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    CHECK(hub_count_requests(&hub, " auth") >= 2); /* the endpoint did get the token */
    CHECK(hub_count_requests(&other, "GET /cdn/") >= 1);
    CHECK_INT(hub_count_requests(&other, " auth"), 0);
    char path[OPENMED_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    CHECK_INT(file_size(path), file_size(OM_FIXTURES "/hf/models/bert-uncased/model.safetensors"));
}

/* Once a redirect has left the endpoint's origin, the token stays behind, even when a later hop
 * comes back to the endpoint. */
static void test_token_after_leaving(void) {
    char there[1024], back[1024], dir[OPENMED_PATH_MAX];
    cdn_url(&other, "distilbert-uncased", "model.safetensors", there, sizeof there);
    cdn_url(&hub, "distilbert-uncased", "model.safetensors", back, sizeof back);
    arm(&hub, "distilbert-uncased", "model.safetensors", "cdn_redirect", 1, there);
    arm(&other, "distilbert-uncased", "model.safetensors", "cdn_redirect", 1, back);
    openmed_error err;
    openmed_status st = fetch("OpenMedTest/distilbert-uncased", dir, sizeof dir, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    CHECK_INT(hub_count_requests(&hub, "repo=distilbert-uncased&file=model.safetensors "), 2);
    CHECK_INT(hub_count_requests(&other, "repo=distilbert-uncased&file=model.safetensors "), 1);
    CHECK_INT(hub_count_requests(&other, " auth"), 0);
    char line[4096];
    hub_last_request(&hub, "repo=distilbert-uncased&file=model.safetensors ", line, sizeof line);
    CHECK_MSG(strstr(line, "GET /cdn/") && !strstr(line, " auth"), "%s", line); /* came back: no token */
    CHECK_INT(hub_count_requests(&hub, "repo=distilbert-uncased&file=model.safetensors - auth"), 1); /* first hop */
}

/* Redirects to other schemes are refused, whether they come with the hub's HEAD or on the way. */
static void test_schemes(void) {
    const char *targets[] = {"file:///etc/passwd", "gopher://127.0.0.1:70/1", "ftp://127.0.0.1/x"};
    char dir[OPENMED_PATH_MAX];
    openmed_error err;
    for (int i = 0; i < 3; i++) {
        arm(&hub, "electra-cased", "model.safetensors", i == 1 ? "cdn_redirect" : "redirect", 5, targets[i]);
        openmed_status st = fetch("OpenMedTest/electra-cased", dir, sizeof dir, &err);
        CHECK_MSG(st == OPENMED_ERR_NETWORK, "%s: %d %s", targets[i], (int)st, err.message);
        CHECK_MSG(strstr(err.message, "refus") && strstr(err.message, "http"), "%s", err.message);
        CHECK_MSG(strstr(err.message, targets[i]) != NULL, "%s", err.message);
        CHECK_INT(count_blobs("electra-cased", ".incomplete"), 0);
        CHECK_INT(hub_fault(&hub, "repo=electra-cased&file=model.safetensors&kind=none&times=0"), 0);
    }
}

/* An answer longer than the advertised size stops there: an integrity error, nothing kept. */
static void test_endless(void) {
    char dir[OPENMED_PATH_MAX];
    openmed_error err;
    struct {
        const char *repo, *file, *kind, *needle;
    } cases[] = {
        {"xlm-roberta", "model.safetensors", "endless", "more than the"}, /* X-Linked-Size */
        {"privacy-filter", "config.json", "endless", "more than the"},    /* Content-Length of the HEAD */
        {"stale-bert", "model.safetensors", "oversize", "announces"},
    };
    for (int i = 0; i < 3; i++) {
        char repo_id[128], clear[256];
        snprintf(repo_id, sizeof repo_id, "OpenMedTest/%s", cases[i].repo);
        arm(&hub, cases[i].repo, cases[i].file, cases[i].kind, 5, NULL);
        double t0 = seconds();
        openmed_status st = fetch(repo_id, dir, sizeof dir, &err);
        CHECK_MSG(st == OPENMED_ERR_INTEGRITY, "%s %s: %d %s", cases[i].file, cases[i].kind, (int)st, err.message);
        CHECK_MSG(strstr(err.message, cases[i].needle) && strstr(err.message, cases[i].file), "%s", err.message);
        CHECK(seconds() - t0 < 60);
        CHECK_INT(count_blobs(cases[i].repo, ".incomplete"), 0);
        snprintf(clear, sizeof clear, "repo=%s&file=%s&kind=none&times=0", cases[i].repo, cases[i].file);
        CHECK_INT(hub_fault(&hub, clear), 0);
        st = fetch(repo_id, dir, sizeof dir, &err); /* the same hub behaving: fine */
        CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    }
}

/* A drip below the stall speed and a HEAD that never answers end at the timeouts. */
static void test_timeouts(void) {
    char dir[OPENMED_PATH_MAX];
    openmed_error err;
    setenv("HF_HUB_DOWNLOAD_TIMEOUT", "1", 1);
    setenv("OPENMED_HUB_RETRIES", "1", 1);
    arm(&hub, "longformer", "model.safetensors", "drip", 10, NULL);
    double t0 = seconds();
    openmed_status st = fetch("OpenMedTest/longformer", dir, sizeof dir, &err);
    double took = seconds() - t0;
    CHECK_MSG(st == OPENMED_ERR_NETWORK, "%d %s", (int)st, err.message);
    CHECK_MSG(strstr(err.message, "HF_HUB_DOWNLOAD_TIMEOUT") && strstr(err.message, "gave up after 2 attempts"), "%s",
              err.message);
    CHECK_MSG(took < 30, "%.1f s", took);
    CHECK(incomplete_size("longformer") > 0); /* what did arrive stays, to be resumed */
    CHECK_INT(hub_fault(&hub, "repo=longformer&kind=none&times=0&file=model.safetensors"), 0);
    unsetenv("HF_HUB_DOWNLOAD_TIMEOUT");
    st = fetch("OpenMedTest/longformer", dir, sizeof dir, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    char line[4096];
    hub_last_request(&hub, "repo=longformer&file=model.safetensors", line, sizeof line);
    CHECK_MSG(strstr(line, " bytes="), "%s", line); /* resumed, not restarted */

    setenv("HF_HUB_ETAG_TIMEOUT", "1", 1);
    setenv("OPENMED_HUB_RETRIES", "0", 1);
    arm(&hub, "modernbert", "config.json", "slow_head", 1, NULL);
    t0 = seconds();
    st = fetch("OpenMedTest/modernbert", dir, sizeof dir, &err);
    took = seconds() - t0;
    CHECK_MSG(st == OPENMED_ERR_NETWORK, "%d %s", (int)st, err.message);
    CHECK_MSG(strstr(err.message, "timed out") && strstr(err.message, "HF_HUB_ETAG_TIMEOUT"), "%s", err.message);
    CHECK_MSG(took < 20, "%.1f s", took);
    unsetenv("HF_HUB_ETAG_TIMEOUT");
    /* bad values are configuration errors naming the variable */
    setenv("HF_HUB_DOWNLOAD_TIMEOUT", "ten", 1);
    CHECK_INT(fetch("OpenMedTest/modernbert", dir, sizeof dir, &err), OPENMED_ERR_CONFIG);
    CHECK_MSG(strstr(err.message, "HF_HUB_DOWNLOAD_TIMEOUT=ten"), "%s", err.message);
    unsetenv("HF_HUB_DOWNLOAD_TIMEOUT");
    setenv("HF_ENDPOINT", "file:///tmp/hub", 1);
    CHECK_INT(fetch("OpenMedTest/modernbert", dir, sizeof dir, &err), OPENMED_ERR_CONFIG);
    CHECK_MSG(strstr(err.message, "http:// or https://"), "%s", err.message);
    setenv("HF_ENDPOINT", hub.endpoint, 1);
    unsetenv("OPENMED_HUB_RETRIES");
}

/* 503 with Retry-After is waited out; past the retries it is an error naming the status. */
static void test_busy(void) {
    char dir[OPENMED_PATH_MAX];
    openmed_error err;
    setenv("OPENMED_HUB_RETRIES", "2", 1);
    arm(&hub, "deberta-v3", "model.safetensors", "busy", 2, NULL);
    openmed_status st = fetch("OpenMedTest/deberta-v3", dir, sizeof dir, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    arm(&hub, "deberta-v2-nobucket", "model.safetensors", "busy", 10, NULL);
    st = fetch("OpenMedTest/deberta-v2-nobucket", dir, sizeof dir, &err);
    CHECK_MSG(st == OPENMED_ERR_NETWORK && strstr(err.message, "HTTP 503"), "%d %s", (int)st, err.message);
    CHECK_INT(hub_fault(&hub, "repo=deberta-v2-nobucket&kind=none&times=0&file=model.safetensors"), 0);
    unsetenv("OPENMED_HUB_RETRIES");
}

typedef struct progress_log {
    int calls, backwards;
    uint64_t last, total;
} progress_log;

static void on_progress(const char *file, uint64_t done, uint64_t total, void *user) {
    progress_log *p = user;
    if (strcmp(file, "model.safetensors") != 0) return;
    p->calls++;
    if (done < p->last) p->backwards++;
    p->last = done;
    p->total = total;
}

/* A cut connection is resumed with Range inside one call: the progress goes on from where it
 * stopped, and the on-demand load path (openmed_model_load by name) resumes as well. */
static void test_cut_resume(void) {
    openmed_config cfg;
    config_for(&cfg);
    openmed_error err;
    char dir[OPENMED_PATH_MAX];
    arm(&hub, "roberta", "model.safetensors", "cut", 1, NULL);
    progress_log p = {0};
    openmed_status st = openmed_model_fetch("OpenMedTest/roberta", NULL, &cfg, on_progress, &p, dir, sizeof dir, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    CHECK_INT(hub_count_requests(&hub, "repo=roberta&file=model.safetensors bytes="), 1);
    CHECK_INT(p.backwards, 0);
    CHECK(p.calls > 2 && p.last == p.total && p.total > 0);

    /* the on-demand path: a model loaded by name fetches, is cut, resumes, loads */
    arm(&hub, "bert-cased", "model.safetensors", "cut", 1, NULL);
    openmed_model_options o;
    openmed_model_options_init(&o);
    o.config = &cfg;
    o.device = "cpu";
    openmed_model *m = NULL;
    st = openmed_model_load("OpenMedTest/bert-cased", &o, &m, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    CHECK_INT(hub_count_requests(&hub, "repo=bert-cased&file=model.safetensors bytes="), 1);
    openmed_model_free(m);
}

int main(void) {
    /* the other origin first, then the endpoint on its port number without the last digit */
    int started = 0;
    for (int tries = 0; tries < 20 && !started; tries++) {
        if (hub_start(&other) != 0) break;
        if (other.port / 10 >= 1024 && hub_start_on(&hub, other.port / 10) == 0) started = 1;
        else hub_stop(&other);
    }
    if (!started) {
        fprintf(stderr, "test_hub_hostile: cannot start two hubs with look-alike ports (python3)\n");
        return 1;
    }
    snprintf(tmp_root, sizeof tmp_root, "/tmp/om_hub_hostile_XXXXXX");
    if (!mkdtemp(tmp_root)) return 1;
    snprintf(cache, sizeof cache, "%s/cache", tmp_root);
    char hf[400];
    snprintf(hf, sizeof hf, "%s/hf", tmp_root);
    setenv("HF_ENDPOINT", hub.endpoint, 1);
    setenv("HF_HUB_CACHE", hf, 1);
    setenv("HF_TOKEN", "hf_test_token", 1);
    unsetenv("HF_HUB_OFFLINE");
    unsetenv("OPENMED_OFFLINE");
    unsetenv("OPENMED_HUB_RETRIES");
    unsetenv("HF_HUB_ETAG_TIMEOUT");
    unsetenv("HF_HUB_DOWNLOAD_TIMEOUT");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_origins();
    test_token_other_port();
    test_token_after_leaving();
    test_schemes();
    test_endless();
    test_timeouts();
    test_busy();
    test_cut_resume();
    hub_stop(&hub);
    hub_stop(&other);
    char cmd[900];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s' '%s'", tmp_root, hub.state, other.state);
    if (system(cmd) != 0) fprintf(stderr, "could not clean %s\n", tmp_root);
    return check_finish("test_hub_hostile");
}
