/* client.c: the Hugging Face hub protocol over libcurl, as huggingface_hub speaks it:
 *   GET  /api/models/{repo}/revision/{rev}?blobs=true   -> {"sha", "siblings": [{rfilename, size, blobId, lfs}]}
 *   HEAD /{repo}/resolve/{commit}/{path}                -> X-Repo-Commit, ETag / X-Linked-Etag (LFS sha256),
 *                                                          X-Linked-Size, Location (redirect to the file store)
 *   GET  <Location or resolve URL> with Range: bytes=N- -> the bytes, resumed
 * Errors carry X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo). */
#include "hub/client.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/file.h"
#include "core/log.h"
#include "core/num.h"
#include "hub/cache.h"

#define API_MAX_BYTES (64u << 20)
#define URL_MAX 8192

typedef struct http_headers {
    char repo_commit[64];
    char linked_etag[160];
    char etag[160];
    char linked_size[32];
    char content_length[32];
    char location[URL_MAX];
    char error_code[64];
    char error_message[256];
} http_headers;

/* The pieces of context an HTTP error message names. */
typedef struct http_what {
    const char *repo, *revision, *file, *url;
} http_what;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* ---------------------------------------------------------------- URLs and headers */

/* Percent-encode everything but unreserved characters (and '/' when keep_slash). */
static int url_encode(const char *in, int keep_slash, char *out, size_t size) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                    *p == '_' || *p == '.' || *p == '~' || (keep_slash && *p == '/');
        if (n + 4 >= size) return -1;
        if (plain)
            out[n++] = (char)*p;
        else {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n] = 0;
    return 0;
}

/* Make a Location header absolute against the endpoint's scheme://host. */
static void absolute_url(const char *endpoint, const char *location, char *out, size_t size) {
    if (strstr(location, "://")) {
        if (snprintf(out, size, "%s", location) >= (int)size) out[0] = 0;
        return;
    }
    const char *host = strstr(endpoint, "://");
    host = host ? host + 3 : endpoint;
    size_t origin = (size_t)(strchr(host, '/') ? strchr(host, '/') - endpoint : (ptrdiff_t)strlen(endpoint));
    if (snprintf(out, size, "%.*s%s%s", (int)origin, endpoint, location[0] == '/' ? "" : "/", location) >= (int)size)
        out[0] = 0; /* too long to follow: the caller reports the empty URL */
}

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
    http_headers *h = user;
    len *= one;
    if (len >= 5 && !strncmp(line, "HTTP/", 5)) { /* a new response (after a redirect): start over */
        memset(h, 0, sizeof *h);
        return len;
    }
    static const struct { const char *name; size_t off, size; } wanted[] = {
        {"x-repo-commit:", offsetof(http_headers, repo_commit), sizeof(((http_headers *)0)->repo_commit)},
        {"x-linked-etag:", offsetof(http_headers, linked_etag), sizeof(((http_headers *)0)->linked_etag)},
        {"etag:", offsetof(http_headers, etag), sizeof(((http_headers *)0)->etag)},
        {"x-linked-size:", offsetof(http_headers, linked_size), sizeof(((http_headers *)0)->linked_size)},
        {"content-length:", offsetof(http_headers, content_length), sizeof(((http_headers *)0)->content_length)},
        {"location:", offsetof(http_headers, location), sizeof(((http_headers *)0)->location)},
        {"x-error-code:", offsetof(http_headers, error_code), sizeof(((http_headers *)0)->error_code)},
        {"x-error-message:", offsetof(http_headers, error_message), sizeof(((http_headers *)0)->error_message)},
    };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        size_t n = strlen(wanted[i].name);
        if (len >= n && !strncasecmp(line, wanted[i].name, n))
            header_value(line, len, n, (char *)h + wanted[i].off, wanted[i].size);
    }
    return len;
}

/* ETag values come quoted, sometimes weak: W/"abc" -> abc. */
static void normalize_etag(const char *in, char *out, size_t size) {
    if (!strncmp(in, "W/", 2)) in += 2;
    size_t n = strlen(in);
    if (n >= 2 && in[0] == '"' && in[n - 1] == '"') in++, n -= 2;
    if (n >= size) n = size - 1;
    memcpy(out, in, n);
    out[n] = 0;
}

