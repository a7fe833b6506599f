/* serve.h: the parts of `openmed serve` and what they share. A request flows
 *   serve_http.c (libmicrohttpd: limits, auth, request ids, routes, answers, suspend/resume)
 *   -> serve_request.c (strict JSON, fields) -> serve_models.c (names, loading, LRU)
 *   -> serve_batcher.c (per-model queues, dynamic batches, worker pipelines, cancellation)
 * with serve_deid.c adding the server's key and policies to de-identification requests,
 * serve_errors.c writing the error envelope, serve_metrics.c counting and serve_openapi.c
 * describing it; cmd_serve.c reads the options and runs the life cycle. */
#ifndef OM_SERVE_H
#define OM_SERVE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "openmed.h"
#include "strbuf.h"
#include "serve_request.h"

/* ---------------------------------------------------------------- configuration */

typedef struct om_serve_config {
    const char *host;          /* IPv4 or IPv6 literal */
    int port;
    const char *analyze_model; /* name (registry key, repo id) or NAME=PATH / PATH of a local folder */
    const char *pii_model;
    const char *preload[16];   /* names to load before /readyz says ready */
    size_t n_preload;
    const char *device;        /* NULL = resolved as for analyze */
    const char *secret_file;   /* the de-identification key (NULL: $OPENMED_DEID_SECRET, the config's) */
    const char *config_path;   /* NULL = the default config file */
    int threads;               /* inference threads per forward pass; 0 = the config's */
    openmed_dtype dtype;       /* compute dtype of every model; auto = the config's */
    int http_threads;          /* libmicrohttpd's thread pool */
    int workers;               /* batch workers */
    int max_batch;             /* texts per batch */
    int max_wait_ms;           /* how long the first text of a batch waits for company */
    size_t max_batch_bytes;    /* text bytes per batch (a longer text runs alone) */
    int queue_limit;           /* texts waiting for a worker before 429 */
    int max_connections;       /* open connections before 503 */
    int idle_timeout_s;        /* a connection idle this long is closed */
    double request_timeout_s;  /* a request not answered by then gets 504 */
    double drain_timeout_s;    /* SIGTERM: how long in-flight requests may take */
    size_t max_body_bytes;     /* larger bodies get 413 */
    om_request_limits limits;
    int max_models;            /* models kept loaded (least recently used go first) */
    const char *api_keys[16];  /* accepted bearer keys; none = no authentication */
    size_t n_api_keys;
    int insecure;              /* allow a non-loopback bind without a key */
    int access_log;            /* one line per request on stderr (never text, entities or paths) */
} om_serve_config;

/* ---------------------------------------------------------------- error envelope */

/* {"error": {"code", "message", "details", "request_id"}} into out (replacing its content);
 * details_json is a JSON value or NULL (null). Returns status. */
int om_serve_error_body(om_strbuf *out, int status, const char *code, const char *message, const char *details_json,
                        const char *request_id);

/* ---------------------------------------------------------------- de-identification (serve_deid.c) */

typedef struct om_serve_deid om_serve_deid;

/* The key (secret_file, else $OPENMED_DEID_SECRET, else the config file's deid_secret_file; none:
 * a warning, and the library's random key for this run) and the bundled policies (one that cannot
 * be loaded: a warning, and 500 for requests naming it). -1 with why when a key source is bad. */
int om_serve_deid_create(const char *secret_file, const char *config_path, om_serve_deid **out, char *why,
                         size_t why_size);
void om_serve_deid_free(om_serve_deid *d);
int om_serve_deid_has_key(const om_serve_deid *d);
/* The server's part of a de-identification request's options: the key, the named policy (and with
 * it the policy's threshold unless the request gave one). -1 with err (422 patient_key without a
 * server key, 500 an unavailable policy). */
int om_serve_deid_apply(const om_serve_deid *d, om_serve_request *req, om_request_error *err);

/* ---------------------------------------------------------------- models (serve_models.c) */

typedef struct om_models om_models;
typedef struct om_served_model om_served_model;

/* Where a request's model name failed: HTTP status, code and message. */
typedef struct om_model_error {
    int status;
    const char *code;
    const char *field; /* the request field at fault (422), else NULL */
    char message[256];
} om_model_error;

int om_models_create(const om_serve_config *cfg, om_models **out, char *why, size_t why_size);
void om_models_free(om_models *m);

/* The model a request names (NULL = the route's default: `pii` selects the PII default, `lang` its
 * language default), taken with a reference (om_models_release). Not loaded yet, possibly. */
om_served_model *om_models_acquire(om_models *m, const char *name, int pii, const char *lang, om_model_error *err);
void om_models_release(om_models *m, om_served_model *sm);

/* The name responses use for it: a registry key, repo id or the name given at start-up. */
const char *om_served_model_name(const om_served_model *sm);

/* Load it now if it is not (the caller is the batch worker that owns it while loading). */
openmed_status om_served_model_ensure(om_models *m, om_served_model *sm, openmed_error *err);
const openmed_model *om_served_model_get(const om_served_model *sm);

/* Load every --preload name; 0 on success, else -1 with a message. */
int om_models_preload(om_models *m, char *why, size_t why_size);

