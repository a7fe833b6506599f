/* pin.c: OpenMed's reproducibility pin over hub metadata and its integrity sidecar files. */
#include "hub/pin.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file.h"
#include "hub/cache.h"
#include "hub/digest.h"

#define SIDECAR_SCHEMA "openmed.model_integrity.v1"

typedef struct strbuf {
    char *data;
    size_t len, cap;
    int failed;
} strbuf;

static void sb_put(strbuf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap + n + 1) * 2;
        char *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

static void sb_str(strbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* Decode one UTF-8 code point; invalid bytes count as themselves (U+FFFD-free, never loops). */
static unsigned utf8_next(const unsigned char **p) {
    const unsigned char *s = *p;
    unsigned c = s[0];
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    for (int i = 1; i <= extra; i++)
        if ((s[i] & 0xC0) != 0x80) extra = 0;
    if (extra == 0) {
        *p = s + 1;
        return c;
    }
    c &= 0x3F >> extra;
    for (int i = 1; i <= extra; i++) c = (c << 6) | (s[i] & 0x3F);
    *p = s + 1 + extra;
    return c;
}

/* A JSON string as Python's json.dumps writes it (ensure_ascii: \uXXXX, surrogate pairs). */
static void sb_json_string(strbuf *b, const char *s) {
    char esc[16];
    sb_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned c = utf8_next(&p);
        switch (c) {
        case '"': sb_str(b, "\\\""); break;
        case '\\': sb_str(b, "\\\\"); break;
        case '\n': sb_str(b, "\\n"); break;
        case '\r': sb_str(b, "\\r"); break;
        case '\t': sb_str(b, "\\t"); break;
        case '\b': sb_str(b, "\\b"); break;
        case '\f': sb_str(b, "\\f"); break;
        default:
            if (c < 0x20 || (c >= 0x7F && c < 0x10000)) {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                sb_str(b, esc);
            } else if (c >= 0x10000) {
                c -= 0x10000;
                snprintf(esc, sizeof esc, "\\u%04x\\u%04x", 0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF));
                sb_str(b, esc);
            } else {
                char ch = (char)c;
                sb_put(b, &ch, 1);
            }
        }
    }
    sb_put(b, "\"", 1);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

openmed_status om_pin_hash(const om_hub_repo_info *info, char out[72], openmed_error *err) {
    const char **names = malloc((info->n_files ? info->n_files : 1) * sizeof *names);
    if (!names) return om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < info->n_files; i++) names[i] = info->files[i].path;
    qsort(names, info->n_files, sizeof *names, cmp_str); /* byte order = code point order in UTF-8 */
    strbuf b = {0};
    sb_str(&b, "{\"released\":");
    const char *t = info->last_modified;
    if (strlen(t) >= 10 && t[4] == '-' && t[7] == '-') {
        char date[11];
        memcpy(date, t, 10);
        date[10] = 0;
        sb_json_string(&b, date);
    } else {
        sb_str(&b, "null");
    }
    sb_str(&b, ",\"repo_id\":");
    sb_json_string(&b, info->id);
    sb_str(&b, ",\"sha\":");
    sb_json_string(&b, info->sha);
    sb_str(&b, ",\"siblings\":[");
    for (size_t i = 0; i < info->n_files; i++) {
        if (i) sb_put(&b, ",", 1);
        sb_json_string(&b, names[i]);
    }
    sb_str(&b, "]}");
    free(names);
    if (b.failed) {
        free(b.data);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    }
    char hex[65];
    om_sha256_hex(b.data, b.len, hex);
    free(b.data);
    snprintf(out, 72, "sha256:%s", hex);
    return OPENMED_OK;
}

void om_pin_sidecar_path(const char *cache_dir, const char *repo_id, const char *hash, char *out, size_t size) {
    char model[65];
    om_sha256_hex(repo_id, strlen(repo_id), model);
    model[24] = 0;
    snprintf(out, size, "%s/integrity/%s/%s.json", cache_dir, model, !strncmp(hash, "sha256:", 7) ? hash + 7 : hash);
}

