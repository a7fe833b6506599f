/* text_inputs.c: texts from .txt, .jsonl and .csv files for `openmed analyze` and `openmed bench`. */
#include "text_inputs.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

#define OM_INPUT_MAX_BYTES ((size_t)1 << 32) /* 4 GiB */

void om_text_list_free(om_text_list *list) {
    for (size_t i = 0; i < list->n; i++) free(list->texts[i]);
    free(list->texts);
    list->texts = NULL;
    list->n = 0;
}

static openmed_status push(om_text_list *list, size_t *cap, const char *s, size_t n, openmed_error *err) {
    if (list->n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        char **t = realloc(list->texts, c * sizeof *t);
        if (!t) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading texts");
        list->texts = t;
        *cap = c;
    }
    char *copy = malloc(n + 1);
    if (!copy) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading texts");
    memcpy(copy, s, n);
    copy[n] = '\0';
    list->texts[list->n++] = copy;
    return OPENMED_OK;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static openmed_status read_lines(const char *path, const char *data, size_t size, int jsonl, const char *field,
                                 om_text_list *out, openmed_error *err) {
    size_t cap = 0, line_no = 0;
    for (size_t pos = 0; pos < size;) {
        const char *nl = memchr(data + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - data) : size;
        size_t len = end - pos;
        if (len > 0 && data[pos + len - 1] == '\r') len--;
        line_no++;
        openmed_status st = OPENMED_OK;
        if (!jsonl) {
            st = push(out, &cap, data + pos, len, err);
        } else {
            size_t k = 0;
            while (k < len && (data[pos + k] == ' ' || data[pos + k] == '\t')) k++;
            if (k < len) { /* blank lines are skipped */
                cJSON *obj = cJSON_ParseWithLength(data + pos, len);
                const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, field) : NULL;
                if (!obj)
                    st = cli_fail(err, OPENMED_ERR_FORMAT, "%s:%zu: not a JSON object", path, line_no);
                else if (!cJSON_IsString(v))
                    st = cli_fail(err, OPENMED_ERR_FORMAT, "%s:%zu: no string \"%s\" field", path, line_no, field);
                else
                    st = push(out, &cap, v->valuestring, strlen(v->valuestring), err);
                cJSON_Delete(obj);
            }
        }
        if (st != OPENMED_OK) return st;
        pos = end + 1;
    }
    return OPENMED_OK;
}

/* One CSV record starting at *pos: fields appended to a list; *pos moves past the record. */
static openmed_status csv_record(const char *path, const char *data, size_t size, size_t *pos, size_t *line_no,
                                 om_text_list *fields, openmed_error *err) {
    size_t cap = 0, i = *pos;
    for (;;) {
        char *buf = NULL;
        size_t n = 0, bcap = 0;
        if (i < size && data[i] == '"') {
            i++;
            size_t start_line = *line_no;
            for (;;) {
                if (i >= size) {
                    free(buf);
                    return cli_fail(err, OPENMED_ERR_FORMAT, "%s:%zu: unterminated quoted field", path, start_line);
                }
                char c = data[i++];
                if (c == '"') {
                    if (i < size && data[i] == '"') i++;
                    else break;
                }
                if (c == '\n') (*line_no)++;
                if (n + 1 >= bcap) {
                    bcap = bcap ? bcap * 2 : 256;
                    char *nb = realloc(buf, bcap);
                    if (!nb) {
                        free(buf);
                        return cli_fail(err, OPENMED_ERR_NO_MEMORY, "out of memory reading %s", path);
                    }
                    buf = nb;
                }
                buf[n++] = c;
            }
            openmed_status st = push(fields, &cap, buf ? buf : "", n, err);
            free(buf);
            if (st != OPENMED_OK) return st;
        } else {
            size_t start = i;
            while (i < size && data[i] != ',' && data[i] != '\n' && data[i] != '\r') i++;
            openmed_status st = push(fields, &cap, data + start, i - start, err);
            if (st != OPENMED_OK) return st;
        }
        if (i < size && data[i] == ',') {
            i++;
            continue;
        }
        if (i < size && data[i] == '\r') i++;
        if (i < size && data[i] == '\n') i++;
        else if (i < size)
            return cli_fail(err, OPENMED_ERR_FORMAT, "%s:%zu: unexpected character after a quoted field", path,
                           *line_no);
        (*line_no)++;
        *pos = i;
        return OPENMED_OK;
    }
}

static openmed_status read_csv(const char *path, const char *data, size_t size, const char *field,
                               om_text_list *out, openmed_error *err) {
    size_t pos = 0, line_no = 1, cap = 0;
    om_text_list header = {0};
    openmed_status st = csv_record(path, data, size, &pos, &line_no, &header, err);
    if (st != OPENMED_OK) goto done;
    size_t col = header.n;
    for (size_t i = 0; i < header.n; i++)
        if (strcmp(header.texts[i], field) == 0) col = i;
    if (col == header.n) {
        st = cli_fail(err, OPENMED_ERR_FORMAT, "%s: no column \"%s\" in the header", path, field);
        goto done;
    }
    while (pos < size) {
        size_t record_line = line_no;
        om_text_list row = {0};
        st = csv_record(path, data, size, &pos, &line_no, &row, err);
        if (st == OPENMED_OK && row.n == 1 && row.texts[0][0] == '\0') { /* blank line */
            om_text_list_free(&row);
            continue;
        }
        if (st == OPENMED_OK && row.n != header.n)
            st = cli_fail(err, OPENMED_ERR_FORMAT, "%s:%zu: %zu fields, the header has %zu", path, record_line, row.n,
                         header.n);
        if (st == OPENMED_OK) st = push(out, &cap, row.texts[col], strlen(row.texts[col]), err);
        om_text_list_free(&row);
        if (st != OPENMED_OK) goto done;
    }
done:
    om_text_list_free(&header);
    return st;
}

openmed_status om_read_texts(const char *path, const char *field, om_text_list *out, openmed_error *err) {
    out->texts = NULL;
    out->n = 0;
    if (!field) field = "text";
    int kind = ends_with(path, ".txt") ? 0 : ends_with(path, ".jsonl") ? 1 : ends_with(path, ".csv") ? 2 : -1;
    if (kind < 0)
        return cli_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: expected a .txt, .jsonl or .csv file", path);
    char *data = NULL;
    size_t size = 0;
    openmed_status st = cli_read_file(path, OM_INPUT_MAX_BYTES, &data, &size, err);
    if (st != OPENMED_OK) return st;
    if (memchr(data, '\0', size)) {
        free(data);
        return cli_fail(err, OPENMED_ERR_FORMAT, "%s: contains a NUL byte", path);
    }
    if (kind == 2) st = read_csv(path, data, size, field, out, err);
    else st = read_lines(path, data, size, kind == 1, field, out, err);
    free(data);
    if (st != OPENMED_OK) om_text_list_free(out);
    return st;
}
