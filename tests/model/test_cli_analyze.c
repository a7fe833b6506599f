/* test_cli_analyze.c: the real `openmed analyze`, `bench` and `eval` binaries on a golden model:
 * --raw equals the Hugging Face golden, the analyze_text default reads whole texts into whole-word
 * entities, every format and input kind names its documents (ids, carried fields), standard input,
 * --lines, folders, FIFOs refused, one flag vocabulary, clear failures, and the default models
 * named by name, not path. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cli_run.h"
#include "core/file.h"

#define MODEL OM_FIXTURES "/hf/models/bert-uncased"

/* Compare HF raw dicts with the golden list. */
static void same_as_golden(const cJSON *got, const cJSON *gold) {
    CHECK_INT(cJSON_GetArraySize(got), cJSON_GetArraySize(gold));
    for (int i = 0; i < cJSON_GetArraySize(gold) && i < cJSON_GetArraySize(got); i++) {
        const cJSON *a = cJSON_GetArrayItem(got, i), *b = cJSON_GetArrayItem(gold, i);
        const char *keys[] = {"entity_group", "word"};
        for (int k = 0; k < 2; k++)
            CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, keys[k])),
                      cJSON_GetStringValue(cJSON_GetObjectItem(b, keys[k])));
        CHECK_INT(cJSON_GetObjectItem(a, "start")->valueint, cJSON_GetObjectItem(b, "start")->valueint);
        CHECK_INT(cJSON_GetObjectItem(a, "end")->valueint, cJSON_GetObjectItem(b, "end")->valueint);
        CHECK_NEAR(cJSON_GetObjectItem(a, "score")->valuedouble, cJSON_GetObjectItem(b, "score")->valuedouble, 1e-4);
    }
}

