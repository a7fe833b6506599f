/* inputs.c: documents from TEXT, standard input, .txt/.md/.jsonl/.csv files and folders. */
#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <csv.h>
#include <utf8proc.h>

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

/* Index of the first byte that is not valid UTF-8 (utf8proc's strict decoding: no overlong forms,
 * surrogates or values above U+10FFFF), or n. */
static size_t utf8_invalid_at(const char *s, size_t n) {
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0) return i;
        i += (size_t)k;
    }
    return n;
}

/* The first NUL byte or invalid UTF-8 of s[0..n): its index (n when there is none); *nul says which. */
static size_t text_fault(const char *s, size_t n, int *nul) {
    const char *z = memchr(s, '\0', n);
    size_t bad = utf8_invalid_at(s, z ? (size_t)(z - s) : n);
    *nul = z && bad == (size_t)(z - s);
    return bad;
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
    int nul;
    size_t bad = text_fault(data, size, &nul);
    if (bad == size) return OPENMED_OK;
    char where[4200];
    if (numbered) snprintf(where, sizeof where, "%s:%zu", what, line_of(data, bad));
    else snprintf(where, sizeof where, "%s", what);
    if (nul) return cli_fail(err, OPENMED_ERR_FORMAT, "%s: a NUL byte at byte %zu (not text)", where, bad);
    return cli_fail(err, OPENMED_ERR_FORMAT, "%s: invalid UTF-8 at byte %zu", where, bad);
}

openmed_status cli_check_text(const char *what, const char *data, size_t size, openmed_error *err) {
    return check_text_at(what, 1, data, size, err);
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

/* One document, or with --lines one per non-blank line ("NAME:LINE"; a line ends at \n, \r\n or a
 * bare \r, as in CSV). */
static openmed_status add_text(cli_docs *d, const char *name, const char *source, const char *data, size_t size,
                               int lines, openmed_error *err) {
    if (!lines) return push(d, name, data, size, source, 0, NULL, NULL, err);
    size_t line = 0;
    for (size_t pos = 0; pos < size;) {
        size_t end = pos;
        while (end < size && data[end] != '\n' && data[end] != '\r') end++;
        line++;
        if (!blank(data + pos, end - pos)) {
            char id[4096];
            snprintf(id, sizeof id, "%s:%zu", name, line);
            openmed_status st = push(d, id, data + pos, end - pos, source, line, NULL, NULL, err);
            if (st != OPENMED_OK) return st;
        }
        pos = end + (end + 1 < size && data[end] == '\r' && data[end + 1] == '\n' ? 2 : 1);
    }
    return OPENMED_OK;
}


/* ---------------------------------------------------------------- .jsonl */

static const char *opt(const char *v, const char *def) { return v && v[0] ? v : def; }

/* What messages (and line-made ids) call a source: its path, or "standard input" for "-". */
static const char *shown(const char *path) { return strcmp(path, "-") ? path : "standard input"; }

/* The display form of an id value: a string as is, anything else as compact JSON. */
static char *id_text(const cJSON *v) {
    if (cJSON_IsString(v)) return strdup(v->valuestring);
    return cJSON_PrintUnformatted(v);
}

/* Index of the first "\u0000" escape in JSON text s[0..n) (a NUL would cut the string short), or n. */
static size_t escaped_nul_at(const char *s, size_t n) {
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '\\') continue;
        if (s[i + 1] == 'u' && i + 6 <= n && !memcmp(s + i + 2, "0000", 4)) return i;
        i++; /* the escaped character: an escaped backslash before "u0000" is text */
    }
    return n;
}

/* One JSONL record at path:line ("where"). Every byte of the line must be UTF-8 text, not only the
 * text field's: the id and the other fields travel to the outputs. */
