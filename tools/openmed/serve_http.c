/* serve_http.c: the HTTP front of `openmed serve` on libmicrohttpd. Per request: a request id
 * (X-Request-ID echoed or made), the connection limit (503 + Retry-After), drain (503), the route
 * (404, 405 + Allow), the API key (401), the body limit (413, before reading it when the length is
 * declared), then the endpoint. Model work is queued on the batcher and the connection suspended;
 * the last job to finish writes the answer and resumes it. A request whose client left or whose time
 * ran out (504) stops being wanted, which cancels its batch between windows. One log line per
 * request: method, route, status, time, id, model name; never text, entities or paths. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "pii_json.h"
#include "writers.h"
#include "serve.h"

struct om_http {
    const om_serve_config *cfg;
    om_models *models;
    om_batcher *batcher;
    const om_serve_deid *deid;
    struct MHD_Daemon *d;
    unsigned port;
    int ready, draining;             /* atomics */
    long connections, inflight;      /* atomics */
    unsigned char keys[16][SHA256_DIGEST_LENGTH];
    size_t n_keys;
    pthread_mutex_t auth_lock;       /* the failed-authentication token bucket */
    double auth_tokens, auth_at;
};

/* ---------------------------------------------------------------- routes */

enum { M_GET = 1, M_POST = 2 };