/* JSON for GET /models/loaded and GET /models, and the effect of POST /models/unload. */
void om_models_loaded_json(om_models *m, om_strbuf *out);
void om_models_list_json(om_models *m, const char *family, const char *language, om_strbuf *out);
int om_models_unload(om_models *m, const char *name, int all, om_strbuf *out, om_model_error *err);
size_t om_models_count_loaded(om_models *m);

/* Per-worker pipeline slots of a model (serve_batcher.c keeps its pipelines there, one worker per
 * slot, so no lock is needed; they are freed with the model). */
openmed_pipeline **om_served_model_pipelines(om_served_model *sm, int worker, uint64_t key);
/* A worker made a pipeline in one of its slots (counted for /models/loaded). */
void om_served_model_pipeline_made(om_served_model *sm);

/* ---------------------------------------------------------------- jobs and the batcher */

typedef struct om_job om_job;
typedef struct om_batcher om_batcher;

/* Who waits for jobs: serve_http.c's request. */
typedef struct om_job_owner_ops {
    int (*gone)(void *owner);                      /* 1 when the answer is no longer wanted */
    void (*done)(void *owner, om_job *job);        /* one job finished (any status) */
} om_job_owner_ops;

typedef enum om_job_kind { OM_JOB_ANALYZE = 0, OM_JOB_PII = 1 } om_job_kind;

struct om_job {
    om_job *next;               /* in its model's queue */
    om_job_kind kind;
    om_served_model *model;     /* referenced by the owner for the job's life */
    const char *text;           /* NUL-terminated, owned by the owner */
    size_t len;
    size_t index;               /* the text's position in its request */
    uint64_t key;               /* jobs batch together only with equal keys (same pipeline options) */
    openmed_aggregation aggregation; /* analyze */
    float threshold;                 /* analyze */
    int group_entities, sentence_detection; /* analyze */
    const openmed_deid_options *deid; /* PII */
    int deidentify;
    double enqueued_at;
    /* outcome */
    openmed_status status;
    openmed_error error;
    openmed_analysis *result;         /* analyze */
    openmed_deid_result *pii_result;  /* PII */
    int model_load_failed;            /* the error is the model's load failure */
    double seconds;                   /* the batch's compute time */
    int batch_size;                   /* texts in the batch that ran it */
    void *owner;
    const om_job_owner_ops *ops;
};

int om_batcher_create(const om_serve_config *cfg, om_models *models, om_batcher **out);
/* A request that will queue texts has arrived (+1) or has queued them or ended (-1). A batch
 * whose first text has not waited --max-wait-ms runs at once when no request is on its way, so a
 * lone client never waits for company. */
void om_batcher_arrival(om_batcher *b, int delta);
/* Queue jobs (all for one model). 0, or -1 when the queue is full (nothing queued: 429). */
int om_batcher_submit(om_batcher *b, om_job *const *jobs, size_t n);
/* Stop taking new work; wait until everything queued and running has finished or `seconds` have
 * passed, then cancel what is left and wait for that. */
void om_batcher_drain(om_batcher *b, double seconds);
void om_batcher_free(om_batcher *b);
size_t om_batcher_queued(om_batcher *b);
void om_job_clear(om_job *job);

/* ---------------------------------------------------------------- metrics (serve_metrics.c) */

typedef enum om_route {
    OM_ROUTE_UNKNOWN = 0, OM_ROUTE_HEALTH, OM_ROUTE_LIVEZ, OM_ROUTE_READYZ, OM_ROUTE_MODELS, OM_ROUTE_MODELS_LOADED,
    OM_ROUTE_MODELS_UNLOAD, OM_ROUTE_ANALYZE, OM_ROUTE_ANALYZE_BATCH, OM_ROUTE_ANALYZE_STREAM, OM_ROUTE_PII_EXTRACT,
    OM_ROUTE_PII_EXTRACT_BATCH, OM_ROUTE_PII_DEIDENTIFY, OM_ROUTE_PII_DEIDENTIFY_BATCH, OM_ROUTE_METRICS,
    OM_ROUTE_OPENAPI, OM_ROUTE_DOCS, OM_ROUTE_COUNT
} om_route;

/* The path of a route ("/analyze"); the metrics label and the route table's key. */
const char *om_route_path(om_route route);

void om_metrics_request(om_route route, int status, double seconds);
void om_metrics_batch(int texts, double seconds);
void om_metrics_rejected(const char *reason); /* queue_full, connection_limit, auth, draining, timeout */
void om_metrics_model_load(int ok, double seconds);
void om_metrics_model_eviction(void);
void om_metrics_render(om_strbuf *out, size_t queue_depth, long inflight, long connections, size_t models_loaded);

/* ---------------------------------------------------------------- description (serve_openapi.c) */

const char *om_serve_openapi_json(void);
const char *om_serve_docs_html(void);

/* ---------------------------------------------------------------- the HTTP front (serve_http.c) */

typedef struct om_http om_http;

/* Start listening; on failure writes why. The printed port is in om_http_port. */
int om_http_start(const om_serve_config *cfg, om_models *models, om_batcher *batcher, const om_serve_deid *deid,
                  om_http **out, char *why, size_t why_size);
unsigned om_http_port(const om_http *h);
void om_http_set_ready(om_http *h, int ready);
/* Refuse new requests (503) and connections; in-flight ones finish. */
void om_http_begin_drain(om_http *h);
void om_http_stop(om_http *h);

#endif
