/* http.c: one hardened HTTP exchange with the hub (see http.h): libcurl limited to http and https,
 * redirects followed hop by hop with the token policy applied to each hop, timeouts, a stall
 * limit and an overall deadline; plus the retry helpers. */
#include "hub/http.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/error.h"
#include "core/log.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- origins */

typedef struct origin {
    char scheme[16];
    char host[256];
    char port[8];
} origin;

/* Scheme, host and port of an absolute URL, parsed by libcurl (so the check and the connection
 * agree on what the URL means), lower-cased, with the scheme's default port filled in. */
static int parse_origin(const char *url, origin *o) {
    memset(o, 0, sizeof *o);
    CURLU *u = curl_url();
    if (!u) return -1;
    char *scheme = NULL, *host = NULL, *port = NULL;
    int ok = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK && strlen(scheme) < sizeof o->scheme &&
             strlen(host) < sizeof o->host && strlen(port) < sizeof o->port;
    if (ok) {
        snprintf(o->scheme, sizeof o->scheme, "%s", scheme);
        snprintf(o->host, sizeof o->host, "%s", host);
        snprintf(o->port, sizeof o->port, "%s", port);
        for (char *p = o->scheme; *p; p++) *p = (char)tolower((unsigned char)*p);
        for (char *p = o->host; *p; p++) *p = (char)tolower((unsigned char)*p);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return ok ? 0 : -1;
}

int om_http_same_origin(const char *a, const char *b) {
    origin x, y;
    if (parse_origin(a, &x) || parse_origin(b, &y)) return 0;
    return !strcmp(x.scheme, y.scheme) && !strcmp(x.host, y.host) && !strcmp(x.port, y.port);
}

static int http_scheme(const char *url) {
    origin o;
    return parse_origin(url, &o) == 0 && (!strcmp(o.scheme, "http") || !strcmp(o.scheme, "https"));
}

/* ---------------------------------------------------------------- callbacks */

typedef struct exchange {
    CURL *curl;
    const om_http_request *rq;
    om_http_headers *h;
    double deadline;     /* monotonic seconds */
    int deadline_passed;
} exchange;

static void header_value(const char *line, size_t len, size_t name_len, char *out, size_t size) {
    const char *v = line + name_len;
    size_t n = len - name_len;
    while (n && (*v == ' ' || *v == '\t')) v++, n--;
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ')) n--;
    if (n >= size) n = size - 1;
    memcpy(out, v, n);
    out[n] = 0;
}

static size_t on_header(char *line, size_t one, size_t len, void *user) {
    om_http_headers *h = user;
    len *= one;
    if (len >= 5 && !strncmp(line, "HTTP/", 5)) { /* a new answer (1xx, or a redirect hop): start over */
        memset(h, 0, sizeof *h);
        return len;
    }
    static const struct {
        const char *name;
        size_t off, size;
    } wanted[] = {
#define H(name, field) {name, offsetof(om_http_headers, field), sizeof(((om_http_headers *)0)->field)}
        H("x-repo-commit:", repo_commit),   H("x-linked-etag:", linked_etag),     H("etag:", etag),
        H("x-linked-size:", linked_size),   H("content-length:", content_length), H("content-range:", content_range),
        H("location:", location),           H("x-error-code:", error_code),       H("x-error-message:", error_message),
        H("retry-after:", retry_after),
#undef H
    };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        size_t n = strlen(wanted[i].name);
        if (len >= n && !strncasecmp(line, wanted[i].name, n))
            header_value(line, len, n, (char *)h + wanted[i].off, wanted[i].size);
    }
    return len;
}

static size_t on_write(char *data, size_t one, size_t n, void *user) {
    exchange *x = user;
    n *= one;
    long code = 0;
    curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200 || code >= 300 || !x->rq->on_body) return n; /* redirect and error pages are not content */
    return x->rq->on_body(data, n, code, x->h, x->rq->user) ? n : 0;
}

static int on_xfer(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
    exchange *x = user;
    if (now_seconds() > x->deadline) {
        x->deadline_passed = 1;
        return 1; /* CURLE_ABORTED_BY_CALLBACK */
    }
    return 0;
}

/* ---------------------------------------------------------------- the exchange */

static int is_redirect(long code) { return code == 301 || code == 302 || code == 303 || code == 307 || code == 308; }

