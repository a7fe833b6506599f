/* eval_data.c: reads `openmed eval` gold data (CoNLL token/tag files, span JSONL files). */
#include "eval_data.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define EVAL_MAX_FILE ((size_t)1 << 31)

static void doc_free(om_eval_doc *d) {
    for (size_t i = 0; i < d->n_spans; i++) free((char *)d->spans[i].label);
    free(d->spans);
    free(d->text);
}

void om_eval_docs_free(om_eval_docs *docs) {
    for (size_t i = 0; i < docs->n; i++) doc_free(&docs->docs[i]);
    free(docs->docs);
    memset(docs, 0, sizeof *docs);
}

/* A new zeroed doc at the end of docs, or NULL when out of memory. */
static om_eval_doc *push_doc(om_eval_docs *docs) {
    if (docs->n == docs->capacity) {
        size_t cap = docs->capacity ? docs->capacity * 2 : 64;
        om_eval_doc *grown = realloc(docs->docs, cap * sizeof *grown);
        if (!grown) return NULL;
        docs->docs = grown;
        docs->capacity = cap;
    }
    om_eval_doc *d = &docs->docs[docs->n++];
    memset(d, 0, sizeof *d);
    return d;
}

static int push_span(om_eval_doc *d, size_t *cap, int64_t start, int64_t end, const char *label,
                     size_t label_len) {
    if (d->n_spans == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        om_eval_span *grown = realloc(d->spans, c * sizeof *grown);
        if (!grown) return 0;
        d->spans = grown;
        *cap = c;
    }
    char *copy = strndup(label, label_len);
    if (!copy) return 0;
    d->spans[d->n_spans++] = (om_eval_span){start, end, copy};
    return 1;
}

static int64_t count_code_points(const char *s, size_t len) {
    int64_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
    return n;
}

/* One CoNLL sentence being assembled. */
typedef struct conll_sentence {
    char *text;
    size_t len, cap, span_cap;
    int64_t pos;     /* code points so far */
    int open;        /* the last token continued or started an entity */
    om_eval_doc *doc;
} conll_sentence;

static int sentence_append(conll_sentence *s, const char *tok, size_t n) {
    if (s->len + n + 2 > s->cap) {
        size_t cap = (s->len + n + 2) * 2;
        char *grown = realloc(s->text, cap);
        if (!grown) return 0;
        s->text = grown;
        s->cap = cap;
    }
    if (s->len) {
        s->text[s->len++] = ' ';
        s->pos++;
    }
    memcpy(s->text + s->len, tok, n);
    s->len += n;
    s->text[s->len] = 0;
    return 1;
}

openmed_status om_eval_read_conll(const char *path, om_eval_docs *out, openmed_error *err) {
    char *data;
    size_t size;
    int from_stdin = !strcmp(path, "-");
    openmed_status st = from_stdin ? cli_read_stdin(EVAL_MAX_FILE, &data, &size, err)
                                   : cli_read_file(path, EVAL_MAX_FILE, &data, &size, err);
    if (from_stdin) path = "standard input"; /* what messages call it */
    if (st == OPENMED_OK) st = cli_check_text(path, data, size, err); /* a sentence's text is its tokens */
    if (st != OPENMED_OK) {
        free(data);
        return st;
    }
    om_eval_docs docs = {0};
    conll_sentence s = {0};
    size_t line_no = 0;
    char *p = data, *end = data + size;
    while (p <= end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line_end = nl ? nl : end;
        line_no++;
        char *e = line_end;
        if (e > p && e[-1] == '\r') e--;
        int blank = 1;
        for (char *q = p; q < e; q++)
            if (*q != ' ' && *q != '\t') blank = 0;
        if (blank) {
            if (s.doc) {
                s.doc->text = s.text;
                s.text = NULL;
                memset(&s, 0, sizeof s);
            }
        } else {
            char *tab = memchr(p, '\t', (size_t)(e - p));
            if (!tab) {
                st = cli_fail(err, OPENMED_ERR_FORMAT, "%s:%zu: expected token<TAB>tag", path, line_no);
                goto fail;
            }
            char *tag = e;
            while (tag > tab && tag[-1] != '\t') tag--;
            size_t tag_len = (size_t)(e - tag), tok_len = (size_t)(tab - p);
            if (tok_len == 0) {
                st = cli_fail(err, OPENMED_ERR_FORMAT, "%s:%zu: empty token", path, line_no);
                goto fail;
            }
            int outside = tag_len == 1 && tag[0] == 'O';
            int begin = tag_len > 2 && tag[0] == 'B' && tag[1] == '-';
            int inside = tag_len > 2 && tag[0] == 'I' && tag[1] == '-';
            if (!outside && !begin && !inside) {
                st = cli_fail(err, OPENMED_ERR_FORMAT, "%s:%zu: tag '%.*s' is not O, B-X or I-X", path,
                             line_no, (int)(tag_len > 40 ? 40 : tag_len), tag);
                goto fail;
            }
            if (!s.doc && !(s.doc = push_doc(&docs))) goto oom;
            if (!sentence_append(&s, p, tok_len)) goto oom;
            int64_t start = s.pos, stop = s.pos + count_code_points(p, tok_len);
            s.pos = stop;
            if (outside) {
                s.open = 0;
            } else {
                om_eval_doc *d = s.doc;
                om_eval_span *last = s.open && d->n_spans ? &d->spans[d->n_spans - 1] : NULL;
                if (inside && last && strlen(last->label) == tag_len - 2 &&
                    !memcmp(last->label, tag + 2, tag_len - 2)) {
                    last->end = stop;
                } else if (!push_span(d, &s.span_cap, start, stop, tag + 2, tag_len - 2)) {
                    goto oom;
                }
                s.open = 1;
            }
        }
        if (!nl) break;
        p = nl + 1;
    }
    if (s.doc) s.doc->text = s.text;
    free(data);
    *out = docs;
    return OPENMED_OK;
oom:
    st = cli_fail(err, OPENMED_ERR_NO_MEMORY, "%s:%zu: out of memory", path, line_no);
fail:
    if (s.doc && !s.doc->text) s.doc->text = s.text;
    else free(s.text);
    om_eval_docs_free(&docs);
    free(data);
    return st;
}

