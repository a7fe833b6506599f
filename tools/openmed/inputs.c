/* inputs.c: documents from TEXT, standard input, .txt/.md/.jsonl/.csv files and folders. */
#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"

#define MAX_INPUT_BYTES ((size_t)1 << 32) /* 4 GiB per file */
#define MAX_FOLDER_DEPTH 16

/* ---------------------------------------------------------------- the list */

void cli_docs_clear(cli_docs *d) {
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].id);
        free(d->v[i].text);
        free(d->v[i].source);
        cJSON_Delete(d->v[i].id_value);
        cJSON_Delete(d->v[i].fields);
        free(d->error[i]);
    }
    d->n = 0;
}

void cli_docs_free(cli_docs *d) {
    cli_docs_clear(d);
    free(d->v);
    free(d->error);
    memset(d, 0, sizeof *d);
}

static int reserve(cli_docs *d) {
    if (d->n < d->cap) return 1;
    size_t cap = d->cap ? d->cap * 2 : 64;
    cli_doc *v = realloc(d->v, cap * sizeof *v);
    if (!v) return 0;
    d->v = v;
    char **e = realloc(d->error, cap * sizeof *e);
    if (!e) return 0;
    d->error = e;
    d->cap = cap;
    return 1;
}

/* Append a document; takes ownership of id_value and fields (deleted on failure). */
static openmed_status push(cli_docs *d, const char *id, const char *text, size_t len, const char *source, size_t line,
                           cJSON *id_value, cJSON *fields, openmed_error *err) {
    if (!reserve(d)) {
        cJSON_Delete(id_value);
        cJSON_Delete(fields);
        return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading documents");
    }
    cli_doc *doc = &d->v[d->n];
    memset(doc, 0, sizeof *doc);
    d->error[d->n] = NULL;
    doc->id = strdup(id);
    doc->text = strndup(text, len);
    doc->source = source ? strdup(source) : NULL;
    doc->line = line;
    doc->id_value = id_value;
    doc->fields = fields;
    if (!doc->id || !doc->text || (source && !doc->source)) {
        free(doc->id);
        free(doc->text);
        free(doc->source);
        cJSON_Delete(id_value);
        cJSON_Delete(fields);
        return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading documents");
    }
    d->n++;
    return OPENMED_OK;
}

/* A document that could not be read (st and err say why): with keep_going it is kept, empty and
 * carrying the message, and reading goes on; otherwise the read fails with st. Takes ownership of
 * id_value. */
static openmed_status tolerate(cli_docs *d, const cli_input_options *o, openmed_status st, const char *id,
                               const char *source, size_t line, cJSON *id_value, openmed_error *err) {
    if (st == OPENMED_OK || st == OPENMED_ERR_NO_MEMORY || !o->keep_going || !err) {
        cJSON_Delete(id_value);
        return st;
    }
    char *why = strdup(err->message);
    if (!why) {
        cJSON_Delete(id_value);
        return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading documents");
    }
    st = push(d, id, "", 0, source, line, id_value, NULL, err);
    if (st == OPENMED_OK) d->error[d->n - 1] = why;
    else free(why);
    return st;
}

/* ---------------------------------------------------------------- checks */

/* Index of the first byte that is not valid UTF-8, or n. */
static size_t utf8_invalid_at(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t len;
        unsigned v;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) len = 2, v = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) len = 3, v = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) len = 4, v = c & 0x07;
        else return i;
        if (i + len > n) return i;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return i;
            v = (v << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)) || (v >= 0xD800 && v <= 0xDFFF))
            return i;
        i += len;
    }
    return n;
}

/* The 1-based line of byte `at`. */
static size_t line_of(const char *data, size_t at) {
    size_t line = 1;
    for (const char *p = data; (p = memchr(p, '\n', at - (size_t)(p - data))) != NULL; p++) line++;
    return line;
}

/* Text from `what` must be UTF-8 without NUL bytes. A whole file or standard input (numbered) is
 * named with the line of the fault, a field or argument by `what` alone. */