static CURL *new_handle(const om_hub_settings *s, const char *url, http_headers *h, struct curl_slist **list) {
    pthread_once(&curl_once, curl_init_once);
    CURL *c = curl_easy_init();
    if (!c) return NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "openmed-c/" OPENMED_VERSION_STRING " (huggingface_hub compatible)");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L); /* give up on a stalled transfer after a minute */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    *list = NULL;
    /* The token goes to the hub only; libcurl drops it when a redirect leaves the host. */
    if (s->token[0] && !strncmp(url, s->endpoint, strlen(s->endpoint))) {
        char auth[320];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", s->token);
        *list = curl_slist_append(*list, auth);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, *list);
    }
    return c;
}

/* ---------------------------------------------------------------- errors */

static openmed_status transport_error(CURLcode rc, const char *url, const char *errbuf, openmed_error *err) {
    const char *why = errbuf && errbuf[0] ? errbuf : curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return om_fail(err, OPENMED_ERR_NETWORK,
                       "cannot reach %s (%s): the network is down or the hub is unreachable; use a cached model "
                       "with OPENMED_OFFLINE=1",
                       url, why);
    case CURLE_OPERATION_TIMEDOUT:
        return om_fail(err, OPENMED_ERR_NETWORK, "%s: timed out (%s)", url, why);
    default:
        return om_fail(err, OPENMED_ERR_NETWORK, "%s: %s", url, why);
    }
}

static openmed_status http_error(const om_hub_settings *s, long code, const http_headers *h, const http_what *w,
                                 openmed_error *err) {
    const char *ec = h->error_code;
    const char *msg = h->error_message[0] ? h->error_message : "";
    if (code == 401 || code == 403) {
        if (!strcmp(ec, "GatedRepo") || code == 403)
            return om_fail(err, OPENMED_ERR_AUTH,
                           "%s is gated or private (HTTP %ld%s%s): %s; accept its conditions on the hub and set "
                           "HF_TOKEN (or hf_token in the config) to a token with access",
                           w->repo, code, msg[0] ? ": " : "", msg,
                           s->token[0] ? "the token that was sent has no access" : "no token was sent");
        return om_fail(err, OPENMED_ERR_AUTH,
                       "%s is private or does not exist (HTTP 401%s%s): %s; set HF_TOKEN to a token with access",
                       w->repo, msg[0] ? ": " : "", msg,
                       s->token[0] ? "the token that was sent was refused" : "no token was sent");
    }
    if (code == 404) {
        if (!strcmp(ec, "RevisionNotFound"))
            return om_fail(err, OPENMED_ERR_NOT_FOUND, "revision '%s' not found in %s (%s)", w->revision, w->repo,
                           s->endpoint);
        if (!strcmp(ec, "EntryNotFound") || (w->file && strcmp(ec, "RepoNotFound") != 0))
            return om_fail(err, OPENMED_ERR_NOT_FOUND, "file '%s' not found in %s at revision %s (%s)",
                           w->file ? w->file : "?", w->repo, w->revision, s->endpoint);
        return om_fail(err, OPENMED_ERR_NOT_FOUND, "repository %s not found on %s", w->repo, s->endpoint);
    }
    return om_fail(err, OPENMED_ERR_NETWORK, "%s: HTTP %ld%s%s", w->url, code, msg[0] ? ": " : "", msg);
}

/* ---------------------------------------------------------------- revision API */

/* An API answer in memory, refused beyond API_MAX_BYTES. */
typedef struct capped_body {
    om_buf buf;
    int too_big;
} capped_body;

static size_t on_memory(char *ptr, size_t one, size_t n, void *user) {
    capped_body *b = user;
    n *= one;
    if (b->buf.len + n > API_MAX_BYTES) {
        b->too_big = 1;
        return 0;
    }
    return om_buf_append(&b->buf, ptr, n) ? n : 0;
}

void om_hub_repo_info_free(om_hub_repo_info *info) {
    if (!info) return;
    for (size_t i = 0; i < info->n_files; i++) free(info->files[i].path);
    free(info->files);
    info->files = NULL;
    info->n_files = 0;
}