/* An integer-valued JSON number field, or -1 when missing or not a non-negative integer. */
static int64_t int_field(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9.0e15 ||
        v->valuedouble != (double)(int64_t)v->valuedouble)
        return -1;
    return (int64_t)v->valuedouble;
}

/* One record's gold spans (`spans`: a JSON array, or a string holding one) into d; where is "FILE:LINE". */
static openmed_status doc_spans(om_eval_doc *d, const cJSON *spans, const char *where, openmed_error *err) {
    cJSON *parsed = NULL;
    if (cJSON_IsString(spans) && !spans->valuestring[0]) spans = NULL; /* an empty CSV cell: none */
    if (cJSON_IsString(spans)) { /* a CSV column */
        if (!(parsed = cJSON_Parse(spans->valuestring)))
            return cli_fail(err, OPENMED_ERR_FORMAT, "%s: field \"spans\" is not JSON", where);
        spans = parsed;
    }
    openmed_status st = OPENMED_OK;
    if (spans && !cJSON_IsArray(spans))
        st = cli_fail(err, OPENMED_ERR_FORMAT, "%s: field \"spans\" must be an array", where);
    int64_t length = count_code_points(d->text, strlen(d->text));
    size_t cap = 0, k = 0;
    const cJSON *sp;
    if (st == OPENMED_OK) cJSON_ArrayForEach(sp, spans) {
        const cJSON *label = cJSON_GetObjectItemCaseSensitive(sp, "label");
        int64_t s = int_field(sp, "start"), t = int_field(sp, "end");
        if (!cJSON_IsObject(sp) || !cJSON_IsString(label) || !label->valuestring[0]) {
            st = cli_fail(err, OPENMED_ERR_FORMAT, "%s: spans[%zu] needs a non-empty string \"label\"", where, k);
            break;
        }
        if (s < 0 || t < 0 || s >= t || t > length) {
            st = cli_fail(err, OPENMED_ERR_FORMAT,
                          "%s: spans[%zu] \"start\"/\"end\" must be integers with 0 <= start < end <= %lld (the "
                          "text's length in code points)",
                          where, k, (long long)length);
            break;
        }
        if (!push_span(d, &cap, s, t, label->valuestring, strlen(label->valuestring))) {
            st = cli_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", where);
            break;
        }
        k++;
    }
    cJSON_Delete(parsed);
    return st;
}

openmed_status om_eval_read_spans(const char *path, const cli_input_options *o, om_eval_docs *out, openmed_error *err) {
    memset(out, 0, sizeof *out);
    int from_stdin = !strcmp(path, "-");
    if (!from_stdin && !cli_is_folder(path) && !cli_has_ext(path, ".jsonl") && !cli_has_ext(path, ".csv"))
        return cli_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                        "%s: span gold is a .jsonl or .csv file (or a folder of them, or - for JSON lines on standard input)",
                        path);
    cli_input_options opts = {0};
    if (o) opts = *o;
    opts.lines = 0, opts.keep_going = 0; /* gold is read whole or not at all */
    opts.stdin_records = ".jsonl";       /* "-": JSON lines, as a .jsonl file */
    cli_input in = {path, 0};
    cli_reader *r = NULL;
    openmed_status st = cli_reader_open(&r, &in, 1, &opts, err);
    om_eval_docs docs = {0};
    cli_docs batch = {0};
    while (st == OPENMED_OK && (st = cli_reader_next(r, &batch, 256, err)) == OPENMED_OK && batch.n) {
        for (size_t i = 0; i < batch.n && st == OPENMED_OK; i++) {
            cli_doc *doc = &batch.v[i];
            char where[4200];
            int piped = doc->source && !strcmp(doc->source, "-");
            snprintf(where, sizeof where, "%s:%zu", piped ? "standard input" : doc->source ? doc->source : path, doc->line);
            if (!doc->source || (!piped && !cli_has_ext(doc->source, ".jsonl") && !cli_has_ext(doc->source, ".csv"))) {
                st = cli_fail(err, OPENMED_ERR_FORMAT, "%s: a text file holds no gold spans (span gold is .jsonl or .csv)",
                              doc->source ? doc->source : path);
                break;
            }
            om_eval_doc *d = push_doc(&docs);
            if (!d) {
                st = cli_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", where);
                break;
            }
            d->text = doc->text; /* taken from the batch */
            doc->text = NULL;
            st = doc_spans(d, cJSON_GetObjectItemCaseSensitive(doc->fields, "spans"), where, err);
        }
    }
    cli_docs_free(&batch);
    cli_reader_close(r);
    if (st != OPENMED_OK) {
        om_eval_docs_free(&docs);
        return st;
    }
    *out = docs;
    return OPENMED_OK;
}