static openmed_status jsonl_record(cli_docs *d, const char *path, size_t line, const char *where, const char *rec,
                                   size_t len, const cli_input_options *o, openmed_error *err) {
    const char *text_field = opt(o->text_field, "text"), *id_field = opt(o->id_field, "id");
    int nul;
    size_t bad = text_fault(rec, len, &nul), esc = bad == len ? escaped_nul_at(rec, len) : len;
    cJSON *obj = cJSON_ParseWithLength(rec, len);
    if (!cJSON_IsObject(obj) && bad == len) {
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
    if (id && idv && (bad != len || esc != len) && text_fault(id, strlen(id), &(int){0}) != strlen(id)) {
        free(id); /* the id itself is not text: the record is named by its line */
        cJSON_Delete(idv);
        idv = NULL;
        id = strdup(where);
    }
    cJSON *text = cJSON_DetachItemFromObjectCaseSensitive(obj, text_field);
    openmed_status st;
    if (!id) st = cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory");
    else if (bad != len)
        st = cli_fail(err, OPENMED_ERR_FORMAT, nul ? "%s: a NUL byte at byte %zu of the line (not text)"
                                                  : "%s: invalid UTF-8 at byte %zu of the line", where, bad);
    else if (esc != len)
        st = cli_fail(err, OPENMED_ERR_FORMAT, "%s: a \\u0000 escape (NUL, not text) at byte %zu of the line", where,
                      esc);
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
    const char *name = shown(path);
    size_t line = 0;
    for (size_t pos = 0; pos < size;) {
        const char *nl = memchr(data + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - data) : size, len = end - pos;
        line++;
        if (!blank(data + pos, len)) {
            char where[4096];
            snprintf(where, sizeof where, "%s:%zu", name, line);
            openmed_status st = jsonl_record(d, path, line, where, data + pos, len, o, err);
            if (st != OPENMED_OK) return st;
        }
        if (!nl) break;
        pos = end + 1;
    }
    return OPENMED_OK;
}

/* ---------------------------------------------------------------- .csv */

/* RFC 4180 through libcsv (strict: a stray quote is an error, not data), fed a line at a time so
 * every record knows the line it starts on. Fields are kept exactly (no trimming of spaces). */

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
    if (!(r->f[r->n] = malloc(n + 1))) return 0;
    memcpy(r->f[r->n], s, n);
    r->f[r->n++][n] = '\0';
    return 1;
}

typedef struct csv_reading {
    cli_docs *d;
    const cli_input_options *o;
    const char *path, *name, *text_field, *id_field; /* name: what messages call path */
    openmed_error *err;
    openmed_status st; /* the first failure that stops the file */
    csv_row header, row;
    int have_header, oom;
    size_t text_col, id_col;
    size_t line;       /* the line being fed */
    size_t start;      /* the line the current record starts on */
    size_t fault_col;  /* the first field of the record that is not text (row.n when none) */
    size_t fault_at;   /* its byte */
    int fault_nul;
} csv_reading;

static int csv_no_space(unsigned char c) { return (void)c, 0; }

static void csv_on_field(void *s, size_t n, void *data) {
    csv_reading *c = data;
    if (c->st != OPENMED_OK || c->oom) return;
    const char *f = s ? (const char *)s : "";
    if (!s) n = 0;
    int nul;
    size_t bad = text_fault(f, n, &nul);
    if (bad != n && c->fault_col == (size_t)-1) c->fault_col = c->row.n, c->fault_at = bad, c->fault_nul = nul;
    if (!row_push(&c->row, f, n)) c->oom = 1;
}

