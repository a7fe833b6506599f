/* test_serve_limits.c: the real `openmed serve`'s limits over loopback: a full queue gets 429, the
 * connection limit 503 with Retry-After, idle connections are closed, a request past its time gets
 * 504 and stops its work, a client that goes away stops its work between windows, --max-models
 * unloads the least recently used model, and a non-loopback address without an API key is refused
 * (with --insecure it is not). */
#include "serve_harness.h"

static long post(const server *s, const char *path, const char *body, reply *r) {
    return http(s, "POST", path, body, NULL, r);
}

/* A metric's value from /metrics text (-1 when absent). */
static double metric(const server *s, const char *name) {
    reply r;
    double v = -1;
    if (http(s, "GET", "/metrics", NULL, NULL, &r) == 200) {
        const char *p = strstr(r.body, name);
        while (p && p > r.body && p[-1] != '\n') p = strstr(p + 1, name);
        if (p) v = atof(p + strlen(name));
    }
    reply_free(&r);
    return v;
}

/* Run `openmed serve ARGS` expecting it to exit by itself: its exit code and standard error. */
static int run_serve(const char *const *args, char *err, size_t size) {
    server s;
    memset(&s, 0, sizeof s);
    snprintf(s.log, sizeof s.log, "%s/test_serve_limits_refused.log", OM_BINARY_DIR);
    char bin[1024];
    snprintf(bin, sizeof bin, "%s/bin/openmed", OM_BINARY_DIR);
    const char *argv[16] = {bin, "serve"};
    int n = 2;
    for (int i = 0; args[i] && n < 15; i++) argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int log = open(s.log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(log, STDERR_FILENO);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        unsetenv("OPENMED_API_KEY");
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    char *text = read_file(s.log);
    snprintf(err, size, "%s", text);
    free(text);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    reply r;
    char header[256];

    /* ---- a non-loopback address needs an API key, and says why */
    char err[2048];
    const char *open_all[] = {"--host", "0.0.0.0", "--port", "0", NULL};
    CHECK_INT(run_serve(open_all, err, sizeof err), 2);
    CHECK_MSG(strstr(err, "API key") && strstr(err, "--insecure") && strstr(err, "0.0.0.0"), "%s", err);
    server ins;
    const char *insecure[] = {"--host", "0.0.0.0", "--insecure", "--quiet", NULL};
    /* it starts (its first line names 0.0.0.0, which server_start does not parse: read it raw) */
    {
        int out[2];
        CHECK(pipe(out) == 0);
        pid_t pid = fork();
        if (pid == 0) {
            dup2(out[1], STDOUT_FILENO);
            close(out[0]);
            int null = open("/dev/null", O_WRONLY);
            dup2(null, STDERR_FILENO);
            char bin[1024];
            snprintf(bin, sizeof bin, "%s/bin/openmed", OM_BINARY_DIR);
            execl(bin, bin, "serve", "--port", "0", insecure[0], insecure[1], insecure[2], insecure[3], (char *)NULL);
            _exit(127);
        }
        close(out[1]);
        char line[256] = "";
        FILE *f = fdopen(out[0], "r");
        CHECK(fgets(line, sizeof line, f) && strstr(line, "listening on http://0.0.0.0:"));
        fclose(f);
        ins.pid = pid;
        CHECK_INT(server_stop(&ins, SIGTERM), 0);
    }

    /* ---- API keys from OPENMED_API_KEY (comma-separated) and --api-key-file (one a line, # comments),
     * as Authorization: Bearer or X-API-Key; the probes stay open */
    {
        char key_file[512];
        snprintf(key_file, sizeof key_file, "%s/test_serve_limits.keys", OM_BINARY_DIR);
        FILE *f = fopen(key_file, "w");
        fprintf(f, "# service keys\nfile-key-1\n\n");
        fclose(f);
        server A;
        const char *a_args[] = {"--api-key-file", key_file, "--quiet", NULL};
        const char *a_env[] = {"OPENMED_API_KEY=env-key-1,env-key-2", NULL};
        if (server_start(&A, "test_serve_limits_keys", a_args, a_env) == 0) {
            const char *ok[][2] = {{"Authorization: Bearer env-key-1", NULL}, {"Authorization: Bearer env-key-2", NULL},
                                   {"Authorization: Bearer file-key-1", NULL}, {"X-API-Key: env-key-2", NULL}};
            for (int i = 0; i < 4; i++) {
                CHECK_MSG(http(&A, "GET", "/models/loaded", NULL, ok[i], &r) == 200, "%s: %ld", ok[i][0], r.status);
                reply_free(&r);
            }
            const char *bad[][2] = {{"Authorization: Bearer env-key-1,env-key-2", NULL},
                                    {"Authorization: Bearer # service keys", NULL},
                                    {"Authorization: Bearer file-key-", NULL}, {"Authorization: Basic ZW52LWtleS0x", NULL}};
            for (int i = 0; i < 4; i++) {
                CHECK_MSG(http(&A, "GET", "/models/loaded", NULL, bad[i], &r) == 401, "%s: %ld", bad[i][0], r.status);
                reply_free(&r);
            }
            CHECK_INT(http(&A, "GET", "/livez", NULL, NULL, &r), 200);
            reply_free(&r);
            CHECK_INT(http(&A, "GET", "/readyz", NULL, NULL, &r), 200);
            reply_free(&r);
            CHECK_INT(server_stop(&A, SIGTERM), 0);
        }
        unlink(key_file);
    }

    /* ---- server L: small limits, one worker, the disease model ready */
    server L;
    const char *args[] = {"--max-connections", "3", "--queue-limit", "2", "--workers", "1", "--idle-timeout", "1",
                          "--max-models", "1", "--preload", "bundled/disease-ner", "--max-batch-bytes", "4096", NULL};
    if (server_start(&L, "test_serve_limits", args, NULL)) return check_finish("test_serve_limits");
    double t0 = now_s();
    while (http(&L, "GET", "/readyz", NULL, NULL, &r) != 200 && now_s() - t0 < 60) {
        reply_free(&r);
        usleep(50000);
    }
    reply_free(&r);

    /* a queue of 2 texts refuses a request of 3 at once: 429 + Retry-After */
    CHECK_INT(post(&L, "/analyze/batch", "{\"texts\": [\"a fever\", \"a cough\", \"secret-note-42\"]}", &r), 429);
    CHECK_ERROR(&r, 429, "queue_full", "secret-note-42");
    CHECK(reply_header_value(&r, "Retry-After", header, sizeof header) && atoi(header) >= 1);
    reply_free(&r);
    CHECK_INT(post(&L, "/analyze/batch", "{\"texts\": [\"a fever\", \"cystic fibrosis\"]}", &r), 200);
    reply_free(&r);

    /* the connection limit: three idle connections, then a request gets 503 + Retry-After */
    int idle[3];
    for (int i = 0; i < 3; i++) idle[i] = raw_connect(&L);
    usleep(100000);
    CHECK_INT(http(&L, "GET", "/livez", NULL, NULL, &r), 503);
    CHECK_ERROR(&r, 503, "connection_limit", NULL);
    CHECK(reply_header_value(&r, "Retry-After", header, sizeof header));
    reply_free(&r);
    /* idle connections are closed by the server after --idle-timeout (1 s) */
    t0 = now_s();
    int closed = 0;
    while (!closed && now_s() - t0 < 5) {
        struct pollfd p = {idle[0], POLLIN, 0};
        char c;
        if (poll(&p, 1, 100) > 0 && recv(idle[0], &c, 1, 0) <= 0) closed = 1;
    }
    CHECK_MSG(closed, "an idle connection stayed open past the idle timeout");
    for (int i = 0; i < 3; i++) close(idle[i]);
    usleep(200000);
    CHECK_INT(http(&L, "GET", "/livez", NULL, NULL, &r), 200);
    reply_free(&r);

    /* a client that leaves stops its work between windows: the long text is cancelled, and the next
     * request (one worker, one model) does not wait for the rest of it. 900 kB (the limit is 1,000,000
     * characters): ~4 s of the bundled model's work on a 2-core machine, well past the client's 0.6 s
     * and server T's 1 s (200 kB had come down to ~1 s, the limit itself, with faster kernels) */
    char *longer = long_body(900000);
    CHECK_INT(http_ex(&L, "POST", "/analyze", longer, -1, NULL, 600, &r), -1); /* the client gives up */
    reply_free(&r);
    t0 = now_s();
    CHECK_INT(post(&L, "/analyze", "{\"text\": \"The patient has cystic fibrosis.\"}", &r), 200);
    double after = now_s() - t0;
    reply_free(&r);
    t0 = now_s();
    double cancelled = -1;
    while (cancelled < 1 && now_s() - t0 < 10) {
        cancelled = metric(&L, "openmed_service_rejected_total{reason=\"cancelled\"}");
        if (cancelled < 1) usleep(50000);
    }
    CHECK_MSG(cancelled >= 1, "the abandoned request was not cancelled");
    printf("the request after a cancelled 900 kB text took %.2f s\n", after);

    /* --max-models 1: the PII model takes the disease model's place */
    CHECK_INT(post(&L, "/pii/extract", "{\"text\": \"email john.smith@example.com\"}", &r), 200);
    reply_free(&r);
    CHECK_INT(http(&L, "GET", "/models/loaded", NULL, NULL, &r), 200);
    CHECK_MSG(strstr(r.body, "bundled/pii") && !strstr(r.body, "bundled/disease-ner\": {"), "%s", r.body);
    reply_free(&r);
    CHECK(metric(&L, "openmed_service_model_eviction_total") >= 1);
    CHECK_INT(server_stop(&L, SIGTERM), 0);
    char *log = read_file(L.log);
    CHECK(!strstr(log, "fibrosis") && !strstr(log, "john.smith") && !strstr(log, "secret-note"));
    free(log);

    /* ---- server T: a request past --request-timeout gets 504 and stops; the service goes on */
    server T;
    const char *targs[] = {"--request-timeout", "1", "--preload", "bundled/disease-ner", NULL};
    if (server_start(&T, "test_serve_timeout", targs, NULL) == 0) {
        t0 = now_s();
        while (http(&T, "GET", "/readyz", NULL, NULL, &r) != 200 && now_s() - t0 < 60) {
            reply_free(&r);
            usleep(50000);
        }
        reply_free(&r);
        CHECK_INT(post(&T, "/analyze", longer, &r), 504);
        CHECK_ERROR(&r, 504, "timeout", "cystic");
        CHECK_MSG(r.seconds < 20, "504 after %.1f s", r.seconds);
        reply_free(&r);
        t0 = now_s(); /* the timed-out work stops at its next window; then the model is free again */
        while (metric(&T, "openmed_service_rejected_total{reason=\"cancelled\"}") < 1 && now_s() - t0 < 30) usleep(50000);
        CHECK_INT(post(&T, "/analyze", "{\"text\": \"The patient has cystic fibrosis.\"}", &r), 200);
        reply_free(&r);
        CHECK(metric(&T, "openmed_service_rejected_total{reason=\"timeout\"}") >= 1);
        CHECK_INT(server_stop(&T, SIGINT), 0);
    }
    free(longer);
    curl_global_cleanup();
    return check_finish("test_serve_limits");
}
