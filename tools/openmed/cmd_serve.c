/* cmd_serve.c: `openmed serve`, OpenMed's REST service on libmicrohttpd: options (flags over
 * OPENMED_SERVICE_* variables over defaults), the refusal to listen beyond loopback without an API
 * key, start-up (listen, then preload, then ready) and the SIGTERM drain. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "serve.h"

static const char *serve_usage =
    "usage: openmed serve [options]\n"
    "\n"
    "OpenMed's REST service until SIGINT or SIGTERM (then in-flight requests finish, new ones get 503):\n"
    "  GET  /health /livez /readyz /models /models/loaded /metrics /openapi.json /docs\n"
    "  POST /analyze /analyze/batch /analyze/batch/stream (NDJSON) /pii/extract /pii/extract/batch\n"
    "       /pii/deidentify /pii/deidentify/batch /models/unload\n"
    "Requests name models by registry name or repo id (model_name; lang picks OpenMed's PII model for a\n"
    "language); they load on first use. Errors: {\"error\": {code, message, details, request_id}}.\n"
    "\n"
    "Models\n"
    "  --model M            /analyze's default: a registry name, a repo id, a folder, or NAME=FOLDER\n"
    "                       (default: the bundled disease model, called bundled/disease-ner)\n"
    "  --pii-model M        /pii/*'s default for lang en (default: the bundled PII model, bundled/pii)\n"
    "  --preload NAMES      load these (comma-separated, repeatable) before /readyz says ready\n"
    "  --max-models N       models kept loaded; the least recently used idle one goes first (4)\n"
    "  --device D           cpu, cuda, cuda:N or mps (default: resolved as for analyze)\n"
    "  --threads N          threads per forward pass (default: the config's, else all cores)\n"
    "  --dtype D            compute dtype of every model: float32, float16, bfloat16, int8 (cpu only)\n"
    "Batching\n"
    "  --workers N          batch workers (2)\n"
    "  --max-batch N        texts per model batch (16)\n"
    "  --max-wait-ms N      how long a batch's first text waits for others (2)\n"
    "  --max-batch-bytes N  text bytes per batch; a longer text runs alone (262144)\n"
    "  --queue-limit N      texts waiting for a worker before 429 (1024)\n"
    "Limits\n"
    "  --max-connections N  open connections before 503 + Retry-After (256)\n"
    "  --idle-timeout S     close connections idle this long (15)\n"
    "  --request-timeout S  answer 504 after this long (300)\n"
    "  --drain-timeout S    on SIGTERM, how long in-flight requests may take (30)\n"
    "  --max-body-bytes N   larger request bodies get 413 (8388608)\n"
    "  --max-text-chars N   characters per text (1000000)\n"
    "  --max-texts N        texts per batch request (256)\n"
    "Network and security\n"
    "  --host H             address to listen on (127.0.0.1); --port N (8080; 0 = any free port, printed as\n"
    "                       \"openmed serve: listening on http://H:N\" on standard output)\n"
    "  --http-threads N     connection threads (4)\n"
    "  --api-key KEY        accept Authorization: Bearer KEY (repeatable; also OPENMED_API_KEY, comma-separated,\n"
    "                       and --api-key-file FILE, one per line); /health, /livez, /readyz, /openapi.json\n"
    "                       and /docs stay open\n"
    "  --insecure           allow a non-loopback --host without an API key\n"
    "  --quiet              no access log (it never holds text, entities or paths)\n"
    "De-identification\n"
    "  --secret-file F      the key of hash, replace, format_preserve and patient_key (else $OPENMED_DEID_SECRET,\n"
    "                       else deid_secret_file in the config file, else a random key for this run, with a\n"
    "                       warning); requests never carry a key. Requests may name the bundled policies\n"
    "                       hipaa_safe_harbor and strict, never a file\n"
    "  --config-path P      the OpenMed config file (default: $OPENMED_CONFIG, else ~/.config/openmed/config.toml)\n"
    "Environment (flags win): OPENMED_SERVICE_BATCH_MAX_SIZE, OPENMED_SERVICE_BATCH_MAX_WAIT_MS,\n"
    "OPENMED_SERVICE_PRELOAD_MODELS, OPENMED_SERVICE_MAX_RESIDENT_MODELS, OPENMED_SERVICE_MAX_TEXT_LENGTH,\n"
    "OPENMED_SERVICE_SHUTDOWN_DRAIN_SECONDS.\n";

static int parse_long(const char *flag, const char *v, long min, long max, long *out) {
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || !v[0] || *end || n < min || n > max) {
        fprintf(stderr, "openmed serve: %s expects a whole number in [%ld, %ld]\n", flag, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

static int parse_seconds(const char *flag, const char *v, double min, double *out) {
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || !v[0] || *end || !(d >= min) || d > 1e7) {
        fprintf(stderr, "openmed serve: %s expects a number of seconds >= %g\n", flag, min);
        return -1;
    }
    *out = d;
    return 0;
}

/* Copies of option values that the configuration points into, freed when the command ends. */
static char *owned[40];
static size_t n_owned;

