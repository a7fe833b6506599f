/* test_pii_cli.c: the real `openmed pii extract` and `openmed pii deidentify` binaries with the
 * bundled PII model: JSON shapes, every method without leaks of planted values (anywhere in the
 * output unless --keep-mapping asks for the originals), file input and output, and clear failures
 * that never echo the text. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli_run.h"
#include "leak_check.h"

static const char *const planted[] = {"(617) 555-0142", "john.smith@example.com", "123-45-6789", "00482913",
                                      "03/14/1962", "March 3, 2021", "https://portal.mercyhealth.org/r/88231"};

#define NOTE                                                                                            \
    "Patient John Smith (DOB 03/14/1962), MRN: 00482913, was seen by Dr. Emily Carter on March 3, 2021. " \
    "Call (617) 555-0142 or email john.smith@example.com. SSN 123-45-6789. "                            \
    "Records at https://portal.mercyhealth.org/r/88231 today."

/* The output with its "timestamp" value blanked: the clock's digits (e.g. ".202113" seconds) are
 * not from the input and would make the digit-run check below fail at random. */
static const char *without_timestamp(const char *text) {
    static char copy[sizeof out_buf];
    snprintf(copy, sizeof copy, "%s", text);
    char *t = strstr(copy, "\"timestamp\": \"");
    if (t)
        for (t += strlen("\"timestamp\": \""); *t && *t != '"'; t++) *t = 'x';
    return copy;
}

static void check_no_planted(const char *what, const char *output) {
    const char *text = without_timestamp(output);
    for (size_t i = 0; i < sizeof planted / sizeof planted[0]; i++) {
        CHECK_MSG(strstr(text, planted[i]) == NULL, "%s: planted value %zu appears", what, i);
        check_no_digit_leak(what, text, planted[i]);
    }
    CHECK_MSG(strstr(text, "mercyhealth") == NULL && strstr(text, "john.smith") == NULL, "%s leaks", what);
}

