/* test_pii_batch.c: the real `openmed pii` binary over many documents and the key, policy and
 * reidentify options: a folder and a JSONL file in and out, a failing document reported while the
 * rest go on, no temporary file left behind, warnings on stderr, the same secret giving the same
 * values in two runs, policies by name, and deidentify -> reidentify giving the text back. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cli_run.h"
#include "leak_check.h"

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static int count_files(const char *dir, const char *containing) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' && (!containing || strstr(e->d_name, containing))) n++;
    if (d) closedir(d);
    return n;
}

int main(void) {
    char dir[] = "/tmp/openmed-batch-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char in[512], out[512], args[4096], path[1024], secret[512];
    snprintf(in, sizeof in, "%s/in", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(secret, sizeof secret, "%s/secret.key", dir);
    mkdir(in, 0700);
    write_file(secret, "a batch test key\n");
    const char *docs[][2] = {{"a.txt", "Patient seen 03/14/2021, call 617-555-0142, mail zq@example.org.\n"},
                             {"b.txt", "SSN 123-45-6789 on file; call 617-555-0142 again.\n"},
                             {"c.txt", "Broken \xff bytes next to 617-555-0199.\n"}};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", in, docs[i][0]);
        write_file(path, docs[i][1]);
    }

    /* a folder: two documents de-identified, the broken one reported by name, exit 1 */
    snprintf(args, sizeof args, "pii deidentify --method replace --secret-file %s --input %s --output %s", secret, in, out);
    CHECK_INT(run(args), 1);
    CHECK_MSG(strstr(out_buf, "/in/c.txt failed") && strstr(out_buf, "invalid UTF-8") &&
              strstr(out_buf, "1 of 3 documents failed"), "%s", out_buf);
    CHECK(!strstr(out_buf, "617-555-0199") && !strstr(out_buf, "Broken"));
    CHECK_INT(count_files(out, NULL), 2);
    CHECK_INT(count_files(out, ".tmp"), 0);
    char first_a[1024] = "";
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", out, docs[i][0]);
        const char *got = slurp(path);
        CHECK_MSG(got && !strstr(got, "617-555-0142") && !strstr(got, "123-45-6789") && !strstr(got, "zq@example"),
                  "%s", got ? got : "(missing)");
        if (got) check_no_digit_leak("batch", got, "617-555-0142");
        if (got && i == 0) snprintf(first_a, sizeof first_a, "%s", got);
    }
    /* the same key again (from the environment this time): the same output */
    setenv("OPENMED_DEID_SECRET", "a batch test key", 1);
    snprintf(args, sizeof args, "pii deidentify --method replace --input %s/a.txt", in);
    CHECK_INT(run(args), 0);
    cJSON *j = cJSON_Parse(out_buf);
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(j, "deidentified_text"));
    CHECK_MSG(text && !strcmp(text, first_a), "%s vs %s", text ? text : "(none)", first_a);
    CHECK(!strstr(out_buf, "no secret key given"));
    cJSON_Delete(j);
    unsetenv("OPENMED_DEID_SECRET");

    /* JSONL in and out, with ids; a record without text fails alone */
    char jl[512], jo[512];
    snprintf(jl, sizeof jl, "%s/notes.jsonl", dir);
    snprintf(jo, sizeof jo, "%s/out.jsonl", dir);
    write_file(jl, "{\"id\": \"n1\", \"text\": \"Call 617-555-0142 today.\"}\n"
                   "{\"id\": \"n2\", \"txt\": \"no text key\"}\n"
                   "{\"id\": 3, \"text\": \"DOB 1970-07-13, SSN 123-45-6789.\", \"patient_key\": \"p9\"}\n");
    snprintf(args, sizeof args,
             "pii deidentify --method shift_dates --secret-file %s --patient-key p1 --input %s --output %s --quiet", secret,
             jl, jo);
    CHECK_INT(run(args), 1);
    CHECK_MSG(strstr(out_buf, "document n2 failed") && strstr(out_buf, "no \"text\""), "%s", out_buf);
    const char *lines = slurp(jo);
    CHECK(lines != NULL);
    int n_lines = 0, shift1 = 0, shift3 = 0;
    for (const char *p = lines; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        cJSON *l = cJSON_ParseWithLength(p, len);
        /* ids as the input gave them: a number stays a number */
        const cJSON *idv = cJSON_GetObjectItem(l, "id");
        char num[32] = "";
        if (cJSON_IsNumber(idv)) snprintf(num, sizeof num, "%d", idv->valueint);
        const char *id = cJSON_IsNumber(idv) ? num : cJSON_GetStringValue(idv);
        CHECK(id != NULL);
        if (id && !strcmp(id, "n2")) CHECK(cJSON_GetObjectItem(l, "error") && !cJSON_GetObjectItem(l, "deidentified_text"));
        cJSON *meta = cJSON_GetObjectItem(l, "metadata");
        if (id && !strcmp(id, "n1")) shift1 = cJSON_GetObjectItem(meta, "date_shift_days")->valueint;
        if (id && !strcmp(id, "3")) shift3 = cJSON_GetObjectItem(meta, "date_shift_days")->valueint;
        cJSON_Delete(l);
        n_lines++;
        p = nl ? nl + 1 : p + len;
    }
    CHECK_INT(n_lines, 3);
    CHECK(shift1 != 0 && shift3 != 0 && shift1 != shift3); /* two patients, two shifts (p1 vs p9) */
    CHECK(lines && !strstr(lines, "617-555-0142") && !strstr(lines, "123-45-6789") && !strstr(lines, "1970-07-13"));
    CHECK_INT(count_files(dir, ".tmp"), 0);

    /* deidentify --keep-mapping, then reidentify gives the note back; a policy by name */
    char note[512], result[512];
    snprintf(note, sizeof note, "%s/note.txt", dir);
    snprintf(result, sizeof result, "%s/result.json", dir);
    const char *original = "Seen 03/14/2021 (age 93), ZIP 02139. Call 617-555-0142 or 617-555-0142.\n";
    write_file(note, original);
    snprintf(args, sizeof args,
             "pii deidentify --policy hipaa_safe_harbor --method replace --keep-mapping --secret-file %s --input %s "
             "--output %s",
             secret, note, result);
    CHECK_INT(run(args), 0);
    const char *res = slurp(result);
    j = res ? cJSON_Parse(res) : NULL;
    text = cJSON_GetStringValue(cJSON_GetObjectItem(j, "deidentified_text"));
    CHECK_MSG(text && !strstr(text, "617-555-0142") && !strstr(text, "03/14/2021"), "%s", text ? text : "(none)");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metadata"), "policy")),
              "hipaa_safe_harbor");
    cJSON_Delete(j);
    snprintf(args, sizeof args, "pii reidentify --mapping %s", result);
    CHECK_INT(run(args), 0);
    CHECK_MSG(err_at == strlen(original) && !strncmp(out_buf, original, err_at), "%s", out_buf);
    CHECK_INT(run("pii deidentify --policy no_such_policy \"x\""), 2);
    CHECK(strstr(out_buf, "policy 'no_such_policy' not found") != NULL);
    snprintf(args, sizeof args, "pii reidentify --mapping %s/notes.jsonl", dir);
    CHECK(run(args) != 0);

    /* reidentify over the input layer: deidentify --keep-mapping's JSON lines come back record by
     * record (each with its own mapping, ids and fields kept); several TEXT with one --mapping; a
     * record without a mapping is reported by id, never with its text, and the rest go on */
    {
        char notes[512], deid[512], back[512];
        snprintf(notes, sizeof notes, "%s/round.jsonl", dir);
        snprintf(deid, sizeof deid, "%s/round-deid.jsonl", dir);
        snprintf(back, sizeof back, "%s/round-back.jsonl", dir);
        const char *orig[] = {"Patient John Smith, call 617-555-0142.", "Mary Jones, SSN 123-45-6789."};
        write_file(notes, "{\"id\": \"r1\", \"text\": \"Patient John Smith, call 617-555-0142.\", \"ward\": \"3B\"}\n"
                          "{\"id\": 2, \"text\": \"Mary Jones, SSN 123-45-6789.\"}\n");
        snprintf(args, sizeof args, "pii deidentify --keep-mapping --input %s --output %s", notes, deid);
        CHECK_INT(run(args), 0);
        snprintf(args, sizeof args, "pii reidentify --input %s --output %s", deid, back);
        CHECK_MSG(run(args) == 0 && err_at == 0, "%s", out_buf);
        char *lines = slurp(back), *save = NULL;
        int k = 0;
        for (char *line = lines ? strtok_r(lines, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save), k++) {
            cJSON *rec = cJSON_Parse(line);
            CHECK_MSG(k < 2 && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "text")), orig[k < 2 ? k : 0]), "%s", line);
            if (k == 0) CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "id")), "r1");
            if (k == 1) CHECK(cJSON_IsNumber(cJSON_GetObjectItem(rec, "id")));
            CHECK(!cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "metadata"), "mapping"));
            cJSON_Delete(rec);
        }
        CHECK_INT(k, 2);
        /* the same through CSV: --keep-mapping adds a "mapping" column (JSON) that reidentify reads */
        char csv[512];
        snprintf(csv, sizeof csv, "%s/round-deid.csv", dir);
        snprintf(args, sizeof args, "pii deidentify --keep-mapping --input %s --output %s", notes, csv);
        CHECK_INT(run(args), 0);
        const char *csv_text = slurp(csv);
        CHECK_MSG(csv_text && !strncmp(csv_text, "id,ward,deidentified_text,num_entities_redacted,mapping,error\r\n", 62),
                  "%s", csv_text ? csv_text : "(missing)");
        snprintf(args, sizeof args, "pii reidentify --input %s", csv);
        CHECK_MSG(run(args) == 0 && strstr(out_buf, "{\"id\": \"r1\", \"text\": \"Patient John Smith, call 617-555-0142.\"") &&
                  strstr(out_buf, "{\"id\": \"2\", \"text\": \"Mary Jones, SSN 123-45-6789.\""), "%s", out_buf);
        snprintf(args, sizeof args, "pii reidentify --mapping %s '[PHONE] here' 'and [PHONE]'", result);
        CHECK_INT(run(args), 0);
        CHECK_MSG(strstr(out_buf, "{\"id\": \"text:1\", \"text\": \"") && strstr(out_buf, "\"text:2\""), "%s", out_buf);
        write_file(deid, "{\"id\": \"m1\", \"deidentified_text\": \"Secret [X] stays\"}\n"
                         "{\"id\": \"m2\", \"deidentified_text\": \"[X] back\", \"mapping\": {\"[X]\": \"Zed\"}}\n");
        snprintf(args, sizeof args, "pii reidentify --input %s", deid);
        CHECK_INT(run(args), 1);
        CHECK_MSG(strstr(out_buf, "{\"id\": \"m1\", \"error\"") && strstr(out_buf, "{\"id\": \"m2\", \"text\": \"Zed back\"}") &&
                  strstr(out_buf + err_at, "document m1 failed") && !strstr(out_buf + err_at, "Secret"), "%s", out_buf);
        snprintf(notes, sizeof notes, "%s/round.txt", dir);
        write_file(notes, "Only [X] here.\n"); /* one text needs --mapping */
        snprintf(args, sizeof args, "pii reidentify --input %s", notes);
        CHECK_INT(run(args), 2);
    }

    /* warnings reach stderr once: the demo model and the random key */
    CHECK_INT(run("pii deidentify --method hash \"Call 617-555-0142.\""), 0);
    const char *demo = strstr(out_buf, "bundled PII model is a small demo");
    CHECK(demo && !strstr(demo + 1, "bundled PII model is a small demo"));
    CHECK(strstr(out_buf, "no secret key given") != NULL);

    snprintf(args, sizeof args, "rm -rf '%s'", dir);
    CHECK(system(args) == 0);
    return check_finish("test_pii_batch");
}
