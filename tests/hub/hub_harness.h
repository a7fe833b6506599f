/* hub_harness.h: start and stop tests/hub/hub_server.py (a local Hugging Face hub on
 * 127.0.0.1) from a test program, and read the requests it saw. */
#ifndef OM_TESTS_HUB_HARNESS_H
#define OM_TESTS_HUB_HARNESS_H

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

static hub_server *harness_running;

static inline void hub_stop(hub_server *h) {
    if (h->pid > 0) {
        kill(h->pid, SIGTERM);
        waitpid(h->pid, NULL, 0);
        h->pid = 0;
    }
}

static void hub_stop_at_exit(void) {
    if (harness_running) hub_stop(harness_running);
}

/* Start the server on a free port (it binds port 0 and reports the one it got). 0 on success. */
static inline int hub_start(hub_server *h) {
    memset(h, 0, sizeof *h);
    snprintf(h->state, sizeof h->state, "/tmp/om_hub_server_XXXXXX");
    if (!mkdtemp(h->state)) return -1;
    char *argv[] = {"python3", OM_SOURCE_DIR "/tests/hub/hub_server.py", "--models", OM_FIXTURES "/hf/models",
                    "--state", h->state, NULL};
    if (posix_spawnp(&h->pid, "python3", NULL, NULL, argv, environ) != 0) return -1;
    harness_running = h;
    atexit(hub_stop_at_exit);
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
