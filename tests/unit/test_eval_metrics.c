/* test_eval_metrics.c: strict entity scoring on hand-made spans, and the CoNLL and span-JSONL
 * readers of `openmed eval` on small files, malformed lines and random bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "eval_data.h"
#include "eval_metrics.h"

static char tmp_path[64];

/* data in a new temporary file named ...suffix ("" or ".jsonl"). */
static const char *write_tmp_as(const char *data, size_t n, const char *suffix) {
    snprintf(tmp_path, sizeof tmp_path, "/tmp/om_eval_XXXXXX%s", suffix);
    int fd = mkstemps(tmp_path, (int)strlen(suffix));
    if (fd < 0) return NULL;
    if (write(fd, data, n) != (ssize_t)n) {
        close(fd);
        return NULL;
    }
    close(fd);
    return tmp_path;
}

static const char *write_tmp(const char *data, size_t n) { return write_tmp_as(data, n, ""); }

static const om_eval_counts *label_counts(const om_eval *ev, const char *label) {
    for (size_t i = 0; i < ev->n_labels; i++)
        if (!strcmp(ev->labels[i].label, label)) return &ev->labels[i];
    return NULL;
}

static void test_metrics(void) {
    om_eval ev;
    om_eval_init(&ev);
    openmed_error err;
    om_eval_span gold[] = {{0, 5, "DISEASE"}, {10, 20, "DISEASE"}, {30, 35, "DRUG"}};
    om_eval_span pred[] = {
        {0, 5, "Disease"},  /* exact (labels compare case-insensitively): tp */
        {10, 19, "DISEASE"}, /* one character short: fp, and (10,20) stays a fn */
        {30, 35, "DISEASE"}, /* right span, wrong label: fp, and the DRUG stays a fn */
        {40, 45, "DRUG"},    /* nothing there: fp */
        {0, 5, "DISEASE"},   /* duplicate of a matched entity: fp */
    };
    CHECK_INT(om_eval_add(&ev, gold, 3, pred, 5, &err), OPENMED_OK);
    CHECK_INT(ev.total.tp, 1);
    CHECK_INT(ev.total.fp, 4);
    CHECK_INT(ev.total.fn, 2);
    /* a second text: one perfect DRUG, a DISEASE missed entirely */
    om_eval_span gold2[] = {{3, 9, "DRUG"}, {12, 14, "DISEASE"}};
    om_eval_span pred2[] = {{3, 9, "drug"}};
    CHECK_INT(om_eval_add(&ev, gold2, 2, pred2, 1, &err), OPENMED_OK);
    om_eval_sort(&ev);
    CHECK_INT(ev.n_labels, 2);
    CHECK_STR(ev.labels[0].label, "DISEASE");
    CHECK_STR(ev.labels[1].label, "DRUG");
    const om_eval_counts *d = label_counts(&ev, "DISEASE"), *g = label_counts(&ev, "DRUG");
    CHECK(d && g);
    if (d && g) {
        CHECK_INT(d->tp, 1);
        CHECK_INT(d->fp, 3);
        CHECK_INT(d->fn, 2);
        CHECK_INT(g->tp, 1);
        CHECK_INT(g->fp, 1);
        CHECK_INT(g->fn, 1);
    }
    double p, r, f;
    om_eval_prf(&ev.total, &p, &r, &f); /* tp 2, fp 4, fn 3 */
    CHECK_INT(ev.total.fp, 4);
    CHECK_INT(ev.total.fn, 3);
    CHECK_NEAR(p, 2.0 / 6.0, 1e-12);
    CHECK_NEAR(r, 2.0 / 5.0, 1e-12);
    CHECK_NEAR(f, 2 * (2.0 / 6) * (2.0 / 5) / (2.0 / 6 + 2.0 / 5), 1e-12);
    om_eval_counts none = {0};
    om_eval_prf(&none, &p, &r, &f);
    CHECK(p == 0 && r == 0 && f == 0);
    om_eval_span nolabel = {0, 1, NULL};
    CHECK_INT(om_eval_add(&ev, gold, 3, &nolabel, 1, &err), OPENMED_ERR_INVALID_ARGUMENT);
    om_eval_free(&ev);
}

