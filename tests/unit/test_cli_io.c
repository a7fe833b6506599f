/* test_cli_io.c: the CLI's input layer (TEXT, standard input, .txt/.md/.jsonl/.csv files,
 * folders, --lines, ids and carried fields, FIFOs refused, bad input named) and its writers (HF
 * raw, OpenMed JSON, CSV, the HTML page), every one naming its document. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "inputs.h"
#include "progress.h"
#include "writers.h"

static char dir[] = "/tmp/om_cli_io_XXXXXX";

static const char *put(const char *name, const char *data) {
    static char path[4][512];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, 512, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (f) {
        fputs(data, f);
        fclose(f);
    }
    return p;
}

/* Read inputs into *docs (all of them); returns the status. */
static openmed_status read_all(const cli_input *in, size_t n, const cli_input_options *o, cli_docs *docs,
                               openmed_error *err) {
    cli_reader *r = NULL;
    openmed_status st = cli_reader_open(&r, in, n, o, err);
    if (st != OPENMED_OK) return st;
    size_t total = cli_reader_total(r);
    st = cli_reader_next(r, docs, total + 1, err);
    if (st == OPENMED_OK) CHECK_INT(docs->n, total);
    cli_reader_close(r);
    return st;
}

static const char *field_str(const cli_doc *d, const char *key) {
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d->fields, key));
}

