/* pii_batch.c: many documents through openmed_deidentify: a streaming reader (folder entries in name
 * order, JSONL lines with "text" and optional "id" and "patient_key"), folder or JSONL writers with
 * atomic renames, per-document errors, and the progress bar. */
#include "pii_batch.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "output_file.h"
#include "pii_json.h"
#include "strbuf.h"

#define MAX_DOC_BYTES ((size_t)256 << 20)

static int ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && !strcmp(s + n - t, tail);
}

static int is_dir(const char *p) {
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int pii_batch_wanted(const char *input) { return input && (is_dir(input) || ends_with(input, ".jsonl")); }

/* ---------------------------------------------------------------- reading */

typedef struct doc {
    char id[512];
    char *text; /* owned */
    size_t len;
    char *patient_key; /* owned, or NULL */
    char error[OPENMED_ERROR_MESSAGE_MAX]; /* set when the record itself is unusable */
} doc;

typedef struct source {
    int jsonl;
    FILE *f;          /* jsonl */
    size_t line;
    char **names;     /* folder entries */
    size_t n_names, next;
    const char *dir;
    size_t total;     /* documents, for the progress bar (JSONL: lines) */
} source;

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int source_open(source *s, const char *input) {
    memset(s, 0, sizeof *s);
    if (is_dir(input)) {
        DIR *d = opendir(input);
        if (!d) {
            fprintf(stderr, "openmed pii: cannot read folder %s: %s\n", input, strerror(errno));
            return 0;
        }
        struct dirent *e;
        size_t cap = 0;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char path[OPENMED_PATH_MAX];
            snprintf(path, sizeof path, "%s/%s", input, e->d_name);
            struct stat st;
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
            if (s->n_names == cap) {
                cap = cap ? cap * 2 : 64;
                char **grown = realloc(s->names, cap * sizeof *grown);
                if (!grown) break;
                s->names = grown;
            }
            if (!(s->names[s->n_names] = strdup(e->d_name))) break;
            s->n_names++;
        }
        closedir(d);
        qsort(s->names, s->n_names, sizeof *s->names, by_name);
        s->dir = input;
        s->total = s->n_names;
        return 1;
    }
    s->jsonl = 1;
    if (!(s->f = fopen(input, "rb"))) {
        fprintf(stderr, "openmed pii: cannot read %s: %s\n", input, strerror(errno));
        return 0;
    }
    int c, last = '\n';
    while ((c = getc(s->f)) != EOF) { /* count records for the progress bar */
        if (c == '\n' && last != '\n') s->total++;
        last = c;
    }
    if (last != '\n') s->total++;
    rewind(s->f);
    return 1;
}

static void source_close(source *s) {
    if (s->f) fclose(s->f);
    for (size_t i = 0; i < s->n_names; i++) free(s->names[i]);
    free(s->names);
}

static void doc_clear(doc *d) {
    free(d->text);
    free(d->patient_key);
    memset(d, 0, sizeof *d);
}

