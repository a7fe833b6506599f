/* http.h: one exchange with the hub or its file store over libcurl, on guard against a hostile
 * network: http and https only (redirects too); redirects followed here, one hop at a time; the
 * token sent only to the endpoint's exact origin (scheme, host, port) and never again once a
 * redirect has left it; a connect timeout, a stall limit and an overall deadline on each
 * exchange (HF_HUB_ETAG_TIMEOUT for metadata, HF_HUB_DOWNLOAD_TIMEOUT for files). Whether to try
 * again is the caller's decision: om_http_transient and om_http_backoff help it. */
#ifndef OM_HUB_HTTP_H
#define OM_HUB_HTTP_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "hub/settings.h"
#include "openmed.h"

#define OM_HTTP_URL_MAX 8192
#define OM_HTTP_MAX_REDIRECTS 10
#define OM_HTTP_STALL_SPEED 1024          /* bytes/s: slower than this for a whole timeout is a stall */
#define OM_HTTP_DEADLINE_SPEED (64 << 10) /* bytes/s a file attempt is given its deadline for */

/* The response headers the hub protocol reads (those of the last answer of a redirect chain). */
typedef struct om_http_headers {
    char repo_commit[64];
    char linked_etag[160];
    char etag[160];
    char linked_size[32];
    char content_length[32];
    char content_range[96];
    char location[OM_HTTP_URL_MAX];
    char error_code[64];
    char error_message[256];
    char retry_after[32];
} om_http_headers;

typedef enum om_http_kind {
    OM_HTTP_METADATA = 0, /* revision API, HEAD: HF_HUB_ETAG_TIMEOUT; the deadline is 3 timeouts */
    OM_HTTP_FILE = 1      /* file bytes: HF_HUB_DOWNLOAD_TIMEOUT; the deadline is one timeout plus
                             the expected bytes at OM_HTTP_DEADLINE_SPEED */
} om_http_kind;

/* Receives the body of a 2xx answer only (redirect and error bodies are dropped); `code` is that
 * answer's status and `h` its headers. Return 0 to stop the transfer. */
typedef int (*om_http_body_fn)(const char *data, size_t n, long code, const om_http_headers *h, void *user);

typedef struct om_http_request {
    const char *url;         /* absolute http:// or https:// URL */
    int head;                /* HEAD: headers only */
    int follow;              /* follow redirects; else a 3xx is the answer */
    int left_origin;         /* the chain that led to `url` has already left the endpoint's origin */
    const char *range;       /* "N-" to resume at byte N, or NULL */
    om_http_kind kind;
    uint64_t expected_bytes; /* OM_HTTP_FILE: the bytes this exchange should bring */
    om_http_body_fn on_body; /* NULL: the body is dropped */
    void *user;
} om_http_request;

typedef struct om_http_response {
    CURLcode rc;                   /* CURLE_OK when an answer arrived, whatever its status */
    long code;                     /* HTTP status of the last answer (0 if none) */
    om_http_headers h;             /* its headers */
    char url[OM_HTTP_URL_MAX];     /* the URL that answered last */
    char why[CURL_ERROR_SIZE + 96]; /* what went wrong when rc is not CURLE_OK */
    int stalled;                   /* slower than OM_HTTP_STALL_SPEED for a whole timeout, or no answer
                                      within it */
    int deadline_passed;           /* the exchange ran out of its overall deadline */
} om_http_response;

/* Perform one request (following redirects when asked). Returns an error only for what trying
 * again cannot fix: a redirect to another scheme than http or https, more than
 * OM_HTTP_MAX_REDIRECTS hops, a URL too long, no libcurl handle. Transport failures and HTTP
 * statuses land in *resp for the caller to judge. */
openmed_status om_http_perform(const om_hub_settings *s, const om_http_request *rq, om_http_response *resp,
                               openmed_error *err);

/* 1 if the absolute URLs a and b have the same scheme, host and port (default ports filled in,
 * case ignored where URLs ignore it), as libcurl itself parses them; 0 otherwise or if either
 * does not parse. */
int om_http_same_origin(const char *a, const char *b);

/* 1 when another attempt may succeed: a timeout, stall or deadline, a refused, reset or cut
 * connection, HTTP 408, 429, 500, 502, 503 or 504. */
int om_http_transient(const om_http_response *resp);

/* Wait before retry number n (1-based): the server's Retry-After when it gave one (at most 30 s),
 * else 1, 2, 4, 8, 8, ... seconds, huggingface_hub's backoff. */
void om_http_backoff(int n, const om_http_response *resp);

#endif
