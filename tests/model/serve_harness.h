/* serve_harness.h: the real `openmed serve` binary for the service tests: started on a free
 * 127.0.0.1 port with its standard error in a log file, driven with libcurl (any method, headers,
 * body; status, headers and body back) and with raw sockets, stopped with a signal. */
#ifndef OM_TESTS_SERVE_HARNESS_H
#define OM_TESTS_SERVE_HARNESS_H

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

typedef struct server {
    pid_t pid;
    unsigned port;
    char base[64];
    char log[512];
} server;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Start `openmed serve --port 0 ARGS...` with extra environment ("NAME=VALUE", NULL-terminated);
 * 0 once it printed its port, -1 otherwise (a check fails). */
static int server_start(server *s, const char *name, const char *const *args, const char *const *env) {
    memset(s, 0, sizeof *s);
    snprintf(s->log, sizeof s->log, "%s/%s.log", OM_BINARY_DIR, name);
    int out[2];
    if (pipe(out) != 0) return -1;
    const char *argv[64];
    int n = 0;
    char bin[1024];
    snprintf(bin, sizeof bin, "%s/bin/openmed", OM_BINARY_DIR);
    argv[n++] = bin;
    argv[n++] = "serve";
    argv[n++] = "--port";
    argv[n++] = "0";
    for (int i = 0; args && args[i] && n < 62; i++) argv[n++] = args[i];
    argv[n] = NULL;
    s->pid = fork();
    if (s->pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        int log = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (log >= 0) dup2(log, STDERR_FILENO);
        for (int i = 0; env && env[i]; i++) putenv((char *)env[i]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    struct pollfd p = {out[0], POLLIN, 0};
    char line[256] = "";
    size_t len = 0;
    while (len < sizeof line - 1 && poll(&p, 1, 60000) > 0) {
        ssize_t k = read(out[0], line + len, 1);
        if (k <= 0 || line[len] == '\n') break;
        len++;
    }
    line[len] = '\0';
    close(out[0]);
    CHECK_MSG(sscanf(line, "openmed serve: listening on http://127.0.0.1:%u", &s->port) == 1 && s->port > 0,
              "%s: unexpected first line '%s'", name, line);
    if (!s->port) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
        return -1;
    }
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%u", s->port);
    return 0;
}

/* Send sig and wait; the exit status (or -1). */
static int server_stop(server *s, int sig) {
    if (!s->pid) return -1;
    kill(s->pid, sig);
    int st = 0;
    waitpid(s->pid, &st, 0);
    s->pid = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

typedef struct reply {
    long status;
    char *body;
    size_t len, cap;
    char headers[8192];
    size_t hlen;
    double seconds;
} reply;

static size_t reply_body(char *p, size_t size, size_t n, void *userdata) {
    reply *r = userdata;
    size_t k = size * n;
    if (r->len + k + 1 > r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8192;
        while (cap < r->len + k + 1) cap *= 2;
        char *grown = realloc(r->body, cap);
        if (!grown) return 0;
        r->body = grown;
        r->cap = cap;
    }
    memcpy(r->body + r->len, p, k);
    r->len += k;
    r->body[r->len] = '\0';
    return k;
}

static size_t reply_header(char *p, size_t size, size_t n, void *userdata) {
    reply *r = userdata;
    size_t k = size * n, room = sizeof r->headers - 1 - r->hlen;
    memcpy(r->headers + r->hlen, p, k < room ? k : room);
    r->hlen += k < room ? k : room;
    r->headers[r->hlen] = '\0';
    return k;
}

static void reply_free(reply *r) {
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* The value of a response header (case-insensitive name) into out; 1 if present. */
static int reply_header_value(const reply *r, const char *name, char *out, size_t size) {
    size_t n = strlen(name);
    for (const char *p = r->headers; (p = strchr(p, '\n')); p++) {
        if (strncasecmp(p + 1, name, n) || p[1 + n] != ':') continue;
        const char *v = p + 2 + n;
        while (*v == ' ') v++;
        size_t k = strcspn(v, "\r\n");
        snprintf(out, size, "%.*s", (int)k, v);
        return 1;
    }
    return 0;
}

/* METHOD path with body (NULL = none, len -1 = strlen) and extra headers (NULL-terminated);
 * timeout_ms 0 = 120 s. Fills r (free with reply_free); returns the status (-1: no answer). */
static long http_ex(const server *s, const char *method, const char *path, const char *body, long len,
                    const char *const *headers, long timeout_ms, reply *r) {
    char url[512];
    snprintf(url, sizeof url, "%s%s", s->base, path);
    memset(r, 0, sizeof *r);
    r->status = -1;
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reply_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, reply_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms ? timeout_ms : 120000L);
    if (!strcmp(method, "HEAD")) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    for (int i = 0; headers && headers[i]; i++) h = curl_slist_append(h, headers[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, len < 0 ? (long)strlen(body) : len);
    }
    double t0 = now_s();
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    r->seconds = now_s() - t0;
    if (!r->body) reply_body("", 1, 0, r);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r->status;
}

static __attribute__((unused)) long http(const server *s, const char *method, const char *path, const char *body, const char *const *headers,
                 reply *r) {
    return http_ex(s, method, path, body, -1, headers, 0, r);
}

/* A connected TCP socket to the server that sends nothing (-1 on failure). */
static __attribute__((unused)) int raw_connect(const server *s) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

/* The error envelope of an answer: its code (NULL if the body is not {"error": {code, message,
 * details, request_id}}). */
static const char *error_code(const reply *r, char *code, size_t size) {
    cJSON *j = cJSON_Parse(r->body);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    const char *c = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
    int ok = c && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "message")) &&
             cJSON_GetObjectItemCaseSensitive(e, "details") && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "request_id"));
    if (ok) snprintf(code, size, "%s", c);
    cJSON_Delete(j);
    return ok ? code : NULL;
}