static void test_inputs(void) {
    openmed_error err = {0};
    cli_docs docs = {0};
    cli_input_options o = {0};
    cli_input bad;

    /* TEXT arguments (several: "text:1", "text:2", so every output tells them apart); --lines splits them */
    cli_input texts[2] = {{"The patient has asthma.", 1}, {"line one\n\n  \nline four\r\n", 1}};
    CHECK(read_all(texts, 2, &o, &docs, &err) == OPENMED_OK);
    CHECK_INT(docs.n, 2);
    if (docs.n == 2) {
        CHECK_STR(docs.v[0].id, "text:1");
        CHECK_STR(docs.v[1].id, "text:2");
        CHECK(docs.v[0].source == NULL && docs.v[0].fields == NULL && docs.v[0].id_value == NULL);
        CHECK_STR(docs.v[1].text, "line one\n\n  \nline four\r\n");
    }
    cli_docs_clear(&docs);
    o.lines = 1;
    CHECK(read_all(texts + 1, 1, &o, &docs, &err) == OPENMED_OK);
    CHECK_INT(docs.n, 2);
    if (docs.n == 2) {
        CHECK_STR(docs.v[0].id, "text:1");
        CHECK_STR(docs.v[1].id, "text:4");
        CHECK_STR(docs.v[1].text, "line four");
        CHECK_INT(docs.v[1].line, 4);
    }
    cli_docs_clear(&docs);
    o.lines = 0;

    /* standard input ("-") is one document; a byte-order mark is dropped there as in files */
    {
        cli_input in = {"-", 0};
        CHECK(freopen(put("stdin.txt", "\xEF\xBB\xBF" "Fever.\n"), "rb", stdin) != NULL);
        CHECK(read_all(&in, 1, &o, &docs, &err) == OPENMED_OK);
        CHECK(docs.n == 1 && !strcmp(docs.v[0].id, "-") && !strcmp(docs.v[0].text, "Fever.\n"));
        cli_docs_clear(&docs);
        in = (cli_input){put("bom.txt", "\xEF\xBB\xBF" "Fever.\n"), 0};
        CHECK(read_all(&in, 1, &o, &docs, &err) == OPENMED_OK);
        CHECK(docs.n == 1 && !strcmp(docs.v[0].text, "Fever.\n"));
        cli_docs_clear(&docs);
        /* stdin_records: standard input read as a .jsonl or .csv file, named "standard input:LINE" */
        in = (cli_input){"-", 0};
        o.stdin_records = ".jsonl";
        CHECK(freopen(put("stdin.jsonl", "{\"id\": 7, \"text\": \"Fever.\"}\n\n{\"text\": \"Cough.\", \"ward\": \"A\"}\n"),
                      "rb", stdin) != NULL);
        CHECK(read_all(&in, 1, &o, &docs, &err) == OPENMED_OK);
        CHECK_INT(docs.n, 2);
        if (docs.n == 2) {
            CHECK(!strcmp(docs.v[0].id, "7") && !strcmp(docs.v[0].text, "Fever.") && docs.v[0].line == 1);
            CHECK(!strcmp(docs.v[1].id, "standard input:3") && !strcmp(docs.v[1].source, "-"));
            CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(docs.v[1].fields, "ward")), "A");
        }
        cli_docs_clear(&docs);
        CHECK(freopen(put("stdin-bad.jsonl", "{\"text\": \"ok\"}\nnot json\n"), "rb", stdin) != NULL);
        CHECK(read_all(&in, 1, &o, &docs, &err) != OPENMED_OK);
        CHECK_MSG(strstr(err.message, "standard input:2: not a JSON object") != NULL, "%s", err.message);
        cli_docs_clear(&docs);
        o.stdin_records = ".csv";
        CHECK(freopen(put("stdin.csv", "id,text\nn1,Fever.\nn2,\"a,b\"\"\n"), "rb", stdin) != NULL);
        CHECK(read_all(&in, 1, &o, &docs, &err) != OPENMED_OK); /* an unterminated quote */
        CHECK_MSG(strstr(err.message, "standard input:3: unterminated") != NULL, "%s", err.message);
        cli_docs_clear(&docs);
        CHECK(freopen(put("stdin2.csv", "id,text\nn1,Fever.\n"), "rb", stdin) != NULL);
        CHECK(read_all(&in, 1, &o, &docs, &err) == OPENMED_OK);
        CHECK(docs.n == 1 && !strcmp(docs.v[0].id, "n1") && docs.v[0].line == 2);
        cli_docs_clear(&docs);
        o.stdin_records = NULL;
    }

    /* a .txt and a .md file are one document each, named by their path */
    const char *txt = put("note.txt", "CHIEF COMPLAINT\n\nFever.\n");
    cli_input files[2] = {{txt, 0}, {put("note.md", "# Plan\n\n- rest\n"), 0}};
    CHECK(read_all(files, 2, &o, &docs, &err) == OPENMED_OK);
    CHECK_INT(docs.n, 2);
    if (docs.n == 2) {
        CHECK_STR(docs.v[0].id, txt);
        CHECK_STR(docs.v[0].source, txt);
        CHECK_STR(docs.v[0].text, "CHIEF COMPLAINT\n\nFever.\n");
        CHECK_STR(docs.v[1].text, "# Plan\n\n- rest\n");
    }
    cli_docs_clear(&docs);
    o.lines = 1;
    CHECK(read_all(files, 1, &o, &docs, &err) == OPENMED_OK);
    CHECK_INT(docs.n, 2); /* "CHIEF COMPLAINT", "Fever." */
    cli_docs_clear(&docs);
    /* a bare \r ends a line too (old Mac files), as in CSV */
    cli_input cr = {put("cr.txt", "Fever.\rCough.\r\r\nRest.\n"), 0};
    CHECK(read_all(&cr, 1, &o, &docs, &err) == OPENMED_OK);
    CHECK_INT(docs.n, 3);
    if (docs.n == 3) {
        CHECK(!strcmp(docs.v[0].text, "Fever.") && docs.v[0].line == 1);
        CHECK(!strcmp(docs.v[1].text, "Cough.") && docs.v[1].line == 2);
        CHECK(!strcmp(docs.v[2].text, "Rest.") && docs.v[2].line == 4);
    }
    cli_docs_clear(&docs);
    o.lines = 0;

    /* .jsonl: id (a number stays a number), other fields carried, blank lines skipped */
    const char *jsonl = put("notes.jsonl", "{\"id\": 17, \"text\": \"one\\nline\", \"site\": \"A\", \"n\": [1]}\n\n"
                                           "{\"text\": \"no id\"}\n{\"id\": \"x-2\", \"text\": \"two\"}\n");
    cli_input j = {jsonl, 0};
    CHECK(read_all(&j, 1, &o, &docs, &err) == OPENMED_OK);
    CHECK_INT(docs.n, 3);
    if (docs.n == 3) {
        CHECK_STR(docs.v[0].id, "17");
        CHECK(cJSON_IsNumber(docs.v[0].id_value) && docs.v[0].id_value->valuedouble == 17);
        CHECK_STR(docs.v[0].text, "one\nline");
        CHECK_STR(field_str(&docs.v[0], "site"), "A");
        CHECK(cJSON_IsArray(cJSON_GetObjectItem(docs.v[0].fields, "n")));
        CHECK(!cJSON_HasObjectItem(docs.v[0].fields, "text") && !cJSON_HasObjectItem(docs.v[0].fields, "id"));
        CHECK_INT(docs.v[0].line, 1);
        char where[600];
        snprintf(where, sizeof where, "%s:3", jsonl);
        CHECK_STR(docs.v[1].id, where);
        CHECK(docs.v[1].id_value == NULL && docs.v[1].fields == NULL);
        CHECK_STR(docs.v[2].id, "x-2");
    }
    cli_docs_clear(&docs);
    o.text_field = "note";
    o.id_field = "encounter";
    put("other.jsonl", "{\"encounter\": \"E1\", \"note\": \"hi\"}\n");
    cli_input j2 = {put("other.jsonl", "{\"encounter\": \"E1\", \"note\": \"hi\"}\n"), 0};
    CHECK(read_all(&j2, 1, &o, &docs, &err) == OPENMED_OK);
    if (docs.n == 1) CHECK_STR(docs.v[0].id, "E1");
    cli_docs_clear(&docs);
    o.text_field = o.id_field = NULL;

    /* .csv: quoted fields across lines, id and other columns */
    cli_input c = {put("notes.csv", "id,text,ward\r\nn1,\"multi\nline, \"\"quoted\"\"\",3B\r\n,plain,4C\n"), 0};
    CHECK(read_all(&c, 1, &o, &docs, &err) == OPENMED_OK);
    CHECK_INT(docs.n, 2);
    if (docs.n == 2) {
        CHECK_STR(docs.v[0].id, "n1");
        CHECK_STR(docs.v[0].text, "multi\nline, \"quoted\"");
        CHECK_STR(field_str(&docs.v[0], "ward"), "3B");
        CHECK(!cJSON_HasObjectItem(docs.v[0].fields, "id"));
        CHECK(strstr(docs.v[1].id, "notes.csv:4") != NULL); /* an empty id: the row's line */
    }
    cli_docs_clear(&docs);

    /* .csv through libcsv: a byte-order mark, blank lines, spaces kept, the line of each record */
    c = (cli_input){put("bom.csv", "\xEF\xBB\xBFid,text,ward\r\n\r\nb1,  padded,\" 2A \"\r\n\n"
                                   "b2,\"two\r\nlines\",3C\r\n"), 0};
    CHECK(read_all(&c, 1, &o, &docs, &err) == OPENMED_OK);
    CHECK_INT(docs.n, 2);
    if (docs.n == 2) {
        CHECK_STR(docs.v[0].id, "b1"); /* the mark is not part of the first column's name */
        CHECK_STR(docs.v[0].text, "  padded");
        CHECK_INT(docs.v[0].line, 3);
        CHECK_STR(docs.v[1].text, "two\r\nlines");
        CHECK_INT(docs.v[1].line, 5);
    }
    cli_docs_clear(&docs);
    bad = (cli_input){put("wide.csv", "id,text,ward\r\n\r\nb1,  padded, text  ,\" 2A \"\r\n"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT); /* "  padded", " text  ": 4 fields */
    CHECK_MSG(strstr(err.message, "wide.csv:3: 4 fields, the header has 3") != NULL, "%s", err.message);
    c = (cli_input){put("spaces.csv", "id,text,ward\n b1 ,  two  words ,\" 2A \"\n"), 0};
    CHECK(read_all(&c, 1, &o, &docs, &err) == OPENMED_OK);
    if (docs.n == 1) {
        CHECK_STR(docs.v[0].id, " b1 ");
        CHECK_STR(docs.v[0].text, "  two  words ");
        CHECK_STR(field_str(&docs.v[0], "ward"), " 2A ");
    }
    cli_docs_clear(&docs);
    /* a stray quote is not data; the line is named */
    bad = (cli_input){put("stray.csv", "id,text\n1,fine\n2,half \"quoted\" text\n"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "stray.csv:3") && strstr(err.message, "quote"), "%s", err.message);
    /* every column must be text, not only the text column: the others travel to the outputs */
    bad = (cli_input){put("field.csv", "id,text,ward\n1,fine,A\n2,fine,\"W\xff\"\n"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "field.csv:3: column \"ward\": invalid UTF-8 at byte 1") != NULL, "%s", err.message);
    bad = (cli_input){put("nul.csv", "id,text\n1,\"a\0b\"\n"), 0};
    {
        FILE *fnul = fopen(bad.value, "wb"); /* put() stops at the NUL */
        if (fnul) {
            fwrite("id,text\n1,\"a\0b\"\n", 1, 16, fnul);
            fclose(fnul);
        }
    }
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "nul.csv:2: column \"text\": a NUL byte at byte 1") != NULL, "%s", err.message);
    bad = (cli_input){put("head.csv", "id,te\xc0\xafxt\n1,x\n"), 0}; /* an overlong form in the header */
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "head.csv:1: header column 2: invalid UTF-8 at byte 2") != NULL, "%s", err.message);
    /* a bare \r ends a line as \n and \r\n do (old Mac files): records and faults keep their lines */
    c = (cli_input){put("cr.csv", "id,text\rn1,\"two\rlines\"\r\rn2,ok\r"), 0};
    CHECK(read_all(&c, 1, &o, &docs, &err) == OPENMED_OK);
    CHECK_INT(docs.n, 2);
    if (docs.n == 2) {
        CHECK(docs.v[0].line == 2 && !strcmp(docs.v[0].text, "two\rlines"));
        CHECK_INT(docs.v[1].line, 5);
    }
    cli_docs_clear(&docs);
    bad = (cli_input){put("cr-bad.csv", "id,text\rn1,fine\r\nn2,\"W\xff\"\rn3,x\r"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "cr-bad.csv:3: column \"text\"") != NULL, "%s", err.message);
    bad = (cli_input){put("cr-stray.csv", "id,text\r1,fine\r2,half \"quoted\" text\r"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "cr-stray.csv:3") && strstr(err.message, "quote"), "%s", err.message);
    bad = (cli_input){put("empty.csv", ""), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "empty.csv") && strstr(err.message, "header"));
    /* .jsonl: every byte of a line must be UTF-8 text (the id and the other fields too), and a
     * \u0000 escape would cut a string short */
    c = (cli_input){put("bom.jsonl", "\xEF\xBB\xBF{\"id\": \"j1\", \"text\": \"one\"}\n"), 0};
    CHECK(read_all(&c, 1, &o, &docs, &err) == OPENMED_OK);
    CHECK(docs.n == 1 && !strcmp(docs.v[0].id, "j1"));
    cli_docs_clear(&docs);
    bad = (cli_input){put("field.jsonl", "{\"id\": 1, \"text\": \"ok\"}\n{\"id\": 2, \"text\": \"ok\", \"site\": \"\xed\xa0\x80\"}\n"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT); /* a surrogate, not UTF-8 */
    CHECK_MSG(strstr(err.message, "field.jsonl:2: invalid UTF-8 at byte") != NULL, "%s", err.message);
    bad = (cli_input){put("key.jsonl", "{\"id\": 1, \"text\": \"ok\", \"s\xe9\": 1}\n"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "key.jsonl:1: invalid UTF-8") != NULL, "%s", err.message);
    bad = (cli_input){put("esc.jsonl", "{\"id\": 1, \"text\": \"a\\u0000b\"}\n"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "esc.jsonl:1") && strstr(err.message, "NUL"), "%s", err.message);
    c = (cli_input){put("esc2.jsonl", "{\"id\": 1, \"text\": \"a\\\\u0000b\"}\n"), 0}; /* a backslash, then text */
    CHECK(read_all(&c, 1, &o, &docs, &err) == OPENMED_OK);
    if (docs.n == 1) CHECK_STR(docs.v[0].text, "a\\u0000b");
    cli_docs_clear(&docs);

    /* a folder: its readable files, sorted, sub-folders too; hidden files and others skipped */
    char sub[600];
    snprintf(sub, sizeof sub, "%s/folder", dir);
    mkdir(sub, 0755);
    snprintf(sub, sizeof sub, "%s/folder/deeper", dir);
    mkdir(sub, 0755);
    put("folder/b.txt", "B");
    put("folder/a.md", "A");
    put("folder/deeper/c.jsonl", "{\"id\": \"c1\", \"text\": \"C1\"}\n{\"id\": \"c2\", \"text\": \"C2\"}\n");
    put("folder/.hidden.txt", "H");
    put("folder/scan.pdf", "%PDF");
    snprintf(sub, sizeof sub, "%s/folder", dir);
    cli_input f = {sub, 0};
    cli_reader *r = NULL;
    CHECK(cli_reader_open(&r, &f, 1, &o, &err) == OPENMED_OK);
    if (r) {
        CHECK_INT(cli_reader_total(r), 4);
        CHECK_INT(cli_reader_skipped(r), 2);
        /* batches of 3, then 1, then none */
        CHECK(cli_reader_next(r, &docs, 3, &err) == OPENMED_OK);
        CHECK_INT(docs.n, 3);
        if (docs.n == 3) {
            CHECK(strstr(docs.v[0].id, "folder/a.md") && strstr(docs.v[1].id, "folder/b.txt"));
            CHECK_STR(docs.v[2].id, "c1");
            CHECK(strstr(docs.v[2].source, "folder/deeper/c.jsonl") != NULL);
        }
        CHECK(cli_reader_next(r, &docs, 3, &err) == OPENMED_OK);
        CHECK(docs.n == 1 && !strcmp(docs.v[0].id, "c2"));
        CHECK(cli_reader_next(r, &docs, 3, &err) == OPENMED_OK);
        CHECK_INT(docs.n, 0);
        cli_reader_close(r);
    }

    /* bad input: named, nothing read */
    bad = (cli_input){put("bad.jsonl", "{\"text\": \"ok\"}\n{\"txt\": 1}\n"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "bad.jsonl:2") && strstr(err.message, "\"text\""));
    bad = (cli_input){put("bad2.jsonl", "{\"text\": \"one\"\n"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "bad2.jsonl:1") != NULL);
    bad = (cli_input){put("bad.csv", "id,note\n1,x\n"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "no column \"text\"") != NULL);
    bad = (cli_input){put("bad2.csv", "id,text\n1,\"never closed\n"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "unterminated") != NULL);
    bad = (cli_input){put("bad3.csv", "id,text\n1,2,3\n"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "bad3.csv:2") != NULL);
    bad = (cli_input){put("latin1.txt", "caf\xe9"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "latin1.txt:1: invalid UTF-8 at byte 3") != NULL);
    bad = (cli_input){put("latin1-3.md", "# Note\n\nCaf\xe9 au lait\n"), 0}; /* the line of the fault is named */
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "latin1-3.md:3: invalid UTF-8 at byte 11") != NULL, "%s", err.message);
    bad = (cli_input){"caf\xe9", 1};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_FORMAT);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/missing.txt", dir);
    bad = (cli_input){missing, 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_NOT_FOUND);
    CHECK(strstr(err.message, "missing.txt") != NULL);
    CHECK_INT(docs.n, 0);

    /* keep_going (a batch that reports bad records and goes on): each bad record or file comes
     * back as a document carrying its error, named by its id where it has one, the rest as read */
    o.keep_going = 1;
    bad = (cli_input){put("mixed.jsonl", "{\"id\": \"a\", \"text\": \"ok\"}\n{\"id\": 5, \"txt\": 1}\nnot json\n"
                                         "{\"text\": \"caf\xe9\"}\n{\"id\": \"e\", \"text\": \"fine\"}\n"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_OK);
    CHECK_INT(docs.n, 5);
    if (docs.n == 5) {
        CHECK(docs.error[0] == NULL && !strcmp(docs.v[0].text, "ok"));
        CHECK(docs.error[1] && strstr(docs.error[1], "mixed.jsonl:2") && strstr(docs.error[1], "\"text\""));
        CHECK_STR(docs.v[1].id, "5");
        CHECK(cJSON_IsNumber(docs.v[1].id_value) && docs.v[1].text[0] == '\0');
        CHECK(docs.error[2] && strstr(docs.error[2], "not a JSON object") && strstr(docs.v[2].id, "mixed.jsonl:3"));
        CHECK(docs.error[3] && strstr(docs.error[3], "invalid UTF-8") && !strstr(docs.error[3], "caf"));
        CHECK(docs.error[4] == NULL && !strcmp(docs.v[4].id, "e"));
    }
    bad = (cli_input){put("mixed.csv", "id,text\n1,one\n2,x,y\n3,three\n4,\"never closed\n"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_OK);
    CHECK_INT(docs.n, 4);
    if (docs.n == 4) {
        CHECK(docs.error[0] == NULL && docs.error[2] == NULL && !strcmp(docs.v[2].text, "three"));
        CHECK(docs.error[1] && strstr(docs.error[1], "mixed.csv:3") && strstr(docs.error[1], "3 fields"));
        CHECK(docs.error[3] && strstr(docs.error[3], "unterminated"));
    }
    /* a record whose other field is not text fails alone, named by its id, and loses nothing else */
    bad = (cli_input){put("mixed2.jsonl", "{\"id\": \"a\", \"text\": \"ok\"}\n{\"id\": \"b\", \"text\": \"ok\", \"w\": \"\xff\"}\n"
                                          "{\"id\": \"\xff\", \"text\": \"ok\"}\n{\"id\": \"d\", \"text\": \"fine\"}\n"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_OK);
    CHECK_INT(docs.n, 4);
    if (docs.n == 4) {
        CHECK(docs.error[0] == NULL && docs.error[3] == NULL && !strcmp(docs.v[3].text, "fine"));
        CHECK(docs.error[1] && strstr(docs.error[1], "mixed2.jsonl:2: invalid UTF-8") && !strcmp(docs.v[1].id, "b"));
        CHECK(docs.error[2] && strstr(docs.error[2], "mixed2.jsonl:3") && strstr(docs.v[2].id, "mixed2.jsonl:3"));
    }
    bad = (cli_input){put("mixed2.csv", "id,text,w\n1,one,A\n2,two,\"\xff\"\n\xff,three,C\n4,four,D\n"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_OK);
    CHECK_INT(docs.n, 4);
    if (docs.n == 4) {
        CHECK(docs.error[0] == NULL && docs.error[3] == NULL && !strcmp(docs.v[3].text, "four"));
        CHECK(docs.error[1] && strstr(docs.error[1], "mixed2.csv:3: column \"w\"") && !strcmp(docs.v[1].id, "2"));
        CHECK(docs.error[2] && strstr(docs.error[2], "column \"id\"") && strstr(docs.v[2].id, "mixed2.csv:4"));
    }
    bad = (cli_input){put("latin1b.txt", "caf\xe9"), 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_OK);
    CHECK(docs.n == 1 && docs.error[0] && strstr(docs.error[0], "byte 3"));
    bad = (cli_input){missing, 0}; /* a path that is not there still fails the open */
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_NOT_FOUND);
    o.keep_going = 0;

    /* a FIFO is refused, by name and in a folder alike; "-" is standard input */
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/pipe.txt", dir);
    CHECK(mkfifo(fifo, 0600) == 0);
    CHECK(cli_input_check(fifo, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "pipe.txt is a FIFO") != NULL);
    bad = (cli_input){fifo, 0};
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    bad = (cli_input){dir, 0}; /* the folder holding it */
    CHECK(read_all(&bad, 1, &o, &docs, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "FIFO") != NULL);
    CHECK(cli_input_check("-", &err) == OPENMED_OK);
    CHECK(cli_input_check("/dev/null", &err) == OPENMED_ERR_INVALID_ARGUMENT);
    unlink(fifo);
    cli_docs_free(&docs);
}

static void test_writers(void) {
    openmed_error err = {0};
    const char *text = "Tom \"T\" <b>, caf\xc3\xa9 & flu.\nAsthma";
    openmed_text_entity e[3] = {{"Tom", "PER", 0.9912345f, 0, 3, 0},
                                {"caf\xc3\xa9 & flu", "DISEASE", 0.5f, 13, 23, 0},
                                {"Asthma", "DISEASE", 0.75f, 25, 31, 1}};
    openmed_text_span sentences[2] = {{0, 24}, {25, 31}}, chunks[1] = {{0, 31}};
    openmed_analysis a = {e, 3, sentences, 2, chunks, 1, 1, 1, 128, 20, 1};
    cJSON *fields = cJSON_Parse("{\"site\": \"A\", \"sentence_count\": 99}");
    cli_doc doc = {"note-1", (char *)text, "notes.jsonl", 4, cJSON_CreateNumber(7), fields};
    om_result_info info = {"disease_detection_tiny", "2026-01-01T00:00:00.000000", 0.25, OPENMED_AGGREGATION_SIMPLE};
    om_strbuf s;
    om_strbuf_init(&s);

    /* OpenMed JSON: the id as given, entity metadata, the input's fields first */
    CHECK(om_write_analysis_json(&s, &doc, &a, &info, 2, &err) == OPENMED_OK);
    cJSON *j = cJSON_Parse(s.data);
    CHECK(j != NULL);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "id")) == 7);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "text")), text);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "model_name")), "disease_detection_tiny");
    const cJSON *ents = cJSON_GetObjectItem(j, "entities");
    CHECK_INT(cJSON_GetArraySize(ents), 3);
    const cJSON *e2 = cJSON_GetArrayItem(ents, 2);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e2, "label")), "DISEASE");
    CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(e2, "confidence")), 0.75, 1e-7);
    const cJSON *em = cJSON_GetObjectItem(e2, "metadata");
    CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(em, "sentence_index")), 1);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(em, "sentence_text")), "Asthma");
    const cJSON *meta = cJSON_GetObjectItem(j, "metadata");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(meta, "site")), "A");
    CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(meta, "sentence_count")), 99); /* the input's wins */
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(meta, "source")), "notes.jsonl");
    CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(meta, "line")), 4);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(meta, "medical_tokenizer")));
    CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(meta, "text_length")), 31);
    cJSON_Delete(j);
    om_strbuf_free(&s);
    CHECK(om_write_analysis_json(&s, &doc, &a, &info, 0, &err) == OPENMED_OK);
    CHECK(strchr(s.data, '\n') == s.data + s.len - 1); /* one line */
    om_strbuf_free(&s);
    cli_doc anonymous = {NULL, (char *)text, NULL, 0, NULL, NULL};
    CHECK(om_write_analysis_json(&s, &anonymous, &a, &info, 0, &err) == OPENMED_OK);
    CHECK(strncmp(s.data, "{\"text\": ", 9) == 0);
    om_strbuf_free(&s);

    /* CSV: the id first, the input's fields as columns (one of ours renamed, a missing one empty),
     * quoting, and a document without entities still named by a row */
    cJSON *names = cJSON_Parse("[\"site\", \"sentence_count\", \"label\", \"ward\"]");
    cJSON_AddItemToObject(fields, "label", cJSON_CreateString("a,b"));
    om_write_csv_header(&s, names);
    om_write_csv_rows(&s, names, &doc, &a, &info);
    CHECK_MSG(strncmp(s.data, "id,site,sentence_count,input_label,ward,text,label,confidence,start,end,sentence_index,"
                              "model_name,timestamp,processing_time\r\n", 119) == 0, "%s", s.data);
    CHECK_MSG(strstr(s.data, "\r\nnote-1,A,99,\"a,b\",,Tom,PER,0.9912345,0,3,0,disease_detection_tiny,"
                             "2026-01-01T00:00:00.000000,0.250000\r\n") != NULL, "%s", s.data);
    CHECK(strstr(s.data, "\r\nnote-1,A,99,\"a,b\",,caf\xc3\xa9 & flu,DISEASE,0.5,13,23,0,") != NULL);
    om_strbuf_free(&s);
    openmed_analysis none = a;
    none.n_entities = 0;
    om_write_csv_rows(&s, names, &doc, &none, &info);
    CHECK_STR(s.data, "note-1,A,99,\"a,b\",,,,,,,,disease_detection_tiny,2026-01-01T00:00:00.000000,0.250000\r\n");
    om_strbuf_free(&s);
    cJSON_DeleteItemFromObject(fields, "label");
    cJSON_Delete(names);

    /* raw: HF's list alone, or with its id */
    openmed_entity he = {"DISEASE", "asthma", 0.5f, 25, 31, -1};
    openmed_result hr = {&he, 1, OPENMED_AGGREGATION_SIMPLE, 10, 1};
    om_write_raw(&s, NULL, &hr);
    CHECK_STR(s.data, "[{\"entity_group\": \"DISEASE\", \"score\": 0.5, \"word\": \"asthma\", \"start\": 25, \"end\": 31}]\n");
    om_strbuf_free(&s);
    om_write_raw(&s, &doc, &hr);
    CHECK(strncmp(s.data, "{\"id\": 7, \"entities\": [{\"entity_group\"", 38) == 0);
    CHECK(strstr(s.data, "\"end\": 31}], \"metadata\": {\"site\": \"A\", \"sentence_count\": 99}}\n") != NULL);
    om_strbuf_free(&s);

    /* HTML: one page, escaped text with line breaks kept, a legend with counts, the model */
    om_html_page page;
    om_html_page_init(&page);
    CHECK(om_html_page_add(&page, &doc, &a, &err) == OPENMED_OK);
    om_html_page_write(&page, &info, &s);
    CHECK(strstr(s.data, "<!DOCTYPE html>") == s.data);
    CHECK(strstr(s.data, "<title>note-1 &middot; OpenMed entities</title>") != NULL);
    CHECK(strstr(s.data, "Model <b>disease_detection_tiny</b> &middot; 1 document &middot; 3 entities") != NULL);
    CHECK(strstr(s.data, "<li class=\"c0\">PER<b>1</b></li>") && strstr(s.data, "<li class=\"c1\">DISEASE<b>2</b></li>"));
    CHECK(strstr(s.data, "<mark class=\"c0\" title=\"PER 0.991\">Tom<span class=\"tag\">PER</span></mark> &quot;T&quot; "
                         "&lt;b&gt;, ") != NULL);
    CHECK(strstr(s.data, "caf\xc3\xa9 &amp; flu<span class=\"tag\">DISEASE</span></mark>.\n<mark class=\"c1\"") != NULL);
    CHECK(strstr(s.data, "<h2>note-1</h2>") != NULL);
    CHECK(strstr(s.data, "<dl class=\"fields\"><dt>site</dt><dd>A</dd><dt>sentence_count</dt><dd>99</dd></dl>") != NULL);
    size_t sections = 0;
    for (const char *p = s.data; (p = strstr(p, "<section")); p++) sections++;
    CHECK_INT(sections, 1);
    om_strbuf_free(&s);
    om_html_page_free(&page);
    cJSON_Delete(doc.id_value);
    cJSON_Delete(doc.fields);

    /* progress: rate and ETA */
    char line[160];
    cli_progress_format(line, sizeof line, 50, 200, "documents", 10.0);
    CHECK_STR(line, "[######..................] 50/200 documents  5.0/s  ETA 0:30");
    cli_progress_format(line, sizeof line, 200, 200, "documents", 65.0);
    CHECK_STR(line, "[########################] 200/200 documents  3.1/s  in 1:05");
    /* a download (models pull): bytes, rate, ETA, then the time it took */
    cli_progress_format_bytes(line, sizeof line, "model.safetensors", 20000000, 80000000, 5.0);
    CHECK_STR(line, "model.safetensors            [#######.......................]  25.0%  20.0 MB / 80.0 MB  "
                    "4.0 MB/s  ETA 0:15");
    cli_progress_format_bytes(line, sizeof line, "config.json", 1500, 1500, 0.0);
    CHECK_STR(line, "config.json                  [##############################] 100.0%  1.5 kB / 1.5 kB  "
                    "0.0 kB/s  in 0:00");
    cli_progress_format_bytes(line, sizeof line, "big", 0, 4000000000ull, 0.0);
    CHECK(strstr(line, "4.0 GB") && strstr(line, "ETA --:--"));
}

int main(void) {
    CHECK(mkdtemp(dir) != NULL);
    test_inputs();
    test_writers();
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    CHECK(system(rm) == 0);
    return check_finish("test_cli_io");
}