static openmed_status parse_repo_info(const char *body, const char *url, om_hub_repo_info *out, openmed_error *err) {
    cJSON *root = cJSON_Parse(body);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: the hub's answer is not a JSON object", url);
    }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(root, "sha");
    const cJSON *lm = cJSON_GetObjectItemCaseSensitive(root, "lastModified");
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(root, "createdAt");
    const cJSON *siblings = cJSON_GetObjectItemCaseSensitive(root, "siblings");
    openmed_status st = OPENMED_OK;
    if (!cJSON_IsString(sha) || strlen(sha->valuestring) != 40 || !om_is_hex(sha->valuestring, 40)) {
        st = om_fail(err, OPENMED_ERR_FORMAT, "%s: field 'sha' is missing or not a 40-hex commit", url);
        goto done;
    }
    if (!cJSON_IsArray(siblings)) {
        st = om_fail(err, OPENMED_ERR_FORMAT, "%s: field 'siblings' is missing or not a list", url);
        goto done;
    }
    snprintf(out->sha, sizeof out->sha, "%s", sha->valuestring);
    snprintf(out->id, sizeof out->id, "%s", cJSON_IsString(id) ? id->valuestring : "");
    const cJSON *when = cJSON_IsString(lm) ? lm : cJSON_IsString(created) ? created : NULL;
    snprintf(out->last_modified, sizeof out->last_modified, "%s", when ? when->valuestring : "");
    size_t n = (size_t)cJSON_GetArraySize(siblings);
    out->files = calloc(n ? n : 1, sizeof *out->files);
    if (!out->files) {
        st = om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", url);
        goto done;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, siblings) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "rfilename");
        if (!cJSON_IsString(name) || !name->valuestring[0]) {
            st = om_fail(err, OPENMED_ERR_FORMAT, "%s: a sibling has no 'rfilename'", url);
            goto done;
        }
        om_hub_file *f = &out->files[out->n_files];
        if (!(f->path = strdup(name->valuestring))) {
            st = om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", url);
            goto done;
        }
        out->n_files++;
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(item, "size");
        const cJSON *blob = cJSON_GetObjectItemCaseSensitive(item, "blobId");
        const cJSON *lfs = cJSON_GetObjectItemCaseSensitive(item, "lfs");
        if (cJSON_IsNumber(size) && size->valuedouble >= 0) f->size = (uint64_t)size->valuedouble;
        if (cJSON_IsString(blob) && om_is_hex(blob->valuestring, 40)) snprintf(f->blob_id, sizeof f->blob_id, "%s", blob->valuestring);
        if (cJSON_IsObject(lfs)) {
            const cJSON *lsha = cJSON_GetObjectItemCaseSensitive(lfs, "sha256");
            const cJSON *lsize = cJSON_GetObjectItemCaseSensitive(lfs, "size");
            if (cJSON_IsString(lsha) && om_is_hex(lsha->valuestring, 64))
                snprintf(f->sha256, sizeof f->sha256, "%s", lsha->valuestring);
            if (cJSON_IsNumber(lsize) && lsize->valuedouble >= 0) f->size = (uint64_t)lsize->valuedouble;
        }
    }
done:
    cJSON_Delete(root);
    if (st) om_hub_repo_info_free(out);
    return st;
}

openmed_status om_hub_repo_info_get(const om_hub_settings *s, const char *repo, const char *revision,
                                    om_hub_repo_info *out, openmed_error *err) {
    memset(out, 0, sizeof *out);
    if (s->offline)
        return om_fail(err, OPENMED_ERR_NETWORK, "offline mode is on: not asking %s about %s", s->endpoint, repo);
    char rev[512], url[URL_MAX];
    if (url_encode(revision, 0, rev, sizeof rev))
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "revision too long: %s", revision);
    snprintf(url, sizeof url, "%s/api/models/%s/revision/%s?blobs=true", s->endpoint, repo, rev);
    http_headers h;
    memset(&h, 0, sizeof h);
    struct curl_slist *list;
    capped_body body = {{0}, 0};
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *c = new_handle(s, url, &h, &list);
    if (!c) return om_fail(err, OPENMED_ERR_NO_MEMORY, "cannot create an HTTP handle");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_memory);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L); /* renamed repos redirect */
    OM_DEBUG("hub: GET %s", url);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_slist_free_all(list);
    openmed_status st;
    http_what w = {repo, revision, NULL, url};
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && code >= 400))
        st = body.too_big ? om_fail(err, OPENMED_ERR_FORMAT, "%s: answer larger than %u bytes", url, API_MAX_BYTES)
                          : transport_error(rc, url, errbuf, err);
    else if (code >= 400)
        st = http_error(s, code, &h, &w, err);
    else if (!body.buf.data)
        st = om_fail(err, OPENMED_ERR_FORMAT, "%s: empty answer (HTTP %ld)", url, code);
    else
        st = parse_repo_info(body.buf.data, url, out, err);
    om_buf_free(&body.buf);
    return st;
}

