/* hub_harness.h: start and stop tests/hub/hub_server.py (a local Hugging Face hub on
 * 127.0.0.1) from a test program, make it misbehave, and read the requests it saw. */
#ifndef OM_TESTS_HUB_HARNESS_H
#define OM_TESTS_HUB_HARNESS_H

#include <curl/curl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

typedef struct hub_server {
    pid_t pid;
    int port;
    char state[256];    /* the server's state folder: port, requests.log, registry.jsonl */
    char endpoint[64];  /* http://127.0.0.1:PORT */
} hub_server;

#define HUB_MAX_SERVERS 4
static hub_server *harness_running[HUB_MAX_SERVERS];

static inline void hub_stop(hub_server *h) {
    if (h->pid > 0) {
        kill(h->pid, SIGTERM);
        waitpid(h->pid, NULL, 0);
        h->pid = 0;
    }
}

static void hub_stop_at_exit(void) {
    for (int i = 0; i < HUB_MAX_SERVERS; i++)
        if (harness_running[i]) hub_stop(harness_running[i]);
}

/* Start the server on `port` (0: a free one, which it reports). 0 on success. */
static inline int hub_start_on(hub_server *h, int port) {
    memset(h, 0, sizeof *h);
    snprintf(h->state, sizeof h->state, "/tmp/om_hub_server_XXXXXX");
    if (!mkdtemp(h->state)) return -1;
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    char *argv[] = {"python3", OM_SOURCE_DIR "/tests/hub/hub_server.py", "--models", OM_FIXTURES "/hf/models",
                    "--state", h->state, "--port", port_text, NULL};
    if (posix_spawnp(&h->pid, "python3", NULL, NULL, argv, environ) != 0) return -1;
    static int registered;
    for (int i = 0; i < HUB_MAX_SERVERS; i++)
        if (!harness_running[i] || harness_running[i] == h) {
            harness_running[i] = h;
            break;
        }
    if (!registered++) atexit(hub_stop_at_exit);
    char path[300];
    snprintf(path, sizeof path, "%s/port", h->state);
    for (int i = 0; i < 300; i++) { /* up to 30 s on a busy machine */
        FILE *f = fopen(path, "r");
        if (f) {
            int ok = fscanf(f, "%d", &h->port) == 1;
            fclose(f);
            if (ok) {
                snprintf(h->endpoint, sizeof h->endpoint, "http://127.0.0.1:%d", h->port);
                return 0;
            }
        }
        if (waitpid(h->pid, NULL, WNOHANG) == h->pid) {
            h->pid = 0;
            return -1;
        }
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    hub_stop(h);
    return -1;
}

/* Start the server on a free port. 0 on success. */
static inline int hub_start(hub_server *h) { return hub_start_on(h, 0); }

/* Arm a fault: `query` is what follows "/_fault?" (see hub_server.py). 0 on success. */
static inline int hub_fault(const hub_server *h, const char *query) {
    char url[4096];
    snprintf(url, sizeof url, "%s/_fault?%s", h->endpoint, query);
    CURL *c = curl_easy_init();
    if (!c) return -1;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

/* The last line of requests.log that contains `needle`, copied to out ("" when none). */
static inline void hub_last_request(const hub_server *h, const char *needle, char *out, size_t size) {
    char path[300], line[4096];
    snprintf(path, sizeof path, "%s/requests.log", h->state);
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    while (fgets(line, sizeof line, f))
        if (strstr(line, needle)) snprintf(out, size, "%s", line);
    fclose(f);
}

/* Lines of requests.log that contain `needle` (all lines when NULL). */
static inline int hub_count_requests(const hub_server *h, const char *needle) {
    char path[300], line[4096];
    snprintf(path, sizeof path, "%s/requests.log", h->state);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (!needle || strstr(line, needle)) n++;
    fclose(f);
    return n;
}

#endif