static openmed_status check_text_at(const char *what, int numbered, const char *data, size_t size, openmed_error *err) {
    const char *nul = memchr(data, '\0', size);
    size_t bad = nul ? (size_t)(nul - data) : utf8_invalid_at(data, size);
    if (bad == size) return OPENMED_OK;
    char where[4200];
    if (numbered) snprintf(where, sizeof where, "%s:%zu", what, line_of(data, bad));
    else snprintf(where, sizeof where, "%s", what);
    if (nul) return cli_fail(err, OPENMED_ERR_FORMAT, "%s: a NUL byte at byte %zu (not text)", where, bad);
    return cli_fail(err, OPENMED_ERR_FORMAT, "%s: invalid UTF-8 at byte %zu", where, bad);
}

static openmed_status check_text(const char *what, const char *data, size_t size, openmed_error *err) {
    return check_text_at(what, 0, data, size, err);
}

openmed_status cli_input_check(const char *path, openmed_error *err) {
    if (!strcmp(path, "-")) return OPENMED_OK;
    struct stat st;
    if (stat(path, &st) != 0)
        return cli_fail(err, errno == ENOENT ? OPENMED_ERR_NOT_FOUND : OPENMED_ERR_IO, "%s: %s", path, strerror(errno));
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) return OPENMED_OK;
    const char *kind = S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISSOCK(st.st_mode) ? "a socket"
                       : S_ISCHR(st.st_mode) ? "a character device" : S_ISBLK(st.st_mode) ? "a block device"
                                              : "not a regular file";
    return cli_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                    "%s is %s; give a regular file or folder (or \"-\" to read standard input)", path, kind);
}

/* ---------------------------------------------------------------- plain text and --lines */

static int blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v') return 0;
    return 1;
}

/* One document, or with --lines one per non-blank line ("NAME:LINE"). */
static openmed_status add_text(cli_docs *d, const char *name, const char *source, const char *data, size_t size,
                               int lines, openmed_error *err) {
    if (!lines) return push(d, name, data, size, source, 0, NULL, NULL, err);
    size_t line = 0;
    for (size_t pos = 0; pos < size || (pos == 0 && size == 0);) {
        const char *nl = memchr(data + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - data) : size, len = end - pos;
        if (len && data[pos + len - 1] == '\r') len--;
        line++;
        if (!blank(data + pos, len)) {
            char id[4096];
            snprintf(id, sizeof id, "%s:%zu", name, line);
            openmed_status st = push(d, id, data + pos, len, source, line, NULL, NULL, err);
            if (st != OPENMED_OK) return st;
        }
        if (!nl) break;
        pos = end + 1;
    }
    return OPENMED_OK;
}


/* ---------------------------------------------------------------- .jsonl */

static const char *opt(const char *v, const char *def) { return v && v[0] ? v : def; }

/* The display form of an id value: a string as is, anything else as compact JSON. */
static char *id_text(const cJSON *v) {
    if (cJSON_IsString(v)) return strdup(v->valuestring);
    return cJSON_PrintUnformatted(v);
}

/* One JSONL record at path:line ("where"). */
static openmed_status jsonl_record(cli_docs *d, const char *path, size_t line, const char *where, const char *rec,
                                   size_t len, const cli_input_options *o, openmed_error *err) {
    const char *text_field = opt(o->text_field, "text"), *id_field = opt(o->id_field, "id");
    cJSON *obj = cJSON_ParseWithLength(rec, len);
    if (!cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        return tolerate(d, o, cli_fail(err, OPENMED_ERR_FORMAT, "%s: not a JSON object", where), where, path, line,
                        NULL, err);
    }
    cJSON *idv = cJSON_DetachItemFromObjectCaseSensitive(obj, id_field);
    if (cJSON_IsNull(idv)) {
        cJSON_Delete(idv);
        idv = NULL;
    }
    char *id = idv ? id_text(idv) : strdup(where);
    cJSON *text = cJSON_DetachItemFromObjectCaseSensitive(obj, text_field);
    openmed_status st;
    if (!id) st = cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    else if (!cJSON_IsString(text))
        st = cli_fail(err, OPENMED_ERR_FORMAT, "%s: no \"%s\" string field (--text-field names another)", where,
                      text_field);
    else st = check_text(where, text->valuestring, strlen(text->valuestring), err);
    if (st == OPENMED_OK) {
        cJSON *fields = cJSON_GetArraySize(obj) > 0 ? obj : NULL;
        if (!fields) cJSON_Delete(obj);
        obj = NULL;
        st = push(d, id, text->valuestring, strlen(text->valuestring), path, line, idv, fields, err);
    } else if (id) {
        st = tolerate(d, o, st, id, path, line, idv, err);
    } else {
        cJSON_Delete(idv);
    }
    cJSON_Delete(obj);
    cJSON_Delete(text);
    free(id);
    return st;
}