/* ---------------------------------------------------------------- downloads */

typedef struct download {
    CURL *curl;
    int fd;
    uint64_t offset;     /* bytes already in the file when the transfer started */
    uint64_t received;   /* bytes written by this transfer */
    uint64_t total;
    int started, discard, write_errno;
    const char *path;
    openmed_progress_callback progress;
    void *user_data;
} download;

static size_t on_body(char *ptr, size_t one, size_t n, void *user) {
    download *d = user;
    n *= one;
    if (!d->started) {
        d->started = 1;
        long code = 0;
        curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &code);
        if (code >= 300) d->discard = 1; /* an error page, never file content */
        else if (code == 200 && d->offset > 0) { /* the server ignored Range: start over */
            if (ftruncate(d->fd, 0) != 0 || lseek(d->fd, 0, SEEK_SET) != 0) {
                d->write_errno = errno;
                return 0;
            }
            d->offset = 0;
        }
    }
    if (d->discard) return n;
    for (size_t done = 0; done < n;) {
        ssize_t w = write(d->fd, ptr + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            d->write_errno = w < 0 ? errno : EIO;
            return 0;
        }
        done += (size_t)w;
    }
    d->received += n;
    return n;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ult, curl_off_t ulnow) {
    download *d = user;
    if (d->progress && !d->discard) d->progress(d->path, d->offset + (uint64_t)dlnow, d->total, d->user_data);
    return 0;
}

/* HEAD the resolve URL without following redirects: the hub's own headers name the file. */
static openmed_status head_file(const om_hub_settings *s, const char *url, const http_what *w, http_headers *h,
                                long *code_out, openmed_error *err) {
    memset(h, 0, sizeof *h);
    struct curl_slist *list;
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *c = new_handle(s, url, h, &list);
    if (!c) return om_fail(err, OPENMED_ERR_NO_MEMORY, "cannot create an HTTP handle");
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    OM_DEBUG("hub: HEAD %s", url);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_slist_free_all(list);
    *code_out = code;
    if (rc != CURLE_OK) return transport_error(rc, url, errbuf, err);
    if (code >= 400) return http_error(s, code, h, w, err);
    return OPENMED_OK;
}

static openmed_status verify_blob(const char *tmp, const om_hub_file *file, const char *etag, uint64_t size,
                                  om_file_digest *dg, openmed_error *err) {
    openmed_status st = om_digest_file(tmp, dg, err);
    if (st) return st;
    if (dg->size != size)
        return om_fail(err, OPENMED_ERR_INTEGRITY, "%s: size mismatch (expected %llu bytes, got %llu); discarded",
                       file->path, (unsigned long long)size, (unsigned long long)dg->size);
    const char *want_sha256 = file->sha256[0] ? file->sha256 : strlen(etag) == 64 ? etag : NULL;
    const char *want_sha1 = file->blob_id[0] && !want_sha256 ? file->blob_id : strlen(etag) == 40 ? etag : NULL;
    if (want_sha256 && strcmp(want_sha256, dg->sha256) != 0)
        return om_fail(err, OPENMED_ERR_INTEGRITY, "%s: sha256 mismatch (expected %s, got %s); discarded", file->path,
                       want_sha256, dg->sha256);
    if (want_sha1 && strcmp(want_sha1, dg->git_sha1) != 0)
        return om_fail(err, OPENMED_ERR_INTEGRITY, "%s: git blob id mismatch (expected %s, got %s); discarded",
                       file->path, want_sha1, dg->git_sha1);
    if (!want_sha256 && !want_sha1)
        return om_fail(err, OPENMED_ERR_INTEGRITY, "%s: the hub gave no checksum (ETag) to verify it against",
                       file->path);
    return OPENMED_OK;
}