/* A record whose fields are all text, at line `start`. */
static openmed_status csv_record(csv_reading *c, size_t start) {
    const csv_row *h = &c->header, *row = &c->row;
    char where[4096];
    snprintf(where, sizeof where, "%s:%zu", c->name, start);
    if (row->n != h->n) {
        openmed_status st = cli_fail(c->err, OPENMED_ERR_FORMAT, "%s: %zu fields, the header has %zu", where, row->n, h->n);
        return tolerate(c->d, c->o, st, where, c->path, start, NULL, c->err);
    }
    int has_id = c->id_col < h->n && row->f[c->id_col][0];
    const char *id = has_id ? row->f[c->id_col] : where;
    cJSON *idv = has_id ? cJSON_CreateString(row->f[c->id_col]) : NULL;
    if (c->fault_col != (size_t)-1) {
        openmed_status st =
            cli_fail(c->err, OPENMED_ERR_FORMAT,
                     c->fault_nul ? "%s: column \"%s\": a NUL byte at byte %zu (not text)"
                                  : "%s: column \"%s\": invalid UTF-8 at byte %zu",
                     where, h->f[c->fault_col], c->fault_at);
        if (c->fault_col == c->id_col) { /* the id is not text: the record is named by its line */
            cJSON_Delete(idv);
            idv = NULL;
            id = where;
        }
        return tolerate(c->d, c->o, st, id, c->path, start, idv, c->err);
    }
    cJSON *fields = h->n > 1 + (c->id_col < h->n) ? cJSON_CreateObject() : NULL;
    for (size_t i = 0; fields && i < h->n; i++)
        if (i != c->text_col && i != c->id_col) cJSON_AddItemToObject(fields, h->f[i], cJSON_CreateString(row->f[i]));
    const char *text = row->f[c->text_col];
    return push(c->d, id, text, strlen(text), c->path, start, idv, fields, c->err);
}

static void csv_on_record(int terminator, void *data) {
    (void)terminator;
    csv_reading *c = data;
    size_t start = c->start;
    c->start = c->line + 1; /* every line end outside a field ends a record (CSV_REPALL_NL) */
    size_t fault = c->fault_col;
    c->fault_col = (size_t)-1;
    if (c->st == OPENMED_OK && c->oom) c->st = cli_fail(c->err, OPENMED_ERR_NO_MEMORY, "out of memory reading %s", c->name);
    int empty = c->row.n == 0 || (c->row.n == 1 && c->row.f[0][0] == '\0');
    if (c->st != OPENMED_OK || empty) { /* a blank line (or the \n of a \r\n) is no record */
        row_free(&c->row);
        return;
    }
    if (c->have_header) {
        c->fault_col = fault;
        c->st = csv_record(c, start);
        c->fault_col = (size_t)-1;
        row_free(&c->row);
        return;
    }
    /* the header: names the text column, the id column and the carried ones */
    c->header = c->row;
    memset(&c->row, 0, sizeof c->row);
    c->have_header = 1;
    c->text_col = c->id_col = c->header.n;
    for (size_t i = 0; i < c->header.n; i++) {
        if (!strcmp(c->header.f[i], c->text_field)) c->text_col = i;
        if (!strcmp(c->header.f[i], c->id_field)) c->id_col = i;
    }
    openmed_status st = OPENMED_OK;
    if (fault != (size_t)-1)
        st = cli_fail(c->err, OPENMED_ERR_FORMAT, "%s:%zu: header column %zu: %s at byte %zu", c->name, start, fault + 1,
                      c->fault_nul ? "a NUL byte" : "invalid UTF-8", c->fault_at);
    else if (c->text_col == c->header.n)
        st = cli_fail(c->err, OPENMED_ERR_FORMAT, "%s: no column \"%s\" in the header (--text-field names another)",
                      c->name, c->text_field);
    if (st != OPENMED_OK) { /* nothing else in the file is readable */
        c->st = tolerate(c->d, c->o, st, c->name, c->path, start, NULL, c->err);
        c->have_header = -1;
    }
}

