/* cmd_serve.c: `openmed serve`, a local HTTP service (libmicrohttpd) for /health, /analyze,
 * /pii/extract and /pii/deidentify with models loaded once; logs never carry request text. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "serve.h"

#define MAX_BODY_BYTES ((size_t)1 << 20)

static const char *serve_usage =
    "usage: openmed serve [--host 127.0.0.1] [--port 8080] [--model PATH] [--pii-model PATH]\n"
    "                     [--threads N] [--device D]\n"
    "\n"
    "Serves JSON over HTTP until SIGINT or SIGTERM:\n"
    "  GET  /health           {status: \"ok\", service, version, models: {analyze, pii}}\n"
    "  POST /analyze          {text, confidence_threshold?, aggregation_strategy?} -> AnalyzeResult\n"
    "  POST /pii/extract      {text, confidence_threshold? (0.5), use_safety_sweep?}\n"
    "  POST /pii/deidentify   {text, method? (mask), confidence_threshold? (0.7), keep_mapping?,\n"
    "                          shift_dates?, date_shift_days?, use_safety_sweep?}\n"
    "Errors are {\"detail\": ...} with 400 (bad JSON or UTF-8), 404, 405, 413 (body over 1 MiB) or 422.\n"
    "  --host H       address to listen on (default 127.0.0.1, loopback only)\n"
    "  --port N       TCP port (default 8080; 0 = any free port); the chosen one is printed as\n"
    "                 \"openmed serve: listening on http://H:N\" on standard output\n"
    "  --model PATH   entity model for /analyze (default: the bundled disease model)\n"
    "  --pii-model P  model for /pii/* (default: the bundled PII model)\n"
    "  --threads N    connection threads (default 4)\n"
    "  --device D     cpu, cuda, cuda:N or mps (default: resolved as for analyze)\n";

/* One request's body as it arrives. */
typedef struct request {
    char *body;
    size_t len, cap;
    int too_big;
} request;

static enum MHD_Result respond(struct MHD_Connection *c, int status, om_strbuf *body, const char *allow) {
    if (body->failed) {
        body->failed = 0;
        om_serve_error(body, 500, "out of memory");
        status = 500;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(body->len, body->data, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (allow) MHD_add_response_header(r, "Allow", allow);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **con_cls) {
    om_serve_models *m = cls;
    request *req = *con_cls;
    if (!req) {
        if (!(req = calloc(1, sizeof *req))) return MHD_NO;
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size) { /* a chunk of the body: keep it, or only count past the limit */
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->too_big || req->len + n > MAX_BODY_BYTES) {
            req->too_big = 1;
            return MHD_YES;
        }
        if (req->len + n > req->cap) {
            size_t cap = req->cap ? req->cap : 4096;
            while (cap < req->len + n) cap *= 2;
            char *grown = realloc(req->body, cap);
            if (!grown) return MHD_NO;
            req->body = grown;
            req->cap = cap;
        }
        memcpy(req->body + req->len, upload_data, n);
        req->len += n;
        return MHD_YES;
    }

    om_strbuf out;
    om_strbuf_init(&out);
    int is_get = !strcmp(method, "GET"), is_post = !strcmp(method, "POST"), status;
    const char *allow = NULL;
    int route = !strcmp(url, "/health") ? 1 : !strcmp(url, "/analyze") ? 2 : !strcmp(url, "/pii/extract") ? 3
              : !strcmp(url, "/pii/deidentify") ? 4 : 0;
    if (!route) status = om_serve_error(&out, 404, "not found");
    else if (route == 1 ? !is_get : !is_post) {
        allow = route == 1 ? "GET" : "POST";
        status = om_serve_error(&out, 405, "method not allowed");
    } else if (req->too_big) status = om_serve_error(&out, 413, "request body is over 1 MiB");
    else if (route == 1) status = om_serve_health(m, &out);
    else if (route == 2) status = om_serve_analyze(m, req->body ? req->body : "", req->len, &out);
    else status = om_serve_pii(m, route == 4, req->body ? req->body : "", req->len, &out);
    fprintf(stderr, "openmed serve: %s %s %d (%zu bytes in)\n", method, route ? url : "(unknown path)", status,
            req->len);
    enum MHD_Result ok = respond(c, status, &out, allow);
    om_strbuf_free(&out);
    return ok;
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t) {
    request *req = *con_cls;
    if (req) free(req->body);
    free(req);
    *con_cls = NULL;
}

static int parse_int(const char *flag, const char *v, long min, long max, int *out) {
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || end == v || n < min || n > max) {
        fprintf(stderr, "openmed serve: %s expects an integer in [%ld, %ld]\n", flag, min, max);
        return -1;
    }
    *out = (int)n;
    return 0;
}

static int load(const char *path, const char *device, openmed_model **out) {
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = device;
    openmed_error err = {0};
    return openmed_model_load(path, &mo, out, &err) == OPENMED_OK ? 0 : cli_report(&err);
}

int cmd_serve(int argc, char **argv) {
    const char *host = "127.0.0.1", *model_path = NULL, *pii_path = NULL, *device = NULL;
    int port = 8080, threads = 4;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(serve_usage, stdout);
            return 0;
        } else if (!v) {
            fprintf(stderr, "openmed serve: %s needs a value\n\n%s", a, serve_usage);
            return 2;
        } else if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--port")) {
            if (parse_int(a, v, 0, 65535, &port)) return 2;
        } else if (!strcmp(a, "--threads")) {
            if (parse_int(a, v, 1, 256, &threads)) return 2;
        } else if (!strcmp(a, "--model")) model_path = v;
        else if (!strcmp(a, "--pii-model")) pii_path = v;
        else if (!strcmp(a, "--device")) device = v;
        else {
            fprintf(stderr, "openmed serve: unknown option %s\n\n%s", a, serve_usage);
            return 2;
        }
        i++;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "openmed serve: --host expects an IPv4 address such as 127.0.0.1, got '%s'\n", host);
        return 2;
    }
    char bundled[OPENMED_PATH_MAX], bundled_pii[OPENMED_PATH_MAX];
    if (!model_path && !(model_path = cli_bundled_model("disease", bundled, sizeof bundled))) {
        fprintf(stderr, "openmed serve: no --model given and this build has no bundled disease model\n");
        return 2;
    }
    if (!pii_path && !(pii_path = cli_bundled_model("pii", bundled_pii, sizeof bundled_pii))) {
        fprintf(stderr, "openmed serve: no --pii-model given and this build has no bundled PII model\n");
        return 2;
    }
    om_serve_models m = {.analyze_path = model_path, .pii_path = pii_path};
    int rc = 1;
    if (load(model_path, device, &m.analyze) || load(pii_path, device, &m.pii)) goto done;
    pthread_mutex_init(&m.analyze_lock, NULL);
    pthread_mutex_init(&m.pii_lock, NULL);

    /* SIGINT and SIGTERM are blocked here and in every server thread, and taken by sigwait below. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL, handle, &m,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "openmed serve: cannot listen on %s:%d (in use or not permitted)\n", host, port);
        goto unlock;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("openmed serve: listening on http://%s:%u\n", host, info ? (unsigned)info->port : (unsigned)port);
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "openmed serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    MHD_stop_daemon(d);
    rc = 0;
unlock:
    pthread_mutex_destroy(&m.analyze_lock);
    pthread_mutex_destroy(&m.pii_lock);
done:
    openmed_model_free(m.analyze);
    openmed_model_free(m.pii);
    return rc;
}
