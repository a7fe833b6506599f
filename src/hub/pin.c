/* pin.c: OpenMed's reproducibility pin over hub metadata and its integrity sidecar files. */
#include "hub/pin.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "hub/cache.h"
#include "hub/digest.h"

#define SIDECAR_SCHEMA "openmed.model_integrity.v1"

/* A JSON string as Python's json.dumps writes it (ensure_ascii). */
static void json_string(om_buf *b, const char *s) {
    om_buf_json_string(b, s, strlen(s), 1);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

openmed_status om_pin_hash(const om_hub_repo_info *info, char out[72], openmed_error *err) {
    const char **names = malloc((info->n_files ? info->n_files : 1) * sizeof *names);
    if (!names) return om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < info->n_files; i++) names[i] = info->files[i].path;
    qsort(names, info->n_files, sizeof *names, cmp_str); /* byte order = code point order in UTF-8 */
    om_buf b;
    om_buf_init(&b);
    om_buf_puts(&b, "{\"released\":");
    const char *t = info->last_modified;
    if (strlen(t) >= 10 && t[4] == '-' && t[7] == '-') {
        char date[11];
        memcpy(date, t, 10);
        date[10] = 0;
        json_string(&b, date);
    } else {
        om_buf_puts(&b, "null");
    }
    om_buf_puts(&b, ",\"repo_id\":");
    json_string(&b, info->id);
    om_buf_puts(&b, ",\"sha\":");
    json_string(&b, info->sha);
    om_buf_puts(&b, ",\"siblings\":[");
    for (size_t i = 0; i < info->n_files; i++) {
        if (i) om_buf_put(&b, ",", 1);
        json_string(&b, names[i]);
    }
    om_buf_puts(&b, "]}");
    free(names);
    if (b.failed) {
        om_buf_free(&b);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    }
    char hex[65];
    om_sha256_hex(b.data, b.len, hex);
    om_buf_free(&b);
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