openmed_status om_hub_download(const om_hub_settings *s, const char *repo, const char *commit,
                               const om_hub_file *file, const char *repo_dir,
                               openmed_progress_callback progress, void *user_data,
                               om_file_digest *digest, openmed_error *err) {
    if (s->offline)
        return om_fail(err, OPENMED_ERR_NETWORK, "offline mode is on: not downloading %s from %s", file->path, repo);
    if (strstr(file->path, "..") || file->path[0] == '/')
        return om_fail(err, OPENMED_ERR_FORMAT, "%s lists an unsafe file name '%s'", repo, file->path);
    char path_enc[2048], url[URL_MAX];
    if (url_encode(file->path, 1, path_enc, sizeof path_enc))
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "file name too long: %s", file->path);
    snprintf(url, sizeof url, "%s/%s/resolve/%s/%s", s->endpoint, repo, commit, path_enc);
    http_what w = {repo, commit, file->path, url};

    http_headers h;
    long code = 0;
    openmed_status st = head_file(s, url, &w, &h, &code, err);
    if (st) return st;
    char etag[160];
    normalize_etag(h.linked_etag[0] ? h.linked_etag : h.etag, etag, sizeof etag);
    if (!etag[0]) snprintf(etag, sizeof etag, "%s", file->sha256[0] ? file->sha256 : file->blob_id);
    if (!(om_is_hex(etag, 64) || om_is_hex(etag, 40)))
        return om_fail(err, OPENMED_ERR_INTEGRITY, "%s in %s: the hub's ETag '%s' is not a sha256 or git blob id",
                       file->path, repo, etag);
    if ((file->sha256[0] && strcmp(file->sha256, etag) != 0) ||
        (!file->sha256[0] && file->blob_id[0] && strcmp(file->blob_id, etag) != 0))
        return om_fail(err, OPENMED_ERR_INTEGRITY, "%s in %s: the file list says %s but the file's ETag says %s",
                       file->path, repo, file->sha256[0] ? file->sha256 : file->blob_id, etag);
    if (h.repo_commit[0] && strcmp(h.repo_commit, commit) != 0)
        return om_fail(err, OPENMED_ERR_INTEGRITY, "%s in %s: asked for commit %s, the hub answered for %s",
                       file->path, repo, commit, h.repo_commit);
    const char *size_text = h.linked_size[0] ? h.linked_size : h.content_length;
    uint64_t size = file->size;
    if (size_text[0] && !om_parse_u64(size_text, &size))
        return om_fail(err, OPENMED_ERR_INTEGRITY, "%s in %s: the file's size header \"%.40s\" is not a number",
                       file->path, repo, size_text);
    if (file->size && size != file->size)
        return om_fail(err, OPENMED_ERR_INTEGRITY, "%s in %s: the file list says %llu bytes, the file's headers %llu",
                       file->path, repo, (unsigned long long)file->size, (unsigned long long)size);
    char get_url[URL_MAX];
    if (code >= 300 && code < 400 && h.location[0])
        absolute_url(s->endpoint, h.location, get_url, sizeof get_url);
    else
        snprintf(get_url, sizeof get_url, "%s", url);

    char blobs[OPENMED_PATH_MAX], blob[OPENMED_PATH_MAX + 200], tmp[OPENMED_PATH_MAX + 220];
    snprintf(blobs, sizeof blobs, "%s/blobs", repo_dir);
    if ((st = om_mkdirs(blobs, err))) return st;
    snprintf(blob, sizeof blob, "%s/%s", blobs, etag);
    snprintf(tmp, sizeof tmp, "%s.incomplete", blob);

    /* One writer per blob across processes: lock the partial file, and make sure the lock is on
     * the file that is still at that path (another writer may have renamed or removed it). */
    int fd = -1;
    struct stat sb, at_path;
    for (int tries = 0; fd < 0; tries++) {
        fd = open(tmp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return om_fail(err, OPENMED_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
        flock(fd, LOCK_EX);
        if (fstat(fd, &sb) == 0 && stat(tmp, &at_path) == 0 && sb.st_ino == at_path.st_ino &&
            sb.st_dev == at_path.st_dev)
            break;
        close(fd);
        fd = -1;
        if (tries == 100) return om_fail(err, OPENMED_ERR_IO, "%s keeps changing under us; giving up", tmp);
    }
    if (om_file_exists(blob)) { /* an earlier run or another process fetched it: check, then reuse */
        openmed_error ignored;
        if (verify_blob(blob, file, etag, size, digest, &ignored) == OPENMED_OK) {
            close(fd);
            unlink(tmp);
            if (progress) progress(file->path, size, size, user_data);
            return om_cache_link(repo_dir, commit, file->path, etag, err);
        }
        OM_WARN("hub: cached blob %s is damaged (%s); fetching it again", blob, ignored.message);
        unlink(blob);
    }
    uint64_t have = fstat(fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    if (have > size) { /* cannot be a prefix of this file */
        if (ftruncate(fd, 0) != 0) have = 0;
        have = 0;
    }
    lseek(fd, (off_t)have, SEEK_SET);
    download d = {.fd = fd, .offset = have, .total = size, .path = file->path, .progress = progress,
                  .user_data = user_data};
    CURLcode rc = CURLE_OK;
    char errbuf[CURL_ERROR_SIZE] = "";
    if (have < size || size == 0) {
        struct curl_slist *list;
        http_headers gh;
        memset(&gh, 0, sizeof gh);
        CURL *c = new_handle(s, get_url, &gh, &list);
        if (!c) {
            close(fd);
            return om_fail(err, OPENMED_ERR_NO_MEMORY, "cannot create an HTTP handle");
        }
        d.curl = c;
        char range[64];
        if (have > 0) {
            snprintf(range, sizeof range, "%llu-", (unsigned long long)have);
            curl_easy_setopt(c, CURLOPT_RANGE, range);
            OM_INFO("hub: resuming %s of %s at byte %llu", file->path, repo, (unsigned long long)have);
        }
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);
        OM_DEBUG("hub: GET %s", get_url);
        rc = curl_easy_perform(c);
        code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_cleanup(c);
        curl_slist_free_all(list);
        if (d.write_errno) {
            close(fd);
            int e = d.write_errno;
            return om_fail(err, OPENMED_ERR_IO, "writing %s: %s", tmp,
                           e == ENOSPC || e == EDQUOT ? "disk full (free some space and run again to resume)"
                                                      : strerror(e));
        }
        if (code == 416 && have > 0) { /* our partial file is not a prefix the server knows: restart */
            close(fd);
            unlink(tmp);
            return om_fail(err, OPENMED_ERR_NETWORK, "%s: the server refused to resume %s; run again to restart it",
                           repo, file->path);
        }
        if (d.discard || code >= 400) {
            close(fd);
            w.url = get_url;
            return http_error(s, code, &gh, &w, err);
        }
        if (rc != CURLE_OK) {
            close(fd);
            char why[512];
            snprintf(why, sizeof why, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
            return om_fail(err, OPENMED_ERR_NETWORK,
                           "download of %s from %s interrupted after %llu of %llu bytes (%s); run the same command "
                           "again to resume",
                           file->path, repo, (unsigned long long)(d.offset + d.received), (unsigned long long)size, why);
        }
    }
    if (fsync(fd) != 0 && errno != EINVAL) OM_WARN("hub: fsync %s: %s", tmp, strerror(errno));
    st = verify_blob(tmp, file, etag, size, digest, err);
    if (st) {
        unlink(tmp); /* never leave a corrupt file behind: the next run starts clean */
        close(fd);
        return om_fail_prefix(err, st, "%s", repo);
    }
    if (rename(tmp, blob) != 0) {
        int e = errno;
        close(fd);
        return om_fail(err, OPENMED_ERR_IO, "cannot move %s into place: %s", tmp, strerror(e));
    }
    close(fd);
    if (progress) progress(file->path, size, size, user_data);
    return om_cache_link(repo_dir, commit, file->path, etag, err);
}