static void test_conll(void) {
    const char *conll =
        "Cystic\tB-Disease\nfibrosis\tI-Disease\nand\tO\ncaf\xc3\xa9\tB-Disease\n\n"
        "\n"                                   /* extra blank lines are fine */
        "a\tI-Disease\nb\tI-Disease\nc\tB-Disease\nd\tI-Chem\ne\tO\n"
        "f\tpos\tB-X\r\n";                     /* extra columns: the tag is the last; CRLF; no final newline */
    const char *path = write_tmp(conll, strlen(conll));
    CHECK(path != NULL);
    om_eval_docs docs = {0};
    openmed_error err;
    CHECK_INT(om_eval_read_conll(path, &docs, &err), OPENMED_OK);
    CHECK_INT(docs.n, 2);
    if (docs.n == 2) {
        om_eval_doc *a = &docs.docs[0], *b = &docs.docs[1];
        CHECK_STR(a->text, "Cystic fibrosis and caf\xc3\xa9");
        CHECK_INT(a->n_spans, 2);
        CHECK_INT(a->spans[0].start, 0);
        CHECK_INT(a->spans[0].end, 15);
        CHECK_STR(a->spans[0].label, "Disease");
        CHECK_INT(a->spans[1].start, 20);
        CHECK_INT(a->spans[1].end, 24); /* code points: é is one */
        CHECK_STR(b->text, "a b c d e f");
        CHECK_INT(b->n_spans, 4); /* "a b" (I- opens), "c" (B-), "d" (type change), "f" */
        if (b->n_spans == 4) {
            CHECK_INT(b->spans[0].start, 0);
            CHECK_INT(b->spans[0].end, 3);
            CHECK_INT(b->spans[1].start, 4);
            CHECK_INT(b->spans[1].end, 5);
            CHECK_STR(b->spans[2].label, "Chem");
            CHECK_INT(b->spans[3].start, 10);
            CHECK_STR(b->spans[3].label, "X");
        }
    }
    om_eval_docs_free(&docs);
    unlink(path);

    const char *bad[] = {"word B-Disease\n", "w\tB-\n", "w\tX-Disease\n", "\tO\n", "w\tO\nv\tBI\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        path = write_tmp(bad[i], strlen(bad[i]));
        openmed_status s = om_eval_read_conll(path, &docs, &err);
        CHECK_MSG(s == OPENMED_ERR_FORMAT, "bad CoNLL %zu accepted", i);
        CHECK_MSG(strstr(err.message, path) && strstr(err.message, ":"), "message: %s", err.message);
        unlink(path);
    }
    CHECK(strstr(err.message, ":2:") != NULL); /* the last one names line 2 */
    path = write_tmp("a\tO\n\ncaf\xe9\tB-X\n", 14); /* a sentence's text must be UTF-8: the line is named */
    CHECK_INT(om_eval_read_conll(path, &docs, &err), OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, ":3: invalid UTF-8") != NULL, "%s", err.message);
    unlink(path);
    CHECK(om_eval_read_conll("/nonexistent/devel.tsv", &docs, &err) != OPENMED_OK);
    CHECK(strstr(err.message, "/nonexistent/devel.tsv") != NULL);
}