static const struct {
    const char *path;
    om_route route;
    int methods;
    int open;              /* no API key needed */
    om_request_kind kind;  /* POST body kind */
} routes[] = {
    {"/health", OM_ROUTE_HEALTH, M_GET, 1, 0},
    {"/livez", OM_ROUTE_LIVEZ, M_GET, 1, 0},
    {"/readyz", OM_ROUTE_READYZ, M_GET, 1, 0},
    {"/models", OM_ROUTE_MODELS, M_GET, 0, 0},
    {"/models/loaded", OM_ROUTE_MODELS_LOADED, M_GET, 0, 0},
    {"/models/unload", OM_ROUTE_MODELS_UNLOAD, M_POST, 0, OM_REQ_UNLOAD},
    {"/analyze", OM_ROUTE_ANALYZE, M_POST, 0, OM_REQ_ANALYZE},
    {"/analyze/batch", OM_ROUTE_ANALYZE_BATCH, M_POST, 0, OM_REQ_ANALYZE_BATCH},
    {"/analyze/batch/stream", OM_ROUTE_ANALYZE_STREAM, M_POST, 0, OM_REQ_ANALYZE_BATCH},
    {"/pii/extract", OM_ROUTE_PII_EXTRACT, M_POST, 0, OM_REQ_PII_EXTRACT},
    {"/pii/extract/batch", OM_ROUTE_PII_EXTRACT_BATCH, M_POST, 0, OM_REQ_PII_EXTRACT_BATCH},
    {"/pii/deidentify", OM_ROUTE_PII_DEIDENTIFY, M_POST, 0, OM_REQ_PII_DEIDENTIFY},
    {"/pii/deidentify/batch", OM_ROUTE_PII_DEIDENTIFY_BATCH, M_POST, 0, OM_REQ_PII_DEIDENTIFY_BATCH},
    {"/metrics", OM_ROUTE_METRICS, M_GET, 0, 0},
    {"/openapi.json", OM_ROUTE_OPENAPI, M_GET, 1, 0},
    {"/docs", OM_ROUTE_DOCS, M_GET, 1, 0},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

const char *om_route_path(om_route route) {
    for (size_t i = 0; i < N_ROUTES; i++)
        if (routes[i].route == route) return routes[i].path;
    return "unknown";
}

static int route_index(const char *url) {
    for (size_t i = 0; i < N_ROUTES; i++)
        if (!strcmp(routes[i].path, url)) return (int)i;
    return -1;
}

/* ---------------------------------------------------------------- one request */

typedef struct request {
    om_http *h;
    struct MHD_Connection *conn;
    int ri;                    /* index in routes, -1 unknown */
    char method[16];
    char id[80];
    double t0, deadline;
    char *body;
    size_t len, cap, discarded;
    int too_big;
    int fd;
    pthread_mutex_t lock;
    long refs;                 /* MHD's, a streaming response's, one per job not finished */
    int suspended, answered, queued, closed, dispatched;
    int gone;                  /* atomic: the answer is no longer wanted */
    int timed_out;             /* past --request-timeout: answered 504 */
    /* the answer */
    int status;
    om_strbuf out;
    const char *content_type;
    char retry_after[16];
    const char *allow;
    const char *www_authenticate;
    int close_after;
    /* model work */
    om_serve_request req;
    om_served_model *model;
    char model_name[320];      /* as the client named it, or the default's name */
    om_job *jobs;
    size_t n_jobs, n_done;
    om_strbuf *parts;          /* each text's JSON (batch forms) */
    int failed;                /* a job failed: the answer is its error */
    int streaming;
    om_strbuf stream;
    size_t stream_sent;
    int batch_size;            /* the largest batch one of its texts ran in (log) */
    int arriving;              /* counted in om_batcher_arrival until its texts are queued */
} request;

static void request_free(request *r) {
    for (size_t i = 0; i < r->n_jobs; i++) om_job_clear(&r->jobs[i]);
    free(r->jobs);
    for (size_t i = 0; r->parts && i < r->n_jobs; i++) om_strbuf_free(&r->parts[i]);
    free(r->parts);
    if (r->model) om_models_release(r->h->models, r->model);
    om_serve_request_free(&r->req);
    om_strbuf_free(&r->out);
    om_strbuf_free(&r->stream);
    free(r->body);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* Drop one reference; the lock is held and released here. */
static void unref_unlock(request *r) {
    int last = --r->refs == 0;
    pthread_mutex_unlock(&r->lock);
    if (last) request_free(r);
}

static void make_request_id(request *r) {
    const char *in = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Request-ID");
    size_t n = in ? strlen(in) : 0;
    int ok = n > 0 && n <= 64;
    for (size_t i = 0; ok && i < n; i++) {
        char c = in[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
             c == '.' || c == ':';
    }
    if (ok) {
        memcpy(r->id, in, n + 1);
        return;
    }
    unsigned char raw[16];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        static unsigned long counter;
        unsigned long c = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
        memset(raw, 0, sizeof raw);
        memcpy(raw, &c, sizeof c);
    }
    for (int i = 0; i < 16; i++) snprintf(r->id + 2 * i, 3, "%02x", raw[i]);
}

/* ---------------------------------------------------------------- answers */

static void set_error(request *r, int status, const char *code, const char *message, const char *details) {
    r->status = om_serve_error_body(&r->out, status, code, message, details, r->id);
    r->content_type = "application/json";
    r->answered = 1;
}

static void set_json(request *r, int status) {
    r->status = status;
    r->content_type = "application/json";
    r->answered = 1;
}

/* Queue the prepared answer (the handler's thread only). */
static enum MHD_Result send_answer(request *r) {
    if (r->out.failed) {
        r->out.failed = 0;
        set_error(r, 500, "internal_error", "out of memory", NULL);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(r->out.len, r->out.data, MHD_RESPMEM_MUST_COPY);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", r->content_type ? r->content_type : "application/json");
    MHD_add_response_header(resp, "X-Request-ID", r->id);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->retry_after[0]) MHD_add_response_header(resp, "Retry-After", r->retry_after);
    if (r->allow) MHD_add_response_header(resp, "Allow", r->allow);
    if (r->www_authenticate) MHD_add_response_header(resp, "WWW-Authenticate", r->www_authenticate);
    if (r->close_after || __atomic_load_n(&r->h->draining, __ATOMIC_RELAXED))
        MHD_add_response_header(resp, "Connection", "close");
    r->queued = 1;
    enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* ---------------------------------------------------------------- is the answer still wanted? */

/* 1 when the peer has closed its side (or reset); the request lock is held and MHD still owns
 * the socket (not closed). */
static int peer_left(request *r) {
    if (r->fd < 0) return 0;
    char c;
    ssize_t k = recv(r->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* The batcher asks (holding its own lock, so this never calls back into it or into libmicrohttpd):
 * 1 once the client has left or the request's time has run out (its last job then answers 504). */
static int job_gone(void *owner) {
    request *r = owner;
    if (__atomic_load_n(&r->gone, __ATOMIC_RELAXED)) return 1;
    pthread_mutex_lock(&r->lock);
    int gone = r->closed;
    if (!gone && cli_now_seconds() >= r->deadline) gone = r->timed_out = 1;
    if (!gone && (r->suspended || r->streaming) && peer_left(r)) gone = 1;
    if (gone) __atomic_store_n(&r->gone, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&r->lock);
    return gone;
}

/* ---------------------------------------------------------------- job results */

static int status_of(const om_job *j, const char **code) {
    if (j->status == OPENMED_ERR_CANCELLED) {
        *code = "shutting_down";
        return 503;
    }
    if (j->status == OPENMED_ERR_INVALID_ARGUMENT) {
        *code = "validation_error";
        return 422;
    }
    *code = "inference_error";
    return 500;
}

/* This job's JSON (one text's result) into out. */
static void write_job(request *r, const om_job *j, om_strbuf *out, int one_line) {
    const om_serve_request *q = &r->req;
    if (j->kind == OM_JOB_ANALYZE) {
        char stamp[64];
        cli_iso_timestamp(stamp, sizeof stamp);
        om_result_info info = {r->model_name, stamp, j->seconds, j->aggregation};
        cli_doc doc = {NULL, (char *)j->text, NULL, 0, NULL, NULL}; /* a request has no id */
        openmed_error e = {0};
        om_write_analysis_json(out, &doc, j->result, &info, one_line ? 0 : 2, &e);
    } else if (!j->deidentify) {
        om_pii_write_extract_json(out, j->text, j->len, r->model_name, j->pii_result);
    } else {
        om_pii_write_deid_json(out, NULL, j->text, j->len, r->model_name, &q->deid, j->pii_result, one_line);
    }
    while (out->len && out->data[out->len - 1] == '\n') out->data[--out->len] = '\0';
}

static void write_job_error(request *r, const om_job *j, om_strbuf *out) {
    const char *code;
    int status = status_of(j, &code);
    om_strbuf tmp;
    om_strbuf_init(&tmp);
    om_serve_error_body(&tmp, status, code, j->error.message, NULL, r->id);
    while (tmp.len && tmp.data[tmp.len - 1] == '\n') tmp.data[--tmp.len] = '\0';
    om_strbuf_puts(out, tmp.data ? tmp.data : "{}");
    om_strbuf_free(&tmp);
}

/* All jobs done: the whole answer. Lock held. */
static void finish_batch_answer(request *r) {
    const om_job *bad = NULL;
    for (size_t i = 0; i < r->n_jobs && !bad; i++)
        if (r->jobs[i].status != OPENMED_OK) bad = &r->jobs[i];
    if (bad) {
        const char *code;
        int status = status_of(bad, &code);
        if (bad->model_load_failed) { /* OpenMed's ModelLoadError */
            status = 503;
            code = "model_load_error";
        }
        set_error(r, status, code, bad->error.message, NULL);
        return;
    }
    r->out.len = 0;
    if (r->n_jobs == 1 && (r->req.kind == OM_REQ_ANALYZE || r->req.kind == OM_REQ_PII_EXTRACT ||
                           r->req.kind == OM_REQ_PII_DEIDENTIFY)) {
        om_strbuf_put(&r->out, r->parts[0].data ? r->parts[0].data : "{}", r->parts[0].len);
        om_strbuf_puts(&r->out, "\n");
    } else {
        om_strbuf_puts(&r->out, "{\"model_name\": ");
        om_strbuf_json_string(&r->out, r->model_name, strlen(r->model_name));
        om_strbuf_printf(&r->out, ", \"count\": %zu, \"results\": [", r->n_jobs);
        for (size_t i = 0; i < r->n_jobs; i++) {
            om_strbuf_puts(&r->out, i ? ",\n" : "\n");
            om_strbuf_put(&r->out, r->parts[i].data ? r->parts[i].data : "{}", r->parts[i].len);
        }
        om_strbuf_puts(&r->out, "\n]}\n");
    }
    set_json(r, 200);
}

static void job_done(void *owner, om_job *j) {
    request *r = owner;
    pthread_mutex_lock(&r->lock);
    r->n_done++;
    if (j->batch_size > r->batch_size) r->batch_size = j->batch_size;
    if (j->status == OPENMED_ERR_CANCELLED) om_metrics_rejected("cancelled");
    int resume = 0;
    int wanted = !__atomic_load_n(&r->gone, __ATOMIC_RELAXED);
    if (r->streaming) {
        if (wanted) {
            om_strbuf_printf(&r->stream, "{\"index\": %zu, ", j->index);
            if (j->status == OPENMED_OK) {
                om_strbuf_puts(&r->stream, "\"result\": ");
                write_job(r, j, &r->stream, 1);
            } else {
                om_strbuf_puts(&r->stream, "\"error\": ");
                write_job_error(r, j, &r->stream);
            }
            om_strbuf_puts(&r->stream, "}\n");
        }
        resume = r->suspended;
        r->suspended = 0;
    } else if (!r->answered && wanted) {
        if (j->status == OPENMED_OK) write_job(r, j, &r->parts[j->index], 0);
        if (r->n_done == r->n_jobs) {
            finish_batch_answer(r);
            resume = r->suspended;
            r->suspended = 0;
        }
    } else if (!r->answered && r->n_done == r->n_jobs) {
        if (r->timed_out) {
            char msg[128], details[64];
            snprintf(msg, sizeof msg, "request exceeded the configured timeout of %g seconds",
                     r->h->cfg->request_timeout_s);
            snprintf(details, sizeof details, "{\"timeout_seconds\": %g}", r->h->cfg->request_timeout_s);
            set_error(r, 504, "timeout", msg, details);
            om_metrics_rejected("timeout");
        } else { /* the client left: an answer nobody reads lets the connection close */
            set_error(r, 503, "cancelled", "the request was cancelled", NULL);
        }
        resume = r->suspended;
        r->suspended = 0;
    }
    om_job_clear(j);
    if (r->n_done == r->n_jobs && r->model) { /* the model may be unloaded from now on */
        om_models_release(r->h->models, r->model);
        r->model = NULL;
    }
    pthread_mutex_unlock(&r->lock);
    if (resume) MHD_resume_connection(r->conn);
    pthread_mutex_lock(&r->lock);
    unref_unlock(r);
}

static const om_job_owner_ops job_ops = {job_gone, job_done};

/* ---------------------------------------------------------------- streaming */

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    request *r = cls;
    pthread_mutex_lock(&r->lock);
    ssize_t k;
    if (r->stream.len > r->stream_sent) {
        size_t n = r->stream.len - r->stream_sent;
        if (n > max) n = max;
        memcpy(buf, r->stream.data + r->stream_sent, n);
        r->stream_sent += n;
        if (r->stream_sent == r->stream.len) r->stream.len = r->stream_sent = 0;
        k = (ssize_t)n;
    } else if (r->n_done == r->n_jobs) { /* cut short (timed out) when a document has no line */
        k = __atomic_load_n(&r->gone, __ATOMIC_RELAXED) ? MHD_CONTENT_READER_END_WITH_ERROR
                                                        : MHD_CONTENT_READER_END_OF_STREAM;
    } else if (__atomic_load_n(&r->gone, __ATOMIC_RELAXED)) {
        k = MHD_CONTENT_READER_END_WITH_ERROR;
    } else {
        MHD_suspend_connection(r->conn); /* resumed by the next finished document */
        r->suspended = 1;
        k = 0;
    }
    pthread_mutex_unlock(&r->lock);
    return k;
}

static void stream_free(void *cls) {
    request *r = cls;
    pthread_mutex_lock(&r->lock);
    unref_unlock(r);
}

/* ---------------------------------------------------------------- endpoints */

static int auth_ok(om_http *h, request *r) {
    const char *a = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    const char *key = NULL;
    if (a && !strncasecmp(a, "Bearer ", 7)) key = a + 7;
    if (!key) key = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-API-Key");
    if (!key) return -1;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)key, strlen(key), digest);
    int match = 0;
    for (size_t i = 0; i < h->n_keys; i++) match |= CRYPTO_memcmp(digest, h->keys[i], sizeof digest) == 0;
    return match ? 1 : 0;
}

/* Failed attempts: 10 at once, then 5 a second (OpenMed's defaults); 1 if this one may be answered 401. */
static int auth_failure_allowed(om_http *h) {
    pthread_mutex_lock(&h->auth_lock);
    double now = cli_now_seconds();
    h->auth_tokens += (now - h->auth_at) * 5.0;
    if (h->auth_tokens > 10.0) h->auth_tokens = 10.0;
    h->auth_at = now;
    int ok = h->auth_tokens >= 1.0;
    if (ok) h->auth_tokens -= 1.0;
    pthread_mutex_unlock(&h->auth_lock);
    return ok;
}

static void answer_get(om_http *h, request *r) {
    om_route route = routes[r->ri].route;
    om_strbuf *o = &r->out;
    switch (route) {
    case OM_ROUTE_HEALTH:
        om_strbuf_printf(o, "{\"status\": \"ok\", \"service\": \"openmed-c\", \"version\": \"%s\", \"ready\": %s}\n",
                         openmed_version(), __atomic_load_n(&h->ready, __ATOMIC_RELAXED) ? "true" : "false");
        set_json(r, 200);
        break;
    case OM_ROUTE_LIVEZ:
        om_strbuf_puts(o, "{\"status\": \"ok\", \"service\": \"openmed-c\"}\n");
        set_json(r, 200);
        break;
    case OM_ROUTE_READYZ:
        if (__atomic_load_n(&h->draining, __ATOMIC_RELAXED))
            set_error(r, 503, "not_ready", "the service is shutting down", NULL);
        else if (!__atomic_load_n(&h->ready, __ATOMIC_RELAXED))
            set_error(r, 503, "not_ready", "service preload has not completed", NULL);
        else {
            om_strbuf_puts(o, "{\"status\": \"ready\", \"service\": \"openmed-c\"}\n");
            set_json(r, 200);
        }
        break;
    case OM_ROUTE_MODELS:
        om_models_list_json(h->models, MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "family"),
                            MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "language"), o);
        set_json(r, 200);
        break;
    case OM_ROUTE_MODELS_LOADED:
        om_models_loaded_json(h->models, o);
        set_json(r, 200);
        break;
    case OM_ROUTE_METRICS:
        om_metrics_render(o, om_batcher_queued(h->batcher), __atomic_load_n(&h->inflight, __ATOMIC_RELAXED),
                          __atomic_load_n(&h->connections, __ATOMIC_RELAXED), om_models_count_loaded(h->models));
        set_json(r, 200);
        r->content_type = "text/plain; version=0.0.4; charset=utf-8";
        break;
    case OM_ROUTE_OPENAPI:
        om_strbuf_puts(o, om_serve_openapi_json());
        set_json(r, 200);
        break;
    case OM_ROUTE_DOCS:
        om_strbuf_puts(o, om_serve_docs_html());
        set_json(r, 200);
        r->content_type = "text/html; charset=utf-8";
        break;
    default:
        set_error(r, 404, "not_found", "no such route", NULL);
    }
}

