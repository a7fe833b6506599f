/* test_pii_inputs.c: the real `openmed pii` binary on the CLI's one input layer: standard input
 * ("-"), .csv and .jsonl files with ids and other fields carried to JSON lines, CSV and a JSON
 * array, --lines, a folder with a sub-folder written to a folder of the same names, a bad record
 * reported while the rest go on, the patient key never written, the model named as the user named
 * it (bundled/pii by default), --threshold the same as --confidence-threshold, and progress with
 * rate and ETA on a terminal (a pseudo-terminal from script(1)) but never when piped. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cli_run.h"

static char dir[] = "/tmp/openmed-pii-inputs-XXXXXX";

/* dir/name, kept to the end of the test */
static const char *path_of(const char *name) {
    static char p[32][1024];
    static int k;
    char *s = p[k++ % 32];
    snprintf(s, 1024, "%s/%s", dir, name);
    return s;
}

/* Standard output alone of the last run (out_buf holds standard error after it). */
static const char *stdout_only(void) {
    out_buf[err_at] = '\0';
    return out_buf;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Parse the JSON lines of s (up to max); returns how many. */
static int parse_lines(const char *s, cJSON **out, int max) {
    int n = 0;
    for (const char *p = s; p && *p && n < max;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len) out[n++] = cJSON_ParseWithLength(p, len);
        p = nl ? nl + 1 : p + len;
    }
    return n;
}