static void test_spans(void) {
    const char *jsonl =
        "{\"text\": \"Jos\xc3\xa9 Smith, MRN 12\", \"spans\": [{\"start\": 0, \"end\": 4, \"label\": \"FIRST_NAME\"},"
        " {\"start\": 5, \"end\": 10, \"label\": \"LAST_NAME\"}, {\"start\": 16, \"end\": 18, \"label\": \"ID_NUM\"}]}\n"
        "\n"
        "{\"text\": \"nothing here\", \"spans\": []}\n"
        "{\"text\": \"no spans key\"}";
    const char *path = write_tmp_as(jsonl, strlen(jsonl), ".jsonl");
    om_eval_docs docs = {0};
    openmed_error err;
    CHECK_INT(om_eval_read_spans(path, NULL, &docs, &err), OPENMED_OK);
    CHECK_INT(docs.n, 3);
    if (docs.n == 3) {
        CHECK_INT(docs.docs[0].n_spans, 3);
        CHECK_INT(docs.docs[0].spans[2].end, 18); /* the text is 18 code points (20 bytes) */
        CHECK_STR(docs.docs[0].spans[1].label, "LAST_NAME");
        CHECK_INT(docs.docs[1].n_spans, 0);
        CHECK_INT(docs.docs[2].n_spans, 0);
    }
    om_eval_docs_free(&docs);
    unlink(path);

    const char *bad[] = {
        "{\"text\": \"abc\", \"spans\": [{\"start\": 0, \"end\": 4, \"label\": \"X\"}]}\n", /* past the end */
        "{\"text\": \"abc\", \"spans\": [{\"start\": 2, \"end\": 2, \"label\": \"X\"}]}\n", /* empty */
        "{\"text\": \"abc\", \"spans\": [{\"start\": 0.5, \"end\": 2, \"label\": \"X\"}]}\n",
        "{\"text\": \"abc\", \"spans\": [{\"start\": 0, \"end\": 2}]}\n",                  /* no label */
        "{\"text\": \"abc\", \"spans\": {}}\n",
        "{\"text\": 3}\n",
        "{\"text\": \"abc\", \"spans\": [}\n",                                           /* malformed */
        "[1, 2]\n",
        "{\"text\": \"abc\", \"spans\": [7]}\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        path = write_tmp_as(bad[i], strlen(bad[i]), ".jsonl");
        openmed_status s = om_eval_read_spans(path, NULL, &docs, &err);
        CHECK_MSG(s == OPENMED_ERR_FORMAT, "bad spans line %zu accepted", i);
        CHECK_MSG(strstr(err.message, ":1:") != NULL, "message without line: %s", err.message);
        unlink(path);
    }

    /* read as every input is: the text's UTF-8 (and every other field's) checked by line, a CSV
     * gold with the array in a "spans" column, another text field, a folder of gold files */
    const char *latin1 = "{\"text\": \"ok\"}\n{\"text\": \"caf\xe9\", \"spans\": []}\n";
    path = write_tmp_as(latin1, strlen(latin1), ".jsonl");
    CHECK_INT(om_eval_read_spans(path, NULL, &docs, &err), OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, ":2: invalid UTF-8") != NULL, "%s", err.message);
    unlink(path);
    const char *csv = "id,note,spans\r\n1,\"Jos\xc3\xa9 Smith\",\"[{\"\"start\"\": 5, \"\"end\"\": 10, \"\"label\"\": \"\"LAST\"\"}]\"\r\n"
                      "2,nothing,none\r\n";
    path = write_tmp_as(csv, strlen(csv), ".csv");
    CHECK_INT(om_eval_read_spans(path, NULL, &docs, &err), OPENMED_ERR_FORMAT); /* no "text" column */
    cli_input_options o = {0};
    o.text_field = "note";
    CHECK_INT(om_eval_read_spans(path, &o, &docs, &err), OPENMED_ERR_FORMAT); /* "none" is no JSON array */
    CHECK_MSG(strstr(err.message, ":3: field \"spans\" is not JSON") != NULL, "%s", err.message);
    unlink(path);
    csv = "id,note,spans\r\n1,\"Jos\xc3\xa9 Smith\",\"[{\"\"start\"\": 5, \"\"end\"\": 10, \"\"label\"\": \"\"LAST\"\"}]\"\r\n"
          "2,nothing,\r\n"; /* an empty cell: no gold entities */
    char folder[] = "/tmp/om_eval_dir_XXXXXX";
    CHECK(mkdtemp(folder) != NULL);
    char file[300];
    snprintf(file, sizeof file, "%s/a.csv", folder);
    FILE *f = fopen(file, "wb");
    if (f) fputs(csv, f), fclose(f);
    snprintf(file, sizeof file, "%s/b.jsonl", folder);
    f = fopen(file, "wb");
    if (f) fputs("{\"note\": \"abc\", \"spans\": [{\"start\": 0, \"end\": 3, \"label\": \"X\"}]}\n", f), fclose(f);
    CHECK_INT(om_eval_read_spans(folder, &o, &docs, &err), OPENMED_OK);
    CHECK_INT(docs.n, 3);
    if (docs.n == 3) {
        CHECK_STR(docs.docs[0].text, "Jos\xc3\xa9 Smith");
        CHECK(docs.docs[0].n_spans == 1 && docs.docs[0].spans[0].start == 5 && !strcmp(docs.docs[0].spans[0].label, "LAST"));
        CHECK_INT(docs.docs[1].n_spans, 0);
        CHECK(docs.docs[2].n_spans == 1 && docs.docs[2].spans[0].end == 3);
    }
    om_eval_docs_free(&docs);
    snprintf(file, sizeof file, "%s/notes.txt", folder); /* a text file holds no gold */
    f = fopen(file, "wb");
    if (f) fputs("abc\n", f), fclose(f);
    CHECK_INT(om_eval_read_spans(folder, &o, &docs, &err), OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "notes.txt: a text file holds no gold spans") != NULL, "%s", err.message);
    CHECK_INT(om_eval_read_spans(file, &o, &docs, &err), OPENMED_ERR_INVALID_ARGUMENT);
    /* "-": gold as JSON lines on standard input, faults named "standard input:LINE"; CoNLL too */
    snprintf(file, sizeof file, "%s/stdin.jsonl", folder);
    f = fopen(file, "wb");
    if (f) fputs("{\"note\": \"abc\", \"spans\": [{\"start\": 0, \"end\": 3, \"label\": \"X\"}]}\n{\"note\": \"d\"}\n", f), fclose(f);
    CHECK(freopen(file, "rb", stdin) != NULL);
    CHECK_INT(om_eval_read_spans("-", &o, &docs, &err), OPENMED_OK);
    CHECK(docs.n == 2 && docs.docs[0].n_spans == 1 && docs.docs[1].n_spans == 0 && !strcmp(docs.docs[1].text, "d"));
    om_eval_docs_free(&docs);
    f = fopen(file, "wb");
    if (f) fputs("{\"note\": \"abc\"}\n{\"note\": \"abc\", \"spans\": [{\"start\": 0, \"end\": 9, \"label\": \"X\"}]}\n", f), fclose(f);
    CHECK(freopen(file, "rb", stdin) != NULL);
    CHECK_INT(om_eval_read_spans("-", &o, &docs, &err), OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "standard input:2") != NULL, "%s", err.message);
    f = fopen(file, "wb");
    if (f) fputs("Cystic\tB-DISEASE\nfibrosis\tI-DISEASE\n\nAspirin\tO\n", f), fclose(f);
    CHECK(freopen(file, "rb", stdin) != NULL);
    CHECK_INT(om_eval_read_conll("-", &docs, &err), OPENMED_OK);
    CHECK(docs.n == 2 && docs.docs[0].n_spans == 1 && !strcmp(docs.docs[0].text, "Cystic fibrosis"));
    om_eval_docs_free(&docs);
    f = fopen(file, "wb");
    if (f) fputs("Cystic\tB-DISEASE\nfibrosis\n", f), fclose(f);
    CHECK(freopen(file, "rb", stdin) != NULL);
    CHECK_INT(om_eval_read_conll("-", &docs, &err), OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "standard input:2") != NULL, "%s", err.message);
    char rm[400];
    snprintf(rm, sizeof rm, "rm -rf %s", folder);
    CHECK(system(rm) == 0);
}