static char *keep(const char *value) {
    char *copy = n_owned < sizeof owned / sizeof owned[0] ? strdup(value) : NULL;
    if (copy) owned[n_owned++] = copy;
    return copy;
}

/* Split a comma-separated list into dst (pointers into a kept copy). */
static int add_list(const char *flag, const char *value, const char **dst, size_t *n, size_t cap) {
    char *copy = keep(value);
    if (!copy) return -1;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        if (!*tok) continue;
        int dup = 0;
        for (size_t i = 0; i < *n; i++) dup |= !strcmp(dst[i], tok);
        if (dup) continue;
        if (*n >= cap) {
            fprintf(stderr, "openmed serve: %s: at most %zu entries\n", flag, cap);
            return -1;
        }
        dst[(*n)++] = tok;
    }
    return 0;
}

static int read_key_file(const char *path, om_serve_config *c) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "openmed serve: --api-key-file: cannot read the file\n");
        return -1;
    }
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#') continue;
        if (c->n_api_keys >= 16) {
            fclose(f);
            fprintf(stderr, "openmed serve: at most 16 API keys\n");
            return -1;
        }
        if (!(c->api_keys[c->n_api_keys] = keep(line))) {
            fclose(f);
            return -1;
        }
        c->n_api_keys++;
    }
    fclose(f);
    return 0;
}

static int is_loopback(const char *host) {
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1) return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

static void env_defaults(om_serve_config *c) {
    const char *v;
    long n;
    double d;
    if ((v = getenv("OPENMED_SERVICE_BATCH_MAX_SIZE")) && !parse_long("OPENMED_SERVICE_BATCH_MAX_SIZE", v, 1, 1024, &n))
        c->max_batch = (int)n;
    if ((v = getenv("OPENMED_SERVICE_BATCH_MAX_WAIT_MS")) &&
        !parse_long("OPENMED_SERVICE_BATCH_MAX_WAIT_MS", v, 0, 60000, &n))
        c->max_wait_ms = (int)n;
    if ((v = getenv("OPENMED_SERVICE_MAX_RESIDENT_MODELS")) &&
        !parse_long("OPENMED_SERVICE_MAX_RESIDENT_MODELS", v, 1, 64, &n))
        c->max_models = (int)n;
    if ((v = getenv("OPENMED_SERVICE_MAX_TEXT_LENGTH")) &&
        !parse_long("OPENMED_SERVICE_MAX_TEXT_LENGTH", v, 1, 100000000, &n))
        c->limits.max_text_chars = (size_t)n;
    if ((v = getenv("OPENMED_SERVICE_SHUTDOWN_DRAIN_SECONDS")) &&
        !parse_seconds("OPENMED_SERVICE_SHUTDOWN_DRAIN_SECONDS", v, 0, &d))
        c->drain_timeout_s = d;
    if ((v = getenv("OPENMED_SERVICE_PRELOAD_MODELS")))
        add_list("OPENMED_SERVICE_PRELOAD_MODELS", v, c->preload, &c->n_preload, 16);
    if ((v = getenv("OPENMED_API_KEY")) && v[0]) add_list("OPENMED_API_KEY", v, c->api_keys, &c->n_api_keys, 16);
}

