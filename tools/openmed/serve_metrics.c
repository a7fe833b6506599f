/* serve_metrics.c: the service's counters and histograms, rendered as Prometheus text (exposition
 * format 0.0.4) for GET /metrics. Labels are route templates, status codes and fixed reasons only:
 * never text, entities, client identities or model paths. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "serve.h"

static const double duration_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
#define N_DURATION (sizeof duration_bounds / sizeof duration_bounds[0])
static const double batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128};
#define N_BATCH (sizeof batch_bounds / sizeof batch_bounds[0])
static const char *const reasons[] = {"queue_full", "connection_limit", "auth", "draining", "timeout", "cancelled"};
#define N_REASONS (sizeof reasons / sizeof reasons[0])

typedef struct histogram {
    unsigned long long buckets[16]; /* cumulative counts are computed when rendering */
    unsigned long long count;
    double sum;
} histogram;

typedef struct status_count {
    om_route route;
    int status;
    unsigned long long n;
} status_count;

static struct {
    pthread_mutex_t lock;
    status_count requests[128];
    size_t n_requests;
    histogram duration[OM_ROUTE_COUNT];
    histogram batch_texts, batch_seconds;
    unsigned long long rejected[N_REASONS];
    unsigned long long loads_ok, loads_failed, evictions;
    histogram load_seconds;
} M = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void observe(histogram *h, const double *bounds, size_t n_bounds, double v) {
    size_t i = 0;
    while (i < n_bounds && v > bounds[i]) i++;
    h->buckets[i]++;
    h->count++;
    h->sum += v;
}

void om_metrics_request(om_route route, int status, double seconds) {
    pthread_mutex_lock(&M.lock);
    size_t i = 0;
    while (i < M.n_requests && !(M.requests[i].route == route && M.requests[i].status == status)) i++;
    if (i == M.n_requests && i < sizeof M.requests / sizeof M.requests[0]) M.requests[M.n_requests++] = (status_count){route, status, 0};
    if (i < M.n_requests) M.requests[i].n++;
    observe(&M.duration[route], duration_bounds, N_DURATION, seconds);
    pthread_mutex_unlock(&M.lock);
}

void om_metrics_batch(int texts, double seconds) {
    pthread_mutex_lock(&M.lock);
    observe(&M.batch_texts, batch_bounds, N_BATCH, texts);
    observe(&M.batch_seconds, duration_bounds, N_DURATION, seconds);
    pthread_mutex_unlock(&M.lock);
}

void om_metrics_rejected(const char *reason) {
    pthread_mutex_lock(&M.lock);
    for (size_t i = 0; i < N_REASONS; i++)
        if (!strcmp(reasons[i], reason)) M.rejected[i]++;
    pthread_mutex_unlock(&M.lock);
}

void om_metrics_model_load(int ok, double seconds) {
    pthread_mutex_lock(&M.lock);
    if (ok) M.loads_ok++;
    else M.loads_failed++;
    observe(&M.load_seconds, duration_bounds, N_DURATION, seconds);
    pthread_mutex_unlock(&M.lock);
}

void om_metrics_model_eviction(void) {
    pthread_mutex_lock(&M.lock);
    M.evictions++;
    pthread_mutex_unlock(&M.lock);
}

static void render_histogram(om_strbuf *out, const char *name, const char *labels, const histogram *h,
                             const double *bounds, size_t n_bounds) {
    unsigned long long cum = 0;
    for (size_t i = 0; i < n_bounds; i++) {
        cum += h->buckets[i];
        om_strbuf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, labels[0] ? "," : "", bounds[i], cum);
    }
    om_strbuf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, labels[0] ? "," : "", h->count);
    om_strbuf_printf(out, "%s_sum%s%s%s %.6f\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "", h->sum);
    om_strbuf_printf(out, "%s_count%s%s%s %llu\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "", h->count);
}

void om_metrics_render(om_strbuf *out, size_t queue_depth, long inflight, long connections, size_t models_loaded) {
    pthread_mutex_lock(&M.lock);
    om_strbuf_puts(out, "# HELP openmed_service_request_total HTTP requests by route template and status.\n"
                        "# TYPE openmed_service_request_total counter\n");
    for (size_t i = 0; i < M.n_requests; i++)
        om_strbuf_printf(out, "openmed_service_request_total{route=\"%s\",status=\"%d\"} %llu\n",
                         om_route_path(M.requests[i].route), M.requests[i].status, M.requests[i].n);
    om_strbuf_puts(out, "# HELP openmed_service_request_duration_seconds Time from request to answer.\n"
                        "# TYPE openmed_service_request_duration_seconds histogram\n");
    for (int r = 0; r < OM_ROUTE_COUNT; r++) {
        if (!M.duration[r].count) continue;
        char labels[96];
        snprintf(labels, sizeof labels, "route=\"%s\"", om_route_path((om_route)r));
        render_histogram(out, "openmed_service_request_duration_seconds", labels, &M.duration[r], duration_bounds,
                         N_DURATION);
    }
    om_strbuf_puts(out, "# HELP openmed_service_batch_size Texts per model batch (dynamic batching).\n"
                        "# TYPE openmed_service_batch_size histogram\n");
    render_histogram(out, "openmed_service_batch_size", "", &M.batch_texts, batch_bounds, N_BATCH);
    om_strbuf_puts(out, "# HELP openmed_service_batch_duration_seconds Compute time of one model batch.\n"
                        "# TYPE openmed_service_batch_duration_seconds histogram\n");
    render_histogram(out, "openmed_service_batch_duration_seconds", "", &M.batch_seconds, duration_bounds, N_DURATION);
    om_strbuf_puts(out, "# HELP openmed_service_rejected_total Requests refused, or texts whose work was stopped (cancelled), by reason.\n"
                        "# TYPE openmed_service_rejected_total counter\n");
    for (size_t i = 0; i < N_REASONS; i++)
        om_strbuf_printf(out, "openmed_service_rejected_total{reason=\"%s\"} %llu\n", reasons[i], M.rejected[i]);
    om_strbuf_printf(out,
                     "# HELP openmed_service_model_load_total Model loads by outcome.\n"
                     "# TYPE openmed_service_model_load_total counter\n"
                     "openmed_service_model_load_total{outcome=\"ok\"} %llu\n"
                     "openmed_service_model_load_total{outcome=\"error\"} %llu\n"
                     "# HELP openmed_service_model_eviction_total Models unloaded to respect --max-models.\n"
                     "# TYPE openmed_service_model_eviction_total counter\n"
                     "openmed_service_model_eviction_total %llu\n",
                     M.loads_ok, M.loads_failed, M.evictions);
    pthread_mutex_unlock(&M.lock);
    om_strbuf_printf(out,
                     "# HELP openmed_service_batch_queue_depth Texts waiting for a batch worker.\n"
                     "# TYPE openmed_service_batch_queue_depth gauge\n"
                     "openmed_service_batch_queue_depth %zu\n"
                     "# HELP openmed_service_inflight_requests Requests received and not yet answered.\n"
                     "# TYPE openmed_service_inflight_requests gauge\n"
                     "openmed_service_inflight_requests %ld\n"
                     "# HELP openmed_service_open_connections Open HTTP connections.\n"
                     "# TYPE openmed_service_open_connections gauge\n"
                     "openmed_service_open_connections %ld\n"
                     "# HELP openmed_service_model_resident_total Models loaded now.\n"
                     "# TYPE openmed_service_model_resident_total gauge\n"
                     "openmed_service_model_resident_total %zu\n",
                     queue_depth, inflight, connections, models_loaded);
}