/* A refused body: 400 {reason, offset} or 422 [{field, message, type}] as OpenMed. */
static void answer_bad_body(request *r, const om_request_error *e) {
    char details[256];
    if (e->status == 422) {
        om_strbuf d;
        om_strbuf_init(&d);
        om_strbuf_puts(&d, "[{\"field\": ");
        om_strbuf_json_string(&d, e->field, strlen(e->field));
        om_strbuf_puts(&d, ", \"message\": ");
        om_strbuf_json_string(&d, e->message, strlen(e->message));
        om_strbuf_printf(&d, ", \"type\": \"%s\"}]", e->type ? e->type : "value_error");
        set_error(r, 422, "validation_error", "Request validation failed", d.data);
        om_strbuf_free(&d);
        return;
    }
    snprintf(details, sizeof details, "{\"reason\": \"%s\", \"offset\": %zu}", e->type ? e->type : "invalid", e->offset);
    set_error(r, e->status, e->code, e->message, e->status == 400 ? details : NULL);
}

/* A model route's body is in: parse, find the model, queue the texts. Returns 1 when the
 * connection was suspended or a stream started (nothing to send now). */
static int dispatch_model_route(om_http *h, request *r) {
    om_request_kind kind = routes[r->ri].kind;
    om_request_error e;
    if (om_serve_request_parse(kind, r->body, r->len, &h->cfg->limits, &r->req, &e)) {
        answer_bad_body(r, &e);
        return 0;
    }
    free(r->body); /* the texts now live in the parsed tree */
    r->body = NULL;
    if ((kind == OM_REQ_PII_DEIDENTIFY || kind == OM_REQ_PII_DEIDENTIFY_BATCH) && om_serve_deid_apply(h->deid, &r->req, &e)) {
        if (e.status == 422) answer_bad_body(r, &e);
        else set_error(r, e.status, e.code, e.message, NULL);
        return 0;
    }
    if (kind == OM_REQ_UNLOAD) {
        om_model_error me = {0};
        if (om_models_unload(h->models, r->req.model_name, r->req.unload_all, &r->out, &me))
            set_error(r, me.status, me.code, me.message, NULL);
        else set_json(r, 200);
        return 0;
    }
    int pii = kind >= OM_REQ_PII_EXTRACT;
    om_model_error me = {0};
    r->model = om_models_acquire(h->models, r->req.model_name, pii, r->req.lang, &me);
    if (!r->model && me.status == 422) {
        om_request_error e = {.status = 422, .code = me.code, .type = "value_error"};
        snprintf(e.field, sizeof e.field, "%s", me.field ? me.field : "body.model_name");
        snprintf(e.message, sizeof e.message, "%s", me.message);
        answer_bad_body(r, &e);
        return 0;
    }
    if (!r->model) {
        set_error(r, me.status, me.code, me.message, NULL);
        if (me.status == 503) snprintf(r->retry_after, sizeof r->retry_after, "5");
        return 0;
    }
    snprintf(r->model_name, sizeof r->model_name, "%s",
             r->req.model_name ? r->req.model_name : om_served_model_name(r->model));
    size_t n = r->req.n_texts;
    r->jobs = calloc(n, sizeof *r->jobs);
    r->parts = calloc(n, sizeof *r->parts);
    om_job **list = calloc(n, sizeof *list);
    if (!r->jobs || !r->parts || !list) {
        free(list);
        set_error(r, 500, "internal_error", "out of memory", NULL);
        return 0;
    }
    r->n_jobs = n;
    int deidentify = kind == OM_REQ_PII_DEIDENTIFY || kind == OM_REQ_PII_DEIDENTIFY_BATCH;
    for (size_t i = 0; i < n; i++) {
        om_job *j = &r->jobs[i];
        j->kind = pii ? OM_JOB_PII : OM_JOB_ANALYZE;
        j->model = r->model;
        j->text = r->req.texts[i];
        j->len = r->req.text_lens[i];
        j->index = i;
        j->aggregation = r->req.aggregation;
        j->threshold = r->req.analyze_threshold;
        j->group_entities = r->req.group_entities;
        j->sentence_detection = r->req.sentence_detection;
        j->deid = &r->req.deid;
        j->deidentify = deidentify;
        j->owner = r;
        j->ops = &job_ops;
        om_strbuf_init(&r->parts[i]);
        list[i] = j;
    }
    /* Lock order: the batcher's lock is never taken while a request's lock is held (the batcher asks
     * job_gone, which takes the request's lock, with its own held). */
    pthread_mutex_lock(&r->lock);
    r->streaming = routes[r->ri].route == OM_ROUTE_ANALYZE_STREAM;
    r->refs += (long)n;
    pthread_mutex_unlock(&r->lock);
    int refused = om_batcher_submit(h->batcher, list, n);
    free(list);
    if (r->arriving) {
        r->arriving = 0;
        om_batcher_arrival(h->batcher, -1);
    }
    if (refused) {
        pthread_mutex_lock(&r->lock);
        r->refs -= (long)n;
        r->n_jobs = 0; /* nothing was queued */
        r->streaming = 0;
        pthread_mutex_unlock(&r->lock);
        if (__atomic_load_n(&h->draining, __ATOMIC_RELAXED)) {
            set_error(r, 503, "shutting_down", "the service is shutting down and not accepting new requests", NULL);
            om_metrics_rejected("draining");
        } else {
            char details[96];
            snprintf(details, sizeof details, "{\"queue_capacity\": %d, \"texts\": %zu}", h->cfg->queue_limit, n);
            set_error(r, 429, "queue_full", "too many texts are waiting for the model; retry later", details);
            om_metrics_rejected("queue_full");
        }
        snprintf(r->retry_after, sizeof r->retry_after, "1");
        return 0;
    }
    pthread_mutex_lock(&r->lock);
    if (r->answered) { /* every job is done already, or the request timed out: answer now */
        pthread_mutex_unlock(&r->lock);
        return 0;
    }
    if (r->streaming) {
        struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, r, stream_free);
        if (!resp) {
            __atomic_store_n(&r->gone, 1, __ATOMIC_RELAXED); /* the jobs stop */
            r->streaming = 0;
            set_error(r, 500, "internal_error", "out of memory", NULL);
            pthread_mutex_unlock(&r->lock);
            return 0;
        }
        r->refs++; /* the response's, dropped by stream_free */
        r->answered = r->queued = 1;
        r->status = 200;
        /* libmicrohttpd calls stream_read holding the response's mutex, and stream_read takes the
         * request's lock: queue the response (which takes that mutex) without the request's lock. */
        pthread_mutex_unlock(&r->lock);
        MHD_add_response_header(resp, "Content-Type", "application/x-ndjson");
        MHD_add_response_header(resp, "X-Request-ID", r->id);
        MHD_add_response_header(resp, "Cache-Control", "no-store");
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        MHD_queue_response(r->conn, 200, resp);
        MHD_destroy_response(resp);
        return 1;
    }
    MHD_suspend_connection(r->conn); /* resumed by the last job to finish (or by a timeout) */
    r->suspended = 1;
    pthread_mutex_unlock(&r->lock);
    return 1;
}