static int parse_args(int argc, char **argv, om_serve_config *c) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(serve_usage, stdout);
            return 1;
        }
        if (!strcmp(a, "--insecure")) {
            c->insecure = 1;
            continue;
        }
        if (!strcmp(a, "--quiet")) {
            c->access_log = 0;
            continue;
        }
        if (!v) {
            fprintf(stderr, "openmed serve: %s needs a value (see --help)\n", a);
            return -1;
        }
        i++;
        int bad = 0;
        if (!strcmp(a, "--host")) c->host = v;
        else if (!strcmp(a, "--port")) bad = parse_long(a, v, 0, 65535, &n), c->port = (int)n;
        else if (!strcmp(a, "--model")) c->analyze_model = v;
        else if (!strcmp(a, "--pii-model")) c->pii_model = v;
        else if (!strcmp(a, "--preload")) bad = add_list(a, v, c->preload, &c->n_preload, 16);
        else if (!strcmp(a, "--device")) c->device = v;
        else if (!strcmp(a, "--secret-file")) c->secret_file = v;
        else if (!strcmp(a, "--config-path")) c->config_path = v;
        else if (!strcmp(a, "--threads")) bad = parse_long(a, v, 0, 1024, &n), c->threads = (int)n;
        else if (!strcmp(a, "--dtype")) {
            openmed_error derr;
            if (openmed_dtype_parse(v, &c->dtype, &derr) != OPENMED_OK) {
                fprintf(stderr, "openmed serve: %s\n", derr.message);
                bad = 1;
            }
        }
        else if (!strcmp(a, "--http-threads")) bad = parse_long(a, v, 1, 256, &n), c->http_threads = (int)n;
        else if (!strcmp(a, "--workers")) bad = parse_long(a, v, 1, 64, &n), c->workers = (int)n;
        else if (!strcmp(a, "--max-batch")) bad = parse_long(a, v, 1, 1024, &n), c->max_batch = (int)n;
        else if (!strcmp(a, "--max-wait-ms")) bad = parse_long(a, v, 0, 60000, &n), c->max_wait_ms = (int)n;
        else if (!strcmp(a, "--max-batch-bytes"))
            bad = parse_long(a, v, 1, 1L << 30, &n), c->max_batch_bytes = (size_t)n;
        else if (!strcmp(a, "--queue-limit")) bad = parse_long(a, v, 1, 1000000, &n), c->queue_limit = (int)n;
        else if (!strcmp(a, "--max-connections")) bad = parse_long(a, v, 1, 100000, &n), c->max_connections = (int)n;
        else if (!strcmp(a, "--idle-timeout")) bad = parse_long(a, v, 1, 86400, &n), c->idle_timeout_s = (int)n;
        else if (!strcmp(a, "--request-timeout")) bad = parse_seconds(a, v, 0.001, &c->request_timeout_s);
        else if (!strcmp(a, "--drain-timeout")) bad = parse_seconds(a, v, 0, &c->drain_timeout_s);
        else if (!strcmp(a, "--max-body-bytes"))
            bad = parse_long(a, v, 64, 1L << 30, &n), c->max_body_bytes = (size_t)n;
        else if (!strcmp(a, "--max-text-chars"))
            bad = parse_long(a, v, 1, 100000000, &n), c->limits.max_text_chars = (size_t)n;
        else if (!strcmp(a, "--max-texts")) bad = parse_long(a, v, 1, 100000, &n), c->limits.max_texts = (size_t)n;
        else if (!strcmp(a, "--max-models")) bad = parse_long(a, v, 1, 64, &n), c->max_models = (int)n;
        else if (!strcmp(a, "--api-key")) {
            if (!v[0] || c->n_api_keys >= 16) {
                fprintf(stderr, "openmed serve: --api-key: a non-empty key, at most 16 keys\n");
                return -1;
            }
            c->api_keys[c->n_api_keys++] = v;
        } else if (!strcmp(a, "--api-key-file")) bad = read_key_file(v, c);
        else {
            fprintf(stderr, "openmed serve: unknown option %s (see --help)\n", a);
            return -1;
        }
        if (bad) return -1;
    }
    if ((size_t)c->max_models < c->n_preload) {
        fprintf(stderr, "openmed serve: --max-models (%d) must be at least the number of --preload models (%zu)\n",
                c->max_models, c->n_preload);
        return -1;
    }
    return 0;
}