static openmed_status read_jsonl(cli_docs *d, const char *path, const char *data, size_t size,
                                 const cli_input_options *o, openmed_error *err) {
    size_t line = 0;
    for (size_t pos = 0; pos < size;) {
        const char *nl = memchr(data + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - data) : size, len = end - pos;
        line++;
        if (!blank(data + pos, len)) {
            char where[4096];
            snprintf(where, sizeof where, "%s:%zu", path, line);
            openmed_status st = jsonl_record(d, path, line, where, data + pos, len, o, err);
            if (st != OPENMED_OK) return st;
        }
        if (!nl) break;
        pos = end + 1;
    }
    return OPENMED_OK;
}

/* ---------------------------------------------------------------- .csv */

typedef struct csv_row {
    char **f;
    size_t n, cap;
} csv_row;

static void row_free(csv_row *r) {
    for (size_t i = 0; i < r->n; i++) free(r->f[i]);
    free(r->f);
    memset(r, 0, sizeof *r);
}

static int row_push(csv_row *r, const char *s, size_t n) {
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        char **f = realloc(r->f, cap * sizeof *f);
        if (!f) return 0;
        r->f = f;
        r->cap = cap;
    }
    if (!(r->f[r->n] = strndup(s, n))) return 0;
    r->n++;
    return 1;
}

/* One RFC 4180 record from *pos; *line counts the lines it spans. */
static openmed_status csv_record(const char *path, const char *data, size_t size, size_t *pos, size_t *line,
                                 csv_row *row, openmed_error *err) {
    size_t i = *pos;
    for (;;) {
        if (i < size && data[i] == '"') {
            size_t start_line = *line, n = 0;
            char *buf = malloc(size - i + 1);
            if (!buf) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading %s", path);
            for (i++;; i++) {
                if (i >= size) {
                    free(buf);
                    return cli_fail(err, OPENMED_ERR_FORMAT, "%s:%zu: unterminated quoted field", path, start_line);
                }
                if (data[i] == '"') {
                    if (i + 1 < size && data[i + 1] == '"') i++;
                    else break;
                }
                if (data[i] == '\n') (*line)++;
                buf[n++] = data[i];
            }
            i++;
            int ok = row_push(row, buf, n);
            free(buf);
            if (!ok) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading %s", path);
        } else {
            size_t start = i;
            while (i < size && data[i] != ',' && data[i] != '\n' && data[i] != '\r') i++;
            if (!row_push(row, data + start, i - start))
                return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading %s", path);
        }
        if (i < size && data[i] == ',') {
            i++;
            continue;
        }
        if (i < size && data[i] == '\r') i++;
        if (i < size && data[i] != '\n')
            return cli_fail(err, OPENMED_ERR_FORMAT, "%s:%zu: unexpected character after a quoted field", path, *line);
        if (i < size) i++;
        (*line)++;
        *pos = i;
        return OPENMED_OK;
    }
}