openmed_status om_http_perform(const om_hub_settings *s, const om_http_request *rq, om_http_response *resp,
                               openmed_error *err) {
    memset(resp, 0, sizeof *resp);
    pthread_once(&curl_once, curl_init_once);
    if (strlen(rq->url) >= sizeof resp->url)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "URL too long: %.200s...", rq->url);
    snprintf(resp->url, sizeof resp->url, "%s", rq->url);
    if (!http_scheme(resp->url))
        return om_fail(err, OPENMED_ERR_NETWORK, "refusing %s: only http:// and https:// URLs are fetched", resp->url);
    CURL *c = curl_easy_init();
    if (!c) return om_fail(err, OPENMED_ERR_NO_MEMORY, "cannot create an HTTP handle");
    long timeout = rq->kind == OM_HTTP_FILE ? s->download_timeout : s->etag_timeout;
    double budget = rq->kind == OM_HTTP_FILE ? (double)timeout + (double)rq->expected_bytes / OM_HTTP_DEADLINE_SPEED
                                             : 3.0 * (double)timeout;
    exchange x = {.curl = c, .rq = rq, .h = &resp->h, .deadline = now_seconds() + budget};
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* each hop is judged here */
    curl_easy_setopt(c, CURLOPT_USERAGENT, "openmed-c/" OPENMED_VERSION_STRING " (huggingface_hub compatible)");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)OM_HTTP_STALL_SPEED);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, timeout);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp->h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xfer);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    if (rq->head) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (rq->range) curl_easy_setopt(c, CURLOPT_RANGE, rq->range);

    int left = rq->left_origin || !om_http_same_origin(resp->url, s->endpoint);
    openmed_status st = OPENMED_OK;
    for (int hop = 0;; hop++) {
        struct curl_slist *headers = NULL;
        if (s->token[0] && !left) {
            char auth[320];
            snprintf(auth, sizeof auth, "Authorization: Bearer %s", s->token);
            headers = curl_slist_append(NULL, auth);
            if (!headers) {
                st = om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
                break;
            }
        }
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_URL, resp->url);
        errbuf[0] = 0;
        OM_DEBUG("hub: %s %s%s", rq->head ? "HEAD" : "GET", resp->url, headers ? " (with token)" : "");
        resp->rc = curl_easy_perform(c);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
        curl_slist_free_all(headers);
        resp->code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->code);
        if (resp->rc != CURLE_OK || !rq->follow || !is_redirect(resp->code)) break;
        char *next = NULL;
        curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &next);
        if (!next) break; /* a redirect without Location: the caller sees the 3xx */
        if (!http_scheme(next)) {
            st = om_fail(err, OPENMED_ERR_NETWORK,
                         "%s redirected to %.200s: refused, only http:// and https:// redirects are followed", resp->url,
                         next);
            break;
        }
        if (hop + 1 > OM_HTTP_MAX_REDIRECTS || strlen(next) >= sizeof resp->url) {
            st = om_fail(err, OPENMED_ERR_NETWORK, "%s: more than %d redirects, or a redirect URL too long", rq->url,
                         OM_HTTP_MAX_REDIRECTS);
            break;
        }
        if (!left && !om_http_same_origin(next, s->endpoint)) {
            left = 1; /* from here on, never the token again */
            OM_DEBUG("hub: redirect leaves %s; the token stays behind", s->endpoint);
        }
        snprintf(resp->url, sizeof resp->url, "%s", next);
    }
    resp->deadline_passed = x.deadline_passed;
    resp->stalled = resp->rc == CURLE_OPERATION_TIMEDOUT;
    if (resp->rc != CURLE_OK) {
        const char *why = errbuf[0] ? errbuf : curl_easy_strerror(resp->rc);
        if (x.deadline_passed)
            snprintf(resp->why, sizeof resp->why, "no answer within its %.0f s deadline", budget);
        else if (resp->stalled)
            snprintf(resp->why, sizeof resp->why, "%s (less than %d bytes/s for %ld s; HF_HUB_%s_TIMEOUT)", why,
                     OM_HTTP_STALL_SPEED, timeout, rq->kind == OM_HTTP_FILE ? "DOWNLOAD" : "ETAG");
        else
            snprintf(resp->why, sizeof resp->why, "%s", why);
    }
    curl_easy_cleanup(c);
    return st;
}

/* ---------------------------------------------------------------- retrying */

int om_http_transient(const om_http_response *r) {
    if (r->deadline_passed) return 1;
    switch (r->rc) {
    case CURLE_OK:
        return r->code == 408 || r->code == 429 || r->code == 500 || r->code == 502 || r->code == 503 ||
               r->code == 504;
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

void om_http_backoff(int n, const om_http_response *r) {
    unsigned wait = n <= 1 ? 1u : n == 2 ? 2u : n == 3 ? 4u : 8u;
    if (r && r->h.retry_after[0]) {
        char *end = NULL;
        long after = strtol(r->h.retry_after, &end, 10);
        if (end && !*end && after >= 0) wait = after > 30 ? 30u : (unsigned)after;
    }
    struct timespec ts = {(time_t)wait, 0};
    while (nanosleep(&ts, &ts) != 0) {
    }
}