static openmed_status read_csv(cli_docs *d, const char *path, const char *data, size_t size,
                               const cli_input_options *o, openmed_error *err) {
    csv_reading c;
    memset(&c, 0, sizeof c);
    c.d = d, c.o = o, c.path = path, c.name = shown(path), c.err = err;
    c.text_field = opt(o->text_field, "text"), c.id_field = opt(o->id_field, "id");
    c.line = 0, c.start = 1, c.fault_col = (size_t)-1;
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_APPEND_NULL) != 0)
        return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading %s", shown(path));
    csv_set_space_func(&p, csv_no_space);
    int broken = 0; /* the rest of the file cannot be split into records */
    for (size_t pos = 0; pos < size && c.st == OPENMED_OK && c.have_header >= 0;) {
        /* a line ends at \n, \r\n or a bare \r (libcsv ends records at each, CSV_REPALL_NL) */
        size_t end = pos;
        while (end < size && data[end] != '\n' && data[end] != '\r') end++;
        if (end < size) end += data[end] == '\r' && end + 1 < size && data[end + 1] == '\n' ? 2 : 1;
        c.line++;
        if (csv_parse(&p, data + pos, end - pos, csv_on_field, csv_on_record, &c) != end - pos) {
            int e = csv_error(&p);
            if (e == CSV_ENOMEM || e == CSV_ETOOBIG) c.st = cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading %s", shown(path));
            else c.st = cli_fail(err, OPENMED_ERR_FORMAT,
                                 "%s:%zu: not CSV: a quote inside an unquoted field, or text after a closing quote "
                                 "(quote the field and double its quotes)", shown(path), c.line);
            broken = 1;
            break;
        }
        pos = end;
    }
    if (c.st == OPENMED_OK && !broken && c.have_header >= 0 && csv_fini(&p, csv_on_field, csv_on_record, &c) != 0) {
        c.st = cli_fail(err, OPENMED_ERR_FORMAT, "%s:%zu: unterminated quoted field", shown(path), c.start);
        broken = 1;
    }
    if (broken && c.st != OPENMED_ERR_NO_MEMORY) {
        char where[4096];
        snprintf(where, sizeof where, "%s:%zu", shown(path), c.start);
        c.st = tolerate(d, o, c.st, where, path, c.start, NULL, err);
    }
    if (c.st == OPENMED_OK && c.have_header == 0)
        c.st = tolerate(d, o, cli_fail(err, OPENMED_ERR_FORMAT, "%s: empty, no header line (it needs a \"%s\" column)",
                                       shown(path), c.text_field), shown(path), path, 1, NULL, err);
    csv_free(&p);
    row_free(&c.row);
    row_free(&c.header);
    return c.st;
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

/* 3 when data starts with a UTF-8 byte-order mark (an encoding mark, not text: dropped), else 0. */
static size_t bom_length(const char *data, size_t size) {
    return size >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3) ? 3 : 0;
}

static openmed_status read_file(cli_docs *d, const char *path, const cli_input_options *o, openmed_error *err) {
    /* checked again: the file may have been swapped for a FIFO since it was listed */
    char *data = NULL;
    size_t size = 0;
    openmed_status st = cli_input_check(path, err);
    if (st == OPENMED_OK) st = cli_read_file(path, MAX_INPUT_BYTES, &data, &size, err);
    if (st != OPENMED_OK) return tolerate(d, o, st, path, path, 0, NULL, err);
    size_t bom = bom_length(data, size);
    const char *text = data + bom;
    size -= bom;
    if (cli_has_ext(path, ".jsonl")) st = read_jsonl(d, path, text, size, o, err);
    else if (cli_has_ext(path, ".csv")) st = read_csv(d, path, text, size, o, err);
    else if ((st = check_text_at(path, 1, text, size, err)) == OPENMED_OK) st = add_text(d, path, path, text, size, o->lines, err);
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
    if (s->kind == SOURCE_STDIN && r->o.stdin_records && !strcmp(r->o.stdin_records, ".jsonl"))
        return read_jsonl(d, "-", r->stdin_data, r->stdin_size, &r->o, err);
    if (s->kind == SOURCE_STDIN && r->o.stdin_records && !strcmp(r->o.stdin_records, ".csv"))
        return read_csv(d, "-", r->stdin_data, r->stdin_size, &r->o, err);
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
            else if ((st = cli_read_stdin(MAX_INPUT_BYTES, &r->stdin_data, &r->stdin_size, err)) == OPENMED_OK) {
                size_t bom = bom_length(r->stdin_data, r->stdin_size);
                memmove(r->stdin_data, r->stdin_data + bom, r->stdin_size - bom + 1); /* with its NUL */
                r->stdin_size -= bom;
                if ((st = check_text_at("standard input", 1, r->stdin_data, r->stdin_size, err)) == OPENMED_OK)
                    st = add_source(r, v, SOURCE_STDIN, err);
            }
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