/* The next document; 0 at the end. A record that cannot be read comes back with d->error set. */
static int source_next(source *s, doc *d) {
    doc_clear(d);
    if (!s->jsonl) {
        if (s->next == s->n_names) return 0;
        const char *name = s->names[s->next++];
        snprintf(d->id, sizeof d->id, "%s", name);
        char path[OPENMED_PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", s->dir, name);
        openmed_error err = {0};
        if (cli_read_file(path, MAX_DOC_BYTES, &d->text, &d->len, &err) != OPENMED_OK)
            snprintf(d->error, sizeof d->error, "%s", err.message);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    do {
        n = getline(&line, &cap, s->f);
        if (n < 0) {
            free(line);
            return 0;
        }
        s->line++;
    } while (n == 0 || (n == 1 && line[0] == '\n'));
    snprintf(d->id, sizeof d->id, "%zu", s->line);
    cJSON *j = cJSON_ParseWithLength(line, (size_t)n);
    free(line);
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(j, "text"), *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(j, "patient_key");
    if (cJSON_IsString(id)) snprintf(d->id, sizeof d->id, "%s", id->valuestring);
    else if (cJSON_IsNumber(id)) snprintf(d->id, sizeof d->id, "%.17g", id->valuedouble);
    if (!cJSON_IsObject(j)) snprintf(d->error, sizeof d->error, "line %zu: not a JSON object", s->line);
    else if (!cJSON_IsString(text)) snprintf(d->error, sizeof d->error, "line %zu: no \"text\" string", s->line);
    else if (pk && !cJSON_IsString(pk)) snprintf(d->error, sizeof d->error, "line %zu: \"patient_key\" is not a string", s->line);
    else {
        d->text = strdup(text->valuestring);
        d->len = d->text ? strlen(d->text) : 0;
        if (cJSON_IsString(pk)) d->patient_key = strdup(pk->valuestring);
        if (!d->text || (cJSON_IsString(pk) && !d->patient_key)) snprintf(d->error, sizeof d->error, "out of memory");
    }
    cJSON_Delete(j);
    return 1;
}

/* ---------------------------------------------------------------- progress */

static void progress(const pii_batch *b, size_t done, size_t total, size_t failed) {
    if (b->quiet || !isatty(2) || total == 0) return;
    int width = 30, fill = (int)(done * (size_t)width / total);
    fprintf(stderr, "\r\033[Kopenmed pii: [%.*s%*s] %zu/%zu documents%s", fill, "##############################",
            width - fill, "", done, total, failed ? " (some failed)" : "");
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
}

/* ---------------------------------------------------------------- the run */

int pii_batch_run(const pii_batch *b) {
    int dir_out = is_dir(b->input);
    int to_stdout = !b->output || !strcmp(b->output, "-");
    if (dir_out && to_stdout) {
        fprintf(stderr, "openmed pii: a folder of documents needs --output FOLDER\n");
        return 2;
    }
    if (dir_out && mkdir(b->output, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "openmed pii: cannot create folder %s: %s\n", b->output, strerror(errno));
        return 2;
    }
    if (dir_out && !is_dir(b->output)) {
        fprintf(stderr, "openmed pii: --output %s is not a folder\n", b->output);
        return 2;
    }
    source src;
    if (!source_open(&src, b->input)) return 2;
    /* JSONL output: lines go to a temporary file renamed at the end (or straight to stdout) */
    FILE *jsonl = NULL;
    char tmp[OPENMED_PATH_MAX + 16] = "";
    if (!dir_out && !to_stdout) {
        snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", b->output);
        int fd = mkstemp(tmp);
        if (fd < 0 || !(jsonl = fdopen(fd, "wb"))) {
            fprintf(stderr, "openmed pii: cannot write %s: %s\n", b->output, strerror(errno));
            if (fd >= 0) close(fd);
            source_close(&src);
            return 2;
        }
    } else if (!dir_out) {
        jsonl = stdout;
    }
    doc d = {0};
    size_t done = 0, failed = 0;
    int io_failed = 0;
    om_strbuf buf;
    om_strbuf_init(&buf);
    progress(b, 0, src.total, 0);
    while (!io_failed && source_next(&src, &d)) {
        openmed_error err = {0};
        openmed_deid_result *r = NULL;
        openmed_deid_options o = *b->options;
        if (d.patient_key) o.patient_key = d.patient_key;
        openmed_status st = OPENMED_OK;
        if (d.error[0]) {
            st = OPENMED_ERR_INVALID_ARGUMENT;
            snprintf(err.message, sizeof err.message, "%s", d.error);
        } else {
            st = openmed_deidentify(b->model, d.text, d.len, &o, &r, &err);
        }
        buf.len = 0;
        if (st != OPENMED_OK) {
            failed++;
            if (!b->quiet && isatty(2)) fputs("\r\033[K", stderr);
            fprintf(stderr, "openmed pii: document %s failed (%s): %s\n", d.id, openmed_status_name(st), err.message);
            if (jsonl) { /* the failure is recorded in place of the document, without its text */
                om_strbuf_puts(&buf, "{\"id\": ");
                om_strbuf_json_string(&buf, d.id, strlen(d.id));
                om_strbuf_printf(&buf, ", \"error\": {\"status\": \"%s\", \"message\": ", openmed_status_name(st));
                om_strbuf_json_string(&buf, err.message, strlen(err.message));
                om_strbuf_puts(&buf, "}}\n");
            }
        } else if (jsonl) {
            om_pii_write_deid_json(&buf, d.id, d.text, d.len, b->model_name, &o, r, 1);
        } else {
            char path[OPENMED_PATH_MAX * 2];
            snprintf(path, sizeof path, "%s/%s%s", b->output, d.id, b->json ? ".json" : "");
            if (b->json) om_pii_write_deid_json(&buf, NULL, d.text, d.len, b->model_name, &o, r, 0);
            else om_strbuf_put(&buf, r->deidentified_text, r->deidentified_len);
            if (buf.failed || !cli_write_file_atomic(path, buf.len ? buf.data : "", buf.len)) failed++;
            buf.len = 0;
        }
        if (jsonl && buf.len && (buf.failed || fwrite(buf.data, 1, buf.len, jsonl) != buf.len)) io_failed = 1;
        openmed_deid_result_free(r);
        done++;
        progress(b, done, src.total > done ? src.total : done, failed);
    }
    doc_clear(&d);
    om_strbuf_free(&buf);
    source_close(&src);
    if (jsonl && jsonl != stdout) {
        int ok = !io_failed && fflush(jsonl) == 0 && fsync(fileno(jsonl)) == 0;
        ok &= fclose(jsonl) == 0;
        if (ok && rename(tmp, b->output) != 0) ok = 0;
        if (!ok) {
            unlink(tmp);
            fprintf(stderr, "openmed pii: cannot write %s: %s\n", b->output, strerror(errno));
            return 1;
        }
    } else if (jsonl && (io_failed || fflush(jsonl) != 0)) {
        fprintf(stderr, "openmed pii: write failed: %s\n", strerror(errno));
        return 1;
    }
    if (failed) fprintf(stderr, "openmed pii: %zu of %zu documents failed\n", failed, done);
    return failed ? 1 : 0;
}