/* The answer is an error envelope with this status and code, whose request_id is the
 * X-Request-ID header, and which does not repeat `secret` (may be NULL). */
static void check_error(const reply *r, long want_status, const char *want_code, const char *secret, int line) {
    char code[64], rid[128] = "";
    CHECK_MSG(r->status == want_status, "line %d: status %ld, want %ld: %.300s", line, r->status, want_status,
              r->body ? r->body : "");
    const char *got = error_code(r, code, sizeof code);
    CHECK_MSG(got && !strcmp(got, want_code), "line %d: want code %s: %.300s", line, want_code, r->body);
    CHECK_MSG(reply_header_value(r, "X-Request-ID", rid, sizeof rid) && r->body && strstr(r->body, rid),
              "line %d: request id header '%s' not in the envelope", line, rid);
    if (secret && r->body) CHECK_MSG(!strstr(r->body, secret), "line %d: the error echoes the request text", line);
}
#define CHECK_ERROR(r, status, code, secret) check_error((r), (status), (code), (secret), __LINE__)

/* The whole log file (malloc'd, "" when missing). */
static __attribute__((unused)) char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t k = fread(s, 1, (size_t)n, f);
    s[k] = '\0';
    fclose(f);
    return s;
}

/* A long text of whole sentences, about `bytes` long (malloc'd), and the same as a JSON body. */
static __attribute__((unused)) char *long_body(size_t bytes) {
    const char *sentence = "The patient was diagnosed with cystic fibrosis and type 2 diabetes mellitus. ";
    size_t sl = strlen(sentence), reps = bytes / sl + 1;
    char *body = malloc(reps * sl + 32);
    char *p = body + sprintf(body, "{\"text\": \"");
    for (size_t i = 0; i < reps; i++, p += sl) memcpy(p, sentence, sl);
    strcpy(p, "\"}");
    return body;
}

#endif