static int early_checks(om_http *h, request *r, const char *method) {
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci && ci->socket_context) {
        set_error(r, 503, "connection_limit", "too many open connections; retry shortly", NULL);
        snprintf(r->retry_after, sizeof r->retry_after, "1");
        r->close_after = 1;
        om_metrics_rejected("connection_limit");
        return 1;
    }
    if (r->ri < 0) {
        set_error(r, 404, "not_found", "no such route", NULL);
        return 1;
    }
    int methods = routes[r->ri].methods;
    if (!((get && (methods & M_GET)) || (post && (methods & M_POST)))) {
        r->allow = methods & M_GET ? "GET, HEAD" : "POST";
        set_error(r, 405, "method_not_allowed", "method not allowed on this route", NULL);
        return 1;
    }
    om_route route = routes[r->ri].route;
    if (__atomic_load_n(&h->draining, __ATOMIC_RELAXED) && route != OM_ROUTE_LIVEZ && route != OM_ROUTE_READYZ &&
        route != OM_ROUTE_HEALTH) {
        set_error(r, 503, "shutting_down", "the service is shutting down and not accepting new requests", NULL);
        snprintf(r->retry_after, sizeof r->retry_after, "5");
        om_metrics_rejected("draining");
        return 1;
    }
    if (h->n_keys && !routes[r->ri].open) {
        int ok = auth_ok(h, r);
        if (ok != 1) {
            om_metrics_rejected("auth");
            r->close_after = 1;
            if (!auth_failure_allowed(h)) {
                set_error(r, 429, "auth_rate_limited", "too many failed authentication attempts", NULL);
                snprintf(r->retry_after, sizeof r->retry_after, "1");
                return 1;
            }
            r->www_authenticate = ok < 0 ? "Bearer" : "Bearer error=\"invalid_token\"";
            set_error(r, 401, ok < 0 ? "authentication_required" : "invalid_credentials",
                      ok < 0 ? "Authentication credentials were not provided (Authorization: Bearer KEY)"
                             : "Authentication credentials are invalid",
                      NULL);
            return 1;
        }
    }
    if (post) {
        const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
        if (cl) {
            char *end = NULL;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno || end == cl || *end || n > h->cfg->max_body_bytes) {
                char msg[96], details[64];
                snprintf(msg, sizeof msg, "request body is larger than the limit of %zu bytes", h->cfg->max_body_bytes);
                snprintf(details, sizeof details, "{\"max_bytes\": %zu}", h->cfg->max_body_bytes);
                set_error(r, 413, "payload_too_large", msg, details);
                r->close_after = 1;
                return 1;
            }
        }
    }
    return 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls) {
    om_http *h = cls;
    request *r = *con_cls;
    if (!r) {
        if (!(r = calloc(1, sizeof *r))) return MHD_NO;
        r->h = h;
        r->conn = conn;
        r->refs = 1;
        r->t0 = cli_now_seconds();
        r->deadline = r->t0 + h->cfg->request_timeout_s;
        r->ri = route_index(url);
        r->fd = -1;
        snprintf(r->method, sizeof r->method, "%s", method);
        pthread_mutex_init(&r->lock, NULL);
        om_strbuf_init(&r->out);
        om_strbuf_init(&r->stream);
        make_request_id(r);
        const union MHD_ConnectionInfo *fi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (fi) r->fd = fi->connect_fd;
        *con_cls = r;
        __atomic_add_fetch(&h->inflight, 1, __ATOMIC_RELAXED);
        if (early_checks(h, r, method)) return send_answer(r);
        if (routes[r->ri].methods == M_POST && routes[r->ri].kind != OM_REQ_UNLOAD) {
            r->arriving = 1;
            om_batcher_arrival(h->batcher, +1);
        }
        return MHD_YES; /* answered on the last call, after the (empty) body: the connection stays open */
    }
    if (*upload_data_size) { /* a piece of the body: kept, or counted past the limit */
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->too_big || r->len + n > h->cfg->max_body_bytes) {
            r->too_big = 1;
            r->discarded += n;
            return r->discarded > 4 * h->cfg->max_body_bytes ? MHD_NO : MHD_YES;
        }
        if (r->len + n > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < r->len + n) cap *= 2;
            char *grown = realloc(r->body, cap);
            if (!grown) return MHD_NO;
            r->body = grown;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        return MHD_YES;
    }
    pthread_mutex_lock(&r->lock);
    int ready = r->answered && !r->queued, waiting = r->dispatched && !r->answered;
    pthread_mutex_unlock(&r->lock);
    if (ready) return send_answer(r);
    if (waiting || r->queued) return MHD_YES; /* cannot happen: MHD calls again only after a resume */
    r->dispatched = 1;
    if (r->too_big) {
        char msg[96];
        snprintf(msg, sizeof msg, "request body is larger than the limit of %zu bytes", h->cfg->max_body_bytes);
        set_error(r, 413, "payload_too_large", msg, NULL);
        r->close_after = 1;
        return send_answer(r);
    }
    if (routes[r->ri].methods == M_GET) answer_get(h, r);
    else if (dispatch_model_route(h, r)) return MHD_YES;
    return send_answer(r);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe) {
    om_http *h = cls;
    request *r = *con_cls;
    if (!r) return;
    *con_cls = NULL;
    double took = cli_now_seconds() - r->t0;
    if (r->arriving) { /* it ended before queueing anything (a bad body, an unknown model...) */
        r->arriving = 0;
        om_batcher_arrival(h->batcher, -1);
    }
    pthread_mutex_lock(&r->lock);
    r->closed = 1;
    if (r->n_done < r->n_jobs) __atomic_store_n(&r->gone, 1, __ATOMIC_RELAXED);
    om_route route = r->ri >= 0 ? routes[r->ri].route : OM_ROUTE_UNKNOWN;
    int status = r->queued ? r->status : 0;
    if (h->cfg->access_log)
        fprintf(stderr, "openmed serve: %s %s %d %.1fms id=%s model=%s texts=%zu batch=%d%s\n", r->method,
                om_route_path(route), status, took * 1000.0, r->id, r->model_name[0] ? r->model_name : "-", r->n_jobs,
                r->batch_size, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed early)");
    om_metrics_request(route, status, took);
    __atomic_sub_fetch(&h->inflight, 1, __ATOMIC_RELAXED);
    unref_unlock(r);
}