openmed_status om_pin_write_sidecar(const char *sidecar, const char *repo_id, const char *hash, const char *root,
                                    const om_pin_artifact *artifacts, size_t n, openmed_error *err) {
    cJSON *doc = cJSON_CreateObject(), *list = cJSON_CreateArray();
    char digest[80], dir[OPENMED_PATH_MAX], tmp[OPENMED_PATH_MAX + 32];
    if (!doc || !list) {
        cJSON_Delete(doc);
        cJSON_Delete(list);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    }
    cJSON_AddStringToObject(doc, "artifact_root", root);
    cJSON_AddItemToObject(doc, "artifacts", list);
    for (size_t i = 0; i < n; i++) {
        cJSON *a = cJSON_CreateObject();
        snprintf(digest, sizeof digest, "sha256:%s", artifacts[i].sha256);
        cJSON_AddStringToObject(a, "path", artifacts[i].path);
        cJSON_AddStringToObject(a, "sha256", digest);
        cJSON_AddNumberToObject(a, "size", (double)artifacts[i].size);
        cJSON_AddItemToArray(list, a);
    }
    cJSON_AddStringToObject(doc, "model_id", repo_id);
    cJSON_AddStringToObject(doc, "reproducibility_hash", hash);
    cJSON_AddStringToObject(doc, "schema_version", SIDECAR_SCHEMA);
    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (!text) return om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    snprintf(dir, sizeof dir, "%s", sidecar);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    openmed_status st = om_mkdirs(dir, err);
    if (!st) {
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", sidecar, (long)getpid());
        FILE *f = fopen(tmp, "w");
        int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
        if (f && fclose(f) != 0) ok = 0;
        if (!ok || rename(tmp, sidecar) != 0) {
            unlink(tmp);
            st = om_fail(err, OPENMED_ERR_IO, "cannot write the integrity record %s", sidecar);
        }
    }
    free(text);
    return st;
}

openmed_status om_pin_verify_sidecar(const char *sidecar, const char *repo_id, const char *hash, char *root_out,
                                     size_t root_size, openmed_error *err) {
    char *text = NULL;
    size_t size = 0;
    openmed_status st = om_read_file(sidecar, 64u << 20, &text, &size, err);
    if (st) return st;
    cJSON *doc = cJSON_Parse(text);
    free(text);
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "schema_version");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(doc, "model_id");
    const cJSON *pin = cJSON_GetObjectItemCaseSensitive(doc, "reproducibility_hash");
    const cJSON *root = cJSON_GetObjectItemCaseSensitive(doc, "artifact_root");
    const cJSON *artifacts = cJSON_GetObjectItemCaseSensitive(doc, "artifacts"), *a;
    if (!cJSON_IsObject(doc) || !cJSON_IsString(schema) || strcmp(schema->valuestring, SIDECAR_SCHEMA) != 0 ||
        !cJSON_IsString(model) || !cJSON_IsString(pin) || !cJSON_IsString(root) || !root->valuestring[0] ||
        !cJSON_IsArray(artifacts) || cJSON_GetArraySize(artifacts) == 0) {
        st = om_fail(err, OPENMED_ERR_FORMAT, "integrity record %s is invalid (schema %s expected)", sidecar,
                     SIDECAR_SCHEMA);
        goto done;
    }
    if (strcmp(model->valuestring, repo_id) != 0 || strcmp(pin->valuestring, hash) != 0) {
        st = om_fail(err, OPENMED_ERR_INTEGRITY, "integrity record %s belongs to %s pinned at %s, not %s at %s",
                     sidecar, model->valuestring, pin->valuestring, repo_id, hash);
        goto done;
    }
    cJSON_ArrayForEach(a, artifacts) {
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(a, "path");
        const cJSON *sha = cJSON_GetObjectItemCaseSensitive(a, "sha256");
        if (!cJSON_IsString(path) || !cJSON_IsString(sha) || strncmp(sha->valuestring, "sha256:", 7) != 0 ||
            !om_is_hex(sha->valuestring + 7, 64) || path->valuestring[0] == '/' || strstr(path->valuestring, "..")) {
            st = om_fail(err, OPENMED_ERR_FORMAT, "integrity record %s: an artifact entry is invalid", sidecar);
            goto done;
        }
        char file[OPENMED_PATH_MAX * 2];
        snprintf(file, sizeof file, "%s/%s", root->valuestring, path->valuestring);
        om_file_digest dg;
        if (!om_file_exists(file)) {
            st = om_fail(err, OPENMED_ERR_INTEGRITY, "%s: cached artifact %s is missing (recorded in %s)", repo_id,
                         file, sidecar);
            goto done;
        }
        if ((st = om_digest_file(file, &dg, err))) goto done;
        if (strcmp(dg.sha256, sha->valuestring + 7) != 0) {
            st = om_fail(err, OPENMED_ERR_INTEGRITY,
                         "%s: cached artifact %s does not match its recorded sha256 (expected %s, actual sha256:%s); "
                         "run `openmed models pull %s` online to fetch it again",
                         repo_id, file, sha->valuestring, dg.sha256, repo_id);
            goto done;
        }
    }
    if (strlen(root->valuestring) >= root_size) {
        st = om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "snapshot path too long: %s", root->valuestring);
        goto done;
    }
    snprintf(root_out, root_size, "%s", root->valuestring);
done:
    cJSON_Delete(doc);
    return st;
}