int main(void) {
    /* extract --json: OpenMed's shape, the sweep's values present with their text */
    CHECK_INT(run("pii extract --json \"" NOTE "\""), 0);
    cJSON *j = cJSON_Parse(out_buf);
    CHECK_MSG(cJSON_IsObject(j), "not JSON: %.300s", out_buf);
    const cJSON *ents = cJSON_GetObjectItem(j, "entities");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "text")), NOTE);
    CHECK(cJSON_GetStringValue(cJSON_GetObjectItem(j, "model")) != NULL);
    CHECK_INT(cJSON_GetObjectItem(j, "num_entities") ? cJSON_GetObjectItem(j, "num_entities")->valueint : -1,
              cJSON_GetArraySize(ents));
    for (size_t p = 0; p < sizeof planted / sizeof planted[0]; p++) {
        int covered = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, ents) {
            const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(e, "text"));
            covered |= t && strstr(t, planted[p]) != NULL;
            CHECK(cJSON_GetObjectItem(e, "label") && cJSON_GetObjectItem(e, "start") && cJSON_GetObjectItem(e, "end") &&
                  cJSON_GetObjectItem(e, "confidence"));
        }
        CHECK_MSG(covered, "extract misses planted value %zu", p);
    }
    cJSON_Delete(j);

    /* shift_dates by a given number of days; --date-shift-days without it is refused */
    CHECK_INT(run("pii deidentify --shift-dates --date-shift-days 10 \"Seen 2021-03-14 by a@b.org.\""), 0);
    j = cJSON_Parse(out_buf);
    const char *shifted = cJSON_GetStringValue(cJSON_GetObjectItem(j, "deidentified_text"));
    CHECK_MSG(shifted && strstr(shifted, "2021-03-24") && !strstr(shifted, "2021-03-14") && !strstr(shifted, "a@b.org"),
              "%s", shifted ? shifted : "(none)");
    CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metadata"), "date_shift_days")->valueint, 10);
    cJSON_Delete(j);
    CHECK_INT(run("pii deidentify --date-shift-days 10 \"Seen 2021-03-14.\""), 2);
    CHECK(strstr(out_buf, "need method shift_dates") != NULL);
    CHECK_INT(run("pii deidentify --shift-dates --date-shift-days 0 \"Seen 2021-03-14.\""), 2);

    /* --text and --input-file are OpenMed's spellings */
    CHECK_INT(run("pii deidentify --json --text \"Mail a@b.org now\""), 0);
    CHECK(strstr(out_buf, "a@b.org") == NULL && strstr(out_buf, "\"deidentified_text\"") != NULL);

    /* extract without --json: one tab-separated line per entity */
    CHECK_INT(run("pii extract --confidence-threshold 1 \"Mail a@b.org now\""), 0);
    CHECK_MSG(strstr(out_buf, "EMAIL\t5\t12\t1\ta@b.org\n") != NULL, "%s", out_buf);

    /* deidentify, each method: nothing planted anywhere in the output (no entity texts, no original) */
    const char *methods[] = {"mask", "remove", "replace", "hash", "shift_dates"};
    for (int m = 0; m < 5; m++) {
        char args[4096];
        snprintf(args, sizeof args, "pii deidentify --method %s \"%s\"", methods[m], NOTE);
        CHECK_INT(run(args), 0);
        if (m < 4) check_no_planted(methods[m], out_buf);
        else /* shifted dates may keep their year: check the values themselves */
            for (size_t i = 0; i < sizeof planted / sizeof planted[0]; i++)
                CHECK_MSG(strstr(out_buf, planted[i]) == NULL, "shift_dates: planted value %zu appears", i);
        j = cJSON_Parse(out_buf);
        CHECK_MSG(cJSON_IsObject(j), "not JSON: %.300s", out_buf);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "method")), methods[m]);
        CHECK(cJSON_GetObjectItem(j, "original_text") == NULL && cJSON_GetObjectItem(j, "mapping") == NULL);
        const char *d = cJSON_GetStringValue(cJSON_GetObjectItem(j, "deidentified_text"));
        CHECK(d && strstr(d, "was seen by Dr.") != NULL);
        const cJSON *pe = cJSON_GetObjectItem(j, "pii_entities");
        CHECK(cJSON_GetArraySize(pe) >= 7);
        CHECK_INT(cJSON_GetObjectItem(j, "num_entities_redacted")->valueint, cJSON_GetArraySize(pe));
        const cJSON *e;
        cJSON_ArrayForEach(e, pe) {
            CHECK(cJSON_GetObjectItem(e, "text") == NULL);
            CHECK(cJSON_IsString(cJSON_GetObjectItem(e, "redacted_text")));
        }
        if (m == 0) CHECK(strstr(d, "[PHONE]") && strstr(d, "[SSN]"));
        cJSON_Delete(j);
    }

    /* --keep-mapping: the original and the mapping come back; every placeholder maps to a value of
     * the text (exact numbering is checked without a model in test_deid_logic) */
    CHECK_INT(run("pii deidentify --keep-mapping \"Mail a@b.org, then c@d.org, then a@b.org.\""), 0);
    j = cJSON_Parse(out_buf);
    const char *orig = cJSON_GetStringValue(cJSON_GetObjectItem(j, "original_text"));
    const char *d = cJSON_GetStringValue(cJSON_GetObjectItem(j, "deidentified_text"));
    CHECK_STR(orig, "Mail a@b.org, then c@d.org, then a@b.org.");
    CHECK(d && !strstr(d, "a@b.org") && !strstr(d, "c@d.org"));
    const cJSON *map = cJSON_GetObjectItem(j, "mapping"), *kv;
    int n_map = 0, saw_c = 0;
    cJSON_ArrayForEach(kv, map) {
        n_map++;
        CHECK(d && strstr(d, kv->string) != NULL);
        CHECK(orig && cJSON_GetStringValue(kv) && strstr(orig, cJSON_GetStringValue(kv)) != NULL);
        saw_c |= cJSON_GetStringValue(kv) && strstr(cJSON_GetStringValue(kv), "c@d.org") != NULL;
    }
    CHECK(n_map >= 2 && saw_c);
    cJSON_Delete(j);

    /* files in and out */
    char dir[] = "/tmp/om_pii_cli_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char in[256], out[256], bad[256], args[1024];
    snprintf(in, sizeof in, "%s/note.txt", dir);
    snprintf(out, sizeof out, "%s/out.json", dir);
    snprintf(bad, sizeof bad, "%s/bad.txt", dir);
    write_file(in, NOTE "\nSecond line: call 617-555-0142.\n");
    snprintf(args, sizeof args, "pii deidentify --method hash --input-file %s --output %s", in, out);
    CHECK_INT(run(args), 0);
    CHECK_INT(err_at, 0); /* nothing on standard output; standard error has the warnings only */
    CHECK_MSG(strstr(out_buf, "warning: the bundled PII model is a small demo") != NULL, "%s", out_buf);
    CHECK_MSG(strstr(out_buf, "warning: deidentify: no secret key given") != NULL, "%s", out_buf);
    CHECK(strstr(out_buf, "555") == NULL && strstr(out_buf, "Quorra") == NULL);
    FILE *f = fopen(out, "rb");
    size_t n = f ? fread(out_buf, 1, sizeof out_buf - 1, f) : 0;
    out_buf[n] = 0;
    if (f) fclose(f);
    check_no_planted("--output", out_buf);
    CHECK(strstr(out_buf, "617-555-0142") == NULL && strstr(out_buf, "\"PHONE_") != NULL);

    /* failures: clear, exit 1 or 2, never echoing the text */
    write_file(bad, "Patient Zed Quorra\xff lives here 617-555-0142\n");
    snprintf(args, sizeof args, "pii deidentify --input %s", bad);
    CHECK_INT(run(args), 1);
    CHECK_MSG(strstr(out_buf, "invalid UTF-8 at byte 18") != NULL, "%s", out_buf);
    CHECK(strstr(out_buf, "Quorra") == NULL && strstr(out_buf, "555") == NULL);
    CHECK_INT(run("pii deidentify --method scramble \"Zed Quorra\""), 2);
    CHECK(strstr(out_buf, "unknown de-identification method 'scramble'") != NULL && !strstr(out_buf, "Quorra"));
    CHECK_INT(run("pii deidentify --method aadhaar_mask \"Zed Quorra\""), 2);
    CHECK(strstr(out_buf, "not implemented") != NULL);
    CHECK_INT(run("pii deidentify --confidence-threshold 1.5 \"Zed Quorra\""), 2);
    CHECK(strstr(out_buf, "--confidence-threshold expects a number in [0, 1], got '1.5'") != NULL);
    CHECK_INT(run("pii extract --keep-mapping \"Zed Quorra\""), 2);
    CHECK_INT(run("pii extract"), 2);
    snprintf(args, sizeof args, "pii extract --input %s \"Zed Quorra\"", in); /* two inputs: a record each */
    CHECK_INT(run(args), 0);
    out_buf[err_at] = '\0';
    CHECK_MSG(strstr(out_buf, "\"id\": \"text\"") && strchr(out_buf, '\n') && strchr(strchr(out_buf, '\n') + 1, '\n'),
              "%s", out_buf);
    CHECK_INT(run("pii redact \"Zed Quorra\""), 2);
    CHECK(strstr(out_buf, "unknown subcommand 'redact'") != NULL);
    snprintf(args, sizeof args, "pii extract --model %s/none \"Zed Quorra\"", dir);
    CHECK_INT(run(args), 1);
    CHECK(strstr(out_buf, "Quorra") == NULL);
    CHECK_INT(run("pii extract --input /nonexistent/note.txt"), 1);
    CHECK(strstr(out_buf, "/nonexistent/note.txt") != NULL);
    CHECK_INT(run("--help"), 0);
    CHECK(strstr(out_buf, "pii") != NULL);

    /* OpenMed's MLX-only privacy-filter names run as their PyTorch checkpoint in every command, as
     * the library routes them: a pulled openai/privacy-filter (the fixture, offline) serves
     * OpenMed/privacy-filter-mlx, with one warning naming the substitute, and outputs keep the name given */
    char cache[] = "/tmp/om_pii_mlx_cache_XXXXXX", cmd[2048];
    CHECK(mkdtemp(cache) != NULL);
    const char *snap = "models--openai--privacy-filter/snapshots/0123456789abcdef0123456789abcdef01234567";
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir -p %s models--openai--privacy-filter/refs && "
             "printf 0123456789abcdef0123456789abcdef01234567 > models--openai--privacy-filter/refs/main && "
             "for f in config.json model.safetensors tokenizer.json tokenizer_config.json; do "
             "ln -s %s/hf/models/privacy-filter/$f %s/$f || exit 1; done",
             cache, snap, OM_FIXTURES, snap);
    CHECK(system(cmd) == 0);
    setenv("HF_HUB_CACHE", cache, 1);
    setenv("OPENMED_OFFLINE", "1", 1);
    const char *subcommands[] = {"pii extract --json", "pii deidentify --json", "analyze"};
    for (int k = 0; k < 3; k++) {
        snprintf(cmd, sizeof cmd,
                 "%s --device cpu --model OpenMed/privacy-filter-mlx \"Call John Smith at 617-555-0142.\"",
                 subcommands[k]);
        CHECK_MSG(run(cmd) == 0, "%s: %s", subcommands[k], out_buf);
        const char *warn = "OpenMed/privacy-filter-mlx is an MLX-only artifact and cannot run on this host. "
                           "Substituting openai/privacy-filter.";
        const char *first = strstr(out_buf + err_at, warn);
        int mentions = 0; /* the library's warning, and no second one from the command */
        for (const char *m = out_buf + err_at; (m = strstr(m, "MLX-only")); m++) mentions++;
        CHECK_MSG(first && mentions == 1, "%s: one warning: %s", subcommands[k], out_buf + err_at);
        out_buf[err_at] = '\0';
        cJSON *r = cJSON_Parse(out_buf);
        const cJSON *holder = k == 1 ? cJSON_GetObjectItem(r, "metadata") : r;
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(holder, k == 2 ? "model_name" : "model"));
        CHECK_MSG(name && !strcmp(name, "OpenMed/privacy-filter-mlx"), "%s: %.400s", subcommands[k], out_buf);
        cJSON_Delete(r);
    }
    unsetenv("HF_HUB_CACHE");
    unsetenv("OPENMED_OFFLINE");
    snprintf(cmd, sizeof cmd, "rm -rf %s", cache);
    CHECK(system(cmd) == 0);

    unlink(in);
    unlink(out);
    unlink(bad);
    rmdir(dir);
    return check_finish("test_pii_cli");
}