static openmed_status read_csv(cli_docs *d, const char *path, const char *data, size_t size,
                               const cli_input_options *o, openmed_error *err) {
    const char *text_field = opt(o->text_field, "text"), *id_field = opt(o->id_field, "id");
    size_t pos = 0, line = 1;
    csv_row header = {0}, row = {0};
    openmed_status st = csv_record(path, data, size, &pos, &line, &header, err);
    size_t text_col = header.n, id_col = header.n;
    for (size_t i = 0; st == OPENMED_OK && i < header.n; i++) {
        if (!strcmp(header.f[i], text_field)) text_col = i;
        if (!strcmp(header.f[i], id_field)) id_col = i;
    }
    if (st == OPENMED_OK && text_col == header.n)
        st = cli_fail(err, OPENMED_ERR_FORMAT, "%s: no column \"%s\" in the header (--text-field names another)", path,
                      text_field);
    if (st != OPENMED_OK) st = tolerate(d, o, st, path, path, 1, NULL, err), pos = size; /* nothing else is readable */
    while (st == OPENMED_OK && pos < size) {
        size_t record_line = line;
        char where[4096];
        snprintf(where, sizeof where, "%s:%zu", path, record_line);
        st = csv_record(path, data, size, &pos, &line, &row, err);
        if (st != OPENMED_OK) { /* the rest of the file cannot be split into records */
            st = tolerate(d, o, st, where, path, record_line, NULL, err);
            break;
        }
        if (row.n == 1 && row.f[0][0] == '\0') { /* a blank line */
            row_free(&row);
            continue;
        }
        if (row.n != header.n) {
            st = cli_fail(err, OPENMED_ERR_FORMAT, "%s: %zu fields, the header has %zu", where, row.n, header.n);
            st = tolerate(d, o, st, where, path, record_line, NULL, err);
            row_free(&row);
            continue;
        }
        st = check_text(where, row.f[text_col], strlen(row.f[text_col]), err);
        int has_id = id_col < header.n && row.f[id_col][0];
        cJSON *idv = has_id ? cJSON_CreateString(row.f[id_col]) : NULL;
        if (st == OPENMED_OK) {
            cJSON *fields = header.n > 1 + (id_col < header.n) ? cJSON_CreateObject() : NULL;
            for (size_t i = 0; fields && i < header.n; i++)
                if (i != text_col && i != id_col) cJSON_AddItemToObject(fields, header.f[i], cJSON_CreateString(row.f[i]));
            st = push(d, has_id ? row.f[id_col] : where, row.f[text_col], strlen(row.f[text_col]), path, record_line, idv,
                      fields, err);
        } else {
            st = tolerate(d, o, st, has_id ? row.f[id_col] : where, path, record_line, idv, err);
        }
        row_free(&row);
    }
    row_free(&row);
    row_free(&header);
    return st;
}

/* ---------------------------------------------------------------- files and folders */

int cli_has_ext(const char *path, const char *ext) {
    size_t a = strlen(path), b = strlen(ext);
    return a > b && !strcasecmp(path + a - b, ext);
}