/* Random bytes and truncations never crash either reader. */
static void test_garbage(void) {
    const char *seed = "w\tB-X\nv\tI-X\n\n{\"text\": \"ab\", \"spans\": [{\"start\": 0, \"end\": 1, \"label\": \"X\"}]}\n";
    uint32_t state = 12345;
    char buf[256];
    size_t n = strlen(seed);
    for (int round = 0; round < 300; round++) {
        memcpy(buf, seed, n);
        for (int k = 0; k < 1 + round % 8; k++) {
            state = state * 1664525u + 1013904223u;
            buf[(state >> 8) % n] = (char)(state >> 24);
        }
        size_t len = round % 3 == 0 ? (state >> 4) % n : n;
        const char *path = write_tmp(buf, len);
        om_eval_docs docs = {0};
        openmed_error err;
        if (om_eval_read_conll(path, &docs, &err) == OPENMED_OK) om_eval_docs_free(&docs);
        unlink(path);
        path = write_tmp_as(buf, len, ".jsonl");
        if (om_eval_read_spans(path, NULL, &docs, &err) == OPENMED_OK) om_eval_docs_free(&docs);
        unlink(path);
    }
    CHECK(1);
}

int main(void) {
    test_metrics();
    test_conll();
    test_spans();
    test_garbage();
    return check_finish("test_eval_metrics");
}
