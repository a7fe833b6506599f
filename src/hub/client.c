/* client.c: the Hugging Face hub protocol over libcurl, as huggingface_hub speaks it:
 *   GET  /api/models/{repo}/revision/{rev}?blobs=true   -> {"sha", "siblings": [{rfilename, size, blobId, lfs}]}
 *   HEAD /{repo}/resolve/{commit}/{path}                -> X-Repo-Commit, ETag / X-Linked-Etag (LFS sha256),
 *                                                          X-Linked-Size, Location (redirect to the file store)
 *   GET  <Location or resolve URL> with Range: bytes=N- -> the bytes, resumed
 * Errors carry X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo). */
#include "hub/client.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file.h"
#include "core/log.h"
#include "hub/cache.h"
#include "hub/http.h"

#define API_MAX_BYTES (64u << 20)
#define URL_MAX OM_HTTP_URL_MAX

/* The pieces of context an HTTP error message names. */
typedef struct http_what {
    const char *repo, *revision, *file, *url;
} http_what;

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

/* Make a Location header absolute against the URL that sent it. */
static int absolute_url(const char *base, const char *location, char *out, size_t size) {
    CURLU *u = curl_url();
    char *full = NULL;
    int ok = u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
             curl_url_set(u, CURLUPART_URL, location, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK && strlen(full) < size;
    if (ok) snprintf(out, size, "%s", full);
    curl_free(full);
    curl_url_cleanup(u);
    return ok ? 0 : -1;
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

/* A decimal header value; -1 when absent or not a plain number. */
static int64_t header_number(const char *v) {
    if (!v[0]) return -1;
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || v[0] == '-' || n > INT64_MAX) return -1;
    return (int64_t)n;
}

/* ---------------------------------------------------------------- errors */

static openmed_status transport_error(const om_http_response *r, const char *url, openmed_error *err) {
    switch (r->rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return om_fail(err, OPENMED_ERR_NETWORK,
                       "cannot reach %s (%s): the network is down or the hub is unreachable; use a cached model "
                       "with OPENMED_OFFLINE=1",
                       url, r->why);
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_ABORTED_BY_CALLBACK:
        return om_fail(err, OPENMED_ERR_NETWORK, "%s: timed out (%s)", url, r->why);
    default:
        return om_fail(err, OPENMED_ERR_NETWORK, "%s: %s", url, r->why);
    }
}

static openmed_status http_error(const om_hub_settings *s, long code, const om_http_headers *h, const http_what *w,
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

typedef struct membuf {
    char *data;
    size_t size;
    int too_big;
} membuf;

static int on_memory(const char *ptr, size_t n, long code, const om_http_headers *h, void *user) {
    membuf *b = user;
    if (b->size + n > API_MAX_BYTES) {
        b->too_big = 1;
        return 0;
    }
    char *grown = realloc(b->data, b->size + n + 1);
    if (!grown) return 0;
    b->data = grown;
    memcpy(b->data + b->size, ptr, n);
    b->size += n;
    b->data[b->size] = 0;
    return 1;
}

/* Perform a metadata request, trying again after transient failures (s->retries times, with
 * backoff). `reset` clears what a failed attempt left in rq->user. */
static openmed_status metadata_request(const om_hub_settings *s, const om_http_request *rq, om_http_response *r,
                                       void (*reset)(void *), openmed_error *err) {
    for (int attempt = 0;; attempt++) {
        if (reset) reset(rq->user);
        openmed_status st = om_http_perform(s, rq, r, err);
        if (st || !om_http_transient(r) || attempt >= s->retries) return st;
        OM_WARN("hub: %s: %s; trying again (%d of %d)", rq->url, r->rc ? r->why : "server busy", attempt + 1,
                s->retries);
        om_http_backoff(attempt + 1, r);
    }
}

static void membuf_reset(void *user) {
    membuf *b = user;
    free(b->data);
    memset(b, 0, sizeof *b);
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
    membuf body = {0};
    om_http_request rq = {.url = url, .follow = 1 /* renamed repos redirect */, .kind = OM_HTTP_METADATA,
                          .on_body = on_memory, .user = &body};
    om_http_response r;
    openmed_status st = metadata_request(s, &rq, &r, membuf_reset, err);
    http_what w = {repo, revision, NULL, url};
    if (st == OPENMED_OK) {
        if (body.too_big)
            st = om_fail(err, OPENMED_ERR_FORMAT, "%s: answer larger than %u bytes", url, API_MAX_BYTES);
        else if (r.rc != CURLE_OK)
            st = transport_error(&r, url, err);
        else if (r.code >= 300)
            st = http_error(s, r.code, &r.h, &w, err);
        else if (!body.data)
            st = om_fail(err, OPENMED_ERR_FORMAT, "%s: empty answer (HTTP %ld)", url, r.code);
        else
            st = parse_repo_info(body.data, url, out, err);
    }
    free(body.data);
    return st;
}

/* ---------------------------------------------------------------- downloads */

typedef struct download {
    int fd;
    uint64_t offset;   /* bytes in the file when this attempt started */
    uint64_t received; /* bytes this attempt wrote */
    uint64_t total;    /* the advertised size: never more is written */
    int started, overflow, write_errno;
    char mismatch[192]; /* why the answer does not fit the advertised file */
    const char *path;
    openmed_progress_callback progress;
    void *user_data;
} download;

/* "bytes START-END/TOTAL" -> start and total (-1 when '*'); -1 when malformed. */
static int parse_content_range(const char *v, int64_t *start, int64_t *total) {
    unsigned long long a, b;
    char rest[32];
    if (sscanf(v, "bytes %llu-%llu/%31s", &a, &b, rest) != 3 || b < a) return -1;
    *start = (int64_t)a;
    *total = rest[0] == '*' ? -1 : header_number(rest);
    return rest[0] != '*' && *total < 0 ? -1 : 0;
}

/* The first bytes of an answer: a 200 to a Range request starts the file over; a 206 must resume
 * exactly where the file stands; a stated length must be what is missing. */
static int check_answer(download *d, long code, const om_http_headers *h) {
    if (code == 200 && d->offset > 0) { /* the server ignored Range: start over */
        if (ftruncate(d->fd, 0) != 0 || lseek(d->fd, 0, SEEK_SET) != 0) {
            d->write_errno = errno;
            return 0;
        }
        d->offset = 0;
    }
    if (code == 206) {
        int64_t start, total;
        if (parse_content_range(h->content_range, &start, &total) || (uint64_t)start != d->offset ||
            (total >= 0 && (uint64_t)total != d->total)) {
            snprintf(d->mismatch, sizeof d->mismatch,
                     "asked for bytes from %" PRIu64 " of %" PRIu64 ", the server sent the range '%.64s'", d->offset,
                     d->total, h->content_range);
            return 0;
        }
    }
    int64_t length = header_number(h->content_length);
    if (length >= 0 && (uint64_t)length != d->total - d->offset) {
        snprintf(d->mismatch, sizeof d->mismatch,
                 "the file has %" PRIu64 " bytes, %" PRIu64 " still to come, but the server announces %" PRId64,
                 d->total, d->total - d->offset, length);
        return 0;
    }
    return 1;
}

static int on_body(const char *ptr, size_t n, long code, const om_http_headers *h, void *user) {
    download *d = user;
    if (!d->started) {
        d->started = 1;
        if (!check_answer(d, code, h)) return 0;
    }
    if (n > d->total - d->offset - d->received) { /* an endless or oversized answer: never past the size */
        d->overflow = 1;
        return 0;
    }
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
    if (d->progress) d->progress(d->path, d->offset + d->received, d->total, d->user_data);
    return 1;
}

/* HEAD the resolve URL without following redirects: the hub's own headers name the file. */
static openmed_status head_file(const om_hub_settings *s, const char *url, const http_what *w, om_http_response *r,
                                openmed_error *err) {
    om_http_request rq = {.url = url, .head = 1, .kind = OM_HTTP_METADATA};
    openmed_status st = metadata_request(s, &rq, r, NULL, err);
    if (st) return st;
    if (r->rc != CURLE_OK) return transport_error(r, url, err);
    if (r->code >= 400) return http_error(s, r->code, &r->h, w, err);
    return OPENMED_OK;
}

/* Refuse to start a download that cannot fit: the free space of the cache's file system. */
static openmed_status check_space(const char *dir, const char *file, uint64_t needed, openmed_error *err) {
    struct statvfs vfs;
    if (needed == 0 || statvfs(dir, &vfs) != 0) return OPENMED_OK; /* unknown: the writes will tell */
    uint64_t free_bytes = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
    if (free_bytes >= needed) return OPENMED_OK;
    return om_fail(err, OPENMED_ERR_IO,
                   "disk full: %s needs %" PRIu64 " more bytes in %s, which has %" PRIu64 " free; free some space "
                   "or set cache_dir to another disk",
                   file, needed, dir, free_bytes);
}

static openmed_status write_failed(const char *tmp, const char *file, int e, openmed_error *err) {
    unlink(tmp); /* a half file helps nobody on a full disk */
    if (e == ENOSPC || e == EDQUOT || e == EFBIG)
        return om_fail(err, OPENMED_ERR_IO, "writing %s (%s): disk full (%s); the partial file was removed, free some "
                       "space or set cache_dir to another disk",
                       file, tmp, strerror(e));
    return om_fail(err, OPENMED_ERR_IO, "writing %s for %s: %s; the partial file was removed", tmp, file, strerror(e));
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

/* Bring blobs/<etag>.incomplete (fd, already holding a prefix) up to `size` bytes from get_url,
 * resuming with Range after every cut, stall or busy answer: at most s->retries attempts in a row
 * without progress, and 10 x (retries + 1) in all; retries 0 means one attempt. */
static openmed_status fetch_bytes(const om_hub_settings *s, const http_what *what, const om_hub_file *file,
                                  const char *get_url, int left_origin, int fd, const char *tmp, uint64_t size,
                                  openmed_progress_callback progress, void *user_data, openmed_error *err) {
    int stale = 0, max_attempts = s->retries ? 10 * (s->retries + 1) : 1;
    const char *repo = what->repo;
    http_what w = *what;
    for (int attempt = 1;; attempt++) {
        struct stat sb;
        uint64_t have = fstat(fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
        if (have > size) { /* cannot be a prefix of this file */
            if (ftruncate(fd, 0) != 0) return write_failed(tmp, file->path, errno, err);
            have = 0;
        }
        if (attempt > 1 && have == size) return OPENMED_OK;
        if (lseek(fd, (off_t)have, SEEK_SET) < 0) return write_failed(tmp, file->path, errno, err);
        download d = {.fd = fd, .offset = have, .total = size, .path = file->path, .progress = progress,
                      .user_data = user_data};
        char range[48];
        snprintf(range, sizeof range, "%" PRIu64 "-", have);
        if (have > 0) OM_INFO("hub: resuming %s of %s at byte %" PRIu64, file->path, repo, have);
        om_http_request rq = {.url = get_url, .follow = 1, .left_origin = left_origin, .range = have ? range : NULL,
                              .kind = OM_HTTP_FILE, .expected_bytes = size - have, .on_body = on_body, .user = &d};
        om_http_response r;
        openmed_status st = om_http_perform(s, &rq, &r, err);
        if (st) return st;
        if (d.write_errno) return write_failed(tmp, file->path, d.write_errno, err);
        if (d.overflow) {
            unlink(tmp);
            return om_fail(err, OPENMED_ERR_INTEGRITY,
                           "%s in %s: the server sent more than the %" PRIu64 " bytes advertised; stopped and discarded",
                           file->path, repo, size);
        }
        if (d.mismatch[0]) {
            unlink(tmp);
            return om_fail(err, OPENMED_ERR_INTEGRITY, "%s in %s: %s; discarded", file->path, repo, d.mismatch);
        }
        if (r.rc == CURLE_OK && r.code == 416 && have > 0) { /* our prefix is not one the server knows */
            OM_WARN("hub: the server refused to resume %s of %s; starting over", file->path, repo);
            if (ftruncate(fd, 0) != 0) return write_failed(tmp, file->path, errno, err);
        } else if (r.rc == CURLE_OK && r.code >= 300 && !om_http_transient(&r)) {
            w.url = r.url;
            return http_error(s, r.code, &r.h, &w, err);
        } else if (r.rc != CURLE_OK && !om_http_transient(&r)) {
            return transport_error(&r, r.url, err);
        }
        uint64_t now_have = have + d.received;
        if (r.rc == CURLE_OK && r.code < 300 && now_have == size) return OPENMED_OK;
        /* a cut, a stall, a deadline or a busy server: try again, resuming */
        int progress_made = d.received > 0 && !r.stalled;
        stale = progress_made ? 0 : stale + 1;
        char why[sizeof r.why + 32];
        if (r.rc != CURLE_OK) snprintf(why, sizeof why, "%s", r.why);
        else if (r.code >= 300) snprintf(why, sizeof why, "HTTP %ld", r.code);
        else snprintf(why, sizeof why, "the answer ended early");
        if (stale > s->retries || attempt >= max_attempts)
            return om_fail(err, OPENMED_ERR_NETWORK,
                           "download of %s from %s interrupted after %" PRIu64 " of %" PRIu64 " bytes (%s); gave up "
                           "after %d attempts; the same command resumes it",
                           file->path, repo, now_have, size, why, attempt);
        OM_WARN("hub: %s of %s: %s after %" PRIu64 " of %" PRIu64 " bytes; resuming (attempt %d)", file->path, repo,
                why, now_have, size, attempt + 1);
        om_http_backoff(progress_made ? 1 : stale, &r);
    }
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

    om_http_response head;
    openmed_status st = head_file(s, url, &w, &head, err);
    if (st) return st;
    const om_http_headers *h = &head.h;
    char etag[160];
    normalize_etag(h->linked_etag[0] ? h->linked_etag : h->etag, etag, sizeof etag);
    if (!etag[0]) snprintf(etag, sizeof etag, "%s", file->sha256[0] ? file->sha256 : file->blob_id);
    if (!(om_is_hex(etag, 64) || om_is_hex(etag, 40)))
        return om_fail(err, OPENMED_ERR_INTEGRITY, "%s in %s: the hub's ETag '%s' is not a sha256 or git blob id",
                       file->path, repo, etag);
    if ((file->sha256[0] && strcmp(file->sha256, etag) != 0) ||
        (!file->sha256[0] && file->blob_id[0] && strcmp(file->blob_id, etag) != 0))
        return om_fail(err, OPENMED_ERR_INTEGRITY, "%s in %s: the file list says %s but the file's ETag says %s",
                       file->path, repo, file->sha256[0] ? file->sha256 : file->blob_id, etag);
    if (h->repo_commit[0] && strcmp(h->repo_commit, commit) != 0)
        return om_fail(err, OPENMED_ERR_INTEGRITY, "%s in %s: asked for commit %s, the hub answered for %s",
                       file->path, repo, commit, h->repo_commit);
    /* The size every write is capped at: X-Linked-Size, else the Content-Length of a direct answer,
     * else the listing's; they must agree where more than one speaks. */
    int redirected = head.code >= 300 && head.code < 400;
    int64_t linked = header_number(h->linked_size), length = redirected ? -1 : header_number(h->content_length);
    int64_t advertised = linked >= 0 ? linked : length;
    if (advertised < 0 && !file->size)
        return om_fail(err, OPENMED_ERR_INTEGRITY, "%s in %s: the hub advertises no size for it; refusing an "
                       "unbounded download", file->path, repo);
    uint64_t size = advertised >= 0 ? (uint64_t)advertised : file->size;
    if (file->size && size != file->size)
        return om_fail(err, OPENMED_ERR_INTEGRITY, "%s in %s: the file list says %" PRIu64 " bytes, the file's headers %"
                       PRIu64, file->path, repo, file->size, size);
    char get_url[URL_MAX];
    if (redirected && h->location[0]) {
        if (absolute_url(url, h->location, get_url, sizeof get_url))
            return om_fail(err, OPENMED_ERR_NETWORK, "%s in %s: cannot follow the redirect to '%.200s'", file->path,
                           repo, h->location);
    } else {
        snprintf(get_url, sizeof get_url, "%s", url);
    }

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
    st = check_space(blobs, file->path, size > have ? size - have : 0, err);
    if (st) {
        if (have == 0) unlink(tmp);
        close(fd);
        return st;
    }
    if (have < size || size == 0) {
        st = fetch_bytes(s, &w, file, get_url, !om_http_same_origin(get_url, s->endpoint), fd, tmp, size, progress,
                         user_data, err);
        if (st) {
            if (fstat(fd, &sb) == 0 && sb.st_size == 0) unlink(tmp); /* nothing worth resuming */
            close(fd);
            return st;
        }
    }
    if (fsync(fd) != 0 && errno != EINVAL) {
        int e = errno;
        close(fd);
        return write_failed(tmp, file->path, e, err);
    }
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