int cli_is_folder(const char *path) {
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int readable_ext(const char *path) {
    return cli_has_ext(path, ".txt") || cli_has_ext(path, ".md") || cli_has_ext(path, ".jsonl") || cli_has_ext(path, ".csv");
}

static openmed_status read_stdin(char **data, size_t *size, openmed_error *err) {
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading standard input");
    for (;;) {
        if (n == cap) {
            if (cap >= MAX_INPUT_BYTES) {
                free(buf);
                return cli_fail(err, OPENMED_ERR_FORMAT, "standard input: more than %zu bytes", MAX_INPUT_BYTES);
            }
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading standard input");
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0) break;
    }
    if (ferror(stdin)) {
        free(buf);
        return cli_fail(err, OPENMED_ERR_IO, "standard input: read error");
    }
    buf[n] = '\0';
    *data = buf;
    *size = n;
    return OPENMED_OK;
}

static openmed_status read_file(cli_docs *d, const char *path, const cli_input_options *o, openmed_error *err) {
    /* checked again: the file may have been swapped for a FIFO since it was listed */
    char *data = NULL;
    size_t size = 0;
    openmed_status st = cli_input_check(path, err);
    if (st == OPENMED_OK) st = cli_read_file(path, MAX_INPUT_BYTES, &data, &size, err);
    if (st != OPENMED_OK) return tolerate(d, o, st, path, path, 0, NULL, err);
    if (cli_has_ext(path, ".jsonl")) st = read_jsonl(d, path, data, size, o, err);
    else if (cli_has_ext(path, ".csv")) st = read_csv(d, path, data, size, o, err);
    else if ((st = check_text_at(path, 1, data, size, err)) == OPENMED_OK) st = add_text(d, path, path, data, size, o->lines, err);
    else st = tolerate(d, o, st, path, path, 0, NULL, err);
    free(data);
    return st;
}

/* ---------------------------------------------------------------- the reader */

enum { SOURCE_TEXT, SOURCE_STDIN, SOURCE_FILE };

typedef struct source {
    char *value;   /* the text, or the path */
    int kind;
    size_t number; /* SOURCE_TEXT among several TEXT arguments: its place (1, 2, ...), else 0 */
} source;

struct cli_reader {
    source *src;
    size_t n_src, cap_src;
    cli_input_options o;
    size_t total, skipped;
    cJSON *field_names; /* the documents' other fields, each name once, in order of first appearance */
    char *stdin_data; /* standard input, read once */
    size_t stdin_size;
    size_t next_src;  /* the next source to load */
    cli_docs cur;     /* the documents of the loaded source */
    size_t cur_pos;
};

static openmed_status add_source(cli_reader *r, const char *value, int kind, openmed_error *err) {
    if (r->n_src == r->cap_src) {
        size_t cap = r->cap_src ? r->cap_src * 2 : 16;
        source *v = realloc(r->src, cap * sizeof *v);
        if (!v) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory listing inputs");
        r->src = v;
        r->cap_src = cap;
    }
    if (!(r->src[r->n_src].value = strdup(value))) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    r->src[r->n_src].number = 0;
    r->src[r->n_src++].kind = kind;
    return OPENMED_OK;
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The readable files under dir, sorted, as sources. */
static openmed_status add_folder(cli_reader *r, const char *dir, int depth, openmed_error *err) {
    if (depth > MAX_FOLDER_DEPTH) return cli_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: folders nested too deep", dir);
    DIR *h = opendir(dir);
    if (!h) return cli_fail(err, OPENMED_ERR_IO, "%s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    openmed_status st = OPENMED_OK;
    struct dirent *e;
    while ((e = readdir(h)) != NULL) {
        if (e->d_name[0] == '.') {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) r->skipped++;
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                st = cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory listing %s", dir);
                break;
            }
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name))) {
            st = cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory listing %s", dir);
            break;
        }
        n++;
    }
    closedir(h);
    if (st == OPENMED_OK && n) qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n && st == OPENMED_OK; i++) {
        char path[OPENMED_PATH_MAX];
        size_t dl = strlen(dir);
        if (snprintf(path, sizeof path, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", names[i]) >=
            (int)sizeof path) {
            st = cli_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s/%s: path too long", dir, names[i]);
            break;
        }
        struct stat sb;
        if (stat(path, &sb) != 0) st = cli_fail(err, OPENMED_ERR_IO, "%s: %s", path, strerror(errno));
        else if (S_ISDIR(sb.st_mode)) st = add_folder(r, path, depth + 1, err);
        else if (!readable_ext(path)) r->skipped++;
        else if ((st = cli_input_check(path, err)) == OPENMED_OK) st = add_source(r, path, SOURCE_FILE, err);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return st;
}

/* The documents of one source, appended to d. */
static openmed_status load_source(cli_reader *r, const source *s, cli_docs *d, openmed_error *err) {
    if (s->kind == SOURCE_TEXT) {
        char name[32] = "text"; /* several TEXT arguments: "text:1", "text:2", ... */
        if (s->number) snprintf(name, sizeof name, "text:%zu", s->number);
        openmed_status st = check_text(name, s->value, strlen(s->value), err);
        return st == OPENMED_OK ? add_text(d, name, NULL, s->value, strlen(s->value), r->o.lines, err) : st;
    }
    if (s->kind == SOURCE_STDIN) return add_text(d, "-", "-", r->stdin_data, r->stdin_size, r->o.lines, err);
    return read_file(d, s->value, &r->o, err);
}

/* Add the names of `fields` not listed yet to r->field_names. */
static openmed_status note_field_names(cli_reader *r, const cJSON *fields, openmed_error *err) {
    const cJSON *f;
    cJSON_ArrayForEach(f, fields) {
        int known = 0;
        const cJSON *n;
        cJSON_ArrayForEach(n, r->field_names) known |= !strcmp(n->valuestring, f->string);
        if (!known && !cJSON_AddItemToArray(r->field_names, cJSON_CreateString(f->string)))
            return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory listing fields");
    }
    return OPENMED_OK;
}

void cli_reader_close(cli_reader *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_src; i++) free(r->src[i].value);
    free(r->src);
    free(r->stdin_data);
    cJSON_Delete(r->field_names);
    cli_docs_free(&r->cur);
    free(r);
}