static void connection_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode code) {
    om_http *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        long n = __atomic_add_fetch(&h->connections, 1, __ATOMIC_RELAXED);
        *socket_context = n > h->cfg->max_connections ? (void *)h : NULL; /* non-NULL: over the limit */
    } else {
        __atomic_sub_fetch(&h->connections, 1, __ATOMIC_RELAXED);
    }
}

/* ---------------------------------------------------------------- life cycle */

int om_http_start(const om_serve_config *cfg, om_models *models, om_batcher *batcher, const om_serve_deid *deid,
                  om_http **out, char *why, size_t why_size) {
    om_http *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    h->cfg = cfg;
    h->models = models;
    h->batcher = batcher;
    h->deid = deid;
    pthread_mutex_init(&h->auth_lock, NULL);
    h->auth_tokens = 10.0;
    h->auth_at = cli_now_seconds();
    for (size_t i = 0; i < cfg->n_api_keys && i < 16; i++)
        SHA256((const unsigned char *)cfg->api_keys[i], strlen(cfg->api_keys[i]), h->keys[h->n_keys++]);

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, cfg->host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, cfg->host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(why, why_size, "--host expects an IPv4 or IPv6 address such as 127.0.0.1, got '%s'", cfg->host);
        free(h);
        return -1;
    }
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->http_threads, MHD_OPTION_NOTIFY_COMPLETED,
                            completed, h, MHD_OPTION_NOTIFY_CONNECTION, connection_notify, h,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout_s, MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)(cfg->max_connections + 64 + cfg->http_threads), MHD_OPTION_END);
    if (!h->d) {
        snprintf(why, why_size, "cannot listen on %s:%d (in use or not permitted)", cfg->host, cfg->port);
        pthread_mutex_destroy(&h->auth_lock);
        free(h);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : (unsigned)cfg->port;
    *out = h;
    return 0;
}

unsigned om_http_port(const om_http *h) { return h->port; }

void om_http_set_ready(om_http *h, int ready) { __atomic_store_n(&h->ready, ready, __ATOMIC_RELAXED); }

void om_http_begin_drain(om_http *h) {
    __atomic_store_n(&h->draining, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&h->ready, 0, __ATOMIC_RELAXED);
}

void om_http_stop(om_http *h) {
    if (!h) return;
    /* Answers already prepared still go out: wait (briefly) for requests in flight. */
    double until = cli_now_seconds() + 2.0;
    while (__atomic_load_n(&h->inflight, __ATOMIC_RELAXED) > 0 && cli_now_seconds() < until) usleep(10000);
    MHD_stop_daemon(h->d);
    pthread_mutex_destroy(&h->auth_lock);
    free(h);
}