static const cJSON *meta(const cJSON *j, const char *key) {
    return cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metadata"), key);
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    char args[8192];
    const char *note = path_of("note.txt");
    write_file(note, "Patient Zed Quorra, call 617-555-0142.\n");

    /* "-": standard input is one document; the model is named as OpenMed serve names it */
    snprintf(args, sizeof args, "pii deidentify - < %s", note);
    CHECK_INT(run(args), 0);
    cJSON *j = cJSON_Parse(out_buf);
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(j, "deidentified_text"));
    CHECK_MSG(text && !strstr(text, "617-555-0142") && strstr(text, "[PHONE]"), "%s", out_buf);
    CHECK_STR(cJSON_GetStringValue(meta(j, "model")), "bundled/pii");
    CHECK(!strstr(out_buf, "/models/") && !strstr(out_buf, "\"model\": \"/"));
    cJSON_Delete(j);
    snprintf(args, sizeof args, "pii extract --json --input - < %s", note);
    CHECK_INT(run(args), 0);
    j = cJSON_Parse(out_buf);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "model")), "bundled/pii");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "entities")) >= 1);
    cJSON_Delete(j);

    /* a model folder the user gave is named by that path, as given */
    char bundled[1024];
    snprintf(bundled, sizeof bundled, "%s/models/pii", OM_SOURCE_DIR);
    CHECK(exists(bundled));
    {
        snprintf(args, sizeof args, "pii extract --json --model %s \"Call 617-555-0142.\"", bundled);
        CHECK_INT(run(args), 0);
        j = cJSON_Parse(out_buf);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "model")), bundled);
        cJSON_Delete(j);
    }

    /* --threshold is --confidence-threshold: at 1.0 the model keeps nothing, the sweep still finds */
    snprintf(args, sizeof args, "pii extract --json --no-sweep --threshold 1.0 --input %s", note);
    CHECK_INT(run(args), 0);
    j = cJSON_Parse(out_buf);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "entities")), 0);
    cJSON_Delete(j);
    snprintf(args, sizeof args, "pii extract --json --no-sweep --confidence-threshold 1.0 --threads 1 --input %s", note);
    CHECK_INT(run(args), 0);
    j = cJSON_Parse(out_buf);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "entities")), 0);
    cJSON_Delete(j);

    /* .csv in, CSV out: the id and the other columns kept, a short row failing alone */
    const char *csv = path_of("notes.csv");
    write_file(csv, "id,ward,text,patient_key\r\n"
                    "r1,A,\"SSN 123-45-6789, phone 617-555-0142\",p1\r\n"
                    "r2,B\r\n"
                    "r3,\"C, east\",\"Mail zq@example.org today\",p2\r\n");
    const char *csv_out = path_of("out.csv");
    snprintf(args, sizeof args, "pii deidentify --input %s --output %s --quiet", csv, csv_out);
    CHECK_INT(run(args), 1);
    CHECK_MSG(strstr(out_buf, "document ") && strstr(out_buf, "notes.csv:3 failed") &&
              strstr(out_buf, "2 fields, the header has 4") && strstr(out_buf, "1 of 3 documents failed"),
              "%s", out_buf);
    const char *got = slurp(csv_out);
    CHECK_MSG(got && !strncmp(got, "id,ward,deidentified_text,num_entities_redacted,error\r\n", 55), "%s",
              got ? got : "(missing)");
    CHECK(got && strstr(got, "\r\nr1,A,\"SSN [SSN], phone [PHONE]\",2,\r\n"));
    CHECK(got && strstr(got, "notes.csv:3,,,,"));
    CHECK(got && strstr(got, "\r\nr3,\"C, east\",Mail [EMAIL] today,1,\r\n"));
    CHECK(got && !strstr(got, "617-555-0142") && !strstr(got, "123-45-6789") && !strstr(got, "zq@example") &&
          !strstr(got, "p1") && !strstr(got, "patient_key"));
    snprintf(args, sizeof args, "ls -a %s | grep -c tmp > /dev/null", dir);
    CHECK(system(args) != 0); /* no temporary file left */

    /* a first row that fails: its row waits for the header the next row gives, same width */
    const char *csv2 = path_of("first_bad.csv");
    write_file(csv2, "id,ward,text\nq1,A,\"bad \xff\"\nq2,B,Call 617-555-0142\n");
    snprintf(args, sizeof args, "pii deidentify --input %s --format csv --quiet", csv2);
    CHECK_INT(run(args), 1);
    CHECK_MSG(!strncmp(out_buf, "id,ward,deidentified_text,num_entities_redacted,error\r\nq1,,,,", 60) &&
              strstr(out_buf, "first_bad.csv:2: column \"\"text\"\": invalid UTF-8 at byte 4\"\r\nq2,B,Call [PHONE],1,\r\n"), "%s", out_buf);

    /* the same to JSON lines on standard output (the default for many documents) */
    snprintf(args, sizeof args, "pii deidentify --input %s", csv);
    CHECK_INT(run(args), 1);
    cJSON *l[8] = {0};
    int n = parse_lines(stdout_only(), l, 8);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(l[0], "id")), "r1");
        CHECK_STR(cJSON_GetStringValue(meta(l[0], "ward")), "A");
        CHECK_STR(cJSON_GetStringValue(meta(l[0], "source")), csv);
        CHECK_INT((int)cJSON_GetNumberValue(meta(l[0], "line")), 2);
        CHECK(meta(l[0], "patient_key") == NULL);
        CHECK_STR(cJSON_GetStringValue(meta(l[0], "model")), "bundled/pii");
        CHECK(cJSON_GetObjectItem(l[1], "error") && !cJSON_GetObjectItem(l[1], "deidentified_text"));
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(l[2], "id")), "r3");
    }
    for (int i = 0; i < n; i++) cJSON_Delete(l[i]);

    /* extract: a CSV row per entity; --format json: one array */
    const char *jsonl = path_of("notes.jsonl");
    write_file(jsonl, "{\"id\": 41, \"text\": \"Call 617-555-0142.\", \"site\": {\"floor\": 2}}\n"
                      "{\"id\": \"n2\", \"text\": \"SSN 123-45-6789\"}\n");
    snprintf(args, sizeof args, "pii extract --input %s --format csv", jsonl);
    CHECK_INT(run(args), 0);
    stdout_only();
    CHECK_MSG(!strncmp(out_buf, "id,site,label,start,end,confidence,source,hipaa_class,text,error\r\n", 66), "%s",
              out_buf);
    CHECK(strstr(out_buf, "\r\n41,\"{\"\"floor\"\":2}\",PHONE,5,17,") != NULL);
    CHECK(strstr(out_buf, "\r\nn2,,SSN,4,15,") != NULL); /* a field it lacks is an empty cell */
    /* a field only a later document has still gets its column (the header lists every document's
     * fields), and a document without identifiers keeps a row, so none is lost */
    const char *jsonl2 = path_of("extra.jsonl");
    write_file(jsonl2, "{\"id\": 1, \"text\": \"Call 617-555-0142.\"}\n"
                       "{\"id\": 2, \"text\": \"SSN 123-45-6789\", \"ward\": \"B\"}\n"
                       "{\"id\": 3, \"text\": \"The weather is mild.\", \"ward\": \"C\"}\n");
    snprintf(args, sizeof args, "pii extract --input %s --format csv", jsonl2);
    CHECK_INT(run(args), 0);
    stdout_only();
    CHECK_MSG(!strncmp(out_buf, "id,ward,label,start,end,confidence,source,hipaa_class,text,error\r\n", 66), "%s",
              out_buf);
    CHECK_MSG(strstr(out_buf, "\r\n1,,PHONE,") && strstr(out_buf, "\r\n2,B,SSN,4,15,") &&
              strstr(out_buf, "\r\n3,C,,,,,,,,\r\n"), "%s", out_buf);
    snprintf(args, sizeof args, "pii deidentify --input %s --json", jsonl);
    CHECK_INT(run(args), 0);
    j = cJSON_Parse(stdout_only());
    CHECK_MSG(cJSON_IsArray(j) && cJSON_GetArraySize(j) == 2, "%s", out_buf);
    CHECK_INT((int)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "id")), 41);
    CHECK_INT((int)cJSON_GetNumberValue(cJSON_GetObjectItem(meta(cJSON_GetArrayItem(j, 0), "site"), "floor")), 2);
    cJSON_Delete(j);

    /* --lines: a document per line, named SOURCE:LINE */
    const char *two = path_of("two.txt");
    write_file(two, "Call 617-555-0142.\n\nSSN 123-45-6789.\n");
    snprintf(args, sizeof args, "pii deidentify --lines --input %s", two);
    CHECK_INT(run(args), 0);
    n = parse_lines(stdout_only(), l, 8);
    CHECK_INT(n, 2);
    char want[1100];
    snprintf(want, sizeof want, "%s:3", two);
    if (n == 2) CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(l[1], "id")), want);
    /* documents of a batch share a model pass; each result is what the document alone gives
     * (scores to float rounding: a packed batch rounds differently) */
    const char *alone[2] = {"Call 617-555-0142.", "SSN 123-45-6789."};
    for (int i = 0; i < n && i < 2; i++) {
        snprintf(args, sizeof args, "pii deidentify \"%s\"", alone[i]);
        CHECK_INT(run(args), 0);
        cJSON *one = cJSON_Parse(stdout_only());
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(l[i], "deidentified_text")),
                  cJSON_GetStringValue(cJSON_GetObjectItem(one, "deidentified_text")));
        const cJSON *eb = cJSON_GetObjectItem(l[i], "pii_entities"), *es = cJSON_GetObjectItem(one, "pii_entities");
        CHECK_INT(cJSON_GetArraySize(eb), cJSON_GetArraySize(es));
        for (int k = 0; k < cJSON_GetArraySize(eb) && k < cJSON_GetArraySize(es); k++) {
            const cJSON *x = cJSON_GetArrayItem(eb, k), *y = cJSON_GetArrayItem(es, k);
            CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(x, "label")), cJSON_GetStringValue(cJSON_GetObjectItem(y, "label")));
            CHECK_INT((int)cJSON_GetNumberValue(cJSON_GetObjectItem(x, "start")), (int)cJSON_GetNumberValue(cJSON_GetObjectItem(y, "start")));
            CHECK_INT((int)cJSON_GetNumberValue(cJSON_GetObjectItem(x, "end")), (int)cJSON_GetNumberValue(cJSON_GetObjectItem(y, "end")));
            CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(x, "confidence")),
                       cJSON_GetNumberValue(cJSON_GetObjectItem(y, "confidence")), 1e-4);
        }
        cJSON_Delete(one);
    }
    for (int i = 0; i < n; i++) cJSON_Delete(l[i]);

    /* several inputs, mixed, as analyze and tokenize take them: TEXT arguments (text:1, text:2,
     * --text is OpenMed's spelling), files and standard input, a record each, in order */
    snprintf(args, sizeof args, "pii deidentify 'Call 617-555-0142.' --input %s --text 'SSN 123-45-6789' - < %s", note,
             two);
    CHECK_INT(run(args), 0);
    n = parse_lines(stdout_only(), l, 8);
    CHECK_INT(n, 4);
    if (n == 4) {
        const char *ids[4] = {"text:1", note, "text:2", "-"};
        for (int i = 0; i < 4; i++) CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(l[i], "id")), ids[i]);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(l[0], "deidentified_text")), "Call [PHONE].");
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(l[2], "deidentified_text")), "SSN [SSN]");
        const char *std_in = cJSON_GetStringValue(cJSON_GetObjectItem(l[3], "deidentified_text"));
        CHECK(std_in && strstr(std_in, "[PHONE]") && strstr(std_in, "[SSN]"));
    }
    for (int i = 0; i < n; i++) cJSON_Delete(l[i]);
    snprintf(args, sizeof args, "pii extract --format csv --input %s --input %s", jsonl, csv2);
    CHECK_INT(run(args), 1); /* first_bad.csv's bad row fails alone */
    stdout_only();
    CHECK_MSG(!strncmp(out_buf, "id,site,ward,label,", 19) && strstr(out_buf, "\r\n41,") &&
              strstr(out_buf, "\r\nn2,,,SSN,") && strstr(out_buf, "\r\nq2,,B,PHONE,"), "%s", out_buf);
    /* one TEXT is still one result */
    CHECK_INT(run("pii extract --json 'Call 617-555-0142.'"), 0);
    j = cJSON_Parse(stdout_only());
    CHECK(cJSON_GetObjectItem(j, "entities") && !cJSON_GetObjectItem(j, "id"));
    cJSON_Delete(j);

    /* a folder with a sub-folder in, a folder of the same names out */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/in/sub", dir);
    CHECK(system(cmd) == 0);
    write_file(path_of("in/a.txt"), "Patient Zed Quorra, call 617-555-0142.\n");
    write_file(path_of("in/sub/b.md"), "SSN 123-45-6789 on file.\n");
    write_file(path_of("in/sub/c.jsonl"), "{\"id\": \"c1\", \"text\": \"Mail zq@example.org\", \"patient_key\": \"p7\"}\n"
                                          "{\"id\": \"c2\", \"txt\": \"no text\"}\n");
    write_file(path_of("in/skip.bin"), "not read");
    snprintf(args, sizeof args, "pii deidentify --input %s/in --output %s/out", dir, dir);
    CHECK_INT(run(args), 1);
    CHECK_MSG(strstr(out_buf, "document c2 failed") && strstr(out_buf, "skipped 1 files"), "%s", out_buf);
    got = slurp(path_of("out/a.txt"));
    CHECK_MSG(got && strstr(got, "[PHONE]") && !strstr(got, "617-555"), "%s", got ? got : "(missing)");
    got = slurp(path_of("out/sub/b.md"));
    CHECK_MSG(got && strstr(got, "[SSN]") && !strstr(got, "123-45"), "%s", got ? got : "(missing)");
    got = slurp(path_of("out/sub/c.jsonl"));
    n = got ? parse_lines(got, l, 8) : 0;
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(l[0], "id")), "c1");
        CHECK(meta(l[0], "patient_key") == NULL && !strstr(got, "p7"));
        CHECK(cJSON_GetObjectItem(l[1], "error") != NULL);
    }
    for (int i = 0; i < n; i++) cJSON_Delete(l[i]);
    CHECK(!exists(path_of("out/skip.bin")));
    /* the input folder as the output would overwrite the notes: refused, nothing written */
    snprintf(args, sizeof args, "pii deidentify --input %s/in --output %s/in/", dir, dir);
    CHECK_INT(run(args), 2);
    CHECK(strstr(out_buf, "is the input folder") != NULL);
    got = slurp(path_of("in/a.txt"));
    CHECK(got && strstr(got, "617-555-0142"));
    /* --json: a text file's result as NAME.json */
    snprintf(args, sizeof args, "pii deidentify --json --input %s/in --output %s/outj", dir, dir);
    CHECK_INT(run(args), 1);
    j = cJSON_Parse(slurp(path_of("outj/a.txt.json")) ? slurp(path_of("outj/a.txt.json")) : "");
    CHECK(j && cJSON_GetObjectItem(j, "deidentified_text"));
    cJSON_Delete(j);

    /* a mistyped model name: "did you mean", offline, before any network */
    setenv("HF_ENDPOINT", "http://127.0.0.1:9", 1);
    CHECK(run("pii extract --model disease_detction_tiny \"Call 617-555-0142.\"") != 0);
    CHECK_MSG(strstr(out_buf, "did you mean disease_detection_tiny") && !strstr(out_buf, "127.0.0.1") &&
              !strstr(out_buf, "617-555"), "%s", out_buf);
    unsetenv("HF_ENDPOINT");

    /* progress: rate and ETA on a terminal, nothing when standard error is a file */
    snprintf(args, sizeof args, "pii deidentify --lines --input %s", two);
    CHECK_INT(run(args), 0);
    CHECK(!strstr(out_buf, "documents") && !strchr(out_buf, '\r'));
    snprintf(args, sizeof args, "analyze --lines --input %s", two);
    CHECK_INT(run(args), 0);
    CHECK(!strstr(out_buf + err_at, "documents") && !strchr(out_buf + err_at, '\r'));
    if (system("script -qec true /dev/null > /dev/null 2>&1") == 0) {
        const char *log = path_of("tty.log");
        snprintf(cmd, sizeof cmd, "script -qec '%s/bin/openmed pii deidentify --lines --input %s > /dev/null' %s > /dev/null",
                 OM_BINARY_DIR, two, log);
        CHECK(system(cmd) == 0);
        got = slurp(log);
        CHECK_MSG(got && strstr(got, "2/2 documents") && strstr(got, "/s") && strstr(got, " in "), "%s",
                  got ? got : "(missing)");
        snprintf(cmd, sizeof cmd, "script -qec '%s/bin/openmed analyze --lines --input %s > /dev/null' %s > /dev/null",
                 OM_BINARY_DIR, two, log);
        CHECK(system(cmd) == 0);
        got = slurp(log);
        CHECK_MSG(got && strstr(got, "2/2 documents") && strstr(got, "/s"), "%s", got ? got : "(missing)");
        const char *map = path_of("map.json");
        write_file(map, "{\"[X]\": \"Y\"}");
        const char *others[] = {"pii extract", "pii reidentify --mapping"};
        for (int k = 0; k < 2; k++) {
            snprintf(cmd, sizeof cmd, "script -qec '%s/bin/openmed %s %s --lines --input %s > /dev/null' %s > /dev/null",
                     OM_BINARY_DIR, others[k], k ? map : "", two, log);
            CHECK(system(cmd) == 0);
            got = slurp(log);
            CHECK_MSG(got && strstr(got, "2/2 documents") && strstr(got, "/s"), "%s: %s", others[k], got ? got : "(missing)");
        }
        snprintf(args, sizeof args, "pii reidentify --mapping %s --lines --input %s", map, two);
        CHECK_INT(run(args), 0);
        CHECK(!strstr(out_buf + err_at, "documents") && !strchr(out_buf + err_at, '\r')); /* piped: none */
        snprintf(cmd, sizeof cmd,
                 "script -qec '%s/bin/openmed pii deidentify --quiet --lines --input %s > /dev/null' %s > /dev/null",
                 OM_BINARY_DIR, two, log);
        CHECK(system(cmd) == 0);
        got = slurp(log);
        CHECK(got && !strstr(got, "documents"));
    } else {
        fprintf(stderr, "test_pii_inputs: script(1) cannot open a pseudo-terminal here; terminal progress not checked\n");
    }

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return check_finish("test_pii_inputs");
}