openmed_status cli_reader_open(cli_reader **out, const cli_input *inputs, size_t n_inputs, const cli_input_options *o,
                               openmed_error *err) {
    *out = NULL;
    cli_reader *r = calloc(1, sizeof *r);
    if (!r) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    if (o) r->o = *o;
    openmed_status st = OPENMED_OK;
    for (size_t i = 0; i < n_inputs && st == OPENMED_OK; i++) {
        const char *v = inputs[i].value;
        if (inputs[i].is_text) {
            st = add_source(r, v, SOURCE_TEXT, err);
        } else if (!strcmp(v, "-")) {
            if (r->stdin_data) st = cli_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "standard input (\"-\") given twice");
            else if ((st = read_stdin(&r->stdin_data, &r->stdin_size, err)) == OPENMED_OK &&
                     (st = check_text_at("standard input", 1, r->stdin_data, r->stdin_size, err)) == OPENMED_OK)
                st = add_source(r, v, SOURCE_STDIN, err);
        } else if ((st = cli_input_check(v, err)) == OPENMED_OK) {
            struct stat sb;
            if (stat(v, &sb) == 0 && S_ISDIR(sb.st_mode)) st = add_folder(r, v, 0, err);
            else st = add_source(r, v, SOURCE_FILE, err);
        }
    }
    size_t n_texts = 0;
    for (size_t i = 0; i < r->n_src; i++) n_texts += r->src[i].kind == SOURCE_TEXT;
    for (size_t i = 0, k = 0; i < r->n_src && n_texts > 1; i++)
        if (r->src[i].kind == SOURCE_TEXT) r->src[i].number = ++k;
    /* Count (and so check) every document before any work, and list the fields they carry. */
    if (st == OPENMED_OK && !(r->field_names = cJSON_CreateArray()))
        st = cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < r->n_src && st == OPENMED_OK; i++) {
        st = load_source(r, &r->src[i], &r->cur, err);
        r->total += r->cur.n;
        for (size_t k = 0; k < r->cur.n && st == OPENMED_OK; k++) st = note_field_names(r, r->cur.v[k].fields, err);
        cli_docs_clear(&r->cur);
    }
    if (st != OPENMED_OK) {
        cli_reader_close(r);
        return st;
    }
    *out = r;
    return OPENMED_OK;
}

size_t cli_reader_total(const cli_reader *r) { return r->total; }
size_t cli_reader_skipped(const cli_reader *r) { return r->skipped; }
const cJSON *cli_reader_field_names(const cli_reader *r) { return r->field_names; }

openmed_status cli_reader_next(cli_reader *r, cli_docs *batch, size_t max, openmed_error *err) {
    cli_docs_clear(batch);
    while (batch->n < max) {
        if (r->cur_pos == r->cur.n) {
            cli_docs_clear(&r->cur);
            r->cur_pos = 0;
            if (r->next_src == r->n_src) break;
            openmed_status st = load_source(r, &r->src[r->next_src++], &r->cur, err);
            if (st != OPENMED_OK) return st; /* the file changed since it was counted */
            continue;
        }
        if (!reserve(batch)) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading documents");
        batch->error[batch->n] = r->cur.error[r->cur_pos];
        r->cur.error[r->cur_pos] = NULL;
        batch->v[batch->n++] = r->cur.v[r->cur_pos];
        memset(&r->cur.v[r->cur_pos++], 0, sizeof r->cur.v[0]);
    }
    return OPENMED_OK;
}