static int serve(int argc, char **argv, om_serve_config *c);

int cmd_serve(int argc, char **argv) {
    om_serve_config c = {
        .host = "127.0.0.1", .port = 8080, .http_threads = 4, .workers = 2, .max_batch = 16, .max_wait_ms = 2,
        .max_batch_bytes = 262144, .queue_limit = 1024, .max_connections = 256, .idle_timeout_s = 15,
        .request_timeout_s = 300, .drain_timeout_s = 30, .max_body_bytes = 8u << 20,
        .limits = {1000000, 256}, .max_models = 4, .access_log = 1,
    };
    int rc = serve(argc, argv, &c);
    for (size_t i = 0; i < n_owned; i++) free(owned[i]);
    n_owned = 0;
    return rc;
}

static int serve(int argc, char **argv, om_serve_config *cp) {
    om_serve_config c = *cp;
    env_defaults(&c);
    int parsed = parse_args(argc, argv, &c);
    if (parsed) return parsed > 0 ? 0 : 2;
    if (!is_loopback(c.host) && !c.n_api_keys && !c.insecure) {
        fprintf(stderr,
                "openmed serve: refusing to listen on %s without an API key: anyone who can reach that address could "
                "send clinical text through this service and read what it finds. Give --api-key (or OPENMED_API_KEY), "
                "listen on 127.0.0.1, or pass --insecure if something in front of the service authenticates.\n",
                c.host);
        return 2;
    }
    if (!is_loopback(c.host) && !c.n_api_keys)
        fprintf(stderr, "openmed serve: warning: listening on %s with no API key (--insecure)\n", c.host);

    struct rlimit rl; /* idle clients must not exhaust descriptors before --max-connections is reached */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    char why[512] = "";
    om_models *models = NULL;
    om_batcher *batcher = NULL;
    om_http *http = NULL;
    om_serve_deid *deid = NULL;
    if (om_serve_deid_create(c.secret_file, c.config_path, &deid, why, sizeof why)) {
        fprintf(stderr, "openmed serve: %s\n", why);
        return 2;
    }
    if (om_models_create(&c, &models, why, sizeof why)) {
        fprintf(stderr, "openmed serve: %s\n", why);
        om_serve_deid_free(deid);
        return 2;
    }
    /* SIGINT and SIGTERM are blocked here and in every thread started below, and taken by sigwait. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    int rc = 1;
    if (om_batcher_create(&c, models, &batcher)) {
        fprintf(stderr, "openmed serve: cannot start %d batch workers\n", c.workers);
        goto done;
    }
    if (om_http_start(&c, models, batcher, deid, &http, why, sizeof why)) {
        fprintf(stderr, "openmed serve: %s\n", why);
        goto done;
    }
    int v6 = strchr(c.host, ':') != NULL;
    printf("openmed serve: listening on http://%s%s%s:%u\n", v6 ? "[" : "", c.host, v6 ? "]" : "", om_http_port(http));
    fflush(stdout);
    if (om_models_preload(models, why, sizeof why)) {
        fprintf(stderr, "openmed serve: %s\n", why);
        om_http_begin_drain(http);
        om_batcher_drain(batcher, 0);
        goto done;
    }
    om_http_set_ready(http, 1);
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "openmed serve: %s, draining (in-flight requests have up to %g s)\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM", c.drain_timeout_s);
    om_http_begin_drain(http);
    om_batcher_drain(batcher, c.drain_timeout_s);
    rc = 0;
done:
    om_http_stop(http);
    om_batcher_free(batcher);
    om_models_free(models);
    om_serve_deid_free(deid);
    if (rc == 0) fprintf(stderr, "openmed serve: stopped\n");
    return rc;
}