int main(void) {
    openmed_error err = {0};
    char *json = NULL;
    size_t size = 0;
    CHECK(om_read_file(MODEL "/golden.json", 0, &json, &size, &err) == OPENMED_OK);
    cJSON *golden = cJSON_Parse(json);
    free(json);
    const cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItem(golden, "texts"), 0);
    const char *text0 = cJSON_GetStringValue(cJSON_GetObjectItem(t0, "text"));
    const cJSON *pipes = cJSON_GetObjectItem(t0, "pipelines");

    char args[2048];
    snprintf(args, sizeof args, "analyze --model %s --raw --aggregation-strategy first \"%s\"", MODEL, text0);
    CHECK_INT(run(args), 0);
    cJSON *got = cJSON_Parse(out_buf);
    CHECK_MSG(cJSON_IsArray(got), "not a JSON list: %s", out_buf);
    if (got) same_as_golden(got, cJSON_GetObjectItem(pipes, "first"));
    cJSON_Delete(got);

    /* Inputs and formats. */
    char dir[] = "/tmp/om_cli_analyze_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char txt[256], jsonl[256], out[256];
    snprintf(txt, sizeof txt, "%s/in.txt", dir);
    snprintf(jsonl, sizeof jsonl, "%s/in.jsonl", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    char line[1024];
    snprintf(line, sizeof line, "%s\nAspirin for pain.\n", text0);
    write_file(txt, line);
    snprintf(line, sizeof line, "{\"text\": \"%s\"}\n{\"text\": \"Aspirin for pain.\"}\n", text0);
    write_file(jsonl, line);

    /* --raw over several documents: one {"id", "entities": [HF's list]} line each */
    snprintf(args, sizeof args, "analyze --model %s --raw --lines --input %s", MODEL, txt);
    CHECK_INT(run(args), 0);
    char *second = strchr(out_buf, '\n');
    CHECK(second && strchr(second + 1, '\n') && !strchr(strchr(second + 1, '\n') + 1, '\n')); /* two lines */
    got = cJSON_Parse(out_buf);
    char id1[300];
    snprintf(id1, sizeof id1, "%s:1", txt);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(got, "id")), id1);
    if (got) same_as_golden(cJSON_GetObjectItem(got, "entities"), cJSON_GetObjectItem(pipes, "simple"));
    cJSON_Delete(got);

    /* the default: OpenMed's AnalyzeResult per document, ids, whole texts */
    snprintf(args, sizeof args, "analyze --model %s --input %s --format jsonl --output %s", MODEL, jsonl, out);
    CHECK_INT(run(args), 0);
    char *o = NULL;
    CHECK(om_read_file(out, 0, &o, &size, &err) == OPENMED_OK);
    if (o) {
        got = cJSON_Parse(o);
        CHECK(got && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(got, "text")), text0) == 0);
        char id[300];
        snprintf(id, sizeof id, "%s:1", jsonl);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(got, "id")), id);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(got, "model_name")), MODEL);
        const cJSON *e;
        int n = 0;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(got, "entities")) {
            int start = cJSON_GetObjectItem(e, "start")->valueint, end = cJSON_GetObjectItem(e, "end")->valueint;
            CHECK(start >= 0 && end > start && (size_t)end <= strlen(text0)); /* ASCII text: bytes = code points */
            CHECK(strncmp(text0 + start, cJSON_GetStringValue(cJSON_GetObjectItem(e, "text")), (size_t)(end - start)) == 0);
            CHECK(start == 0 || !isalnum((unsigned char)text0[start - 1]) || !isalnum((unsigned char)text0[start]));
            CHECK(!isalnum((unsigned char)text0[end]) || !isalnum((unsigned char)text0[end - 1]));
            n++;
        }
        CHECK(n > 0);
        CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(got, "metadata"), "sentence_detection")));
        cJSON_Delete(got);
        free(o);
    }
    snprintf(args, sizeof args, "analyze --model %s --input %s", MODEL, jsonl);
    CHECK_INT(run(args), 0);
    got = cJSON_Parse(out_buf); /* several texts: a JSON array of results */
    CHECK(cJSON_IsArray(got) && cJSON_GetArraySize(got) == 2);
    cJSON_Delete(got);

    /* --json is --format json; --threshold is --confidence-threshold; CSV rows carry the id */
    snprintf(args, sizeof args, "analyze --model %s --json --confidence-threshold 1 \"Aspirin, for pain.\"", MODEL);
    CHECK_INT(run(args), 0);
    got = cJSON_Parse(out_buf);
    CHECK(got && cJSON_GetArraySize(cJSON_GetObjectItem(got, "entities")) == 0);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(got, "id")), "text");
    cJSON_Delete(got);
    snprintf(args, sizeof args, "analyze --model %s --format csv --threshold 0.0 \"Aspirin, for pain.\"", MODEL);
    CHECK_INT(run(args), 0);
    CHECK(strncmp(out_buf, "id,text,label,confidence,start,end,sentence_index,model_name,timestamp,processing_time\r\n",
                  88) == 0);
    CHECK(strstr(out_buf, "\r\ntext,") != NULL);
    snprintf(args, sizeof args, "analyze --model %s --format html \"<b>Aspirin</b> & pain\"", MODEL);
    CHECK_INT(run(args), 0);
    CHECK(strstr(out_buf, "<!DOCTYPE html>") && strstr(out_buf, "&lt;") && strstr(out_buf, "&amp;") && !strstr(out_buf, "<b>Aspirin"));
    CHECK(strstr(out_buf, "<ul class=\"legend\">") && strstr(out_buf, "<h2>text</h2>"));

    /* standard input, --lines, a folder, ids and fields carried, a FIFO refused */
    snprintf(args, sizeof args, "analyze --model %s --format jsonl --lines - < %s", MODEL, txt);
    CHECK_INT(run(args), 0);
    CHECK(strstr(out_buf, "{\"id\": \"-:1\"") == out_buf && strstr(out_buf, "\n{\"id\": \"-:2\""));
    char folder[300], csv[300], fifo[300];
    snprintf(folder, sizeof folder, "%s/notes", dir);
    mkdir(folder, 0755);
    snprintf(csv, sizeof csv, "%s/notes/b.csv", dir);
    write_file(csv, "id,text,ward\nrow-7,Aspirin for pain.,3B\n");
    snprintf(line, sizeof line, "%s/notes/a.md", dir);
    write_file(line, "# Plan\n\nAspirin for pain.\n");
    snprintf(line, sizeof line, "%s/notes/skip.pdf", dir);
    write_file(line, "%PDF");
    snprintf(args, sizeof args, "analyze --model %s --format jsonl --input %s", MODEL, folder);
    CHECK_INT(run(args), 0);
    CHECK(strstr(out_buf, "skipped 1 files") != NULL);
    char *a_md = strstr(out_buf, "notes/a.md\", \"text\""), *b_csv = strstr(out_buf, "{\"id\": \"row-7\"");
    CHECK(a_md && b_csv && a_md < b_csv); /* files in name order, each named */
    CHECK(b_csv && strstr(b_csv, "\"ward\": \"3B\"") && strstr(b_csv, "\"source\": \""));
    snprintf(fifo, sizeof fifo, "%s/pipe.txt", dir);
    CHECK(mkfifo(fifo, 0600) == 0);
    snprintf(args, sizeof args, "analyze --model %s --input %s", MODEL, fifo);
    CHECK(run(args) != 0);
    CHECK(strstr(out_buf, "is a FIFO") != NULL);
    unlink(fifo);
    /* every format carries the id and the input's other fields: CSV a column per field (the .md
     * file's rows leave it empty), HTML the fields beside the id, --raw a "metadata" object */
    snprintf(args, sizeof args, "analyze --model %s --format csv --confidence-threshold 1 --input %s", MODEL, folder);
    CHECK_INT(run(args), 0);
    CHECK_MSG(strstr(out_buf, "id,ward,text,label,confidence,start,end,sentence_index,model_name,timestamp,"
                              "processing_time\r\n") != NULL, "%s", out_buf);
    CHECK_MSG(strstr(out_buf, "notes/a.md,,,,,,,,") && strstr(out_buf, "\r\nrow-7,3B,,,,,,,"), "%s", out_buf);
    snprintf(args, sizeof args, "analyze --model %s --format html --input %s", MODEL, folder);
    CHECK_INT(run(args), 0);
    CHECK(strstr(out_buf, "<h2>row-7</h2>") && strstr(out_buf, "<dt>ward</dt><dd>3B</dd>"));
    snprintf(args, sizeof args, "analyze --model %s --raw --input %s", MODEL, folder);
    CHECK_INT(run(args), 0);
    CHECK_MSG(strstr(out_buf, "{\"id\": \"row-7\", \"entities\": [") && strstr(out_buf, "], \"metadata\": {\"ward\": \"3B\"}}\n"),
              "%s", out_buf);
    /* --id-field names another column: the "id" column then travels as a field (renamed in CSV) */
    snprintf(args, sizeof args, "analyze --model %s --id-field ward --text-field text --input %s --format csv", MODEL, csv);
    CHECK_INT(run(args), 0);
    CHECK_MSG(strncmp(out_buf, "id,input_id,text,label,", 23) == 0 && strstr(out_buf, "\r\n3B,row-7,"), "%s", out_buf);
    /* OpenMed's own spellings give the same result: --text, --input-file, --output-format dict,
     * --threshold for --confidence-threshold */
    snprintf(args, sizeof args, "analyze --model %s --confidence-threshold 0.4 --json --input %s", MODEL, txt);
    CHECK_INT(run(args), 0);
    cJSON *want = cJSON_Parse(out_buf);
    snprintf(args, sizeof args, "analyze --model %s --threshold 0.4 --output-format dict --input-file %s", MODEL, txt);
    CHECK_INT(run(args), 0);
    cJSON *alias = cJSON_Parse(out_buf);
    const char *drop[] = {"timestamp", "processing_time"};
    for (int k = 0; k < 2; k++) {
        cJSON_DeleteItemFromObject(want, drop[k]);
        cJSON_DeleteItemFromObject(alias, drop[k]);
    }
    CHECK_MSG(want && cJSON_Compare(want, alias, 1), "%s", out_buf);
    cJSON_Delete(want);
    cJSON_Delete(alias);
    snprintf(args, sizeof args, "analyze --model %s --text \"Aspirin for pain.\"", MODEL);
    CHECK_INT(run(args), 0);
    want = cJSON_Parse(out_buf);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(want, "text")), "Aspirin for pain.");
    cJSON_Delete(want);
    /* --output is whole or absent: a failing run leaves neither it nor a temporary file */
    snprintf(line, sizeof line, "%s/result.json", dir);
    snprintf(args, sizeof args, "analyze --model %s --output %s --input %s", MODEL, line, txt);
    CHECK_INT(run(args), 0);
    struct stat sb;
    CHECK(stat(line, &sb) == 0 && sb.st_size > 0);
    unlink(line);
    snprintf(args, sizeof args, "analyze --model %s --stride 32 --aggregation-strategy none --output %s x", MODEL, line);
    CHECK(run(args) != 0);
    CHECK(stat(line, &sb) != 0);
    snprintf(args, sizeof args, "ls %s | grep -q tmp", dir);
    CHECK(system(args) != 0);

    /* A text longer than model_max_length: analyze reads all of it; --raw (HF) only the first
     * window unless --all-windows. */
    /* Failures: clear and non-zero. */
    snprintf(args, sizeof args, "analyze --model %s --stride 32 --aggregation-strategy none x", MODEL);
    CHECK(run(args) != 0);
    CHECK(strstr(out_buf, "stride") != NULL);
    CHECK(run("analyze --model /nonexistent/model x") != 0);
    CHECK(strstr(out_buf, "/nonexistent/model") != NULL);
    snprintf(args, sizeof args, "analyze --model %s", MODEL);
    CHECK_INT(run(args), 2);
    snprintf(args, sizeof args, "analyze --model %s --format xml x", MODEL);
    CHECK_INT(run(args), 2);
    snprintf(args, sizeof args, "analyze --model %s --input %s/missing.txt", MODEL, dir);
    CHECK(run(args) != 0);
    CHECK(strstr(out_buf, "missing.txt") != NULL);
    snprintf(args, sizeof args, "analyze --model %s --device cuda:7 x", MODEL);
    CHECK(run(args) != 0);
    CHECK(strstr(out_buf, "cuda") != NULL);

    /* bench --json */
    snprintf(args, sizeof args, "bench --model %s --input %s --lines --json --batch-size 2 --threads 1", MODEL, txt);
    CHECK_INT(run(args), 0);
    got = cJSON_Parse(out_buf);
    CHECK(got != NULL);
    CHECK_INT(cJSON_GetObjectItem(got, "texts") ? cJSON_GetObjectItem(got, "texts")->valueint : -1, 2);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(got, "tokens_per_second")) > 0);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(got, "peak_rss_mb")) > 0);
    cJSON_Delete(got);
    CHECK(!strstr(out_buf + err_at, "documents") && !strchr(out_buf + err_at, '\r')); /* piped: no progress */
    snprintf(args, sizeof args, "bench --model %s", MODEL);
    CHECK_INT(run(args), 2);
    /* the input vocabulary of analyze: several TEXT arguments and files, mixed */
    snprintf(args, sizeof args, "bench --model %s --json --threads 1 'Aspirin for pain.' --input %s --lines 'Fever.'", MODEL,
             txt);
    CHECK_INT(run(args), 0);
    got = cJSON_Parse(out_buf);
    CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(got, "texts")), 4);
    CHECK_MSG(cJSON_GetStringValue(cJSON_GetObjectItem(got, "input")) &&
              !strncmp(cJSON_GetStringValue(cJSON_GetObjectItem(got, "input")), "text:1 ", 7) &&
              strstr(cJSON_GetStringValue(cJSON_GetObjectItem(got, "input")), " text:2") &&
              !strstr(cJSON_GetStringValue(cJSON_GetObjectItem(got, "input")), "Aspirin"), "%s", out_buf); /* no text */
    cJSON_Delete(got);
    snprintf(args, sizeof args, "bench --model %s --json --threads 1 'Aspirin for pain.' --input %s", MODEL, txt);
    CHECK_INT(run(args), 0);
    got = cJSON_Parse(out_buf);
    CHECK_MSG(cJSON_GetStringValue(cJSON_GetObjectItem(got, "input")) &&
              !strncmp(cJSON_GetStringValue(cJSON_GetObjectItem(got, "input")), "text ", 5), "%s", out_buf);
    cJSON_Delete(got);
    /* progress with rate and ETA on a terminal (a pseudo-terminal from script(1)) */
    if (system("script -qec true /dev/null > /dev/null 2>&1") == 0) {
        char blog[300], bcmd[1200];
        snprintf(blog, sizeof blog, "%s/bench-tty.log", dir);
        snprintf(bcmd, sizeof bcmd, "script -qec '%s/bin/openmed bench --model %s --input %s --lines > /dev/null' %s > /dev/null",
                 OM_BINARY_DIR, MODEL, txt, blog);
        CHECK(system(bcmd) == 0);
        char *tty = NULL;
        CHECK(om_read_file(blog, 0, &tty, &size, &err) == OPENMED_OK);
        CHECK_MSG(tty && strstr(tty, "2/2 documents") && strstr(tty, "/s"), "%s", tty ? tty : "(missing)");
        free(tty);
    }

    /* --group-entities (OpenMed's group_entities) joins same-label neighbours into one whole-word
     * span; without it each stays apart (the bundled disease model) */
    for (int g = 0; g < 2; g++) {
        snprintf(args, sizeof args, "analyze --json%s 'She reports fevers, chills, dizziness, nausea, vomiting.'",
                 g ? " --group-entities" : "");
        CHECK_MSG(run(args) == 0, "%s: %s", args, out_buf);
        out_buf[err_at] = '\0';
        got = cJSON_Parse(out_buf);
        const cJSON *ents = cJSON_GetObjectItem(got, "entities");
        CHECK_MSG(cJSON_GetArraySize(ents) == (g ? 1 : 5), "%s", out_buf);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ents, 0), "text")),
                  g ? "fevers, chills, dizziness, nausea, vomiting" : "fevers");
        cJSON_Delete(got);
    }

    /* bench --output: the report in the file, whole, nothing on standard output; --synthetic too; a
     * folder as --output fails before the model loads */
    {
        char brep[300];
        snprintf(brep, sizeof brep, "%s/bench.json", dir);
        const char *modes[] = {"--input", "--synthetic 2x8 --runs 1"};
        for (int m = 0; m < 2; m++) {
            unlink(brep);
            if (m == 0)
                snprintf(args, sizeof args, "bench --model %s --json --threads 1 --input %s --lines --output %s", MODEL,
                         txt, brep);
            else
                snprintf(args, sizeof args, "bench --model %s --json --threads 1 %s --output %s", MODEL, modes[m], brep);
            CHECK_MSG(run(args) == 0, "%s: %s", args, out_buf);
            CHECK_MSG(err_at == 0, "bench --output printed: %s", out_buf);
            char *rep = NULL;
            CHECK(om_read_file(brep, 0, &rep, &size, &err) == OPENMED_OK);
            cJSON *rj = rep ? cJSON_Parse(rep) : NULL;
            CHECK_MSG(rj != NULL, "%s", rep ? rep : "(missing)");
            CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(rj, "mode")), m == 0 ? "analyze" : "synthetic");
            cJSON_Delete(rj);
            free(rep);
        }
        snprintf(args, sizeof args, "bench --model /nonexistent/model --input %s --output %s", txt, dir);
        CHECK_INT(run(args), 1);
        CHECK_MSG(strstr(out_buf, "is a folder") && !strstr(out_buf, "nonexistent"), "%s", out_buf);
    }

    /* model_name is the name given, never the bundled model's absolute path: analyze, bench, eval and
     * pii on their default models */
    char conll[300];
    snprintf(conll, sizeof conll, "%s/gold.conll", dir);
    write_file(conll, "Cystic\tB-DISEASE\nfibrosis\tI-DISEASE\n\nAspirin\tO\nfor\tO\npain\tB-DISEASE\n");
    struct {
        const char *args, *key, *want;
    } named[] = {{"analyze 'Aspirin for pain.'", "model_name", "bundled/disease-ner"},
                 {"bench --json -", "model", "bundled/disease-ner"},
                 {"eval --json --conll", "model", "bundled/disease-ner"},
                 {"pii extract --json 'Call 617-555-0142.'", "model", "bundled/pii"}};
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++) {
        snprintf(args, sizeof args, "%s%s%s < %s", named[k].args, k == 2 ? " " : "", k == 2 ? conll : "", txt);
        CHECK_MSG(run(args) == 0, "%s: %s", args, out_buf);
        out_buf[err_at] = '\0';
        got = cJSON_Parse(out_buf);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(got, named[k].key)), named[k].want);
        if (k == 2) CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(got, "texts")), 2);
        cJSON_Delete(got);
    }
    /* eval's gold from standard input: --conll - and --spans - (JSON lines) */
    {
        char sgold[300];
        snprintf(sgold, sizeof sgold, "%s/gold-stdin.jsonl", dir);
        write_file(sgold, "{\"text\": \"Cystic fibrosis.\", \"spans\": [{\"start\": 0, \"end\": 15, \"label\": \"DISEASE\"}]}\n"
                          "{\"text\": \"Fever.\"}\n");
        const char *kinds[][2] = {{"--conll", conll}, {"--spans", sgold}};
        for (int k = 0; k < 2; k++) {
            snprintf(args, sizeof args, "eval --model %s --json %s - < %s", MODEL, kinds[k][0], kinds[k][1]);
            CHECK_MSG(run(args) == 0, "%s: %s", args, out_buf);
            out_buf[err_at] = '\0';
            got = cJSON_Parse(out_buf);
            CHECK_MSG(cJSON_GetNumberValue(cJSON_GetObjectItem(got, "texts")) == 2, "%s: %s", args, out_buf);
            cJSON_Delete(got);
        }
        snprintf(args, sizeof args, "eval --model %s --json --spans - < %s", MODEL, conll); /* CoNLL is no JSON */
        CHECK_INT(run(args), 1);
        CHECK_MSG(strstr(out_buf, "standard input:1: not a JSON object") != NULL, "%s", out_buf);
    }
    /* --output: the report in a file, nothing on standard output */
    char report[300];
    snprintf(report, sizeof report, "%s/report.json", dir);
    snprintf(args, sizeof args, "eval --json --conll %s --output %s", conll, report);
    CHECK_INT(run(args), 0);
    CHECK(err_at == 0);
    {
        char *rep = NULL;
        CHECK(om_read_file(report, 0, &rep, &size, &err) == OPENMED_OK);
        cJSON *rj = rep ? cJSON_Parse(rep) : NULL;
        CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(rj, "texts")), 2);
        cJSON_Delete(rj);
        free(rep);
    }
    snprintf(args, sizeof args, "eval --conll %s", conll);
    CHECK_INT(run(args), 0);
    CHECK_MSG(strstr(out_buf, "model: bundled/disease-ner\n") && !strchr(out_buf + err_at, '\r'), "%s", out_buf);
    /* eval's progress: rate and ETA on a terminal only (above: nothing when piped) */
    if (system("script -qec true /dev/null > /dev/null 2>&1") == 0) {
        char log[300], cmd[1200];
        snprintf(log, sizeof log, "%s/tty.log", dir);
        snprintf(cmd, sizeof cmd, "script -qec '%s/bin/openmed eval --conll %s > /dev/null' %s > /dev/null",
                 OM_BINARY_DIR, conll, log);
        CHECK(system(cmd) == 0);
        char *tty = NULL;
        CHECK(om_read_file(log, 0, &tty, &size, &err) == OPENMED_OK);
        CHECK_MSG(tty && strstr(tty, "2/2 texts") && strstr(tty, "/s"), "%s", tty ? tty : "(missing)");
        free(tty);
    }

    char rm[400];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    CHECK(system(rm) == 0);
    cJSON_Delete(golden);
    return check_finish("test_cli_analyze");
}
